#!/usr/bin/env bash
# Boots the hypervisor in Bochs (VT-x model) on 4 cores and checks the boot
# foundation: banner, memory map, allocator self-check, every core online,
# clean power off.
. "$(dirname "$0")/lib/boot.sh"

BOOT_DEFAULT_SPLIT=1 boot boot-bochs bochs "log=info" --cores 4 --megs 512 --timeout 240
expect "banner printed" '^lxds [0-9.]+: Lightweight Execution Domains hypervisor'
expect "GRUB passed the command line" '^boot: loader "GRUB.*command line "log=info"'
expect "VT-x detected" 'VT-x present'
expect "memory map printed" '^mem:   \[0x000000100000-0x[0-9a-f]+\] +[0-9]+ KiB usable'
expect "usable memory about 512 MiB" '^mem: 5[01][0-9] MiB usable'
expect "allocator self-check passed" '^mem: frame allocator self-check passed'
expect "boot core online" '^cpu 0: APIC ID [0-9]+ online \(boot core\)'
for c in 1 2 3; do expect "core $c online" "^cpu $c: APIC ID [0-9]+ online"; done
expect "4 cores online" '^4 cores online'
expect "the default split: half the cores for LXDs, the rest for Linux" '^cores: 2 for Linux, 2 for LXDs'
expect_not "no exception or panic" 'EXCEPTION|PANIC|failed to start'
expect_rc "powered off cleanly" 0
