#!/bin/sh
# Loadable modules load and unload: null_blk (block) and dummy (net).
set -e
modprobe null_blk nr_devices=1
[ -b /dev/nullb0 ] || { echo "lxds-guest: test modules: /dev/nullb0 missing"; exit 1; }
dd if=/dev/nullb0 of=/dev/null bs=4096 count=16 2>/dev/null
modprobe dummy
ip link add lxds0 type dummy
ip addr add 10.99.0.1/24 dev lxds0
ip link set lxds0 up
ping -c 1 -W 2 10.99.0.1 >/dev/null
ip link del lxds0
rmmod dummy
rmmod null_blk
if grep -qE '^(null_blk|dummy) ' /proc/modules; then
  echo "lxds-guest: test modules: unload failed"; exit 1
fi
echo "lxds-guest: test modules: null_blk and dummy loaded, used and unloaded"
