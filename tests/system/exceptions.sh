#!/usr/bin/env bash
# The exception handlers: a page fault raised on purpose on the boot core is
# reported by name with CR2, RIP and registers, and the machine powers off
# (no hang); a breakpoint is reported and the boot goes on.
. "$(dirname "$0")/lib/boot.sh"

boot exc-pf bochs "test_exception=pf" --cores 1 --timeout 120
expect "#PF named" '^EXCEPTION #PF \(Page Fault, vector 14\) on cpu 0, error code 0$'
expect "faulting address decoded" 'page fault at CR2=0xffff800000000000: page not present, read access, supervisor mode'
expect "RIP and registers dumped" '^  RIP=[0-9a-f]{16} CS=0008 RFLAGS='
expect "GPRs dumped" '^  RAX=[0-9a-f]{16} RBX='
expect "boot core stops the machine" '^the boot core cannot go on: powering off'
expect_not "did not go on booting" 'cores online'
expect_rc "powered off" 0

boot exc-bp bochs "test_exception=bp" --cores 1 --timeout 120
expect "#BP named" '^EXCEPTION #BP \(Breakpoint, vector 3\) on cpu 0'
expect "resumes after a breakpoint" '^breakpoint: resuming at 0x'
expect "boot went on" '^1 cores online'
expect_rc "powered off" 0
