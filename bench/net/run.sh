#!/usr/bin/env bash
# Benchmark (not a test): nettx through Linux's dummy driver, native
# (dummy.ko) and isolated (dummy.lxd + dummy_glue.ko), in one Bochs boot (4
# cores), NETBENCH_REPS (default 4) turns per driver, alternating: native,
# lxd, lxd, native, native, lxd, ... (lxd: dummy_glue fast=1, its
# ndo_start_xmit sends; lxdslow, in the first and last isolated turn:
# fast=0, the sender thread); each cell's ratio from the runs' medians;
# 64- and 1500-byte frames;
# the default socket send buffer (up to 160 packets in flight through the
# LXD) and the minimum (SO_SNDBUF 1: a few).  Bochs' TSC advances one tick
# per emulated instruction, so nettx's "tsc/pkt" (TSC on the sender's core,
# over the whole run) is emulated instructions per packet on that core.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${1:-docs/bench-net.md}
work=$(mktemp -d /tmp/lxds-bench-net.XXXXXX)
trap 'rm -rf "$work"' EXIT

make -s linux build/lxds.elf >/dev/null
. bench/lib.sh
bench_boot net "linux_cores=1" "lxds.test=lxd-dummy-bench NETBENCH_REPS=${NETBENCH_REPS:-4}" 3000
grep -q 'test lxd-dummy-bench: bench done' "$work/com1.log" ||
  { echo "bench-net: the run did not finish:" >&2; tail -n 40 "$work/com1.log" >&2; exit 1; }

# "BENCH native size=64 sndbuf=default: nettx: dummy0: sent 1000 of 1000 (64 bytes), 0 errors (first: none), U us, R pkt/s, C tsc/pkt"
rows=$(tr -d '\r' < "$work/com1.log" |
  sed -n 's/.*BENCH \([a-z]*\) size=\([0-9]*\) sndbuf=\([a-z0-9]*\): nettx: .* sent \([0-9]*\) of [0-9]* .*, \([0-9]*\) pkt\/s, \([0-9]*\) tsc\/pkt.*/\1 \2 \3 \4 \5 \6/p')
[ -n "$rows" ] || { echo "bench-net: no results" >&2; exit 1; }
# each cell: every run's figure, in order, and the ratio of the medians
# (native's median over the isolated driver's): NETBENCH_REPS runs per
# driver, alternating, so a drift through the boot weighs on both alike and
# one run's rare events do not decide the cell; the ratio of the means is
# shown beside it
table="| frame | send buffer | native: instr/pkt (runs in order) | isolated, sender thread (fast=0) | isolated, direct send (fast=1) | fast=0 / native rate | fast=1 / native rate (medians) | fast=1 / native (means) |
| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
figs() { # SIZE BUF LABEL: LABEL's instructions per packet, one a line, in order
  awk -v s=$1 -v b=$2 -v L=$3 '$1==L && $2==s && $3==b {print $6}' <<< "$rows"
}
median() { sort -n | awk '{v[NR]=$1} END { if (NR) print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }'; }
mean() { awk '{t+=$1} END { if (NR) print t/NR }'; }
ratio() { # NATIVE ISOLATED: native instructions per packet over isolated
  awk -v n="$1" -v l="$2" 'BEGIN { if (n != "" && l != "" && l > 0) printf "%.0f %%", 100 * n / l; else print "?" }'
}
for size in 64 1500; do
  for buf in default 1; do
    n=$(figs $size $buf native | paste -sd, -)
    ls=$(figs $size $buf lxdslow | paste -sd, -)
    l=$(figs $size $buf lxd | paste -sd, -)
    nmed=$(figs $size $buf native | median); lmed=$(figs $size $buf lxd | median)
    label=$([ $buf = default ] && echo "default (≤160 in flight)" || echo "minimum (a few in flight)")
    table+=$'\n'"| $size B | $label | ${n//,/, } | ${ls//,/, } | ${l//,/, } | $(ratio "$nmed" "$(figs $size $buf lxdslow | median)") | **$(ratio "$nmed" "$lmed")** | $(ratio "$(figs $size $buf native | mean)" "$(figs $size $buf lxd | mean)") |"
  done
done
echo "$table"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
{
  echo "<!-- bench-net: written by bench/net/run.sh; the text outside it is by hand -->"
  echo "## Latest run"
  echo
  echo "Measured $(date -u +%Y-%m-%d) in Bochs 2.7 (corei7_skylake_x, 4 cores) on $cpu,"
  echo "$(nproc) vCPUs. Reproduce with \`make bench-net\` (bench/net/run.sh)."
  echo
  echo "$table"
  echo
  echo "Each cell: emulated instructions on the sender's core per packet sent (nettx's TSC"
  echo "over the whole run: Bochs' TSC advances one tick per emulated instruction), for"
  echo "${NETBENCH_N:-1000} AF_PACKET frames per run; the runs alternate through the boot"
  echo "(native, isolated, isolated, native, native, ...; the sender thread's in the first"
  echo "and last isolated turn).  The ratio is native's median instructions per packet over"
  echo "the isolated driver's, i.e. isolated packet rate as a share of native; the ratio of"
  echo "the means beside it. See docs/lxd-dummy.md for where the cost goes."
  echo
  echo "nettx's lines (after tsc/pkt: one sendto's TSC, median, p90, p99, and the mean inside sendto):"
  echo
  echo '```'
  tr -d '\r' < "$work/com1.log" | grep -o 'BENCH [a-z]* size=.*' | sed 's/ nettx: dummy0: sent / sent /' || true
  echo '```'
  echo
  echo "Per-stage counters (dummy_glue's stats, TSC ticks; ctxt: context switches during the run; BENCHSTATRUN: at the run's end, BENCHSTAT: a second later; BENCHAPIC: Linux's APIC-write exits and timer interrupts over the run):"
  echo
  echo '```'
  tr -d '\r' < "$work/com1.log" | grep -o 'BENCH\(STAT[A-Z]*\|APIC[A-Z]*\) .*' || true
  echo '```'
  echo
  echo "The domain's side (dummy_lxd.c, every 1000 packets, in order of the runs above):"
  echo
  echo '```'
  tr -d '\r' < "$work/com2.log" | grep -o 'dummy_lxd: stats: .*' || true
  echo '```'
  echo "<!-- /bench-net -->"
} > "$work/section"
# the page's hand-written text (branches' tables, analysis) stays
bench_write_section bench-net "$work/section" "$out"
echo "bench-net: wrote the section in $out"
