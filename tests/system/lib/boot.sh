# Shared helpers for system tests (sourced).  A test boots an ISO in an
# emulator with a timeout, then asserts on the serial log:
#   boot NAME EMU "HV_CMDLINE" [emu.sh options...]   -> sets LOG, HVLOG and BOOT_RC
#     (BOOT_MODULES=(file|cmdline ...) adds Multiboot2 modules; linux_modules ARGS sets Linux's)
#   expect "check name" REGEX      -> PASS/FAIL on an extended regex in LOG (COM1)
#   expect_hv "check name" REGEX   -> the same in HVLOG (COM2: the hypervisor once Linux runs)
#   expect_not "check name" REGEX
#   expect_rc "check name" CODE    -> the emulator's exit status (0 = powered off)
#
# Backend parameter: LXDS_EMU=qemu runs every boot a script asks of "bochs"
# (the VT-x backend) in QEMU TCG with SVM instead (the SVM backend), and
# prefixes every check's name with "[qemu-svm] ", so the same script tests
# both backends (tests/system/svm_qemu.sh does that for a few of them).
set -u
LXDS_EMU=${LXDS_EMU:-}
CHECK_PREFIX=
[ -n "$LXDS_EMU" ] && CHECK_PREFIX="[$LXDS_EMU-svm] "
[ "$LXDS_EMU" = qemu ] || [ -z "$LXDS_EMU" ] ||
  { echo "FAIL: LXDS_EMU: '$LXDS_EMU' is not a backend (say qemu, or leave it unset for bochs)"; exit 1; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
HV_ELF=${HV_ELF:-$ROOT/build/lxds.elf}
WORK=$(mktemp -d /tmp/lxds-systest.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LOG=
HVLOG=
BOOT_RC=0
BOOT_MODULES=()

# Linux with its initramfs, and its kernel command line: linux_modules "ARGS..."
linux_modules() {
  BOOT_MODULES=("$ROOT/build/linux/bzImage|linux console=ttyS0 quiet $*"
                "$ROOT/build/linux/initramfs.cpio.lz4|initrd")
}
TAIL_SHOWN=

pass() { echo "PASS: $CHECK_PREFIX$1"; }
fail() {
  echo "FAIL: $CHECK_PREFIX$1: $2"
  if [ -z "$TAIL_SHOWN" ] && [ -n "$LOG" ]; then
    TAIL_SHOWN=1
    echo "---- last 30 lines of $(basename "$LOG") ----"
    tr -d '\r' < "$LOG" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | tail -n 30
    echo "----"
  fi
}

boot() {
  local name=$1 emu=$2 cmdline=$3
  shift 3
  [ "$emu" = bochs ] && [ -n "$LXDS_EMU" ] && emu=$LXDS_EMU
  # The default split gives Linux half the cores (all but the LXDs'): most
  # tests are about one thing on Linux's boot core, and Linux's SMP start
  # costs minutes of Bochs, so they ask for linux_cores=1 unless they say
  # otherwise (a split option of their own, or BOOT_DEFAULT_SPLIT=1).
  if [ -z "${BOOT_DEFAULT_SPLIT:-}" ] && [[ " $cmdline " != *" linux_cores="* ]] &&
     [[ " $cmdline " != *" lxd_cores="* ]]; then
    cmdline="${cmdline:+$cmdline }linux_cores=1"
  fi
  local iso=$WORK/$name.iso
  LOG=$WORK/$name.log
  HVLOG=$WORK/$name.com2.log
  TAIL_SHOWN=
  if ! "$ROOT/tools/mkiso.sh" "$iso" "$HV_ELF" "$cmdline" ${BOOT_MODULES[@]+"${BOOT_MODULES[@]}"}; then
    LOG=
    fail "$name: make ISO" "tools/mkiso.sh failed; the boot and its checks did not run"
    exit 1
  fi
  BOOT_RC=0
  : > "$HVLOG"
  flock /tmp/lxds-heavy.lock "$ROOT/tools/emu.sh" "$emu" --iso "$iso" --log "$LOG" --com2 "$HVLOG" "$@" || BOOT_RC=$?
  # keep a copy for whoever debugs a failure
  mkdir -p "$ROOT/build/test-logs" && cp "$LOG" "$ROOT/build/test-logs/$name.log" &&
    cp "$HVLOG" "$ROOT/build/test-logs/$name.com2.log"
  return 0
}

expect() {
  if tr -d '\r' < "$LOG" | grep -qE -- "$2"; then pass "$1"; else fail "$1" "no line matching /$2/ in the serial log"; fi
}

expect_hv() {
  if tr -d '\r' < "$HVLOG" | grep -qE -- "$2"; then pass "$1"
  else
    fail "$1" "no line matching /$2/ in the hypervisor's COM2 log"
    echo "---- last 15 lines of $(basename "$HVLOG") ----"; tr -d '\r' < "$HVLOG" | tail -n 15; echo "----"
  fi
}

expect_not() {
  if tr -d '\r' < "$LOG" | grep -qE -- "$2"; then fail "$1" "unexpected line matching /$2/"; else pass "$1"; fi
}

expect_rc() {
  if [ "$BOOT_RC" -eq "$2" ]; then pass "$1"
  elif [ "$BOOT_RC" -eq 124 ]; then fail "$1" "the run hung until the timeout"
  else fail "$1" "emulator exit status $BOOT_RC, expected $2"; fi
}
