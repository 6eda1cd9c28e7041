#!/usr/bin/env bash
# The LXD kernel environment (issue 11, part 2; docs/lxd-kenv.md): an
# ordinary Linux module (lxd-sdk/kenv/tests/kenv_selftest.c), compiled by
# Kbuild with the guest kernel's headers and flags and linked unmodified
# into an LXD image, runs in Bochs under the hypervisor.  The initramfs test
# linux-guest/initramfs/tests/lxd-kenv.sh loads it with parameters at the
# Linux shell; here we check what the domains printed into the hypervisor
# log (COM2) and how each ended.
. "$(dirname "$0")/lib/boot.sh"

make -s -C "$ROOT" linux build/lxds.elf >/dev/null ||
  { fail "hypervisor, guest kernel, klxd, lxdctl and kenv images build" "make linux build/lxds.elf failed"; exit 1; }

linux_modules "lxds.test=lxd-kenv"
boot lxd-kenv bochs "" --cores 4 --megs 512 --timeout 1500
expect "Linux reaches userspace" '^lxds-guest: ready'
expect_not "no FAIL line" '^lxds-guest: test lxd-kenv: FAIL'
expect_not "no kernel panic, oops or BUG in Linux" 'Kernel panic|BUG:|Oops|general protection'

expect "native: the same source as kenv_selftest.ko passes in Linux" 'test lxd-kenv: native: the same module passes its checks in Linux'

# start-up: heap from the image's note, TSC, parameters
expect_hv "st: created with the heap its image asks for (8 MiB)" "lxd: created domain [0-9]+ 'st': .*\(heap 8192 KiB\)"
expect_hv "st: load arguments reach the hypervisor" "lxd: domain [0-9]+ 'st' load arguments: \"greeting=hi-there count=5 verbose=y kenv.exit_after_ms=3000\""
expect_hv "st: the environment starts" "^lxd st: kenv: domain 'st': heap [0-9]+ KiB, TSC [0-9]+ kHz"
expect_hv "st: module parameters set" '^lxd st: kenv: 3 module parameter\(s\) set, 4 known'
expect_hv "st: module_init runs with the parameters" '^lxd st: kenv_selftest: start: hi-there'
expect_hv "st: parameters seen by the module" '^lxd st: kenv_selftest: greeting=hi-there count=5 verbose=1 crash='
# the checks, each printed by the module itself
for c in 'kmalloc' 'kzalloc/kcalloc zeroed' 'krealloc keeps the data' 'ksize' 'vmalloc 2 MiB' \
         'vmalloc memory usable' 'alloc_pages order 2' '__get_free_page' 'kmem_cache_create' \
         'slab objects on a list' 'list order' 'list emptied' 'mutex_trylock on a free mutex' \
         'mutex_trylock on a held mutex' 'mutex released' 'per-CPU data through %gs' 'snprintf' \
         'kernel %p extensions' 'msleep\(50\) and ktime_get' 'jiffies advance' \
         '200 hrtimers armed at once' 'radix tree: 20000 inserts and lookups' \
         'radix tree: gang lookup in index order' 'radix tree: delete_item of another item refused' \
         'radix tree: 20003 deletes from the front, then empty'; do
  expect_hv "st: check '$c'" "^lxd st: kenv_selftest: $c: ok"
done
expect_not "st: no check failed" 'kenv_selftest: .*: FAILED'
expect_hv "st: 0 checks failed" '^lxd st: kenv_selftest: 0 check\(s\) failed'
expect_hv "st: pr_warn and printk(KERN_NOTICE) reach the log" '^lxd st: kenv_selftest: printk with KERN_NOTICE, as is'
expect_hv "st: WARN prints its message" '^lxd st: kenv_selftest: WARN with count=5'
expect_hv "st: WARN traps (ud2) and is found in __bug_table" '^lxd st: WARNING: at .*kenv_selftest\.c:[0-9]+ \(RIP 0x[0-9a-f]+\): the domain goes on'
expect_hv "st: the domain goes on after WARN" '^lxd st: kenv_selftest: after WARN: still running'
expect_hv "st: the timer fired from the domain's loop" '^lxd st: kenv_selftest: timer fired at jiffies\+[0-9]+'
expect_hv "st: the work item ran from the loop" '^lxd st: kenv_selftest: work ran'
expect_hv "st: module_exit on kenv.exit_after_ms" '^lxd st: kenv: kenv.exit_after_ms=3000 reached: module_exit'
expect_hv "st: an hrtimer restarted from its callback fired 3 times" '^lxd st: kenv_selftest: hrtimer fired 3 times'
expect_hv "st: 200 hrtimers armed at once all fired (the environment once held 64)" '^lxd st: kenv_selftest: exit: 200 of 200 hrtimers armed at once fired'
expect_hv "st: module_exit ran; the cancelled hrtimer never fired" '^lxd st: kenv_selftest: exit: timer fired 1, work ran 1, hrtimer fired 3, cancelled hrtimer fired 0'
expect_hv "st: nothing left on the heap but the environment's own" '^lxd st: kenv: module_exit done; [0-9]+ allocation\(s\) still live'
expect_hv "st: exits with 0" '^lxd st: exits with code 0'
expect "st: lxdctl saw exit code 0" 'test lxd-kenv: st: ran its checks and module_exit, exit code 0'

expect_not "bug: WARN(verbose) stays quiet without verbose" '^lxd bug: kenv_selftest: WARN with'
expect_hv "bug: ran its checks" '^lxd bug: kenv_selftest: 0 check\(s\) failed'
expect_hv "bug: BUG() ends the domain with file and line" '^lxd bug: kenv: BUG at .*kenv_selftest\.c:[0-9]+ \(RIP 0x[0-9a-f]+\); the domain ends \(exit code 0xb010\)'
expect "bug: only that domain ended" 'test lxd-kenv: bug: BUG\(\) ended only that domain \(exit code 45072\); idle still running'
expect_hv "badp: unknown parameter named" "^lxd badp: kenv: unknown module parameter 'nosuch'"
expect_hv "badp: ends with its reason" '^lxd badp: kenv: the module parameters were refused; the domain ends \(exit code 0xb014\)'
expect_hv "range: module_init's refusal" '^lxd range: kenv_selftest: count=5000 is out of 1..1000'
expect_hv "range: ends with module_init's error" '^lxd range: kenv: module_init failed: -22 \(EINVAL\); the domain ends \(exit code 0xb013\)'
expect_hv "nullb: its heap (32 MiB) from the image's note" "lxd: created domain [0-9]+ 'nullb': .*\(heap 32768 KiB\)"
expect_hv "nullb: 5 module parameters reach null_blk (queue_mode through the driver's own ops)" '^lxd nullb: kenv: 5 module parameter\(s\) set, [0-9]+ known'
expect_hv "nullb: null_blk's module_init runs and sees bs=8192" '^lxd nullb: null_blk: invalid block size'
expect_hv "nullb: null_blk prints with its pr_fmt" '^lxd nullb: null_blk: defaults block size to 4096'
expect_hv "nullb: stops at its first crossing, __register_blkdev" '^lxd nullb: kenv: __register_blkdev must cross to Linux, and this image has no IDL glue; the domain ends \(exit code 0xb011\)'
expect_hv "dummy: numdummies reaches dummy" '^lxd dummy: kenv: 1 module parameter\(s\) set, 1 known'
expect_hv "dummy: stops at its first crossing, rtnl_lock" '^lxd dummy: kenv: rtnl_lock must cross to Linux, and this image has no IDL glue; the domain ends \(exit code 0xb011\)'
expect "null_blk and dummy ran" 'test lxd-kenv: null_blk and dummy ran module_init in a domain up to their first crossing'
expect "hostile load arguments refused" "test lxd-kenv:   lxdctl: domain [0-9]+ 'ctl': its parameters .* were refused: Invalid argument \(printable ASCII only\)"
expect "everything destroyed, pool back" 'test lxd-kenv: kenv: selftest passed, BUG contained, bad parameters refused, pool back to [0-9]+ bytes'
if tr -d '\r' < "$HVLOG" | grep -qE '^linux: the guest stopped'; then
  fail "Linux kept running" "$(tr -d '\r' < "$HVLOG" | grep -E '^linux: the guest stopped' | head -n 1)"
else
  pass "Linux kept running"
fi
if tr -d '\r' < "$LOG" | grep -qE '^lxds-guest: test lxd-kenv exit=0'; then
  pass "lxd-kenv: test passed"
else
  fail "lxd-kenv: test passed" "no line 'lxds-guest: test lxd-kenv exit=0'"
fi
expect_rc "Linux powered off" 0
