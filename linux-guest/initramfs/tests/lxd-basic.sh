#!/bin/sh
# klxd under lxds without any LXD image: the module probes the hypervisor and
# loads, every read-only hypercall answers (version, info, list, status of a
# missing domain, log), /proc/lxd works, errors are clear, and it unloads.
. /tests/lxd-lib.sh
[ -c /dev/lxd ] && fail "/dev/lxd exists before klxd is loaded"
run insmod /lib/modules/klxd.ko || fail "insmod klxd.ko"
dmesg | grep 'klxd:' | while IFS= read -r l; do say "dmesg: $l"; done
[ -c /dev/lxd ] || fail "/dev/lxd missing after insmod"
run lxdctl info || fail "lxdctl info"
printf '%s\n' "$OUT" | grep -q '^abi: 1\.' || fail "ABI major is not 1"
printf '%s\n' "$OUT" | grep -q '^pool: [1-9][0-9]* bytes, [0-9]* free$' || fail "no pool size"
run lxdctl list || fail "lxdctl list"
[ "$(domain_count)" = 0 ] || fail "domains exist at boot"
run cat /proc/lxd || fail "cat /proc/lxd"
run lxdctl status 7 && fail "status of a missing domain succeeded"
[ "$RC" = 1 ] || fail "status of a missing domain: exit $RC, not 1"
run lxdctl status nosuch && fail "status of a missing name succeeded"
run lxdctl frobnicate && fail "an unknown command succeeded"
[ "$RC" = 2 ] || fail "unknown command: exit $RC, not 2"
run lxdctl load /no/such/file.lxd && fail "loading a missing file succeeded"
lxdctl log > /tmp/hvlog || fail "lxdctl log"
say "hypervisor log: $(wc -c < /tmp/hvlog) bytes, last line: $(tail -n 1 /tmp/hvlog)"
grep -q 'lxds' /tmp/hvlog || fail "the hypervisor log does not mention lxds"
run rmmod klxd || fail "rmmod klxd"
[ -c /dev/lxd ] && fail "/dev/lxd still there after rmmod"
say "klxd loaded, answered and unloaded"
