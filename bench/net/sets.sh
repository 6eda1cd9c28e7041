#!/usr/bin/env bash
# Benchmark (not a test): one change against the code before it, in one
# Bochs boot (4 cores, Linux on one): native, then the isolated driver
# (dummy_glue fast=1) with one of its parameters set in turn as
# NETBENCH_SETS says (P:V,P:V,...; e.g. rx_nap_us:20000,rx_nap_us:100000,
# rx_nap_us:100000,rx_nap_us:20000), then native again.  64- and 1500-byte frames;
# the default send buffer (NETBENCH_BUFS=1: the minimum instead).  Prints
# the nettx rows (emulated instructions per packet on Linux's core: Bochs'
# TSC ticks once per instruction; and per send: the median, p90, p99 and
# mean TSC of one sendto), the hypervisor's APIC-write exits and Linux's
# timer interrupts per run (BENCHAPIC), dummy_glue's per-stage counters and
# the domain's own; OUT (optional) keeps the logs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
work=$(mktemp -d /tmp/lxds-bench-sets.XXXXXX)
trap 'rm -rf "$work"' EXIT
sets=${NETBENCH_SETS:?NETBENCH_SETS=P:V,P:V,... (dummy_glue parameters, in order)}

make -s linux build/lxds.elf >/dev/null
. bench/lib.sh
bench_dummy_sets net-sets "NETBENCH_SETS=$sets NETBENCH_BUFS=${NETBENCH_BUFS:-default} NETBENCH_N=${NETBENCH_N:-1000}" "${1:-}"
