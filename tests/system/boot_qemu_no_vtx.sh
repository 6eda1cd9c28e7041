#!/usr/bin/env bash
# QEMU without KVM (TCG) has no VT-x: the hypervisor must say so in one clear
# line and power off, not hang or triple-fault.  Also checks that an unknown
# command-line option is rejected (parsing happens before the VT-x check).
. "$(dirname "$0")/lib/boot.sh"

boot no-vtx qemu "" --cores 2 --timeout 60
expect "banner printed" '^lxds [0-9.]+: Lightweight Execution Domains hypervisor'
expect "says VT-x is absent" '^lxds: VT-x is absent on this CPU \(CPUID.1:ECX.VMX = 0\)'
expect "says how to run it instead" 'make run-bochs.*-enable-kvm -cpu host,\+vmx'
expect "powers off" '^lxds: powering off'
expect_not "no exception" 'EXCEPTION|PANIC'
expect_rc "QEMU exited (powered off, no hang)" 0

boot bad-cmdline qemu "selftest bogus_option=1" --timeout 60
expect "unknown option named" "^error: cmdline: unknown option 'bogus_option'"
expect "lists the options" 'lxd_cores=N'
expect "refuses to boot" '^lxds: refusing to boot with a bad command line'
expect_not "did not go on booting" 'VT-x is absent|cores online'
expect_rc "powered off after the refusal" 0

boot bad-value qemu "lxd_cores=many" --timeout 60
expect "bad value explained" "^error: cmdline: lxd_cores: 'many' is not a core count"
expect_rc "powered off after the refusal" 0
