#!/usr/bin/env bash
# Benchmark (not a test): nettx through Linux's dummy driver, native
# (dummy.ko) and isolated (dummy.lxd + dummy_glue.ko), in one Bochs boot (4
# cores), in the order native, lxd, lxdslow, lxdslow, lxd, native (lxd: dummy_glue
# fast=1, its ndo_start_xmit sends; lxdslow: fast=0, the sender thread);
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
bench_boot net "linux_cores=1" "lxds.test=lxd-dummy-bench" 2400
grep -q 'test lxd-dummy-bench: bench done' "$work/com1.log" ||
  { echo "bench-net: the run did not finish:" >&2; tail -n 40 "$work/com1.log" >&2; exit 1; }

# "BENCH native size=64 sndbuf=default: nettx: dummy0: sent 1000 of 1000 (64 bytes), 0 errors (first: none), U us, R pkt/s, C tsc/pkt"
rows=$(tr -d '\r' < "$work/com1.log" |
  sed -n 's/.*BENCH \([a-z]*\) size=\([0-9]*\) sndbuf=\([a-z0-9]*\): nettx: .* sent \([0-9]*\) of [0-9]* .*, \([0-9]*\) pkt\/s, \([0-9]*\) tsc\/pkt.*/\1 \2 \3 \4 \5 \6/p')
[ -n "$rows" ] || { echo "bench-net: no results" >&2; exit 1; }
table="| frame | send buffer | native: instr/pkt (runs 1, 2) | isolated, sender thread (fast=0) | isolated, direct send (fast=1) | fast=0 / native rate | fast=1 / native rate |
| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
ratio() { # SIZE BUF LABEL: native instructions per packet over LABEL's
  awk -v s=$1 -v b=$2 -v L=$3 '$2==s && $3==b { if ($1=="native") {n+=$6; nn++} else if ($1==L) {l+=$6; ln++} }
    END { if (nn && ln && l) printf "%.0f %%", 100 * (n/nn) / (l/ln); else print "?" }' <<< "$rows"
}
for size in 64 1500; do
  for buf in default 1; do
    n=$(awk -v s=$size -v b=$buf '$1=="native" && $2==s && $3==b {print $6}' <<< "$rows" | paste -sd, -)
    ls=$(awk -v s=$size -v b=$buf '$1=="lxdslow" && $2==s && $3==b {print $6}' <<< "$rows" | paste -sd, -)
    l=$(awk -v s=$size -v b=$buf '$1=="lxd" && $2==s && $3==b {print $6}' <<< "$rows" | paste -sd, -)
    label=$([ $buf = default ] && echo "default (≤160 in flight)" || echo "minimum (a few in flight)")
    table+=$'\n'"| $size B | $label | ${n//,/, } | ${ls//,/, } | ${l//,/, } | $(ratio $size $buf lxdslow) | $(ratio $size $buf lxd) |"
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
  echo "${NETBENCH_N:-1000} AF_PACKET frames per run; the two figures per driver come from"
  echo "runs early and late in the boot (order native, isolated, isolated, native)."
  echo "The ratio is native instructions per packet over isolated, i.e. isolated packet"
  echo "rate as a share of native. See docs/lxd-dummy.md for where the cost goes."
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
