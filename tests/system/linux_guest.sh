#!/usr/bin/env bash
# Linux as the privileged guest: the hypervisor boots the guest kernel
# deprivileged (VMX non-root, behind an EPT) on the boot core, in Bochs.
# Checks: it reaches userspace and runs commands; it sees the hypervisor's
# CPUID leaf, no VMX, and only its own core; its read of hypervisor memory
# is stopped by EPT and reported; bad or missing Linux modules give clear
# hypervisor errors, not hangs.
. "$(dirname "$0")/lib/boot.sh"

make -s -C "$ROOT" linux >/dev/null || { fail "guest kernel builds" "make linux failed"; exit 1; }

linux_modules lxds.test=hello
boot linux-hello bochs "" --cores 2 --megs 512 --timeout 300
expect "hypervisor splits memory" '^linux: [0-9]+ MiB of RAM in [0-9]+ range\(s\); LXD pool 0x[0-9a-f]+-0x[0-9a-f]+ \(64 MiB\)'
expect "other cores hidden from Linux" '^acpi: MADT shows Linux 1 core\(s\); 1 hidden'
expect "bzImage accepted" '^linux: boot protocol 2\.[0-9]+, kernel [0-9]+ KiB at 0x1000000'
expect "EPT built without hypervisor and pool" '^linux: EPT built .*hypervisor and LXD pool unmapped'
expect "Linux started in VMX non-root" '^linux: starting at 0x1000200'
expect "Linux reaches userspace" '^lxds-guest: ready'
expect "a command runs in the guest" '^lxds-guest: test hello: 6\.1\.[0-9]+-lxds'
expect "the command succeeded" '^lxds-guest: test hello exit=0'
expect_hv "hypervisor log moved to COM2" '^lxds: hypervisor log continues here \(COM2\); Linux has COM1'
expect_not "no hypervisor output on Linux's console after the handover" '^(vmx|linux):.*(stopped|exit)'
expect_not "no kernel panic or oops" 'Kernel panic|BUG:|Oops'
expect_not "ACPI works (PCI config space reachable)" 'ACPI Error'
expect_rc "Linux powered the machine off" 0

linux_modules lxds.test=hvleaf
boot linux-hvleaf bochs "" --cores 2 --megs 512 --timeout 300
expect "CPUID leaf 0x40000000 says lxds" '^lxds-guest: test hvleaf: signature=lxds$'
expect "hypervisor flag set" '^lxds-guest: test hvleaf: hypervisor flag set'
expect "VMX hidden from the guest" '^lxds-guest: test hvleaf: vmx hidden'
expect "Linux has one core, no hotplug ones" '^lxds-guest: test hvleaf: cpus=1 possible=0$'
expect "test passed" '^lxds-guest: test hvleaf exit=0'

linux_modules lxds.test=isolation lxds.peek=0x100000
boot linux-isolation bochs "" --cores 2 --megs 512 --timeout 300
expect "guest tries to read hypervisor memory" '^lxds-guest: test isolation: reading 0x100000'
expect_not "the read did not succeed" 'test isolation: READ'
if [ -n "$LXDS_EMU" ]; then     # the SVM backend names the exit and decodes its code its own way
  expect_hv "EPT violation reported with the address" 'svm: linux/0: stopped: access outside its memory: exit NPF \(nested page fault\) \(code 0x[0-9a-f]+\), read at GPA 0x100000 \(not mapped'
else
  expect_hv "EPT violation reported with the address" 'linux/0: stopped: access outside its memory: exit EPT violation \(reason 48\), read at GPA 0x100000; the page is not mapped'
fi
expect_hv "Linux stopped, why said" '^linux: the guest stopped: EPT violation at RIP 0x[0-9a-f]+ \(address 0x100000'
expect_hv "nothing else reached" 'Linux was stopped, the hypervisor and the LXDs were not reached'
expect_rc "machine powered off after stopping Linux" 0

BOOT_MODULES=("$ROOT/build/linux/initramfs.cpio.lz4|linux console=ttyS0")
boot linux-malformed bochs "" --cores 1 --timeout 120
expect "malformed kernel refused with the reason" "^error: linux: cannot load the 'linux' module \([0-9]+ bytes at 0x[0-9a-f]+\): no Linux setup header .*not a bzImage"
expect "then powers off" '^lxds: Linux could not be started \(see above\); powering off'
expect_rc "no hang" 0

BOOT_MODULES=("$ROOT/build/linux/initramfs.cpio.lz4|initrd")
boot linux-missing bochs "" --cores 1 --timeout 120
expect "missing kernel module named" "^lxds: no Linux to run: the GRUB entry has no module named 'linux'"
expect_rc "no hang" 0
