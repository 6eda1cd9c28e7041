#!/usr/bin/env bash
# Runs the EPT fuzz target for a bounded number of inputs and reports in the
# test-runner's PASS/FAIL form. The seed corpus (made here, no binary files in
# the tree) holds a few programs that build large pages and cut them, so the
# mutator starts from the split/merge paths. A crashing input is kept beside
# the binary as fuzz-crash-*. LXDS_FUZZ_RUNS sets the budget.
here=$(dirname "$0")
runs=${LXDS_FUZZ_RUNS:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# op B0 B1 B2 B3 B4 B5 B6 B7: one 8-byte operation, hex bytes (see fuzz_ept.c)
op() { printf "\\x$1\\x$2\\x$3\\x$4\\x$5\\x$6\\x$7\\x$8"; }
mkdir "$work/corpus"
# 2M+1G allowed: map 1G RWX WB at 1G, unmap 4K inside, protect a 2M inside RX,
# remap the whole 1G (merges back)
{ printf '\x03'; op 40 01 00 00 67 0a 10 00; op 21 09 02 03 00 00 00 00
  op 22 0a 02 00 05 04 00 00; op 40 01 00 00 67 0a 10 00; } >"$work/corpus/split1g"
# 2M only: map 16M at 16M, punch a 4K hole, fill it back
{ printf '\x01'; op 20 08 00 38 67 05 22 00; op 01 05 10 00 00 00 00 00
  op 20 08 00 38 67 05 22 00; } >"$work/corpus/merge2m"

if "$here/fuzz_ept" -runs="$runs" -seed=1 -max_len=513 -artifact_prefix="$here/fuzz-" \
    "$work/corpus" >"$work/log" 2>&1; then
  echo "PASS: fuzz_ept ($runs inputs)"
else
  echo "FAIL: fuzz_ept: crashed or tripped an invariant; see below"
  tail -n 30 "$work/log"
fi
