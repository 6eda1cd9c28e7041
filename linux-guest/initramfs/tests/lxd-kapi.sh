#!/bin/sh
# klxd's in-kernel API, used as a glue module would: klxd_apitest.ko takes an
# echo LXD's channel (klxd_channel_get) and makes 1000 klxd_call()s, checking
# every reply.  While it holds klxd, klxd cannot be unloaded.
. /tests/lxd-lib.sh
ensure_module
free0=$(pool_free)
run lxdctl load /lib/lxd/echo.lxd || fail "load echo"
id=$(printf '%s\n' "$OUT" | sed -n 's/^loaded echo as domain \([0-9]*\)$/\1/p')
[ -n "$id" ] || fail "no domain id from load"
run insmod /lib/modules/klxd_apitest.ko domain="$id" calls=1000
rc=$RC
dmesg | grep 'klxd_apitest:' | while IFS= read -r l; do say "dmesg: $l"; done
[ $rc = 0 ] || fail "klxd_apitest failed"
dmesg | grep -q "klxd_apitest: 1000/1000 calls to domain $id correct" || fail "no result line"
run rmmod klxd && fail "klxd unloaded while klxd_apitest uses it"
run rmmod klxd_apitest || fail "rmmod klxd_apitest"
run insmod /lib/modules/klxd_apitest.ko domain=99 && fail "klxd_apitest took a channel of a missing domain"
run lxdctl destroy echo || fail "destroy echo"
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free), $free0 before"
say "1000 klxd_call()s from another module answered correctly"
