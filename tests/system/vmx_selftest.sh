#!/usr/bin/env bash
# VT-x on every core, proven by the built-in self-test guests (command line
# `selftest`): each AP runs one small 64-bit guest per test in its own EPT,
# and every outcome is printed by name.  Also checks the decoded VM-entry
# failures of two deliberately broken VMCSs, and that no frame leaked.
. "$(dirname "$0")/lib/boot.sh"

CORES=4
boot vmx-selftest bochs "selftest" --cores $CORES --megs 512 --timeout 400
expect "VMX capabilities read" '^vmx: VMCS revision 0x[0-9a-f]+, true controls, EPT'
for c in $(seq 0 $((CORES - 1))); do
  expect "cpu $c: VMXON" "^cpu $c: VMXON done"
done
declare -A outcome=(
  [vmcall]='stopped on request +PASS: echo 41 -> 42, handled and resumed'
  [cpuid]='stopped on request +PASS: VMX hidden, hypervisor bit set, leaf 0x40000000 says lxds'
  [ept-violation]='EPT violation +PASS: GPA 0x40000000 at RIP'
  [hlt]='halted +PASS'
  [triple-fault]='triple fault +PASS'
  [endless-loop]='watchdog \(no progress\) +PASS'
  [isolation]='stopped on request +PASS: first wrote 0x5ec12e75ec12e7, second read 0, EPTs disjoint'
  [user-vmcall]='stopped on request +PASS: ring-3 VMCALL got #UD'
  [bad-control]='VM entry failed +PASS: decoded \(detail 0x7\)'
  [bad-guest-state]='VM entry failed +PASS: decoded \(detail 0x80000021\)'
)
for c in $(seq 1 $((CORES - 1))); do
  for t in vmcall cpuid ept-violation hlt triple-fault endless-loop isolation user-vmcall bad-control bad-guest-state; do
    expect "cpu $c: $t" "^selftest cpu $c: $t +${outcome[$t]}"
  done
done
expect "EPT violation decoded" 'exit EPT violation \(reason 48\), read at GPA 0x40000000; the page is not mapped'
expect "VMLAUNCH failure named" 'VMLAUNCH failed: VM-instruction error 7 \(VM entry with invalid control field\(s\)\)'
expect "guest-state failure named" 'VM entry failed: VM-entry failure: invalid guest state \(exit reason 33'
expect "VMCS dump on failure" 'GUEST_CR0 +0x0000000000000000$'
expect "no frame leaked" '^selftest: no frame leaked'
expect "tally" "^selftest: $((10 * (CORES - 1))) passed, 0 failed"
expect_not "no exception or panic" '^EXCEPTION|PANIC|did not finish'
expect_rc "powered off cleanly" 0
