#!/bin/sh
# Benchmark run (make bench-lxd), not a test: round trips between Linux and an
# echo LXD on another core, one in flight and batched; then one generated
# cross-domain call (lxdecho's read/write through its IDL glue) against the
# same driver as an ordinary module, 1, 4 and 16 callers in flight.
. /tests/lxd-lib.sh
ensure_module
run lxdctl load /lib/lxd/echo.lxd || fail "load echo"
for b in 1 4 16; do
  run lxdctl ping echo -n 20000 -b "$b" || fail "ping batch $b"
done
run lxdctl destroy echo

# devbench LABEL: 8-byte pwrite + pread rounds on /dev/lxdecho.
devbench() {
  for k in 1 4 16; do
    run lxd-devbench /dev/lxdecho 800 "$k" || fail "$1: devbench $k in flight"
    say "devbench $1 $k: $OUT"
  done
}
run insmod /lib/modules/lxdecho.ko || fail "insmod lxdecho.ko"
devbench module
run rmmod lxdecho || fail "rmmod lxdecho"
run lxdctl load /lib/lxd/lxdecho.lxd || fail "load lxdecho.lxd"
id=$(printf '%s\n' "$OUT" | sed -n 's/^loaded lxdecho as domain \([0-9]*\)$/\1/p')
[ -n "$id" ] || fail "no domain id from load"
run insmod /lib/modules/lxdecho_glue.ko domain="$id" || fail "insmod lxdecho_glue.ko"
n=0
while [ ! -c /dev/lxdecho ]; do
  n=$((n + 1)); [ $n -gt 300 ] && fail "/dev/lxdecho did not appear"; sleep 0.1
done
devbench lxd
run lxdctl destroy lxdecho
run rmmod lxdecho_glue
say "bench done"
