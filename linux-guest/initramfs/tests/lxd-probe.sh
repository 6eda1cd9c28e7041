#!/bin/sh
# The probe LXD reads memory it was not given (Linux's): an EPT violation
# stops the probe only.  Linux goes on, an echo LXD beside it keeps
# answering, and lxdctl status says why the probe died.
. /tests/lxd-lib.sh
ensure_module
free0=$(pool_free)
run lxdctl load /lib/lxd/echo.lxd || fail "load echo"
run lxdctl load /lib/lxd/probe.lxd || fail "load probe"
wait_state probe crashed 20 || { run lxdctl status probe; fail "probe did not crash"; }
run lxdctl status probe
printf '%s\n' "$OUT" | grep -qE '^crashed: EPT violation at GPA 0x[0-9a-f]+, RIP 0x[0-9a-f]+' \
  || fail "status does not say EPT violation with address and RIP"
say "probe died: $(printf '%s\n' "$OUT" | grep '^crashed:')"
run lxdctl ping echo -n 1000 || fail "echo does not answer after the probe died"
[ "$(state_of echo)" = running ] || fail "echo stopped too"
run lxdctl list
run lxdctl destroy probe || fail "destroy probe"
run lxdctl destroy echo || fail "destroy echo"
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free), $free0 before"
say "Linux goes on after the probe's EPT violation"
