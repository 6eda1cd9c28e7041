#!/usr/bin/env bash
# System test: `make run` as a newcomer uses it, on a terminal (a pty driven by
# tools/run-session.py): the guest shell prompt appears, the hypervisor's log
# (COM2) is in the file make run names while the guest runs, the echo LXD loads
# and answers pings, `sleep 5` in the guest takes 2.5..10 s of wall time (the
# guest is told the TSC frequency the hypervisor measured, and the emulator's
# clock follows the wall clock), Linux has 2 of make run's 4 cores (the
# default split) and lxdctl info says so, and poweroff -f ends the run with
# status 0.
# `make run` picks KVM with nested VT-x/SVM, else QEMU TCG with SVM (here),
# else Bochs; the emulator it chose is whichever emu.sh names.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
mkdir -p build/test-logs
hvlog=build/test-logs/make-run.hypervisor.log
transcript=build/test-logs/make-run.transcript
rm -f "$hvlog"

# One heavy job (emulator or kernel build) at a time on this machine.
exec 9>/tmp/lxds-heavy.lock
flock 9

rc=0
python3 tools/run-session.py --timeout 900 --transcript "$transcript" --sleep-check \
  --live-file "$hvlog=>hypervisor log continues here \(COM2\)" \
  --step 'lxdctl load /lib/lxd/echo.lxd && lxdctl ping echo -n 2000=>2000/2000 replies correct' \
  --step 'lxdctl status echo=>running' \
  --step "dmesg | grep -i 'tsc'=>tsc: Detected [0-9]+\\.[0-9]+ MHz" \
  --step 'echo linux-cpus=$(nproc)=>linux-cpus=2' \
  --step 'lxdctl info=>core 1: Linux' \
  -- make --no-print-directory run HV_LOG="$hvlog" GDB_PORT=$((20000 + RANDOM % 20000)) || rc=$?
if [ -s "$hvlog" ]; then
  echo "PASS: make run: the hypervisor log is in $hvlog after the run ($(wc -l <"$hvlog") lines)"
else
  echo "FAIL: make run: $hvlog is missing or empty after the run"
fi
exit $rc
