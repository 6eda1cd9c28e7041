#!/usr/bin/env bash
# Benchmark (not a test): the dummy domain's completions one by one
# (completion_batch=0, "lxdone") against batched (completion_batch=32,
# "lxd", with the domain's default completion_hold) and batched with
# completion_hold=NETBENCH_HOLD TSC ticks ("lxdhold"; 0: a batch goes at the
# end of its dispatch pass), in one Bochs boot (4 cores, Linux on one):
# native, lxdone, lxd, lxdhold, lxdone, lxd, lxdhold, native.  Since branch
# nettx a completion gives a pool slot back (Linux freed the skb at xmit)
# and batching is the default (32, hold 200000).  64- and 1500-byte frames;
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
bench_dummy_sets net-batch "NETBENCH_BATCH=1 NETBENCH_BUFS=${NETBENCH_BUFS:-default} NETBENCH_N=${NETBENCH_N:-1000} NETBENCH_HOLD=${NETBENCH_HOLD:-50000}" "${1:-}"
