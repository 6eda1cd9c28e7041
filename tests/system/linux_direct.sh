#!/usr/bin/env bash
# System test: the lxds guest kernel + initramfs boot directly, without the
# hypervisor, to the ready line, and run commands.
#   1. QEMU TCG, -kernel/-initrd: tests hello, sysinfo, modules (load/unload).
#   2. Bochs (the project's VT-x platform) booting build/linux/linux-direct.iso
#      through GRUB: ready line, the hello test's output, power-off.
# Prints PASS:/FAIL: lines (tools/test-runner.sh contract) and the wall time of
# each boot. LXDS_LINUX_DIRECT_SKIP_QEMU=1 skips part 1.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
lock=/tmp/lxds-heavy.lock
bochs_timeout=${LXDS_BOCHS_TIMEOUT:-180}
qemu_timeout=${LXDS_QEMU_TIMEOUT:-60}
work=$(mktemp -d /tmp/lxds-linux-direct.XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $1"; }
tail_log() {  # $1 = log
  echo "---- tail of $1 ----"
  tail -n 30 "$1" | tr -d '\r' || true
  echo "----"
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Build what we boot (no-op when up to date; the kernel comes from the cache).
# Not under the heavy lock: the kernel build takes it itself.
if ! make --no-print-directory -s linux linux-direct-iso >"$work/make.log" 2>&1; then
  fail "linux-direct image build: make linux linux-direct-iso failed"
  tail_log "$work/make.log"
  exit 1
fi
bzimage=build/linux/bzImage
initrd=build/linux/initramfs.cpio.lz4
iso=build/linux/linux-direct.iso
cache_dir=build/linux/kernel
release=$(cat "$cache_dir/kernelrelease")
echo "PASS: linux-direct image builds (kernel $release)"

# One heavy job (emulator or kernel build) at a time on this machine.
exec 9>"$lock"
flock 9

# ---- 1. QEMU TCG ---------------------------------------------------------
qemu_test() {  # $1 = test name, $2 = line the test must print (fixed string)
  local name=$1 expect=$2 log=$work/qemu-$1.log t0 t1 rc=0
  t0=$(now)
  timeout --kill-after=5 "$qemu_timeout" qemu-system-x86_64 -kernel "$bzimage" -initrd "$initrd" \
    -append "console=ttyS0 quiet lxds.test=$name" -nographic -no-reboot -m 256 \
    -monitor none -serial "file:$log" -display none </dev/null >"$work/qemu-$1.out" 2>&1 || rc=$?
  t1=$(now)
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    fail "linux-direct qemu test $name: no power-off within ${qemu_timeout}s"; tail_log "$log"; return
  elif [ "$rc" -ne 0 ]; then
    fail "linux-direct qemu test $name: qemu exited with $rc"; tail_log "$work/qemu-$1.out"; tail_log "$log"; return
  fi
  tr -d '\r' <"$log" >"$log.txt"
  if ! grep -qx 'lxds-guest: ready' "$log.txt"; then
    fail "linux-direct qemu test $name: no 'lxds-guest: ready' line"; tail_log "$log"; return
  fi
  if ! grep -qxF "$expect" "$log.txt"; then
    fail "linux-direct qemu test $name: no line '$expect'"; tail_log "$log"; return
  fi
  if ! grep -qx "lxds-guest: test $name exit=0" "$log.txt"; then
    fail "linux-direct qemu test $name: no 'lxds-guest: test $name exit=0' line"; tail_log "$log"; return
  fi
  echo "PASS: linux-direct qemu test $name ($(elapsed "$t0" "$t1") s to power-off)"
}
if [ "${LXDS_LINUX_DIRECT_SKIP_QEMU:-0}" != 1 ]; then
  qemu_test hello "lxds-guest: test hello: $release"
  qemu_test sysinfo "lxds-guest: test sysinfo: mounts ok"
  qemu_test modules "lxds-guest: test modules: null_blk and dummy loaded, used and unloaded"
fi

# ---- 2. Bochs, booted by GRUB from the ISO -------------------------------
# Through the shared launcher tools/emu.sh: one core, 50 M instructions per
# emulated second, COM1 to a file; it maps Bochs' ACPI soft power-off to 0.
log=$work/bochs-com1.log
: >"$log"
if [ ! -x tools/emu.sh ] && [ ! -f tools/emu.sh ]; then
  fail "linux-direct boots to ready line in bochs: tools/emu.sh (the emulator launcher) is missing"
  exit 1
fi
t0=$(now)
bash tools/emu.sh bochs --iso "$iso" --log "$log" --timeout "$bochs_timeout" --cores 1 --megs 512 \
  --ips 50000000 </dev/null >"$work/bochs.out" 2>&1 &
emu_pid=$!
t_ready=
while kill -0 "$emu_pid" 2>/dev/null; do
  if [ -z "$t_ready" ] && tr -d '\r' <"$log" | grep -qx 'lxds-guest: ready'; then
    t_ready=$(now)
  fi
  sleep 0.2
done
wait "$emu_pid" && brc=0 || brc=$?
t1=$(now)
exec 9>&-   # release the heavy lock
[ -z "$t_ready" ] && tr -d '\r' <"$log" | grep -qx 'lxds-guest: ready' && t_ready=$t1
powered_off=no
[ "$brc" -eq 0 ] && grep -q 'lxds-guest: power off' "$log" && powered_off=yes

tr -d '\r' <"$log" >"$log.txt"
bochs_ok=1
if [ -n "$t_ready" ] && grep -qx 'lxds-guest: ready' "$log.txt"; then
  echo "PASS: linux-direct boots to ready line in bochs ($(elapsed "$t0" "$t_ready") s wall from power-on)"
else
  bochs_ok=0
  if [ "$brc" -eq 124 ]; then
    fail "linux-direct boots to ready line in bochs: no ready line within ${bochs_timeout}s"
  else
    fail "linux-direct boots to ready line in bochs: bochs ended (status $brc) without the ready line"
  fi
fi
if grep -qxF "lxds-guest: test hello: $release" "$log.txt" && grep -qx 'lxds-guest: test hello exit=0' "$log.txt"; then
  echo "PASS: linux-direct runs a command in bochs (uname -r = $release)"
else
  bochs_ok=0
  fail "linux-direct runs a command in bochs: no 'lxds-guest: test hello: $release' and 'exit=0' lines"
fi
if [ "$powered_off" = yes ]; then
  echo "PASS: linux-direct powers off bochs ($(elapsed "$t0" "$t1") s wall in all)"
else
  bochs_ok=0
  if [ "$brc" -eq 124 ]; then
    fail "linux-direct powers off bochs: bochs still ran after ${bochs_timeout}s (emu.sh timeout)"
  elif ! grep -q 'lxds-guest: power off' "$log"; then
    fail "linux-direct powers off bochs: the guest never printed 'lxds-guest: power off' (emu.sh status $brc)"
  else
    fail "linux-direct powers off bochs: emu.sh saw no ACPI power-off (status $brc)"
  fi
fi
if grep -qE 'Kernel panic|BUG:|Oops' "$log.txt"; then
  bochs_ok=0
  fail "linux-direct in bochs: the kernel log has a panic/BUG/Oops"
fi
if [ "$bochs_ok" -ne 1 ]; then
  tail_log "$log"
  echo "---- tail of emu.sh output ----"; tail -n 20 "$work/bochs.out" || true; echo "----"
fi
