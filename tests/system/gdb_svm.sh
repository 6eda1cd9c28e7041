#!/usr/bin/env bash
# tests/system/gdb.sh under the SVM backend (QEMU TCG, -cpu qemu64,+svm,+npt):
# the same guest script and gdb sessions (int3 breakpoints, which QEMU
# reports as an INTn intercept, not #BP; TF steps; Ctrl-C; DR0-DR3
# hardware slots (hits: QEMU TCG does not arm a guest's DR0-3, so those stay
# Bochs' checks); --start; post mortem), its checks
# prefixed [qemu-svm].  QEMU's COM4 is its own TCP server, no relay.
LXDS_EMU=qemu exec bash "$(dirname "$0")/gdb.sh"
