#!/usr/bin/env bash
# Benchmark (not a test), issue 16: how one echo LXD's core scales with more
# Linux callers.  Bochs, 4 cores, linux_cores=$LINUX_CORES (default 3, the
# fourth core for the LXD): the echo LXD on an LXD core with a channel per Linux CPU (`lxdctl load
# --channels N`).  1 .. N Linux CPUs ping it at once, each pinned to its
# CPU (so on its own channel), 10000 requests each, batch 1 and 16, in one
# boot and a shuffled order; then 2 callers sharing one channel, for
# comparison (linux-guest/initramfs/tests/lxd-bench-percpu.sh).  The aggregate rate is all callers' round trips over
# the longest caller's time (Linux's clock in Bochs: emulated time); the
# instruction count is the longest caller's TSC span (Bochs: one tick per
# emulated instruction) over all round trips.
#   make bench-lxd-percpu      (or [LINUX_CORES=2] bash bench/lxd/percpu.sh [OUT.md]; ~15 min of Bochs)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${1:-docs/bench-lxd.md}     # its "Several Linux callers" section is replaced (or added)
lc=${LINUX_CORES:-3}
work=$(mktemp -d /tmp/lxds-bench-percpu.XXXXXX)
trap 'rm -rf "$work"' EXIT

make -s iso linux >/dev/null
. bench/lib.sh
bench_boot lxd-percpu "linux_cores=$lc" "lxds.test=lxd-bench-percpu" 1500
tr -d '\r' < "$work/com1.log" > "$work/guest.log"
grep -q 'test lxd-bench-percpu: bench done' "$work/guest.log" ||
  { echo "bench: the guest did not finish:" >&2; grep -E 'lxd-bench-percpu' "$work/guest.log" | tail -n 30 >&2; exit 1; }
# callers batch caller good count ns channels
rows=$(sed -n 's/.*percpu callers=\([0-9]*\) batch=\([0-9]*\) caller=\([0-9]*\): ping: \([0-9]*\)\/\([0-9]*\) replies correct, [0-9]* cycles per round trip, [0-9]* round trips\/s (batch [0-9]*, \([0-9]*\) ns, cpu [0-9]*, channel [0-9]* of \([0-9]*\))$/\1 \2 \3 \4 \5 \6 \7/p' "$work/guest.log")
# cycles are not printed as a total: cycles per round trip * count, from the same line
cyc=$(sed -n 's/.*percpu callers=\([0-9]*\) batch=\([0-9]*\) caller=\([0-9]*\): ping: [0-9]*\/\([0-9]*\) replies correct, \([0-9]*\) cycles per round trip.* of \([0-9]*\))$/\1 \2 \3 \4 \5 \6/p' "$work/guest.log")
[ -n "$rows" ] || { echo "bench: no results in the guest's output" >&2; exit 1; }
# callers batch channels caller tsc-entry tsc-end
tscs=$(sed -n 's/.*percpu tsc callers=\([0-9]*\) batch=\([0-9]*\) channels=\([0-9]*\) caller=\([0-9]*\): \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4 \5 \6/p' "$work/guest.log")
[ -n "$tscs" ] || { echo "bench: no TSC lines in the guest's output" >&2; exit 1; }
order=$(printf '%s\n' "$rows" | awk '$3 == 0 { printf "%s%s/%s%s", sep, $1, $2, $7 == 1 ? " (one channel)" : ""; sep = ", " }')
table=$(awk -v rows="$rows" -v cyc="$cyc" -v tscs="$tscs" 'BEGIN {
  n = split(rows, r, "\n")
  for (i = 1; i <= n; i++) {
    split(r[i], f, " "); key = f[1] " " f[2] " " (f[7] == 1 ? 1 : 0)
    good[key] += f[4]; sent[key] += f[5]; nsum[key] += f[6]
    per[key] = per[key] sep[key] sprintf("%.0f", f[5] * 1e9 / f[6]); sep[key] = " + "
  }
  m = split(cyc, c, "\n")
  for (i = 1; i <= m; i++) {
    split(c[i], f, " "); key = f[1] " " f[2] " " (f[6] == 1 ? 1 : 0)
    csum[key] += f[4] * f[5]
  }
  t = split(tscs, x, "\n")
  for (i = 1; i <= t; i++) {
    split(x[i], f, " "); key = f[1] " " f[2] " " (f[3] == 1 ? 1 : 0)
    if (!(key in lo) || f[5] < lo[key]) lo[key] = f[5]
    if (f[6] > hi[key]) hi[key] = f[6]
  }
  print "| Linux callers | channels | batch | round trips (correct/sent) | round trips per emulated second, all callers | per caller (its own run) | emulated instructions per round trip (all callers) |"
  print "| ---: | :--- | ---: | ---: | ---: | ---: | ---: |"
  for (sh = 0; sh <= 1; sh++)
    for (b = 1; b <= 16; b += 15)
      for (k = 1; k <= 3; k++) {
        key = k " " b " " sh
        if (!(key in sent)) continue
        span = hi[key] - lo[key]                # TSC ticks, first ioctl entry to last reply
        hz = csum[key] / nsum[key] * 1e9        # TSC ticks per emulated second, from the same runs
        printf "| %d | %s | %d | %d/%d | %.0f | %s | %.0f |\n", k, sh ? "one, shared" : "one per caller",
          b, good[key], sent[key], sent[key] * hz / span, per[key], span / sent[key]
      }
}')
echo "$table"
chan=$(sed -n 's/.*test lxd-bench-percpu:   \([0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9]*\)$/\1/p' "$work/guest.log")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
{
  echo "<!-- bench-lxd-percpu: written by bench/lxd/percpu.sh -->"
  echo "## Several Linux callers, one LXD (issue 16)"
  echo
  echo "Measured $(date -u +%Y-%m-%d) in Bochs 2.7 (corei7_skylake_x, 4 cores, linux_cores=$lc)"
  echo "on $cpu, $(nproc) vCPUs. Reproduce with \`make bench-lxd-percpu\`."
  echo
  echo "$table"
  echo
  echo "One echo LXD on an LXD core with a channel per Linux CPU (\`lxdctl load"
  echo "--channels $lc\`, one page each: 32 slots per direction); Linux CPU c pings over"
  echo "channel c (klxd picks the calling CPU's channel), so callers share no ring"
  echo "and no lock. Each caller sends 10000 requests (batch = how many it keeps in"
  echo "flight) and checks every reply. The LXD's dispatch loop takes one message"
  echo "from each channel per turn. The \"one, shared\" rows load the same LXD with"
  echo "one channel: what Linux had before issue 16; a ping holds its channel's"
  echo "locks for its whole run, so the second caller waits for the first. Runs in"
  echo "this order, callers/batch: $order. A run's span is TSC"
  echo "ticks from the first caller's ioctl entry (before any lock) to the last"
  echo "caller's last reply (\`lxdctl ping -T\`). Bochs' TSC counts one tick per"
  echo "emulated instruction on each core, in lock-step, so span / round trips is"
  echo "the instructions the LXD core executed per round trip served (exact for this"
  echo "emulator, not a latency on real hardware); \"all callers\" is the round trips"
  echo "over the span in emulated seconds (Linux's TSC-to-ns ratio from the same"
  echo "pings). \"Per caller\" is each one's own rate over its own run, which for the"
  echo "shared channel excludes the time it waited for the lock."
  echo
  echo "Slots per channel at the end (\`/proc/lxd_channels\`: domain, channel, of,"
  echo "pages, sent, received, dropped):"
  echo
  printf '%s\n' "$chan" | sed 's/^/    /'
  echo "<!-- /bench-lxd-percpu -->"
} > "$work/section"
# replace the section in $out (bench/lxd/run.sh keeps it when it rewrites the rest)
bench_write_section bench-lxd-percpu "$work/section" "$out"
echo "bench: wrote the section in $out"
