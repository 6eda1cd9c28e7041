#!/bin/sh
# Issue 13: Linux's null_blk, memory-backed, (a) as the native module and
# (b) unmodified in an LXD (/lib/lxd/null_blk.lxd; Linux's side
# /lib/lxd/null_blk_glue.ko, inserted by lxdctl load).  The same workload on
# both: a dd pattern and O_DIRECT odd sizes and offsets (nbgtool verify), an
# ext2 file system with files of random content, sync, caches dropped,
# remount, checksums, e2fsck -n.  Then containment: the domain destroyed
# with I/O in flight (errors, no hang, the disk removable, the pool back)
# and a reload that works.  tests/system/lxd_nullblk.sh judges the lines.
. /tests/lxd-lib.sh
ensure_module

PARAMS="memory_backed=1 gb=1 bs=4096 irqmode=1"
FS_MB=12

# wait_dev SECONDS: until /dev/nullb0 is a block device.
wait_dev() {
  n=0
  while [ ! -b /dev/nullb0 ]; do
    n=$((n + 1))
    [ $n -gt $(($1 * 10)) ] && return 1
    sleep 0.1
  done
}

# direct_sum: md5 of /dev/nullb0's first 2 MiB, read with O_DIRECT (the
# pattern's size: compared with $patsum).
direct_sum() {
  dd if=/dev/nullb0 bs=65536 count=32 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
}

# stat_field NAME: the value of NAME=... in the stats line $s.
stat_field() { printf '%s\n' "$s" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# parts: null_blk_glue's "taken refused" count of nbg_part (the domain's
# pieces of long reads).
parts() { s=$(cat /sys/module/null_blk_glue/parameters/stats); stat_field parts | tr / ' '; }

# The files to copy: random content, many sizes (about 3 MiB), made once.
mkdir -p /tmp/src /mnt/nb
i=0
for sz in 1 511 512 4095 4096 4097 65535 65536 100000 262144 300001 1048575 1048576; do
  dd if=/dev/urandom of=/tmp/src/f$i bs=$sz count=1 iflag=fullblock 2>/dev/null ||
    fail "making /tmp/src/f$i"
  i=$((i + 1))
done
(cd /tmp/src && md5sum f*) > /tmp/src.md5
dd if=/dev/urandom of=/tmp/pattern bs=65536 count=32 2>/dev/null || fail "making the pattern"
patsum=$(md5sum < /tmp/pattern | cut -d' ' -f1)

# workload LABEL: everything on /dev/nullb0; ends with a RESULT line.
workload() {
  wait_dev 60 || fail "$1: /dev/nullb0 did not appear"
  say "$1: /dev/nullb0: $(cat /sys/block/nullb0/size) sectors, block $(cat /sys/block/nullb0/queue/logical_block_size)"
  # the isolated disk gets no I/O scheduler by default, as native does (with
  # one, every queue_rq of its blocking queue went through kblockd)
  sched=$(cat /sys/block/nullb0/queue/scheduler)
  say "$1: scheduler $sched"
  [ "$1" != lxd ] || case "$sched" in *"[none]"*) ;; *) fail "$1: scheduler $sched, not none";; esac
  # a pattern through the page cache, read back after dropping it
  dd if=/tmp/pattern of=/dev/nullb0 bs=65536 conv=fsync 2>/dev/null || fail "$1: dd pattern write"
  echo 3 > /proc/sys/vm/drop_caches
  back=$(dd if=/dev/nullb0 bs=65536 count=32 2>/dev/null | md5sum | cut -d' ' -f1)
  [ "$back" = "$patsum" ] || fail "$1: the pattern came back as $back, not $patsum"
  # the same with O_DIRECT, and odd sizes and offsets
  dd if=/tmp/pattern of=/dev/nullb0 bs=65536 seek=32 oflag=direct 2>/dev/null || fail "$1: dd O_DIRECT write"
  back2=$(dd if=/dev/nullb0 bs=65536 skip=32 count=32 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
  [ "$back2" = "$patsum" ] || fail "$1: the O_DIRECT pattern came back as $back2"
  say "$1: dd pattern 2 MiB buffered and 2 MiB O_DIRECT: read back equal"
  # (in the domain, reads also into buffers that start inside a page: the
  # glue copies segments, and pieces, that start and end inside pages;
  # native null_blk 6.1 misreads those, nbgtool.c)
  step=0
  [ "$1" = lxd ] && step=512
  run nbgtool verify /dev/nullb0 4 7 $step || fail "$1: nbgtool verify"
  vsum=$(printf '%s\n' "$OUT" | sed -n 's/.* sum \([0-9a-f]*\)$/\1/p')
  # a file system
  run /usr/local/sbin/mke2fs -t ext2 -b 4096 -q -F -E nodiscard /dev/nullb0 ${FS_MB}M || fail "$1: mke2fs"
  run mount -t ext2 /dev/nullb0 /mnt/nb || fail "$1: mount"
  cp /tmp/src/f* /mnt/nb/ || fail "$1: cp"
  mkdir /mnt/nb/d && cp /tmp/src/f1* /mnt/nb/d/ || fail "$1: cp into a directory"
  sync
  run umount /mnt/nb || fail "$1: umount"
  echo 3 > /proc/sys/vm/drop_caches
  run mount -t ext2 /dev/nullb0 /mnt/nb || fail "$1: mount again"
  (cd /mnt/nb && md5sum -c /tmp/src.md5 >/tmp/md5.out 2>&1) || { cat /tmp/md5.out; fail "$1: checksums after remount"; }
  (cd /mnt/nb/d && for f in f1*; do cmp -s "$f" /tmp/src/$f || exit 1; done) || fail "$1: files in d/ differ"
  say "$1: ext2: $(ls /mnt/nb | wc -l) entries, 13 files checked after sync, drop_caches and remount"
  run umount /mnt/nb || fail "$1: umount again"
  run /usr/local/sbin/e2fsck -fn /dev/nullb0 || fail "$1: e2fsck -fn found problems (exit $RC)"
  say "$1: e2fsck -fn clean"
  say "RESULT $1: pattern $back verify $vsum files $(md5sum < /tmp/src.md5 | cut -d' ' -f1)"
}

# (a) native null_blk
run modprobe null_blk $PARAMS || fail "modprobe null_blk"
workload native
run rmmod null_blk || fail "rmmod null_blk"
[ -e /dev/nullb0 ] && fail "/dev/nullb0 still there after rmmod null_blk"

# (b) the same driver in an LXD
fail() {
  dmesg | grep -E 'null_blk|klxd|nullb' | tail -n 20 | while IFS= read -r l; do say "dmesg: $l"; done
  say "FAIL: $*"
  exit 1
}
free0=$(pool_free)
run lxdctl load /lib/lxd/null_blk.lxd $PARAMS || fail "lxdctl load null_blk.lxd"
workload lxd
dmesg | grep -E 'null_blk_glue' | while IFS= read -r l; do say "dmesg: $l"; done

# (c) containment: the domain destroyed with I/O in flight (the kernel's
# I/O error lines stay off the console, where they would split ours).
# lxdctl destroy then removes null_blk_glue, waiting for the users of the
# disk (they see I/O errors and close it); its exit removes the disk.
dmesg -n 1
for j in 1 2 3 4; do
  (while dd if=/tmp/pattern of=/dev/nullb0 bs=65536 count=16 seek=$((j * 16)) oflag=direct 2>/dev/null; do
     :; done; echo "writer $j stopped" > /tmp/w$j) &
done
(while dd if=/dev/nullb0 of=/dev/null bs=4096 count=256 iflag=direct 2>/dev/null; do :; done;
 echo "reader stopped" > /tmp/r1) &
sleep 2
run lxdctl destroy null_blk || fail "lxdctl destroy null_blk"
dout=$OUT
n=0
while [ ! -e /tmp/w1 ] || [ ! -e /tmp/w2 ] || [ ! -e /tmp/w3 ] || [ ! -e /tmp/w4 ] || [ ! -e /tmp/r1 ]; do
  n=$((n + 1))
  [ $n -gt 300 ] && fail "I/O still running 30 s after the domain was destroyed"
  sleep 0.1
done
say "after destroy: every writer and reader stopped with an error ($((n / 10)) s)"
if dd if=/dev/nullb0 of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null; then
  fail "a new read succeeded after the domain was destroyed"
fi
say "after destroy: a new read fails"
printf '%s\n' "$dout" | grep -q '^removed null_blk_glue$' || fail "destroy did not remove null_blk_glue"
grep -q '^null_blk_glue ' /proc/modules && fail "null_blk_glue still loaded after destroy"
[ -e /dev/nullb0 ] && fail "/dev/nullb0 still there after destroy"
dmesg | grep -E 'null_blk_glue' | tail -n 4 | while IFS= read -r l; do say "dmesg: $l"; done
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free), $free0 before"
say "after destroy: the disk removed, the pool back to $free0 bytes"

# (d) reload: a new domain, a new device that works
run lxdctl load /lib/lxd/null_blk.lxd $PARAMS || fail "reload null_blk.lxd"
wait_dev 60 || fail "reload: /dev/nullb0 did not appear"
dd if=/tmp/pattern of=/dev/nullb0 bs=65536 oflag=direct 2>/dev/null || fail "reload: dd write"
back=$(direct_sum)
[ "$back" = "$patsum" ] || fail "reload: the pattern came back as $back"
say "reload: a new domain, /dev/nullb0 works"
# two isolated drivers at once: dummy.lxd loaded beside this null_blk.
# Each glue module links its own copy of klxd's glue backend, so that copy
# must export nothing: a symbol two modules export stops the second's load.
run lxdctl load /lib/lxd/dummy.lxd || fail "dummy beside null_blk: lxdctl load"
n=0
while ! ip link show dummy0 >/dev/null 2>&1; do
  n=$((n + 1))
  [ $n -gt 600 ] && fail "dummy beside null_blk: no dummy0"
  sleep 0.1
done
glues=$(grep -o '^[a-z_]*_glue ' /proc/modules | tr -d ' ' | sort | tr '\n' ' ')
[ "$glues" = "dummy_glue null_blk_glue " ] || fail "dummy beside null_blk: glue modules loaded: $glues"
back=$(direct_sum)
[ "$back" = "$patsum" ] || fail "dummy beside null_blk: the pattern came back as $back"
run lxdctl destroy dummy || fail "dummy beside null_blk: destroy dummy"
grep -q '^dummy_glue ' /proc/modules && fail "dummy beside null_blk: dummy_glue still loaded"
grep -q '^null_blk_glue ' /proc/modules || fail "dummy beside null_blk: null_blk_glue gone with dummy"
say "two at once: dummy.lxd beside null_blk ($glues), dummy0 up, /dev/nullb0 reads back; dummy destroyed alone"
# (e) queue_rq's poll for a request alone in flight (null_blk_glue's
# poll_ticks, on by default): O_DIRECT reads one at a time are ended by
# their own task; then the domain destroyed while such a reader polls with
# no bound but the domain's death (poll_ticks ~forever): it stops with an
# error, and the destroy below completes.
st=/sys/module/null_blk_glue/parameters/stats
echo 0 > $st
dd if=/dev/nullb0 of=/dev/null bs=4096 count=64 iflag=direct 2>/dev/null || fail "poll: dd"
s=$(cat $st)
hit=$(stat_field poll_hit)
# every end came as the domain frames it and was taken framed
framed=$(printf '%s\n' "$s" | sed -n 's/.* bh_msgs=[0-9]*\/\([0-9]*\) .*/\1/p')
[ "${framed:-0}" -ge 64 ] || fail "framed ends: ${framed:-no} of the 64 reads' ends taken straight from the ring: $s"
say "framed: $framed ends taken straight from the ring ($(printf '%s\n' "$s" | grep -o 'bh_msgs=[0-9/]*'))"
# (most, not all: the poll hands over when another thread wants the core,
# e.g. a timer's kworker; 64 of 64 in Bochs, 58-64 under QEMU, so at least half)
[ "${hit:-0}" -ge 32 ] || fail "poll: ${hit:-no} lone reads of 64 ended while their own task polled: $s"
say "poll: $hit of 64 lone O_DIRECT reads ended while their own task polled ($(printf '%s\n' "$s" | grep -o 'poll_miss=[0-9]* poll_wait_tsc=[0-9]* poll_resched=[0-9]* rx_covered=[0-9]*'))"
# the stage stamps (null_blk_glue's timing, off by default): none taken
# above; with timing=1 the same reads are timed stage by stage
bdn=$(stat_field bd_n)
[ "$bdn" = 0 ] || fail "timing off: ${bdn:-no} requests stamped: $s"
tm=/sys/module/null_blk_glue/parameters/timing
echo 1 > $tm && echo 0 > $st || fail "timing=1"
dd if=/dev/nullb0 of=/dev/null bs=4096 count=64 iflag=direct 2>/dev/null || fail "timing: dd"
s=$(cat $st)
echo 0 > $tm
bdn=$(stat_field bd_n)
odd=$(stat_field odd)
# (in order by the TSC, or odd: under QEMU the cores' TSCs may disagree)
[ $((${bdn:-0} + ${odd:-0})) -ge 32 ] ||
  fail "timing on: ${bdn:-no} of 64 reads stamped in order, ${odd:-no} out of order: $s"
say "timing: off, no stamps; on, $bdn of 64 reads stamped in order, $odd not ($(printf '%s\n' "$s" | grep -o 'pre=.* endrq=[0-9]*'))"
# Linux's side forges four nbg_submit slots with words the domain must
# refuse (its framed reader leaves them to the generated one, which logs
# each: checked in the hypervisor's log); the disk must still read back
echo 1 > /sys/module/null_blk_glue/parameters/forge_submit || fail "forge_submit"
back=$(direct_sum)
[ "$back" = "$patsum" ] || fail "after forged submits: the pattern came back as $back"
say "forged submits: $(dmesg | grep -o '[0-9]* forged nbg_submit slots sent' | tail -n 1), /dev/nullb0 still reads back the pattern"
# reads longer than the domain's read_piece_kb (16 KiB) end in pieces:
# nbg_part after each but the last, and Linux copies each out while the
# driver reads the next.  32 O_DIRECT reads of 64 KiB: 3 parts each; 3
# reads of 20 KiB at 20 KiB steps (16 KiB + 4 KiB): 1 part each.  The data
# must come back whole (nbgtool verify's reads into buffers that start
# inside a page, in the workload above, cut segments at the pieces' ends).
set -- $(parts); p0=$1 r0=$2
back=$(direct_sum)
set -- $(parts); p1=$1 r1=$2
[ "$back" = "$patsum" ] || fail "pieces: the pattern came back as $back"
[ $((p1 - p0)) -eq 96 ] || fail "pieces: $((p1 - p0)) parts for 32 reads of 64 KiB, not 96"
b20=$(dd if=/dev/nullb0 bs=20480 skip=1 count=3 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
p20=$(dd if=/tmp/pattern bs=20480 skip=1 count=3 2>/dev/null | md5sum | cut -d' ' -f1)
set -- $(parts); p2=$1 r2=$2
[ "$b20" = "$p20" ] || fail "pieces: 3 reads of 20 KiB came back as $b20, not $p20"
[ $((p2 - p1)) -eq 3 ] || fail "pieces: $((p2 - p1)) parts for 3 reads of 20 KiB, not 3"
[ "$r2" = "$r0" ] || fail "pieces: $((r2 - r0)) parts refused"
say "pieces: 32 reads of 64 KiB in $((p1 - p0)) parts, 3 of 20 KiB in $((p2 - p1)), none refused ($p2 parts since load): read back equal"
echo 1000000000000000 > /sys/module/null_blk_glue/parameters/poll_ticks
rm -f /tmp/r2
(while dd if=/dev/nullb0 of=/dev/null bs=4096 count=64 iflag=direct 2>/dev/null; do :; done;
 echo "reader stopped" > /tmp/r2) &
sleep 1
run lxdctl destroy null_blk || fail "destroy after reload"
n=0
while [ ! -e /tmp/r2 ]; do
  n=$((n + 1))
  [ $n -gt 300 ] && fail "poll: the polling reader still running 30 s after the domain was destroyed"
  sleep 0.1
done
say "poll: destroyed under a lone polling reader: it stopped with an error ($((n / 10)) s)"
grep -q '^null_blk_glue ' /proc/modules && fail "null_blk_glue still loaded after destroy (reload)"
# load/destroy cycles: each destroy takes the glue module (and the disk) with it
for c in 1 2 3; do
  run lxdctl load /lib/lxd/null_blk.lxd $PARAMS || fail "cycle $c: load"
  wait_dev 60 || fail "cycle $c: /dev/nullb0 did not appear"
  dd if=/dev/nullb0 of=/dev/null bs=4096 count=4 iflag=direct 2>/dev/null || fail "cycle $c: read"
  run lxdctl destroy null_blk || fail "cycle $c: destroy"
  printf '%s\n' "$OUT" | grep -q '^removed null_blk_glue$' || fail "cycle $c: destroy did not remove null_blk_glue"
  grep -q '^null_blk_glue ' /proc/modules && fail "cycle $c: null_blk_glue still loaded after destroy"
  [ -e /dev/nullb0 ] && fail "cycle $c: /dev/nullb0 still there after destroy"
done
say "3 load/destroy cycles: no glue module left after each destroy"
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free) after reload, $free0 before"

# (d2) throttled (mbps=1: 20 KiB a 20 ms tick; four writers of 16 KiB
# requests at once, so the budget runs out whatever the emulator's speed)
# and ended by timers (irqmode=2): null_blk's queue_rq, run inline in the
# domain's idle hook, stops Linux's queues and its hrtimer, run from that
# hook too, starts them again (both one-way); each request ends from its
# own hrtimer there.
run lxdctl load /lib/lxd/null_blk.lxd $PARAMS mbps=1 irqmode=2 completion_nsec=20000 ||
  fail "throttled: load"
wait_dev 60 || fail "throttled: /dev/nullb0 did not appear"
pids=""
for j in 0 1 2 3; do
  dd if=/tmp/pattern of=/dev/nullb0 bs=16384 count=8 skip=$((j * 8)) seek=$((j * 8)) \
    oflag=direct 2>/dev/null &
  pids="$pids $!"
done
for p in $pids; do wait $p || fail "throttled: a writer failed"; done
tsum=$(dd if=/tmp/pattern bs=16384 count=32 2>/dev/null | md5sum | cut -d' ' -f1)
back=$(dd if=/dev/nullb0 bs=16384 count=32 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
[ "$back" = "$tsum" ] || fail "throttled: 512 KiB came back as $back, not $tsum"
run lxdctl destroy null_blk || fail "throttled: destroy"
thr=$(dmesg | grep -o 'mbps throttling: [0-9]* queue stops, [0-9]* starts' | tail -n 1)
case "$thr" in
  *"throttling: 0 "*|*" 0 starts"|"") fail "throttled: Linux's queues were not stopped and started (${thr:-no line})";;
esac
say "throttled: mbps=1 irqmode=2: 512 KiB written by four writers at once and read back; $thr"
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free) after the throttled domain, $free0 before"

# (d3) every nbg_submit in its own async thread (inline_submit=0; by
# default one that arrives while the domain idles is served in its idle
# hook): the pattern written, 128 lone 4 KiB reads, the pattern read back
# alone and by four readers at once
run lxdctl load /lib/lxd/null_blk.lxd $PARAMS inline_submit=0 || fail "threads: load"
wait_dev 60 || fail "threads: /dev/nullb0 did not appear"
dd if=/tmp/pattern of=/dev/nullb0 bs=65536 oflag=direct 2>/dev/null || fail "threads: dd write"
dd if=/dev/nullb0 of=/dev/null bs=4096 count=128 iflag=direct 2>/dev/null || fail "threads: 4 KiB reads"
back=$(direct_sum)
[ "$back" = "$patsum" ] || fail "threads: the pattern came back as $back"
pids=""
for j in 0 1 2 3; do
  (b=$(dd if=/dev/nullb0 bs=65536 skip=$((j * 8)) count=8 iflag=direct 2>/dev/null | md5sum)
   p=$(dd if=/tmp/pattern bs=65536 skip=$((j * 8)) count=8 2>/dev/null | md5sum)
   [ "$b" = "$p" ]) &
  pids="$pids $!"
done
for p in $pids; do wait $p || fail "threads: one of four readers at once read wrong data"; done
run lxdctl destroy null_blk || fail "threads: destroy"
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free) after inline_submit=0, $free0 before"
say "threads: inline_submit=0: the pattern read back alone and by four readers at once"

# (d4) discard (null_blk's discard=1, memory-backed: a discarded block
# frees its page and reads back as zeros).  The driver sets its queue's
# discard granularity straight into the limits; without it crossing,
# Linux's block layer refused every discard (and warned).
run lxdctl load /lib/lxd/null_blk.lxd $PARAMS discard=1 || fail "discard: load"
wait_dev 60 || fail "discard: /dev/nullb0 did not appear"
q=/sys/block/nullb0/queue
[ "$(cat $q/discard_granularity)" = 4096 ] && [ "$(cat $q/discard_max_bytes)" = 16777216 ] ||
  fail "discard: granularity $(cat $q/discard_granularity), max $(cat $q/discard_max_bytes) bytes (want 4096, 16 MiB)"
dd if=/tmp/pattern of=/dev/nullb0 bs=65536 count=16 oflag=direct 2>/dev/null || fail "discard: dd write"
run blkdiscard -o 65536 -l 262144 /dev/nullb0 || fail "discard: blkdiscard"
zsum=$(dd if=/dev/zero bs=65536 count=4 2>/dev/null | md5sum | cut -d' ' -f1)
psum=$( (dd if=/tmp/pattern bs=65536 count=1; dd if=/dev/zero bs=65536 count=4;
         dd if=/tmp/pattern bs=65536 skip=5 count=11) 2>/dev/null | md5sum | cut -d' ' -f1)
back=$(dd if=/dev/nullb0 bs=65536 skip=1 count=4 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
[ "$back" = "$zsum" ] || fail "discard: the discarded 256 KiB came back as $back, not zeros"
back=$(dd if=/dev/nullb0 bs=65536 count=16 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
[ "$back" = "$psum" ] || fail "discard: the 1 MiB around it came back as $back"
say "discard: granularity 4096 crossed; 256 KiB discarded read back as zeros, the rest as written"
# A full heap: the domain's 32 MiB cannot hold 48 MiB of a 1 GiB disk.
# The write that needs one more page fails (ENOSPC), the domain says why
# and goes on; discarding the whole disk (64 requests of at most 16 MiB)
# gives its pages back, and new writes fit again (8 MiB: the pattern at
# 0, 2, 4 and 6 MiB, which needs pages only a discard can have freed).
dd if=/dev/zero of=/dev/nullb0 bs=1048576 count=48 oflag=direct 2>/tmp/dd.err &&
  fail "heap: 48 MiB fitted in a 32 MiB heap"
grep -q 'No space left on device' /tmp/dd.err || fail "heap: dd failed otherwise: $(cat /tmp/dd.err)"
full=$(sed -n 's/^\([0-9]*\)+0 records out$/\1/p' /tmp/dd.err)
[ "$(state_of null_blk)" = running ] || fail "heap: the domain is $(state_of null_blk) after the full heap"
run blkdiscard /dev/nullb0 || fail "heap: blkdiscard of the whole disk"
[ "$(state_of null_blk)" = running ] || fail "heap: the domain is $(state_of null_blk) after the discard"
for k in 0 1 2 3; do
  dd if=/tmp/pattern of=/dev/nullb0 bs=65536 seek=$((k * 32)) oflag=direct 2>/dev/null ||
    fail "heap: writing $((k * 2)) MiB after the discard"
done
for k in 0 1 2 3; do
  back=$(dd if=/dev/nullb0 bs=65536 skip=$((k * 32)) count=32 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
  [ "$back" = "$patsum" ] || fail "heap: the pattern at $((k * 2)) MiB came back as $back"
done
rm -f /tmp/dd.err
run lxdctl destroy null_blk || fail "discard: destroy"
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free) after discard, $free0 before"
say "heap: ${full:-?} MiB of 48 fitted (ENOSPC after), the whole disk discarded, 8 MiB written and read back"

# (e) a hostile driver: null_blk_hostile.lxd tries to register "sda", a
# second tag set and disk, disks with a foreign name, major, size, block
# size or queue flag, forged ends of requests that are not in flight, and
# replays every real end.  Linux must refuse each; the disk must still work.
run lxdctl load /lib/lxd/null_blk_hostile.lxd $PARAMS || fail "load null_blk_hostile.lxd"
wait_dev 60 || fail "hostile: /dev/nullb0 did not appear"
dd if=/tmp/pattern of=/dev/nullb0 bs=65536 oflag=direct 2>/dev/null || fail "hostile: dd write"
back=$(direct_sum)
[ "$back" = "$patsum" ] || fail "hostile: the pattern came back as $back"
[ -e /dev/sda ] && fail "hostile: the domain made /dev/sda"
# its first read cut in pieces also sent, before its first part, a flood
# of parts 4 bytes apart (Linux takes each: ~4 095 for a 16 KiB piece, the
# read must still come back right), then four parts Linux must refuse (the
# same bytes again, the read's whole length, the tag's last generation,
# bytes past the read) and a flood of 2 000 of the last generation; and its
# first write a part (parts are a read's)
set -- $(parts)
[ "${2:-0}" -ge 2005 ] || fail "hostile: ${2:-no} forged parts refused, 2 005 sent"
[ "${1:-0}" -ge 4000 ] || fail "hostile: ${1:-no} parts taken, the flood sent ~4 095"
say "hostile: $2 forged parts refused, $1 taken; the pattern read back"
grep -q ' sda$' /proc/devices && fail "hostile: the domain registered a major named sda"
say "hostile: /dev/nullb0 works, no sda"
# its last act: a read at 32 MiB is never ended and Linux's queues are
# stopped (nbg_stop_queues); a second read waits in the stopped queue.
# Destroying the domain must fail both, not leave them (and the disk's
# removal) waiting for a start that can no longer come.
dd if=/dev/nullb0 of=/dev/null bs=4096 count=1 skip=8192 iflag=direct 2>/dev/null &
r1=$!
sleep 1
dd if=/dev/nullb0 of=/dev/null bs=4096 count=1 skip=16 iflag=direct 2>/dev/null &
r2=$!
sleep 1
kill -0 $r1 2>/dev/null || fail "hostile: the swallowed read ended before the domain was destroyed"
kill -0 $r2 2>/dev/null || fail "hostile: the read behind the stopped queue ended before the domain was destroyed"
run lxdctl destroy null_blk_hostile || fail "destroy null_blk_hostile"
wait $r1 && fail "hostile: the swallowed read succeeded"
wait $r2 && fail "hostile: the read in the stopped queue succeeded"
say "hostile: a request swallowed and Linux's queues stopped: destroy failed both waiting reads and removed the disk"
grep -q '^null_blk_glue ' /proc/modules && fail "null_blk_glue still loaded after destroying the hostile domain"
dmesg | grep -E 'null_blk_glue' | grep -E 'refused|not in flight|glue stopped' | tail -n 12 |
  while IFS= read -r l; do say "dmesg: $l"; done
# the two ends whose words do not fit nbg_end's types: left by the framed
# reader to the generated handler, which refused them
dmesg | grep -E 'nbg_end\.(hwtag|status): unsigned value out of range' | tail -n 2 |
  while IFS= read -r l; do say "dmesg: $l"; done
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free) after the hostile domain, $free0 before"
say "null_blk: native and in an LXD, the same workload passed; contained, reloaded, hostile calls refused"

# make bench-nullblk boots this test with lxds.nbbench=1: the benchmark
# follows in the same boot, on a device that just passed the checks above.
if grep -q 'lxds.nbbench=1' /proc/cmdline; then
  . /tests/lxd-nullblk-bench.sh
fi
