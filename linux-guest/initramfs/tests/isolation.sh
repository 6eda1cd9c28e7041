#!/bin/sh
# Linux must not reach the hypervisor's memory: read the hypervisor image at
# 1 MiB through /dev/mem.  EPT stops the read and the hypervisor stops Linux,
# so the line after devmem must never be printed.
addr=${1:-0x100000}
for arg in $(cat /proc/cmdline); do
  case $arg in lxds.peek=*) addr=${arg#lxds.peek=} ;; esac
done
echo "lxds-guest: test isolation: reading $addr"
v=$(devmem "$addr" 32)
echo "lxds-guest: test isolation: READ $addr = $v (the hypervisor did not stop this)"
exit 1
