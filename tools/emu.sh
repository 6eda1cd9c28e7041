#!/usr/bin/env bash
# Boots an ISO in an emulator.  Used by `make run*` (interactive: serial on this
# terminal) and by the system tests (serial to a log file, always bounded by a timeout).
#
#   tools/emu.sh [auto|kvm|qemu|qemu-plain|bochs] --iso FILE [options]
#     kvm         QEMU with KVM, -cpu host (nested VT-x or nested SVM)
#     qemu        QEMU TCG with AMD SVM and nested paging (-cpu qemu64,+svm,+npt,+nx:
#                 NX, so nested page tables can withhold execute rights)
#     qemu-plain  QEMU TCG with neither VT-x nor SVM (-cpu qemu64,-svm): the refusal
#     bochs       Bochs with VT-x + EPT (corei7_skylake_x)
#     --log FILE       serial (COM1) to FILE instead of the terminal
#     --com2 FILE      second serial port to FILE (bochs and qemu)
#     --timeout SEC    kill the emulator after SEC seconds (default 300 with --log)
#     --cores N        cores (default 2)         --megs M   memory in MiB (default 512)
#     --ips N          Bochs instructions per emulated second (default 10000000)
#     --cpu-flags F    more QEMU TCG -cpu flags, e.g. +xsave (qemu and qemu-plain)
#     --gdb-port P     the guest's COM4 (Linux's ttyS3) on TCP port P of this host, for
#                      `lxdctl gdb NAME --tty /dev/ttyS3` in the guest and gdb here
#                      (`target remote localhost:P`)
#
# auto = QEMU with KVM when /dev/kvm offers nested VT-x or SVM, else QEMU TCG with
# SVM when qemu-system-x86_64 is installed, else Bochs.
# Exit status: 0 when the guest powered off, 124 on timeout, else the emulator's.
# Bochs always exits 1 on its own; this script maps its clean power-off to 0.
set -euo pipefail

emu=auto
iso= log= com2= timeout_s= cores=2 megs=512 ips=10000000 gdb_port= cpu_flags=
case ${1:-} in auto|kvm|qemu|qemu-plain|bochs) emu=$1; shift ;; esac
while [ $# -gt 0 ]; do
  case $1 in
    --iso) iso=$2; shift ;;
    --log) log=$2; shift ;;
    --com2) com2=$2; shift ;;
    --timeout) timeout_s=$2; shift ;;
    --cores) cores=$2; shift ;;
    --megs) megs=$2; shift ;;
    --ips) ips=$2; shift ;;
    --gdb-port) gdb_port=$2; shift ;;
    --cpu-flags) cpu_flags=,${2#,}; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "emu.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$iso" ] || { echo "emu.sh: --iso FILE is required" >&2; exit 2; }
[ -f "$iso" ] || { echo "emu.sh: no ISO at $iso (run make iso)" >&2; exit 2; }
[ -n "$log" ] && [ -z "$timeout_s" ] && timeout_s=300
# Bochs runs in a directory of its own: every path it is given must be absolute.
[ -n "$log" ] && log=$(realpath -m "$log")
[ -n "$com2" ] && com2=$(realpath -m "$com2")

kvm_has_nested_virt() {  # VT-x (kvm_intel nested=1) or SVM (kvm_amd nested=1)
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
  local flag mod
  for flag in vmx svm; do
    grep -qw $flag /proc/cpuinfo || continue
    [ $flag = vmx ] && mod=kvm_intel || mod=kvm_amd
    local n=/sys/module/$mod/parameters/nested
    [ -r $n ] && grep -qiE '^(1|y)' $n && return 0
  done
  return 1
}

if [ "$emu" = auto ]; then
  if kvm_has_nested_virt; then emu=kvm
  elif command -v qemu-system-x86_64 >/dev/null; then emu=qemu
  else emu=bochs; fi
  case $emu in
    qemu) echo "emu.sh: using qemu (TCG with AMD SVM; no KVM with nested VT-x or SVM here)" >&2 ;;
    bochs) echo "emu.sh: using bochs (no KVM with nested virtualization, no QEMU)" >&2 ;;
    *) echo "emu.sh: using $emu" >&2 ;;
  esac
fi
if [ "$emu" = kvm ] && ! kvm_has_nested_virt; then
  echo "emu.sh: KVM with nested VT-x or SVM is not available (/dev/kvm; kvm_intel or kvm_amd nested=1)" >&2
  exit 2
fi

run_bounded() {  # runs "$@" under the timeout when one is set
  if [ -n "$timeout_s" ]; then
    local rc=0
    timeout --kill-after=5 "$timeout_s" "$@" || rc=$?
    [ $rc -eq 124 ] || [ $rc -eq 137 ] && { echo "emu.sh: TIMEOUT: $emu did not finish within ${timeout_s}s" >&2; return 124; }
    return $rc
  fi
  "$@"
}

run_qemu() {
  local accel=() serial=()
  case $emu in
    kvm) accel=(-enable-kvm -cpu host) ;;
    qemu) accel=(-accel tcg -cpu "qemu64,+svm,+npt,+nx$cpu_flags") ;;
    *) accel=(-accel tcg -cpu "qemu64,-svm$cpu_flags") ;;
  esac
  if [ -n "$log" ]; then serial=(-serial "file:$log"); else serial=(-serial mon:stdio); fi
  [ -n "$com2" ] && serial+=(-serial "file:$com2")
  if [ -n "$gdb_port" ]; then
    [ -n "$com2" ] || serial+=(-serial null)
    serial+=(-serial null -serial "tcp:127.0.0.1:$gdb_port,server=on,wait=off")
  fi
  run_bounded qemu-system-x86_64 "${accel[@]}" -smp "$cores" -m "$megs" -cdrom "$iso" \
    -boot d -display none -no-reboot "${serial[@]}"
}

run_bochs() {
  local dir rc=0 com1
  dir=$(mktemp -d /tmp/lxds-bochs.XXXXXX)
  if [ -n "$log" ]; then
    : > "$log"
    com1="com1: enabled=1, mode=file, dev=$log"
  elif tty -s; then
    com1="com1: enabled=1, mode=term, dev=$(tty)"
  else
    exec 3>&1                       # our stdout, past the redirect of Bochs' own chatter
    com1="com1: enabled=1, mode=file, dev=/dev/fd/3"
  fi
  # Bochs allocates at most 2048 MiB of host memory; a larger guest pages through it
  local memline="megs: $megs"
  [ "$megs" -gt 2048 ] && memline="memory: guest=$megs, host=2048"
  cat > "$dir/bochsrc" <<RC
$memline
cpu: model=corei7_skylake_x, count=$cores, ips=$ips, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$(realpath "$iso"), status=inserted
boot: cdrom
$com1
$([ -n "$com2" ] && echo "com2: enabled=1, mode=file, dev=$com2")
display_library: rfb, options="timeout=0"
clock: sync=slowdown, time0=local
speaker: enabled=0
sound: driver=dummy
log: $dir/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
RC
  if [ -n "$gdb_port" ]; then
    # Bochs connects COM4 to a relay that gdb reaches on $gdb_port (tools/serial-relay.py)
    python3 "$(dirname "$0")/serial-relay.py" --gdb-port "$gdb_port" --emu-port-file "$dir/relay.port" &
    relay_pid=$!
    for _ in $(seq 50); do [ -s "$dir/relay.port" ] && break; sleep 0.1; done
    if [ -s "$dir/relay.port" ]; then
      echo "com4: enabled=1, mode=socket-client, dev=127.0.0.1:$(cat "$dir/relay.port")" >>"$dir/bochsrc"
      echo "emu.sh: the guest's COM4 (ttyS3) is on TCP port $gdb_port: gdb -ex 'target remote localhost:$gdb_port'" >&2
    else
      echo "emu.sh: WARNING: no gdb port: the relay could not listen on $gdb_port (taken? try GDB_PORT=...); booting without it" >&2
      kill "$relay_pid" 2>/dev/null || true
      relay_pid=
    fi
  fi
  printf 'c\nquit\n' > "$dir/cmds"
  ( cd "$dir" && run_bounded bochs -q -f bochsrc -rc cmds >"$dir/stdout" 2>&1 ) || rc=$?
  # (the relay usually ended with Bochs' side of the socket: a failed kill is fine)
  if [ -n "${relay_pid:-}" ]; then kill "$relay_pid" 2>/dev/null || true; fi
  if [ $rc -eq 124 ]; then
    rm -rf "$dir"; return 124
  fi
  # Bochs exits 1 even on a clean power-off; its log says which it was.
  if grep -qE 'ACPI control: (soft )?power off|[Ss]hutdown (port|requested)' \
       "$dir/bochs.log" "$dir/stdout" 2>/dev/null; then
    rc=0
    # Bochs' log lines start with the emulated tick (one per instruction and core)
    ticks=$(grep -hoE '^[0-9]+[a-z]\[(ACPI|SYS) *\]' "$dir/bochs.log" | tail -n 1 | grep -oE '^[0-9]+' || true)
    [ -n "$ticks" ] && echo "emu.sh: bochs powered off after $((10#$ticks)) emulated ticks" >&2
  else
    echo "emu.sh: bochs stopped without a power-off; last lines of its log:" >&2
    tail -n 15 "$dir/bochs.log" "$dir/stdout" >&2 || true
  fi
  rm -rf "$dir"
  return $rc
}

case $emu in
  bochs) command -v bochs >/dev/null || { echo "emu.sh: bochs is not installed (make setup)" >&2; exit 2; }
         run_bochs ;;
  qemu|qemu-plain|kvm) run_qemu ;;
esac
