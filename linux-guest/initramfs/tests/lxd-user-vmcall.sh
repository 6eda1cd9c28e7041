#!/bin/sh
# VMCALL from guest user space is refused: the hypervisor injects #UD, Linux
# delivers SIGILL, and Linux goes on.
. /tests/lxd-lib.sh
run /bin/lxd-user-vmcall
printf '%s\n' "$OUT" | grep -q 'raised SIGILL (#UD)' || fail "user-space vmcall was not refused with #UD"
[ "$RC" = 0 ] || fail "lxd-user-vmcall exit $RC"
# Linux still works, and so do the real (kernel) hypercalls.
ensure_module
run lxdctl info || fail "lxdctl info after the user vmcall"
say "user-space vmcall got SIGILL (#UD); Linux goes on"
