#!/bin/sh
# What the guest sees of the machine: cores, memory, cpu, command line, mounts.
set -e
echo "lxds-guest: test sysinfo: cpus=$(grep -c ^processor /proc/cpuinfo) online=$(cat /sys/devices/system/cpu/online)"
echo "lxds-guest: test sysinfo: $(grep MemTotal /proc/meminfo)"
echo "lxds-guest: test sysinfo: $(grep -m1 'model name' /proc/cpuinfo)"
echo "lxds-guest: test sysinfo: cmdline=$(cat /proc/cmdline)"
grep -q ' /dev devtmpfs' /proc/mounts
grep -q ' /proc proc' /proc/mounts
grep -q ' /sys sysfs' /proc/mounts
echo "lxds-guest: test sysinfo: mounts ok"
