#!/usr/bin/env bash
# Runs the ELF validator's fuzz target for a bounded number of inputs and
# reports in the test-runner's PASS/FAIL form.  Seeds: the builder's good
# image (written by the target itself) and the real LXD images when built,
# so the mutator starts from valid headers instead of guessing the magic.
# A crashing input is kept beside the binary as fuzz-crash-*.
here=$(dirname "$0")
runs=${LXDS_FUZZ_RUNS:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/corpus"
if ! LXDS_ELF_WRITE_SEED="$work/corpus/good" "$here/fuzz_elf" >"$work/seed.log" 2>&1; then
  echo "FAIL: fuzz_elf: could not write the seed image"; cat "$work/seed.log"; exit 1
fi
for img in "$here"/seed-*.lxd; do
  [ -e "$img" ] && cp "$img" "$work/corpus/"
done

if "$here/fuzz_elf" -runs="$runs" -seed=1 -max_len=16384 \
     -artifact_prefix="$here/fuzz-" "$work/corpus" >"$work/log" 2>&1; then
  echo "PASS: fuzz_elf ($runs inputs)"
else
  echo "FAIL: fuzz_elf: crashed or tripped an invariant; see below"
  tail -n 30 "$work/log"
fi
