#!/bin/sh
# lxdctl gdb against real domains, for tests/system/gdb.sh (which drives the
# host's gdb over COM4 = ttyS3): (1) echo, attached while a ping waits on it:
# the host breaks in echo_handle, changes the request, detaches, and the ping
# here must see one wrong reply; (2) the crashed probe, inspected post mortem,
# in one session with echo (two domains = gdb threads 1 and 2).
. /tests/lxd-lib.sh
ensure_module
free0=$(pool_free)
run lxdctl load /lib/lxd/echo.lxd || fail "load echo"
# Pings, one a second, while gdb holds the domain: a ping sent while it is
# paused waits (up to 5 min) until gdb continues, and then runs into the
# breakpoint gdb set; the host's gdb changes that request, so exactly that
# ping sees a wrong reply, and the loop ends there.
(
  for i in $(seq 300); do
    if ! lxdctl ping echo -n 1 -t 300000 >/tmp/ping.out 2>&1; then
      echo "ping $i: $(cat /tmp/ping.out)" >/tmp/ping.bad
      exit 0
    fi
    sleep 1
  done
) &
ping_pid=$!
say "gdb: serving echo on ttyS3"
run lxdctl gdb echo --tty /dev/ttyS3 || fail "lxdctl gdb echo"
wait $ping_pid
say "the ping gdb changed: $(cat /tmp/ping.bad 2>/dev/null || echo none)"
[ "$(state_of echo)" = running ] || fail "echo is not running after gdb detached"
run lxdctl ping echo -n 100 || fail "echo does not answer after gdb detached"

run lxdctl load /lib/lxd/probe.lxd || fail "load probe"
wait_state probe crashed 20 || fail "probe did not crash"
# Two domains in one session: the crashed probe is thread 1, echo thread 2
say "gdb: serving probe on ttyS3"
run lxdctl gdb probe echo --tty /dev/ttyS3 || fail "lxdctl gdb probe echo"
run lxdctl ping echo -n 100 || fail "echo does not answer after the two-domain session"
run lxdctl gdb probe probe --tty /dev/ttyS3 && fail "gdb with a domain named twice succeeded"
run lxdctl gdb nosuch --tty /dev/ttyS3 && fail "gdb on a missing domain succeeded"
run lxdctl gdb echo && fail "gdb without --tty or --tcp succeeded"
run lxdctl destroy probe || fail "destroy probe"
run lxdctl destroy echo || fail "destroy echo"
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free), $free0 before"
say "gdb sessions done"
