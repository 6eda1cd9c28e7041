#!/bin/sh
# Benchmark run (make bench-lxd-percpu), not a test: one echo LXD with a
# channel per Linux CPU (linux_cores=3 on 4 cores: the LXD has core 3 to
# itself), pinged from 1, 2 and 3 Linux CPUs at once, each pinned to its
# CPU and so on its own channel, batch 1 and 16.  The six runs go in a
# fixed shuffled order (not all the 1-caller runs first), so a drift in the
# host's load does not line up with the caller count.  Every reply is
# checked; a run with a wrong reply or a failed ping fails the benchmark.
. /tests/lxd-lib.sh
ensure_module
N=${BENCH_PINGS:-10000}
ncpu=$(nproc)
say "nproc=$ncpu"
[ "$ncpu" -ge 3 ] || fail "the benchmark wants 3 Linux CPUs (linux_cores=3), has $ncpu"
run lxdctl load /lib/lxd/echo.lxd --channels 3 || fail "load echo --channels 3"
say "echo runs on core $(core_of echo)"
# warm-up, not recorded
taskset -c 0 lxdctl ping echo -n 1000 >/dev/null 2>&1 || fail "warm-up ping"
for run_ in "2 16" "1 1" "3 16" "2 1" "1 16" "3 1"; do
  set -- $run_
  k=$1 b=$2
  c=0
  pids=
  while [ $c -lt "$k" ]; do
    taskset -c $c lxdctl ping echo -n "$N" -b "$b" > /tmp/bp$c 2>&1 &
    pids="$pids $!"
    c=$((c + 1))
  done
  rc=0
  for p in $pids; do wait $p || rc=1; done
  c=0
  while [ $c -lt "$k" ]; do
    say "percpu callers=$k batch=$b caller=$c: $(cat /tmp/bp$c)"
    grep -q "^ping: $N/$N replies correct.*cpu $c, channel $c of 3)$" /tmp/bp$c ||
      fail "callers=$k batch=$b: caller on CPU $c did not get $N correct replies over channel $c"
    c=$((c + 1))
  done
  [ $rc = 0 ] || fail "callers=$k batch=$b: a ping failed"
done
run cat /proc/lxd_channels
run lxdctl destroy echo
say "bench done"
