#!/bin/sh
# Benchmark run (make bench-lxd-percpu), not a test: one echo LXD with a
# channel per Linux CPU, pinged from 1 .. nproc (at most 3) Linux CPUs at
# once, each pinned to its CPU and so on its own channel, batch 1 and 16.
# The runs go in a fixed shuffled order (not all the 1-caller runs first),
# so a drift in the host's load does not line up with the caller count.
# Every reply is checked; a run with a wrong reply or a failed ping fails
# the benchmark.  Then 2 callers on one shared channel, for comparison.
. /tests/lxd-lib.sh
ensure_module
N=${BENCH_PINGS:-10000}
ncpu=$(nproc)
say "nproc=$ncpu"
[ "$ncpu" -ge 2 ] || fail "the benchmark wants 2 or 3 Linux CPUs (linux_cores=2 or 3), has $ncpu"
[ "$ncpu" -le 3 ] || ncpu=3
run lxdctl load /lib/lxd/echo.lxd --channels "$ncpu" || fail "load echo --channels $ncpu"
say "echo runs on core $(core_of echo)"
# warm-up, not recorded
taskset -c 0 lxdctl ping echo -n 1000 >/dev/null 2>&1 || fail "warm-up ping"
# callers K B CHANNELS: K CPUs ping at once, B in flight each; every reply
# checked, each over channel c of CHANNELS (0 of 1 when shared)
callers() {
  k=$1 b=$2 nch=$3
  c=0
  pids=
  while [ $c -lt "$k" ]; do
    taskset -c $c lxdctl ping echo -n "$N" -b "$b" -T > /tmp/bp$c 2>&1 &
    pids="$pids $!"
    c=$((c + 1))
  done
  rc=0
  for p in $pids; do wait $p || rc=1; done
  c=0
  while [ $c -lt "$k" ]; do
    want=$c
    [ "$nch" = 1 ] && want=0
    say "percpu callers=$k batch=$b caller=$c: $(grep -v '^ping: tsc' /tmp/bp$c)"
    say "percpu tsc callers=$k batch=$b channels=$nch caller=$c: $(sed -n 's/^ping: tsc \([0-9]*\) \([0-9]*\) .*/\1 \2/p' /tmp/bp$c)"
    grep -q "^ping: $N/$N replies correct.*cpu $c, channel $want of $nch)$" /tmp/bp$c ||
      fail "callers=$k batch=$b channels=$nch: caller on CPU $c did not get $N correct replies over channel $want"
    c=$((c + 1))
  done
  [ $rc = 0 ] || fail "callers=$k batch=$b channels=$nch: a ping failed"
}
if [ "$ncpu" = 3 ]; then
  order='2_16 1_1 3_16 2_1 1_16 3_1'
else
  order='2_16 1_1 2_1 1_16'
fi
for run_ in $order; do
  callers "${run_%_*}" "${run_#*_}" "$ncpu"
done
run cat /proc/lxd_channels
run lxdctl destroy echo
# the same with one channel for all (before issue 16): callers on one ring
# queue on its locks (a ping holds the channel for its whole run)
run lxdctl load /lib/lxd/echo.lxd --channels 1 || fail "load echo --channels 1"
callers 2 1 1
callers 2 16 1
run lxdctl destroy echo
say "bench done"
