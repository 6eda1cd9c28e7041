#!/bin/sh
# Linux on two cores under the hypervisor (linux_cores=2, tests/system/linux_smp.sh):
# nproc and /proc/cpuinfo show 2; a busy loop pinned to each core, both
# finish; an echo LXD on a core of its own pinged from a program pinned to
# CPU 1, every reply checked; then INIT and SIPI to the hidden cores, which the hypervisor drops.
. /tests/lxd-lib.sh
LOOPS=${SMP_LOOPS:-20000}
say "nproc=$(nproc)"
say "cpuinfo processors=$(grep -c '^processor' /proc/cpuinfo)"
say "online=$(cat /sys/devices/system/cpu/online)"
# the same work alone on CPU 0, then on both at once
busy() { taskset -c "$1" sh -c "i=0; while [ \$i -lt $LOOPS ]; do i=\$((i + 1)); done; echo \$i" ; }
t0=$(cut -d' ' -f1 /proc/uptime)
busy 0 >/dev/null
t1=$(cut -d' ' -f1 /proc/uptime)
busy 0 > /tmp/b0 &
p0=$!
busy 1 > /tmp/b1 &
p1=$!
wait $p0 || fail "the busy loop on CPU 0 failed"
wait $p1 || fail "the busy loop on CPU 1 failed"
t2=$(cut -d' ' -f1 /proc/uptime)
say "busy loops: cpu0=$(cat /tmp/b0) cpu1=$(cat /tmp/b1); one alone $t0..$t1 s, two at once $t1..$t2 s"
[ "$(cat /tmp/b0)" = "$LOOPS" ] && [ "$(cat /tmp/b1)" = "$LOOPS" ] || fail "a busy loop did not finish"
say "per-cpu interrupts: $(grep -E 'LOC|RES|CAL' /proc/interrupts | tr -s ' ' | tr '\n' ';')"
run sh -c 'lxdctl load /lib/lxd/echo.lxd' || fail "lxdctl load echo"
core=$(core_of echo)
say "echo runs on core $core"
[ -n "$core" ] && [ "$core" -ge 2 ] || fail "echo is not on an LXD core (core '$core'; Linux has 0 and 1)"
run taskset -c 1 lxdctl ping echo -n 2000 || fail "ping from CPU 1"
printf '%s\n' "$OUT" | grep -q '^ping: 2000/2000 replies correct' || fail "ping from CPU 1: not every reply correct"
run taskset -c 0 lxdctl ping echo -n 2000 || fail "ping from CPU 0"
printf '%s\n' "$OUT" | grep -q '^ping: 2000/2000 replies correct' || fail "ping from CPU 0: not every reply correct"
run taskset -c 1 lxdctl info
run taskset -c 1 lxdctl destroy echo || fail "destroy echo from CPU 1"
# INIT-SIPI-SIPI from CPU 1 to the hidden cores: dropped by the hypervisor
run taskset -c 1 insmod /lib/modules/klxd_kattack.ko ipi=2 || fail "klxd_kattack ipi=2"
dmesg | grep -E 'sent to APIC ID|start-up IPIs' | while IFS= read -r l; do say "  dmesg: $l"; done
run taskset -c 0 lxdctl info
if [ "${SMP_HOTPLUG:-1}" = 1 ] && [ -w /sys/devices/system/cpu/cpu1/online ]; then
  run sh -c 'echo 0 > /sys/devices/system/cpu/cpu1/online'
  say "after offline: online=$(cat /sys/devices/system/cpu/online) nproc=$(nproc)"
  run sh -c 'echo 1 > /sys/devices/system/cpu/cpu1/online'
  say "after online: online=$(cat /sys/devices/system/cpu/online) nproc=$(nproc)"
  run taskset -c 1 lxdctl info || say "lxdctl pinned to cpu1 after the hotplug failed"
  busy 1 > /tmp/b1 && say "busy loop on cpu1 after the hotplug: $(cat /tmp/b1)"
fi
say "smp: done"
