#!/usr/bin/env bash
# QEMU TCG with neither VT-x nor AMD SVM (-cpu qemu64,-svm): the hypervisor
# must say in one line what is missing and power off, not hang or
# triple-fault.  Also checks that an unknown command-line option is rejected
# (parsing happens before the virtualization check).
. "$(dirname "$0")/lib/boot.sh"

boot no-virt qemu-plain "" --cores 2 --timeout 60
expect "banner printed" '^lxds [0-9.]+: Lightweight Execution Domains hypervisor'
expect "cpu line names both" '^cpu: .*VT-x absent, AMD SVM absent'
expect "says what is missing, in one line" '^lxds: no usable hardware virtualization on this CPU: VT-x is absent \(CPUID.1:ECX.VMX = 0\) and AMD SVM is absent \(CPUID 0x80000001:ECX.SVM = 0\), so lxds cannot run here'
expect "says how to run it instead" 'make run-bochs.*make run-qemu.*-enable-kvm -cpu host'
expect "powers off" '^lxds: powering off'
expect_not "no exception" 'EXCEPTION|PANIC'
expect_rc "QEMU exited (powered off, no hang)" 0

boot bad-cmdline qemu-plain "selftest bogus_option=1" --timeout 60
expect "unknown option named" "^error: cmdline: unknown option 'bogus_option'"
expect "lists the options" 'lxd_cores=N'
expect "refuses to boot" '^lxds: refusing to boot with a bad command line'
expect_not "did not go on booting" 'no usable hardware virtualization|cores online'
expect_rc "powered off after the refusal" 0

boot bad-value qemu-plain "lxd_cores=many" --timeout 60
expect "bad value explained" "^error: cmdline: lxd_cores: 'many' is not a core count"
expect_rc "powered off after the refusal" 0
