#!/bin/sh
# A core of Linux's that Linux did not start at boot (maxcpus=2 of 3,
# tests/system/linux_smp.sh): a SIPI with no INIT before it is ignored by
# the hypervisor, as the CPU ignores it (the core is not waiting for a
# SIPI); then Linux's own CPU hotplug starts the core (INIT-SIPI-SIPI) and
# a busy loop runs there.
. /tests/lxd-lib.sh
say "nproc=$(nproc) present=$(cat /sys/devices/system/cpu/present) online=$(cat /sys/devices/system/cpu/online)"
run insmod /lib/modules/klxd_kattack.ko ipi=3 sipi_cpu=2 || fail "klxd_kattack ipi=3 sipi_cpu=2"
dmesg | grep -E 'without INIT|ipi=3' | while IFS= read -r l; do say "  dmesg: $l"; done
say "after the lone SIPI: online=$(cat /sys/devices/system/cpu/online)"
run sh -c 'echo 1 > /sys/devices/system/cpu/cpu2/online' || fail "cpu2 online"
say "after online: online=$(cat /sys/devices/system/cpu/online) nproc=$(nproc)"
i=$(taskset -c 2 sh -c 'i=0; while [ $i -lt 2000 ]; do i=$((i + 1)); done; echo $i') &&
  say "busy loop on cpu2: $i"
run lxdctl info
say "sipi: done"
