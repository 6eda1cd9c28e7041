#!/usr/bin/env bash
# The AMD SVM backend in QEMU TCG (-cpu qemu64,+svm,+npt): SVM on every core
# and the shared self-test guests (nested paging, VMCALL met as #UD and
# taken as the hypercall, the LAPIC-timer watchdog, VMEXIT_INVALID decoded),
# then Linux as the privileged guest running the same initramfs tests as the
# Bochs (VT-x) runs of tests/system/lxd.sh, through its backend parameter;
# then boundary.sh's linux/ioctl/lxd boots, exceptions, linux_direct,
# linux_guest, linux_smp (Linux's other cores started by its INIT-SIPI)
# and the isolated-driver scripts (lxd_kenv, lxd_glue, lxd_dummy,
# lxd_nullblk) the same way.
#   SVM_LXD_TESTS="basic echo" picks the lxd.sh tests to run here (default: all
#   of them, as in Bochs; under QEMU TCG each boot takes seconds, not minutes).
. "$(dirname "$0")/lib/boot.sh"

make -s -C "$ROOT" build/lxds.elf >/dev/null ||
  { fail "hypervisor build" "make build/lxds.elf failed"; exit 1; }

CORES=3
boot svm-selftest qemu "selftest" --cores $CORES --megs 512 --timeout 240
expect "SVM chosen" '^lxds: using SVM$'
expect "SVM capabilities read" '^svm: revision [0-9]+, [0-9]+ ASIDs, nested paging, no next-RIP save, no decode assists'
for c in $(seq 0 $((CORES - 1))); do
  expect "cpu $c: SVM on" "^cpu $c: SVM on \(host save area at 0x[0-9a-f]+\)"
done
declare -A outcome=(
  [vmcall]='stopped on request +PASS: echo 41 -> 42, handled and resumed'
  [cpuid]='stopped on request +PASS: VMX hidden, hypervisor bit set, leaf 0x40000000 says lxds'
  [ept-violation]='EPT violation +PASS: GPA 0x40000000 at RIP'
  [hlt]='halted +PASS'
  [triple-fault]='triple fault +PASS'
  [endless-loop]='watchdog \(no progress\) +PASS'
  [isolation]='stopped on request +PASS: first wrote 0x5ec12e75ec12e7, second read 0, EPTs disjoint'
  [user-vmcall]='stopped on request +PASS: ring-3 VMCALL got #UD'
  [bad-control]='VM entry failed +PASS: decoded \(detail 0xffffffff\)'
  [bad-guest-state]='VM entry failed +PASS: decoded \(detail 0xffffffff\)'
)
for c in $(seq 1 $((CORES - 1))); do
  for t in vmcall cpuid ept-violation hlt triple-fault endless-loop isolation user-vmcall bad-control bad-guest-state; do
    expect "cpu $c: $t" "^selftest cpu $c: $t +${outcome[$t]}"
  done
done
expect "nested page fault decoded" 'exit NPF \(nested page fault\) \(code 0x400\), read at GPA 0x40000000 \(not mapped'
expect "watchdog report" 'stopped by the watchdog: no progress: exit INTR'
expect "VMEXIT_INVALID explained" 'VMRUN failed: VMEXIT_INVALID \(the guest state in the VMCB is inconsistent\)'
expect "no frame leaked" '^selftest: no frame leaked'
expect "tally" "^selftest: $((10 * (CORES - 1))) passed, 0 failed"
expect_not "no exception or panic" '^EXCEPTION|PANIC|did not finish'
expect_rc "powered off cleanly" 0

# Linux under SVM: the same initramfs tests and checks as in Bochs, with the backend parameter.
if [ -n "${SVM_LXD_TESTS:-}" ]; then
  LXDS_EMU=qemu LXD_TESTS=$SVM_LXD_TESTS bash "$(dirname "$0")/lxd.sh"
else
  LXDS_EMU=qemu bash "$(dirname "$0")/lxd.sh"
fi

# The boundary under SVM (issue 10 on AMD): Linux's attacks (the MSR allow list,
# the reset and sleep ports, VMX and SVM instructions at CPL 3 and 0, XSETBV, the
# hypercall fuzzer), the ioctl fuzz and the LXDs' attacks, with the same checks
# as the Bochs (VT-x) runs of tests/system/boundary.sh, through its backend parameter.
#   SVM_BOUNDARY_TESTS="linux" picks the boundary.sh boots to run here.
LXDS_EMU=qemu BOUNDARY_TESTS=${SVM_BOUNDARY_TESTS:-linux ioctl lxd} bash "$(dirname "$0")/boundary.sh"

# The Linux boot protocol, the exception handlers, the kernel environment and
# the isolated drivers under SVM: the same scripts as in Bochs (VT-x), through
# the backend parameter.  Each boots in seconds under QEMU TCG; in Bochs each
# takes minutes.  The VT-x runs keep their own full coverage in make test.
for t in ${SVM_SCRIPTS:-exceptions linux_direct linux_guest linux_smp lxd_kenv lxd_glue lxd_dummy lxd_nullblk}; do
  LXDS_EMU=qemu bash "$(dirname "$0")/$t.sh"
done
