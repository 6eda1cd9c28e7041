#!/bin/sh
# What Linux sees of the hypervisor: CPUID leaf 0x40000000 says "lxds", the
# hypervisor flag is set, VMX is hidden (no nested VT-x), and Linux has one core.
sig=$(dd if=/dev/cpu/0/cpuid bs=16 skip=$((0x40000000 / 16)) count=1 2>/dev/null | tr -dc 'a-z')
echo "lxds-guest: test hvleaf: signature=$sig"
grep -qw hypervisor /proc/cpuinfo && echo "lxds-guest: test hvleaf: hypervisor flag set"
grep -qw vmx /proc/cpuinfo || echo "lxds-guest: test hvleaf: vmx hidden"
echo "lxds-guest: test hvleaf: cpus=$(grep -c ^processor /proc/cpuinfo) possible=$(cat /sys/devices/system/cpu/possible)"
[ "$sig" = lxds ]
