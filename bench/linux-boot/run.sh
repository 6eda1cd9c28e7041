#!/usr/bin/env bash
# Benchmark (not a test): the cost of running Linux deprivileged.  Boots the
# same guest kernel and initramfs (test "hello", then power-off) in Bochs,
# once directly from GRUB and once under the hypervisor, one core each, and
# compares emulated instructions from power-on to power-off.  In Bochs the
# clock is the instruction count (one tick per emulated instruction), so the
# figures are exact and repeatable, unlike wall time.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${1:-docs/bench-linux-boot.md}
work=$(mktemp -d /tmp/lxds-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

make -s iso linux-direct-iso >/dev/null
tools/mkiso.sh "$work/hv.iso" build/lxds.elf "" \
  "build/linux/bzImage|linux console=ttyS0 quiet lxds.test=hello" \
  "build/linux/initramfs.cpio.lz4|initrd"

# one emulator at a time on this machine; hold the lock for both runs so the
# wall times measure the boots, not the wait
exec 9>/tmp/lxds-heavy.lock
flock 9

run() {  # name iso -> "ticks seconds"
  local start end ticks
  start=$(date +%s.%N)
  tools/emu.sh bochs --iso "$2" --log "$work/$1.log" --cores 1 \
    --timeout 300 2> "$work/$1.err" || { echo "bench: $1 boot failed:" >&2; tail "$work/$1.err" >&2; exit 1; }
  end=$(date +%s.%N)
  grep -q 'lxds-guest: test hello exit=0' "$work/$1.log" || { echo "bench: $1 did not run the guest test" >&2; exit 1; }
  ticks=$(grep -oE 'after [0-9]+ emulated ticks' "$work/$1.err" | grep -oE '[0-9]+')
  echo "$ticks $(echo "$end - $start" | bc)"
}

read -r direct_ticks direct_s < <(run direct build/linux/linux-direct.iso)
read -r hv_ticks hv_s < <(run hypervisor "$work/hv.iso")
ratio=$(echo "scale=3; $hv_ticks / $direct_ticks" | bc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')

table=$(cat <<TXT
| boot (Bochs 2.7, corei7_skylake_x, 1 core, 512 MiB) | emulated instructions to power-off | wall time |
| --- | ---: | ---: |
| Linux directly from GRUB | $direct_ticks | ${direct_s%.*} s |
| Linux under the lxds hypervisor (VMX non-root, EPT) | $hv_ticks | ${hv_s%.*} s |
| ratio hypervisor / direct | $ratio | |
TXT
)
echo "$table"
{
  echo "# Benchmark: Linux boot, direct vs. under the hypervisor"
  echo
  echo "Measured $(date -u +%Y-%m-%d) on: $cpu, $(nproc) vCPUs, Debian $(cat /etc/debian_version)."
  echo "Reproduce with \`make bench-linux-boot\` (part of \`make bench\`)."
  echo
  echo "$table"
  echo
  echo "Both boots run the BIOS, GRUB, the same kernel and initramfs, the \`hello\`"
  echo "test and an ACPI power-off. Under the hypervisor the count also includes the"
  echo "hypervisor's own boot (memory map, VMXON, the bzImage copy, EPT set-up) and"
  echo "every VM exit Linux causes (CPUID, CR writes, XSETBV, intercepted ports)."
  echo "Bochs counts one tick per emulated instruction, so the ratio is exact for"
  echo "this emulator; it says nothing about VM-exit latency on real hardware."
} > "$out"
echo "bench: wrote $out"
