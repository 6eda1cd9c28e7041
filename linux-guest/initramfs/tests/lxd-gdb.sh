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

# Hardware breakpoints and watchpoints (the domain's DR0-DR3): pings keep
# coming, one a second, while the host's gdb sets hbreak, watch and awatch
# on echo; every reply must be right.
rm -f /tmp/hw.done /tmp/hw.bad
(
  for i in $(seq 600); do
    [ -e /tmp/hw.done ] && exit 0
    lxdctl ping echo -n 1 -t 300000 >/tmp/hwping.out 2>&1 ||
      { echo "ping $i: $(cat /tmp/hwping.out)" >/tmp/hw.bad; exit 0; }
    sleep 1
  done
) &
hw_pid=$!
say "gdb: serving echo (hardware) on ttyS3"
run lxdctl gdb echo --tty /dev/ttyS3 || fail "lxdctl gdb echo (hardware)"
touch /tmp/hw.done
wait $hw_pid
[ -e /tmp/hw.bad ] && fail "a ping during the hardware session: $(cat /tmp/hw.bad)"
run lxdctl ping echo -n 100 || fail "echo does not answer after the hardware session"

# Attach before the first instruction: echo2 loaded but not started; plain
# `lxdctl gdb` refuses it, `lxdctl gdb --start` starts it held at its entry
# point; the host's gdb breaks in lxd_main (its init) and lets it run on.
run lxdctl load /lib/lxd/echo.lxd echo2 --no-start || fail "load echo2 --no-start"
run lxdctl gdb echo2 --tty /dev/ttyS3 && fail "gdb on a loaded domain without --start succeeded"
say "gdb: serving echo2 from its first instruction on ttyS3"
run lxdctl gdb --start echo2 --tty /dev/ttyS3 || fail "lxdctl gdb --start echo2"
run lxdctl ping echo2 -n 10 || fail "echo2 does not answer after gdb started it"
run lxdctl destroy echo2 || fail "destroy echo2"

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
