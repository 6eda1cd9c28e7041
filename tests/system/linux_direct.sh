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
bochs_timeout=${LXDS_BOCHS_TIMEOUT:-240}
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
cache_dir=$(bash linux-guest/build-kernel.sh --dir)
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
log=$work/bochs-com1.log
: >"$log"
cat >"$work/bochsrc" <<EOF
cpu: model=corei7_skylake_x, count=1, ips=50000000
megs: 512
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$top/$iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$log
display_library: rfb, options="timeout=0"
speaker: enabled=0
sound: driver=dummy
log: $work/bochs.log
clock: sync=none
EOF
printf 'c\nquit\n' >"$work/bochs.cmds"

t0=$(now)
timeout --kill-after=5 "$bochs_timeout" bochs -q -f "$work/bochsrc" -rc "$work/bochs.cmds" \
  </dev/null >"$work/bochs.out" 2>&1 &
bochs_pid=$!
t_ready= t_end= powered_off=no
while kill -0 "$bochs_pid" 2>/dev/null; do
  if [ -z "$t_ready" ] && tr -d '\r' <"$log" | grep -qx 'lxds-guest: ready'; then
    t_ready=$(now)
  fi
  if [ -z "$t_end" ] && grep -q 'lxds-guest: power off' "$log"; then
    t_end=$(now)
  fi
  # After the guest's last line, give the ACPI power-off a few seconds to end
  # Bochs by itself; then stop it (only the timeout process we started).
  if [ -n "$t_end" ] && [ "$(elapsed "$t_end" "$(now)" | cut -d. -f1)" -ge 10 ]; then
    kill "$bochs_pid" 2>/dev/null || true
    break
  fi
  sleep 0.2
done
wait "$bochs_pid" 2>/dev/null && brc=0 || brc=$?
t1=$(now)
exec 9>&-   # release the heavy lock
[ -n "$t_end" ] && [ "$brc" -ne 143 ] && [ "$brc" -ne 124 ] && [ "$brc" -ne 137 ] && powered_off=yes

tr -d '\r' <"$log" >"$log.txt"
bochs_ok=1
if [ -n "$t_ready" ] && grep -qx 'lxds-guest: ready' "$log.txt"; then
  echo "PASS: linux-direct boots to ready line in bochs ($(elapsed "$t0" "$t_ready") s wall from power-on)"
else
  bochs_ok=0
  if [ "$brc" -eq 124 ] || [ "$brc" -eq 137 ]; then
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
  # Bochs logs the ACPI soft power-off as a (fatal) panic, prefixed by the
  # count of emulated instructions since power-on.
  insns=$(grep -m1 'ACPI control: soft power off' "$work/bochs.log" | grep -oE '^[0-9]+' | sed 's/^0*//' || true)
  echo "PASS: linux-direct powers off bochs ($(elapsed "$t0" "$t1") s wall in all, ${insns:-?} instructions emulated)"
else
  bochs_ok=0
  if [ -z "$t_end" ]; then
    fail "linux-direct powers off bochs: the guest never printed 'lxds-guest: power off' (bochs status $brc)"
  else
    fail "linux-direct powers off bochs: bochs still ran 10 s after the guest's power-off line (status $brc)"
  fi
fi
if grep -qE 'Kernel panic|BUG:|Oops' "$log.txt"; then
  bochs_ok=0
  fail "linux-direct in bochs: the kernel log has a panic/BUG/Oops"
fi
if [ "$bochs_ok" -ne 1 ]; then
  tail_log "$log"
  echo "---- tail of bochs output ----"; tail -n 15 "$work/bochs.out" || true
  grep -E '\]\[(PANIC|ERROR)|\[.*\] *(p|e)\[' "$work/bochs.log" | tail -n 10 || true
  echo "----"
fi
