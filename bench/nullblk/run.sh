#!/usr/bin/env bash
# Benchmark (not a test): null_blk (memory_backed=1, bs=4096) native and in an
# LXD, in one Bochs boot (4 cores): 4 KiB random and 64 KiB sequential reads
# and writes, 1 and 16 requests in flight (linux-guest/initramfs/tests/
# lxd-nullblk-bench.sh; nbgtool bench: O_DIRECT, a thread per request in
# flight).  The boot runs the data and containment test (lxd-nullblk.sh)
# first, so the figures are for a device that just passed it.  Two rounds in opposite orders; the table gives each round and
# the LXD's share of native.  Bochs' TSC advances one tick per emulated
# instruction per core, so "ticks per I/O" (TSC on the load generator's
# core, start to end over all requests / requests) is emulated instructions
# per I/O of wall time on one core.
# NBQUICK=1: the 4 KiB cases only, and the page is left
# as it is (the table and the STATS lines are printed): for comparing two
# builds of the completion path quickly.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${1:-docs/bench-nullblk.md}
work=$(mktemp -d /tmp/lxds-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

make -s iso >/dev/null
. bench/lib.sh
quick=${NBQUICK:-0}
extra=""; [ "$quick" = 1 ] && extra=" lxds.nbquick=1"
bench_boot nullblk "linux_cores=1" "lxds.test=lxd-nullblk lxds.nbbench=1$extra" 2400 --may-fail
mkdir -p build/test-logs && cp "$work/com1.log" build/test-logs/bench-nullblk.log
# the hypervisor's log has the domain's per-run cost lines (nbg_domain.c)
cp "$work/com2.log" build/test-logs/bench-nullblk.com2.log
tr -d '\r' < "$work/com1.log" | grep -qE 'test lxd-nullblk[a-z-]*: done' ||
  { echo "bench: the guest did not finish:" >&2; tail -n 30 "$work/com1.log" >&2; exit 1; }

# "BENCH how round bench DEV MODE bs BS qd QD: N ios in S s, I iops, T ticks/io"
rows=$(tr -d '\r' < "$work/com1.log" | sed -n \
  's/.*BENCH \([a-z]*\) \([0-9]\) bench [^ ]* \([a-z]*\) bs \([0-9]*\) qd \([0-9]*\): \([0-9]*\) ios in [0-9.]* s, \([0-9]*\) iops, \([0-9]*\) ticks\/io/\1 \2 \3 \4 \5 \6 \7 \8/p')
[ -n "$rows" ] || { echo "bench: no results" >&2; exit 1; }
get() { awk -v h="$1" -v r="$2" -v m="$3" -v b="$4" -v q="$5" -v f="$6" \
  '$1==h && $2==r && $3==m && $4==b && $5==q {print $f}' <<< "$rows"; }
table="| I/O | in flight | native IOPS (round 1 / 2) | LXD IOPS (round 1 / 2) | LXD / native | native instr/I/O | LXD instr/I/O |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
kinds="randread:4096 randwrite:4096 seqread:65536 seqwrite:65536"
[ "$quick" = 1 ] && kinds="randread:4096 randwrite:4096"
for c in $kinds; do
  m=${c%%:*}; b=${c#*:}
  for q in 1 16; do
    n1=$(get native 1 $m $b $q 7); n2=$(get native 2 $m $b $q 7)
    l1=$(get lxd 1 $m $b $q 7); l2=$(get lxd 2 $m $b $q 7)
    nt=$(( ($(get native 1 $m $b $q 8) + $(get native 2 $m $b $q 8)) / 2 ))
    lt=$(( ($(get lxd 1 $m $b $q 8) + $(get lxd 2 $m $b $q 8)) / 2 ))
    pct=$(( 100 * (l1 + l2) / (n1 + n2) ))
    table+=$'\n'"| $m $((b / 1024)) KiB | $q | $n1 / $n2 | $l1 / $l2 | $pct % | $nt | $lt |"
  done
done
echo "$table"
if [ "$quick" = 1 ]; then
  tr -d '\r' < "$work/com1.log" | grep -o 'STATS .*' || true
  echo "bench: quick run (NBQUICK=1): $out left as it is"
  exit 0
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
{
  echo "<!-- bench-nullblk: written by bench/nullblk/run.sh; the text outside it is by hand -->"
  echo "## Latest run"
  echo
  echo "Measured $(date -u +%Y-%m-%d) in Bochs 2.7 (corei7_skylake_x, 4 cores, 512 MiB) on"
  echo "$cpu, $(nproc) vCPUs, \`make bench-nullblk\`; instr/I/O: emulated"
  echo "instructions per I/O. What the columns mean and where the cost goes:"
  echo "docs/lxd-null_blk.md \"Benchmark\"."
  echo
  echo "$table"
  echo "<!-- /bench-nullblk -->"
} > "$work/section"
# the page's hand-written text (the analysis, earlier tables) stays
bench_write_section bench-nullblk "$work/section" "$out"
echo "bench: wrote the section in $out"
