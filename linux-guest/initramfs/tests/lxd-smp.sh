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
# hypercalls from both Linux cores at once: each loop, pinned to its CPU,
# loads, pings and destroys its own echo domain on its own LXD core, with
# info and list calls between; then every domain is gone and the pool is whole
R=${SMP_ROUNDS:-4}
free0=$(pool_free)
stress() {  # CPU NAME CORE
  ok=0
  for r in $(seq "$R"); do
    taskset -c "$1" lxdctl load /lib/lxd/echo.lxd "$2" --core "$3" >/dev/null 2>&1 &&
      taskset -c "$1" lxdctl info >/dev/null 2>&1 &&
      taskset -c "$1" lxdctl ping "$2" -n 100 2>&1 | grep -q '^ping: 100/100 replies correct' &&
      taskset -c "$1" lxdctl list >/dev/null 2>&1 &&
      taskset -c "$1" lxdctl destroy "$2" >/dev/null 2>&1 && ok=$((ok + 1))
  done
  echo "$ok"
}
stress 0 e0 2 > /tmp/s0 &
q0=$!
stress 1 e1 3 > /tmp/s1 &
q1=$!
wait $q0; wait $q1
free1=$(pool_free)
say "hypercall stress: cpu0 $(cat /tmp/s0)/$R rounds, cpu1 $(cat /tmp/s1)/$R rounds; pool free $free1 (before $free0); domains left: $(lxdctl list | grep -c running)"
[ "$(cat /tmp/s0)" = "$R" ] && [ "$(cat /tmp/s1)" = "$R" ] || fail "a hypercall stress round failed"
[ "$free1" = "$free0" ] || fail "pool free $free1 after the stress, $free0 before"
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
