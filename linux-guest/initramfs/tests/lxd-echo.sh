#!/bin/sh
# The whole life of an echo LXD, starting with the acceptance
# command on a fresh boot (lxdctl loads klxd itself): load (which starts it)
# -> running on a core of its own -> 100000 verified round trips (then
# batched) -> stop -> destroy -> the LXD pool back to its starting size
# (all of it: no domain exists at boot).
. /tests/lxd-lib.sh
N=${LXD_ECHO_COUNT:-100000}
[ -c /dev/lxd ] && fail "/dev/lxd exists before lxdctl ran"
run sh -c 'lxdctl load /lib/lxd/echo.lxd && lxdctl ping echo' || fail "lxdctl load /lib/lxd/echo.lxd && lxdctl ping echo"
printf '%s\n' "$OUT" | grep -q '^loaded echo as domain [0-9]*$' || fail "no 'loaded echo as domain ID'"
printf '%s\n' "$OUT" | grep -q '^ping: 1000/1000 replies correct' || fail "the first ping was not all correct"
free0=$(lxdctl info | sed -n 's/^pool: \([0-9]*\) bytes, [0-9]* free$/\1/p')
say "pool size: $free0 bytes"
[ -n "$free0" ] || fail "no pool size from lxdctl info"
run lxdctl status echo || fail "lxdctl status echo"
core=$(core_of echo)
[ "$(state_of echo)" = running ] || fail "echo is not running"
[ -n "$core" ] && [ "$core" -ne 0 ] || fail "echo is not on a core of its own (core '$core'; Linux has 0)"
say "echo runs on core $core"
run lxdctl ping echo -n "$N" || fail "ping $N"
printf '%s\n' "$OUT" | grep -q "^ping: $N/$N replies correct" || fail "not every reply correct"
run lxdctl ping echo -n 10000 -b 16 || fail "batched ping"
printf '%s\n' "$OUT" | grep -q '^ping: 10000/10000 replies correct' || fail "batched: not every reply correct"
run cat /proc/lxd
run lxdctl stop echo || fail "lxdctl stop echo"
[ "$(state_of echo)" = stopped ] || fail "echo is not stopped after stop"
run lxdctl status echo
run lxdctl ping echo -n 1 -t 2000 && fail "ping of a stopped domain succeeded"
run lxdctl destroy echo || fail "lxdctl destroy echo"
run lxdctl status echo && fail "echo still exists after destroy"
free1=$(pool_free)
[ "$free1" = "$free0" ] || fail "pool free $free1 bytes after destroy, $free0 at start"
say "pool back to $free1 bytes"
say "echo: $N verified round trips, stopped, destroyed, nothing leaked"
