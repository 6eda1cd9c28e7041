#!/usr/bin/env bash
# Rewrites the golden outputs of the IDL compiler after a deliberate change
# to its output.  Review the diff before committing it.
#   tests/unit/idl/update-golden.sh     (from the repository root)
set -euo pipefail
make -s build/host/idlc
for idl in tests/unit/idl/golden/*.idl; do
  case=$(basename "$idl" .idl)
  rm -rf "tests/unit/idl/golden/$case"
  mkdir -p "tests/unit/idl/golden/$case"
  build/host/idlc -o "tests/unit/idl/golden/$case" "$idl"
done
git status --short tests/unit/idl/golden
