#!/bin/sh
# The LXD kernel environment (docs/lxd-kenv.md): kenv_selftest, an ordinary
# Linux module built unmodified into an LXD image, loaded with module
# parameters.  tests/system/lxd_kenv.sh checks what the domains printed in
# the hypervisor log; this script drives them and checks their ends:
#   st    parameters, every check, then module_exit after 3 s: exits with 0
#   idle  defaults, stays running (its loop) while the others end
#   bug   crash=bug: BUG() ends that domain only, with its reason
#   badp  an unknown parameter: refused, the domain ends before module_init
#   range count=5000: module_init returns -EINVAL, the domain ends
# and the hypervisor refuses load arguments with control characters.
. /tests/lxd-lib.sh
ensure_module
free0=$(pool_free)
IMG=/lib/lxd/kenv_selftest.lxd

# The same source as a native module in Linux: the checks pass there too.
run insmod /lib/modules/kenv_selftest.ko greeting=native count=4 || fail "insmod kenv_selftest.ko"
run sh -c "dmesg | grep 'kenv_selftest: [0-9]* check(s) failed'"
printf '%s\n' "$OUT" | grep -q 'kenv_selftest: 0 check(s) failed' || fail "the native module's checks failed"
run rmmod kenv_selftest || fail "rmmod kenv_selftest"
say "native: the same module passes its checks in Linux"

# exit_code NAME: the code of a domain's own exit (lxdctl status), decimal
exit_code() { lxdctl status "$1" 2>/dev/null | sed -n 's/.*exited with code \(-*[0-9]*\) (.*/\1/p'; }

run lxdctl load $IMG st greeting=hi-there count=5 verbose=y kenv.exit_after_ms=3000 || fail "load st"
wait_state st stopped 300 || { run lxdctl status st; fail "st did not end by itself"; }
run lxdctl status st
[ "$(exit_code st)" = 0 ] || fail "st exited with $(exit_code st), not 0"
say "st: ran its checks and module_exit, exit code 0"
run lxdctl destroy st || fail "destroy st"

run lxdctl load $IMG idle || fail "load idle"
run lxdctl load $IMG bug crash=bug || fail "load bug"
wait_state bug stopped 300 || { run lxdctl status bug; fail "bug did not end"; }
run lxdctl status bug
[ "$(exit_code bug)" = 45072 ] || fail "bug exited with $(exit_code bug), not 45072 (KENV_EXIT_BUG)"
[ "$(state_of idle)" = running ] || fail "idle is $(state_of idle) after bug's BUG()"
say "bug: BUG() ended only that domain (exit code 45072); idle still running"

run lxdctl load $IMG badp nosuch=1 || fail "load badp"
wait_state badp stopped 120 || { run lxdctl status badp; fail "badp did not end"; }
[ "$(exit_code badp)" = 45076 ] || fail "badp exited with $(exit_code badp), not 45076 (KENV_EXIT_BAD_ARGS)"
run lxdctl load $IMG range count=5000 || fail "load range"
wait_state range stopped 120 || { run lxdctl status range; fail "range did not end"; }
[ "$(exit_code range)" = 45075 ] || fail "range exited with $(exit_code range), not 45075 (KENV_EXIT_INIT_FAILED)"
say "refused parameters end the domain with their reasons"

if run lxdctl load $IMG ctl "$(printf 'greeting=a\001b')"; then
  fail "load arguments with a control character were accepted"
fi
printf '%s\n' "$OUT" | grep -q 'parameters .* were refused: Invalid argument' || fail "no clear refusal: $OUT"
[ -z "$(state_of ctl)" ] || fail "the refused domain 'ctl' still exists"

for d in bug badp range; do
  run lxdctl destroy $d || fail "destroy $d"
done

# The unmodified null_blk and dummy from the guest's source, linked with
# stand-ins for the symbols that must cross (the IDL glue is not written
# yet): their module_init runs with the parameters up to the first call
# that must cross, and the stand-in ends the domain naming it.
run lxdctl load /lib/lxd/test/null_blk-linktest.lxd nullb nr_devices=1 memory_backed=1 gb=1 bs=8192 queue_mode=2 \
  || fail "load null_blk-linktest"
wait_state nullb stopped 120 || { run lxdctl status nullb; fail "nullb did not end"; }
[ "$(exit_code nullb)" = 45073 ] || fail "nullb exited with $(exit_code nullb), not 45073"
run lxdctl load /lib/lxd/test/dummy-linktest.lxd dummy numdummies=2 || fail "load dummy-linktest"
wait_state dummy stopped 120 || { run lxdctl status dummy; fail "dummy did not end"; }
[ "$(exit_code dummy)" = 45073 ] || fail "dummy exited with $(exit_code dummy), not 45073"
say "null_blk and dummy ran module_init in a domain up to their first crossing"

for d in idle nullb dummy; do
  run lxdctl destroy $d || fail "destroy $d"
done
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free), $free0 before"
say "kenv: selftest passed, BUG contained, bad parameters refused, pool back to $free0 bytes"
