#!/bin/sh
# Linux on two cores under the hypervisor (linux_cores=2, tests/system/linux_smp.sh):
# nproc and /proc/cpuinfo show 2; a busy loop pinned to each core, both
# finish; an echo LXD on a core of its own with a channel per CPU, pinged
# from CPU 1, CPU 0, then both at once (each over its own channel, every
# reply checked, /proc/lxd_channels' counts exact), klxd_call from CPU 1;
# then INIT and SIPI to the hidden cores, which the hypervisor drops.
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
# one channel per Linux CPU (issue 16): CPU c calls over channel c
run sh -c 'lxdctl load /lib/lxd/echo.lxd --channels 2' || fail "lxdctl load echo --channels 2"
core=$(core_of echo)
say "echo runs on core $core"
[ -n "$core" ] && [ "$core" -ge 2 ] || fail "echo is not on an LXD core (core '$core'; Linux has 0 and 1)"
id=$(lxdctl list | awk '$2 == "echo" { print $1 }')
run taskset -c 1 lxdctl ping echo -n 2000 || fail "ping from CPU 1"
printf '%s\n' "$OUT" | grep -q '^ping: 2000/2000 replies correct.*cpu 1, channel 1 of 2)$' ||
  fail "ping from CPU 1: not every reply correct, or not over channel 1"
run taskset -c 0 lxdctl ping echo -n 2000 || fail "ping from CPU 0"
printf '%s\n' "$OUT" | grep -q '^ping: 2000/2000 replies correct.*cpu 0, channel 0 of 2)$' ||
  fail "ping from CPU 0: not every reply correct, or not over channel 0"
# chan_count CHANNEL FIELD: /proc/lxd_channels' sent (5) or received (6) slots of echo's channel
chan_count() { awk -v d="$id" -v c="$1" -v f="$2" '$1 == d && $2 == c { print $f }' /proc/lxd_channels; }
run cat /proc/lxd_channels
s0=$(chan_count 0 5); r0=$(chan_count 0 6); s1=$(chan_count 1 5); r1=$(chan_count 1 6)
# both CPUs at once, each on its own channel: the proof they overlapped is
# their spans by the TSC (lxdctl ping -T: the ioctl's entry and the last
# reply; one clock for every core here); the counts are also sampled while
# they run (every 0.2 s: under QEMU a run may be shorter than that)
N=${SMP_PINGS:-20000}
taskset -c 0 lxdctl ping echo -n "$N" -T > /tmp/p0 2>&1 &
a0=$!
taskset -c 1 lxdctl ping echo -n "$N" -b 16 -T > /tmp/p1 2>&1 &
a1=$!
both=0
while kill -0 $a0 2>/dev/null && kill -0 $a1 2>/dev/null; do
  m0=$(chan_count 0 6); m1=$(chan_count 1 6)
  if [ "$m0" -gt "$r0" ] && [ "$m0" -lt $((r0 + N)) ] && [ "$m1" -gt "$r1" ] && [ "$m1" -lt $((r1 + N)) ]; then
    both=$((both + 1))
  fi
  sleep 0.2
done
wait $a0; e0=$?
wait $a1; e1=$?
say "cpu0: $(grep 'replies correct' /tmp/p0) (exit $e0)"
say "cpu1: $(grep 'replies correct' /tmp/p1) (exit $e1)"
read -r b0 f0 <<EOT
$(sed -n 's/^ping: tsc \([0-9]*\) \([0-9]*\) .*/\1 \2/p' /tmp/p0)
EOT
read -r b1 f1 <<EOT
$(sed -n 's/^ping: tsc \([0-9]*\) \([0-9]*\) .*/\1 \2/p' /tmp/p1)
EOT
overlap=no
[ -n "$b0" ] && [ -n "$b1" ] && [ "$b0" -lt "$f1" ] && [ "$b1" -lt "$f0" ] && overlap=yes
grep -q "^ping: $N/$N replies correct.*cpu 0, channel 0 of 2)$" /tmp/p0 || fail "simultaneous ping from CPU 0"
grep -q "^ping: $N/$N replies correct.*cpu 1, channel 1 of 2)$" /tmp/p1 || fail "simultaneous ping from CPU 1"
run cat /proc/lxd_channels
say "simultaneous pings: channel 0 +$(( $(chan_count 0 5) - s0 )) sent +$(( $(chan_count 0 6) - r0 )) received, channel 1 +$(( $(chan_count 1 5) - s1 )) sent +$(( $(chan_count 1 6) - r1 )) received; runs overlap: $overlap (TSC cpu0 $b0..$f0, cpu1 $b1..$f1); both moving in $both samples"
[ $(( $(chan_count 0 5) - s0 )) = "$N" ] && [ $(( $(chan_count 0 6) - r0 )) = "$N" ] &&
  [ $(( $(chan_count 1 5) - s1 )) = "$N" ] && [ $(( $(chan_count 1 6) - r1 )) = "$N" ] ||
  fail "per-channel counts do not match the pings"
[ "$overlap" = yes ] || fail "the two pings did not run at the same time (by the TSC)"
# klxd's in-kernel API from CPU 1: klxd_call takes channel 1
s1=$(chan_count 1 5); s0=$(chan_count 0 5)
run taskset -c 1 insmod /lib/modules/klxd_apitest.ko domain="$id" calls=500 || fail "klxd_apitest from CPU 1"
say "klxd_call from CPU 1: channel 1 +$(( $(chan_count 1 5) - s1 )), channel 0 +$(( $(chan_count 0 5) - s0 ))"
[ $(( $(chan_count 1 5) - s1 )) = 500 ] && [ $(( $(chan_count 0 5) - s0 )) = 0 ] ||
  fail "klxd_call from CPU 1 did not go over channel 1 alone"
rmmod klxd_apitest 2>/dev/null
# a hostile domain with a channel per CPU: it answers channel 0 and breaks
# channel 1 (garbage in Linux's send slots, a flood of stray replies).  CPU
# 1's ping fails with an error while CPU 0's, at the same time, gets every
# reply right; the domain is then destroyed as usual.
run lxdctl load /lib/lxd/attack.lxd xchan --channels 2 || fail "load attack.lxd xchan --channels 2"
taskset -c 1 lxdctl ping xchan -n 500 -t 3000 > /tmp/x1 2>&1 &
x1=$!
run taskset -c 0 lxdctl ping xchan -n 2000
xr0=$RC
wait $x1; xr1=$?
say "xchan: cpu1 (broken channel 1): exit $xr1: $(tr '\n' ' ' < /tmp/x1)"
say "xchan: cpu0 (channel 0) at the same time: exit $xr0"
[ $xr0 = 0 ] && printf '%s\n' "$OUT" | grep -q '^ping: 2000/2000 replies correct.*cpu 0, channel 0 of 2)$' ||
  fail "xchan: CPU 0's ping over the good channel did not get every reply"
[ $xr1 = 1 ] && grep -q '^lxdctl: ping xchan' /tmp/x1 || fail "xchan: CPU 1's ping over the broken channel did not fail cleanly"
run lxdctl destroy xchan || fail "destroy xchan"
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
# a hypercall's buffer rewritten by the other Linux CPU during the call:
# CREATE must check and load one private copy (klxd_hcrace.c, cpu_writer)
run taskset -c 0 insmod /lib/modules/klxd_hcrace.ko cpu_writer=1 rounds=${SMP_HCRACE:-100}
hr=$RC
dmesg | grep 'klxd_hcrace:' | tail -n 2 | while IFS= read -r l; do say "  dmesg: $l"; done
[ $hr = 0 ] || fail "klxd_hcrace cpu_writer=1: CREATE checked one image and loaded another, or leaked pool"
rmmod klxd_hcrace 2>/dev/null
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
