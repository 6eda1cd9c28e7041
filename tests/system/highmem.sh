#!/usr/bin/env bash
# RAM above 4 GiB (issue 16): a 6 GiB machine.  The hypervisor maps the RAM
# above 4 GiB (its boot map stops at 4 GiB), gives it to Linux (e820, EPT)
# and puts the LXD pool at the top of RAM, above 4 GiB; Linux uses the high
# RAM (a tmpfs file whose pages come from zone Normal, read back intact) and
# runs an echo LXD from the high pool.  QEMU TCG + SVM: the memory split and
# Linux's EPT are backend-neutral code, and QEMU boots 6 GiB in seconds.
. "$(dirname "$0")/lib/boot.sh"

make -s -C "$ROOT" linux build/lxds.elf >/dev/null ||
  { fail "hypervisor, guest kernel, klxd and lxdctl build" "make linux build/lxds.elf failed"; exit 1; }

linux_modules "lxds.test=highmem"
boot highmem qemu "" --cores 2 --megs 6144 --timeout 600
expect "firmware reports RAM above 4 GiB" '^mem: +\[0x0001[0-9a-f]{8}-0x[0-9a-f]+\] +[0-9]+ KiB usable'
expect "hypervisor maps it" '^mem: RAM 0x100000000-0x[0-9a-f]+ \([0-9]+ MiB\) above 4 GiB mapped$'
expect_not "no RAM left unused" 'RAM above .* not used|not used: mapping it failed'
expect "allocator covers all of it" '^mem: 61[0-9]{2} MiB usable'
expect "LXD pool above 4 GiB" '^linux: 6[0-9]{3} MiB of RAM in [0-9]+ range\(s\); LXD pool 0x1[0-9a-f]{8}-'
expect "Linux sees ~6 GiB" '^lxds-guest: test highmem: MemTotal: (5[89][0-9]{5}|6[0-9]{6}) kB'
expect "zone Normal (above 4 GiB) populated" '^lxds-guest: test highmem: zone Normal present=[0-9]{6,} pages'
expect "tmpfs pages come from above 4 GiB" '^lxds-guest: test highmem: wrote 256 MiB to tmpfs; zone Normal free fell by (19[2-9]|2[0-9][0-9]) MiB'
expect "file reads back intact" "^lxds-guest: test highmem: checksum written '([0-9a-f]{32})  -' read '\\1  -'"
expect "echo LXD from the high pool answers" '^lxds-guest: test highmem: echo: ping: 10000/10000 replies correct'
expect "test passed" '^lxds-guest: test highmem exit=0'
expect_not "no oops" 'Kernel panic|BUG:|Oops|general protection'
expect_rc "powered off" 0
