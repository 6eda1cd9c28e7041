#!/usr/bin/env bash
# Benchmark (not a test): round trips between Linux and an echo LXD over a
# cache-line channel, one request in flight and batched by 4 and 16, in
# Bochs (4 cores).  Bochs' TSC advances one tick per emulated instruction,
# so "cycles per round trip" as klxd measures it (TSC on Linux's core) is
# emulated instructions per round trip: exact and repeatable for this
# emulator, not a latency on real hardware.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${1:-docs/bench-lxd.md}
work=$(mktemp -d /tmp/lxds-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

make -s iso >/dev/null
. bench/lib.sh
bench_boot lxd "linux_cores=1" "lxds.test=lxd-bench" 600

rows=$(tr -d '\r' < "$work/com1.log" |
  sed -n 's/.*ping: \([0-9]*\)\/\([0-9]*\) replies correct, \([0-9]*\) cycles per round trip, \([0-9]*\) round trips\/s (batch \([0-9]*\),.*/\5 \1 \2 \3 \4/p')
[ -n "$rows" ] || { echo "bench: no ping results in the guest's output" >&2; tail -n 30 "$work/com1.log" >&2; exit 1; }
table="| in flight | round trips (correct/sent) | emulated instructions per round trip | round trips per emulated second |
| ---: | ---: | ---: | ---: |"
while read -r batch good sent cycles rate; do
  table+=$'\n'"| $batch | $good/$sent | $cycles | $rate |"
done <<< "$rows"
echo "$table"
# lxdecho: the same driver as a module and in an LXD behind its IDL glue
dev=$(tr -d '\r' < "$work/com1.log" |
  sed -n 's/.*devbench \([a-z]*\) \([0-9]*\): devbench: [^:]*: [0-9]* in flight, \([0-9]*\) calls, \([0-9]*\) cycles per call.*/\1 \2 \3 \4/p')
devfail=
if [ -z "$dev" ]; then
  echo "bench: no devbench results in the guest's output" >&2
  tr -d '\r' < "$work/com1.log" | grep -E 'lxd-bench|devbench' | tail -n 20 >&2
  devfail="(no devbench results: the lxdecho part of the boot failed; see bench/lxd/run.sh's output)"
fi
cell() { printf '%s\n' "$dev" | awk -v l="$1" -v k="$2" '$1 == l && $2 == k { print $4 }'; }
gtable="| in flight | module: instructions per call | LXD via generated glue | one generated crossing (difference) | raw klxd round trip (ping, same row above) |
| ---: | ---: | ---: | ---: | ---: |"
for k in 1 4 16; do
  [ -n "$devfail" ] && break
  m=$(cell module "$k"); l=$(cell lxd "$k")
  raw=$(printf '%s\n' "$rows" | awk -v k="$k" '$1 == k { print $4 }')
  gtable+=$'\n'"| $k | $m | $l | $((l - m)) | $raw |"
done
echo "$gtable"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
{
  echo "<!-- bench-lxd: latest run, written by bench/lxd/run.sh (make bench-lxd); the text outside it is hand-written -->"
  echo "## Latest run (\`make bench-lxd\`)"
  echo
  echo "Measured $(date -u +%Y-%m-%d) in Bochs 2.7 (corei7_skylake_x, 4 cores, 10 M emulated"
  echo "instructions per second) on $cpu, $(nproc) vCPUs; what the columns mean: the"
  echo "top of this page. Ping (klxd, Linux core 0, echo LXD):"
  echo
  echo "$table"
  echo
  echo "One generated cross-domain call (lxd-devbench on lxdecho, module vs LXD, same boot):"
  echo
  echo "$gtable"
  [ -z "$devfail" ] || echo "$devfail"
  echo "<!-- /bench-lxd -->"
} > "$work/section"
# the page's hand-written text (earlier runs, A/B tables) and bench/lxd/percpu.sh's section stay
bench_write_section bench-lxd "$work/section" "$out"
echo "bench: wrote the section in $out"
[ -z "$devfail" ]
