#!/usr/bin/env bash
# Issue 13 in Bochs (docs/lxd-null_blk.md): Linux's null_blk, memory-backed,
# native and unmodified in an LXD (null_blk.lxd + null_blk_glue.ko), the same
# workload on both in one boot (linux-guest/initramfs/tests/lxd-nullblk.sh):
# dd patterns buffered and O_DIRECT, nbgtool's odd sizes and offsets, ext2
# with files of random content across sync, drop_caches and remount, e2fsck
# -n; then the domain destroyed with I/O in flight, a reload, and a hostile
# build of the domain (null_blk_hostile.lxd) whose forged calls must fail.
. "$(dirname "$0")/lib/boot.sh"

make -s -C "$ROOT" linux build/lxds.elf >/dev/null ||
  { fail "hypervisor, guest kernel, null_blk.lxd and null_blk_glue.ko build" "make linux build/lxds.elf failed"; exit 1; }

T=lxd-nullblk
linux_modules "lxds.test=$T"
boot "$T" bochs "" --cores 4 --megs 512 --timeout 1800
expect "Linux reaches userspace" '^lxds-guest: ready'
expect_not "no FAIL line" "^lxds-guest: test $T: FAIL"
expect_not "no kernel panic, oops, BUG or hung task in Linux" 'Kernel panic|BUG:|Oops|general protection|blocked for more than'

for how in native lxd; do
  expect "$how: dd patterns read back equal" "test $T: $how: dd pattern 2 MiB buffered and 2 MiB O_DIRECT: read back equal"
  expect "$how: O_DIRECT odd sizes and offsets" "test $T:   verify /dev/nullb0: 4 MiB, block 4096, [0-9]+ writes, [0-9]+ reads, 0 mismatches"
  expect "$how: ext2 files intact after remount" "test $T: $how: ext2: [0-9]+ entries, 13 files checked after sync, drop_caches and remount"
  expect "$how: e2fsck -fn clean" "test $T: $how: e2fsck -fn clean"
done
res() { tr -d '\r' < "$LOG" | sed -n "s/.*test $T: RESULT $1: //p" | head -n 1; }
if [ -n "$(res native)" ] && [ "$(res native)" = "$(res lxd)" ]; then
  pass "native and LXD gave the same results ($(res lxd))"
else
  fail "native and LXD gave the same results" "native '$(res native)', lxd '$(res lxd)'"
fi
expect_hv "lxd: module_init ran in the domain under the glue" '^lxd null_blk: kenv: module_init done'
expect "lxd: no I/O scheduler by default (as native)" "test $T: lxd: scheduler .*\\[none\\]"
expect "lxd: Linux made the domain's disk" "dmesg: .*null_blk_glue: domain [0-9]+: /dev/nullb0: [0-9]+ sectors"
expect "containment: I/O in flight and new I/O fail, no hang" "test $T: after destroy: every writer and reader stopped with an error"
expect "containment: a new read fails" "test $T: after destroy: a new read fails"
expect "containment: destroy removed the glue and the disk, pool back" "test $T: after destroy: the disk removed, the pool back to [0-9]+ bytes"
expect "life cycle: 3 load/destroy cycles leave no glue module" "test $T: 3 load/destroy cycles: no glue module left after each destroy"
expect "reload: a new device works" "test $T: reload: a new domain, /dev/nullb0 works"
expect "two isolated drivers at once: dummy beside null_blk" "test $T: two at once: dummy.lxd beside null_blk \(dummy_glue null_blk_glue \)"
expect "poll: lone O_DIRECT reads ended while their own task polled" "test $T: poll: [0-9]+ of 64 lone O_DIRECT reads ended while their own task polled"
expect "framed: every lone read's end taken straight from the ring" "test $T: framed: (6[4-9]|[7-9][0-9]|[1-9][0-9]{2,}) ends taken straight from the ring"
expect "timing: stage stamps only with timing=1" "test $T: timing: off, no stamps; on, [0-9]+ of 64 reads stamped in order"
expect "pieces: long reads end in parts Linux copies out as they come, the data whole" "test $T: pieces: 32 reads of 64 KiB in 96 parts, 3 of 20 KiB in 3, none refused \\([0-9]+ parts since load\\): read back equal"
expect "poll: a reader polling without bound stops when the domain is destroyed" "test $T: poll: destroyed under a lone polling reader: it stopped with an error"
expect_hv "lxd: the domain reads nbg_submit framed, straight from its slot" '^lxd null_blk: null_blk glue: cost: .*; [1-9][0-9]* submits read framed so far'
expect_hv "lxd: the domain serves nbg_submit inline, in its idle hook" '^lxd null_blk: null_blk glue: cost: .*; [1-9][0-9]* submits read framed so far, [1-9][0-9]* of them inline'
expect "throttled: mbps=1 stops and starts Linux's queues, ends from timers (irqmode=2), the data intact" "test $T: throttled: mbps=1 irqmode=2: 512 KiB written by four writers at once and read back; mbps throttling: [1-9][0-9]* queue stops, [1-9][0-9]* starts"
expect "forged submits: all four went out, the disk still reads back" "test $T: forged submits: 4 forged nbg_submit slots sent, /dev/nullb0 still reads back the pattern"
expect_hv "forged submits: a hwtag over 32 bits refused by the domain" 'nbg_submit\.hwtag: unsigned value out of range'
expect_hv "forged submits: a length over 32 bits refused by the domain" 'nbg_submit\.len: unsigned value out of range'
n=$(tr -d '\r' < "$HVLOG" | grep -c 'nbg_submit\.data: buffer offset/length outside the pool' || true)
if [ "$n" -ge 2 ]; then pass "forged submits: data past the pool and wrapping refused by the domain"
else fail "forged submits: data past the pool and wrapping refused by the domain" "$n refusals of nbg_submit.data in the hypervisor's log, 2 expected"; fi
expect "inline_submit=0: each request in its own async thread, the data whole" "test $T: threads: inline_submit=0: the pattern read back alone and by four readers at once"
expect_hv "inline_submit=0: no submit served inline" '^lxd null_blk: null_blk glue: cost: op 0, 4096 bytes: 128 submits .*; [1-9][0-9]* submits read framed so far, 0 of them inline'
expect "discard: the granularity crossed, discarded blocks read as zeros" "test $T: discard: granularity 4096 crossed; 256 KiB discarded read back as zeros, the rest as written"
expect "heap: a full heap fails writes with ENOSPC; a whole-disk discard frees it" "test $T: heap: (2[0-9]|3[0-1]) MiB of 48 fitted \\(ENOSPC after\\), the whole disk discarded, 8 MiB written and read back"
expect_hv "heap: the domain says its heap is exhausted" "^lxd null_blk: kenv: alloc_pages\\(4096 bytes\\) failed: the domain's heap is exhausted"
expect_hv "hostile: all eleven forged calls refused" '^lxd null_blk_hostile: null_blk glue: hostile: 11 of 11 calls refused, 5 forged ends sent'
expect_hv "hostile: the domain forged parts of a read and of a write" "^lxd null_blk_hostile: null_blk glue: hostile: 4 forged parts sent"
expect_hv "hostile: ... and a part of a write" "^lxd null_blk_hostile: null_blk glue: hostile: a part of a write sent"
expect "hostile: Linux refused every forged part, took the flood of small ones, the read whole" "test $T: hostile: (200[5-9]|20[1-9][0-9]|2[1-9][0-9][0-9]|[3-9][0-9]{3}|[1-9][0-9]{4,}) forged parts refused, ([4-9][0-9]{3}|[1-9][0-9]{4,}) taken; the pattern read back"
expect_hv "hostile: the domain flooded parts" "^lxd null_blk_hostile: null_blk glue: hostile: a flood of [0-9]+ parts of 4 bytes sent"
expect_hv "hostile: ... and stale ones" "^lxd null_blk_hostile: null_blk glue: hostile: a flood of 2000 stale parts sent"
expect "hostile: the disk still works, no sda" "test $T: hostile: /dev/nullb0 works, no sda"
expect "hostile: a swallowed request and stopped queues: destroy fails the waiting reads" "test $T: hostile: a request swallowed and Linux's queues stopped: destroy failed both waiting reads and removed the disk"
expect_hv "hostile: the domain swallowed the request and stopped Linux's queues" "^lxd null_blk_hostile: null_blk glue: hostile: request at sector 65536 swallowed"
expect "hostile: an end whose hwtag is not a u32 refused by the generated reader" "dmesg: .*nbg_end\\.hwtag: unsigned value out of range"
expect "hostile: an end whose status is not a u8 refused by the generated reader" "dmesg: .*nbg_end\\.status: unsigned value out of range"
expect "hostile: Linux counted forged and replayed ends" "dmesg: .*null_blk_glue: domain [0-9]+: glue stopped \([0-9]+ submitted, [0-9]+ ended, [0-9]+ failed, ([4-9]|[1-9][0-9]+) bad ends\)"
expect "hostile: everything removed, pool back" "test $T: null_blk: native and in an LXD, the same workload passed; contained, reloaded, hostile calls refused"
if tr -d '\r' < "$LOG" | grep -qE "^lxds-guest: test $T exit=0"; then
  pass "$T: test passed"
else
  fail "$T: test passed" "no line 'lxds-guest: test $T exit=0'"
fi
expect_rc "Linux powered off" 0
