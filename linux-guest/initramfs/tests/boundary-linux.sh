#!/bin/sh
# Issue 10, Linux's side of the boundary: a root shell, an unprivileged
# program and a kernel module attack the hypervisor.  Each attack must end
# in a fault for the attacker (EIO, SIGILL, #UD, #GP) and the machine go on:
# an echo LXD loaded afterwards still answers.  Every check runs (a failed
# one is counted, not fatal), so one boot reports them all.
. /tests/lxd-lib.sh
failed=0
bad() { say "FAIL: $*"; failed=$((failed + 1)); }

# 1. #GP with its error code: MSR 0x480 (IA32_VMX_BASIC) is the hypervisor's.
#    /dev/cpu/0/msr takes the MSR number as the file offset (bs=8: skip=144).
run dd if=/dev/cpu/0/msr of=/dev/null bs=8 skip=144 count=1
if [ $RC != 0 ] && printf '%s\n' "$OUT" | grep -q 'Input/output error'; then
  say "MSR 0x480 read: EIO (the hypervisor injected #GP)"
else
  bad "reading MSR 0x480 did not fail with EIO"
fi
run dd if=/dev/zero of=/dev/cpu/0/msr bs=8 seek=144 count=1
if [ $RC != 0 ] && printf '%s\n' "$OUT" | grep -q 'Input/output error'; then
  say "MSR 0x480 write: EIO (the hypervisor injected #GP)"
else
  bad "writing MSR 0x480 did not fail with EIO"
fi
run dd if=/dev/cpu/0/msr of=/dev/null bs=8 skip=2 count=1    # MSR 0x10, the TSC: Linux's
[ $RC = 0 ] && say "MSR 0x10 (TSC) read: works" || bad "reading MSR 0x10 failed"

# 1b. Linux's MSR allow list: MTRRs and machine-check banks are no longer passed
#     through (EIO from the shell), EFER still reads.
for m in 64:0x200:MTRR_PHYSBASE0 74:0x250:MTRR_FIX64K 128:0x400:MC0_CTL; do
  skip=${m%%:*}; rest=${m#*:}; msr=${rest%%:*}; name=${rest#*:}
  run dd if=/dev/cpu/0/msr of=/dev/null bs=8 skip=$skip count=1
  if [ $RC != 0 ] && printf '%s\n' "$OUT" | grep -q 'Input/output error'; then
    say "MSR $msr ($name) read: EIO (denied by Linux's policy)"
  else
    bad "reading MSR $msr ($name) did not fail with EIO"
  fi
done
run dd if=/dev/cpu/0/msr of=/dev/null bs=8 skip=402653200 count=1   # MSR 0xC0000080, EFER: allowed
[ $RC = 0 ] && say "MSR 0xc0000080 (EFER) read: works" || bad "reading MSR 0xc0000080 failed"

# 2. Every VMX instruction in user space, as uid 65534: SIGILL, never a stopped machine.
run /bin/lxd-vmx-user 65534
[ $RC = 0 ] || bad "lxd-vmx-user exit $RC: not every VMX instruction got SIGILL"

# 2, 6. The same from Linux's kernel (#UD), bad XCR0 values (#GP), the VMX MSRs.
run insmod /lib/modules/klxd_kattack.ko
rc=$RC
dmesg | grep 'klxd_kattack:' | while IFS= read -r l; do say "dmesg: $l"; done
[ $rc = 0 ] || bad "klxd_kattack.ko: not every kernel-side attack was refused as it must be"
[ $rc = 0 ] && { run rmmod klxd_kattack || bad "rmmod klxd_kattack"; }

# The machine goes on: klxd, an LXD, round trips.
ensure_module
free0=$(pool_free)
run lxdctl load /lib/lxd/echo.lxd || bad "load echo after the attacks"
run lxdctl ping echo -n 1000 || bad "echo does not answer after the attacks"

# 3c. The hypercall fuzzer, with echo loaded (its id is kept out of the calls
#     that would change it; id + 2^32 is not): every refusal leaves the pool
#     and the domain count as they were; echo answers afterwards.
run insmod /lib/modules/klxd_hcfuzz.ko
rc=$RC
dmesg | grep 'klxd_hcfuzz:' | while IFS= read -r l; do say "dmesg: $l"; done
[ $rc = 0 ] || bad "klxd_hcfuzz.ko: a fuzzed hypercall changed the pool or the domain count, or succeeded"
[ $rc = 0 ] && { run rmmod klxd_hcfuzz || bad "rmmod klxd_hcfuzz"; }
run lxdctl ping echo -n 100 || bad "echo does not answer after the fuzzer"
run lxdctl destroy echo || bad "destroy echo"
[ "$(pool_free)" = "$free0" ] || bad "pool free $(pool_free), $free0 before"
[ $failed = 0 ] || { say "$failed check(s) failed"; exit 1; }
say "Linux's attacks were refused; Linux, klxd and an echo LXD go on"

# 2. Last: a reset request through port 0x92 must end the run (power-off, not a
#    warm reset into the firmware with the LXD pool intact).  The console is
#    drained first (TCSADRAIN), or the lines above die with the machine.
say "asking for a reset through port 0x92 (klxd_kattack reset=92)"
sync
stty -F /dev/console "$(stty -F /dev/console -g)" 2>/dev/null
sleep 2
run insmod /lib/modules/klxd_kattack.ko reset=92
say "FAIL: still running after the reset request through port 0x92 ($RC)"
exit 1
