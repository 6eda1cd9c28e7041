#!/bin/sh
# Two echo LXDs at once, each on a core of its own, pinged at the same time.
. /tests/lxd-lib.sh
N=${LXD_TWO_COUNT:-20000}
ensure_module
free0=$(pool_free)
run lxdctl load /lib/lxd/echo.lxd echo-a || fail "load echo-a"
run lxdctl load /lib/lxd/echo.lxd echo-b || fail "load echo-b"
ca=$(core_of echo-a)
cb=$(core_of echo-b)
[ -n "$ca" ] && [ -n "$cb" ] || fail "both must run (cores '$ca' and '$cb')"
[ "$ca" != "$cb" ] && [ "$ca" != 0 ] && [ "$cb" != 0 ] || fail "cores $ca and $cb are not two cores of their own"
say "echo-a on core $ca, echo-b on core $cb"
run lxdctl list
lxdctl ping echo-a -n "$N" > /tmp/ping-a 2>&1 &
pa=$!
lxdctl ping echo-b -n "$N" > /tmp/ping-b 2>&1 &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
say "echo-a: $(cat /tmp/ping-a) (exit $ra)"
say "echo-b: $(cat /tmp/ping-b) (exit $rb)"
[ $ra = 0 ] && grep -q "^ping: $N/$N replies correct" /tmp/ping-a || fail "ping echo-a"
[ $rb = 0 ] && grep -q "^ping: $N/$N replies correct" /tmp/ping-b || fail "ping echo-b"
[ "$(state_of echo-a)" = running ] && [ "$(state_of echo-b)" = running ] || fail "one of them stopped"
run lxdctl destroy echo-a || fail "destroy echo-a"
run lxdctl destroy echo-b || fail "destroy echo-b"
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free) after, $free0 before"
say "two echo LXDs on cores $ca and $cb answered $N round trips each at once"
