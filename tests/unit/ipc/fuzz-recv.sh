#!/usr/bin/env bash
# Runs the receive-side fuzz target for a bounded number of inputs and
# reports in the test-runner's PASS/FAIL form.  The seed corpus holds a few
# well-formed messages (made here, so no binary files live in the tree):
# starting from valid headers lets the mutator reach the tag checks instead
# of spending its budget guessing the 16-bit READY pattern.  A crashing
# input is kept beside the binary as fuzz-crash-*.
here=$(dirname "$0")
runs=${LXDS_FUZZ_RUNS:-200000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# msg STATUS_LO STATUS_HI TYPE TAG_IDX TAG_GEN: one 64-byte slot, hex bytes
msg() {
  printf "\\x$1\\x$2\\x$3\\x00\\x$4\\x00\\x$5\\x00"
  head -c 56 /dev/zero
}
mkdir "$work/corpus"
{ msg a1 c5 02 00 01; msg a1 c5 02 02 01; } >"$work/corpus/replies"
{ msg a1 c5 02 01 01; msg a1 c5 01 00 00; msg a1 c5 03 00 00; } >"$work/corpus/mixed"
# a whole ring of valid messages: bursts as long as they go (half the ring)
for i in $(seq 32); do msg a1 c5 03 00 00; done >"$work/corpus/full"

if "$here/fuzz_recv" -runs="$runs" -seed=1 -max_len=2048 -artifact_prefix="$here/fuzz-" "$work/corpus" >"$work/log" 2>&1; then
  echo "PASS: fuzz_recv ($runs inputs)"
else
  echo "FAIL: fuzz_recv: crashed or tripped an invariant; see below"
  tail -n 30 "$work/log"
fi
