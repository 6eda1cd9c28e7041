#!/usr/bin/env bash
# Benchmark (not a test): how the dummy domain gives pool slots back, in one
# Bochs boot (4 cores, Linux on one): through the completion ring in the
# pool ("lxd", the default), in one-way dummy_slots_done messages batched by
# 32 ("lxdmsg": completion_ring=0, the default before the ring) and one by
# one ("lxdone": completion_ring=0 completion_batch=0): native, lxdmsg, lxd,
# lxdone, lxd, lxdmsg, lxdone, native.  64- and 1500-byte frames;
# dummy_glue fast=1 (the default); the default send buffer (NETBENCH_BUFS=1:
# the minimum instead).  Prints the nettx rows (emulated instructions per
# packet on Linux's core: Bochs' TSC ticks once per instruction),
# dummy_glue's per-stage counters and the domain's own; OUT (optional)
# keeps the logs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
work=$(mktemp -d /tmp/lxds-bench-batch.XXXXXX)
trap 'rm -rf "$work"' EXIT

make -s linux build/lxds.elf >/dev/null
. bench/lib.sh
bench_dummy_sets net-batch "NETBENCH_BATCH=1 NETBENCH_BUFS=${NETBENCH_BUFS:-default} NETBENCH_N=${NETBENCH_N:-1000}" "${1:-}"
