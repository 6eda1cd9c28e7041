#!/bin/sh
# Benchmark run (make bench-lxd), not a test: round trips between Linux and an
# echo LXD on another core, one in flight and batched.
. /tests/lxd-lib.sh
ensure_module
run lxdctl load /lib/lxd/echo.lxd || fail "load echo"
for b in 1 4 16; do
  run lxdctl ping echo -n 20000 -b "$b" || fail "ping batch $b"
done
run lxdctl destroy echo
