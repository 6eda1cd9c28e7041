#!/usr/bin/env bash
# Prints the benchmark table with the machine it ran on, and plots it.
# Usage: bench/report.sh DIR   (DIR holds results.md, latency.dat, throughput.dat)
set -eu
dir=$1
echo
echo "== ipc/async benchmark results ($(date -u +%Y-%m-%d))"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) CPUs, $(uname -r), $(gcc --version | head -1)"
cat "$dir/results.md"
gnuplot -e "dir='$dir'" bench/plot.gp
echo "plot: $dir/ipc-async.svg"
