#!/usr/bin/env bash
# Linux on several cores (issue 16): Bochs (VT-x) with 4 cores and the
# default split (half the cores for LXDs, the rest, 2, for Linux).  Linux starts its second core with INIT-SIPI-SIPI, which
# the hypervisor emulates (a vCPU of the Linux domain on core 1, in real
# mode at the SIPI vector); the MADT shows it cores 0 and 1 only.  In the
# guest (/tests/lxd-smp.sh): nproc and /proc/cpuinfo say 2, a busy loop
# pinned to each core, an echo LXD on core 2 or 3 pinged from CPU 1 and
# CPU 0 over a channel each (issue 16: --channels 2; /proc/lxd_channels'
# counts), then from both at once, every reply checked, klxd_call from CPU
# 1 over channel 1, a hostile domain that breaks channel 1 while CPU 0
# is answered on channel 0, and klxd_kattack's INIT/SIPI to the
# hidden cores, dropped.  Then the command-line refusals (linux_cores too
# large, no core left for LXDs, not a number).  LXDS_EMU=qemu runs the
# same under SVM (svm_qemu.sh does): the SIPI starts a real-mode vCPU
# under nested paging, and the hotplug's INIT resets a running core
# through an NMI (SVM has no preemption timer).
#   bash tests/system/linux_smp.sh      (needs make iso linux; ~5 min of Bochs)
. "$(dirname "$0")/lib/boot.sh"

make -s -C "$ROOT" linux build/lxds.elf >/dev/null ||
  { fail "hypervisor, guest kernel, klxd and lxdctl build" "make linux build/lxds.elf failed"; exit 1; }

expect_hv_not() { if tr -d '\r' < "$HVLOG" | grep -qE -- "$2"; then fail "$1" "$(tr -d '\r' < "$HVLOG" | grep -E -- "$2" | head -n 1)"; else pass "$1"; fi; }

linux_modules "lxds.test=lxd-smp"
BOOT_DEFAULT_SPLIT=1 boot linux-smp bochs "" --cores 4 --megs 512 --timeout 900
expect "default split: 2 cores for Linux, 2 for LXDs" '^cores: 2 for Linux, 2 for LXDs$'
expect "MADT shows Linux its 2 cores" '^acpi: MADT shows Linux 2 core\(s\); 2 hidden'
expect_hv "Linux's INIT-SIPI starts core 1 in real mode" '^linux: cpu 1 started by Linux.s INIT-SIPI: real mode at 0x[0-9a-f]+:0000'
expect_hv "Linux's second SIPI to a started core is ignored" '^apic: linux/0: SIPI to its cpu 1 \(APIC ID 0x1\): it has left wait-for-SIPI: ignored'
expect "Linux reaches userspace" '^lxds-guest: ready'
expect "nproc = 2" '^lxds-guest: test lxd-smp: nproc=2$'
expect "/proc/cpuinfo shows 2 processors" '^lxds-guest: test lxd-smp: cpuinfo processors=2$'
expect "both busy loops finish" '^lxds-guest: test lxd-smp: busy loops: cpu0=[0-9]+ cpu1=[0-9]+'
expect "echo LXD on a core of its own" '^lxds-guest: test lxd-smp: echo runs on core [23]$'
expect "ping from CPU 1: every reply right, over channel 1 of 2" '^lxds-guest: test lxd-smp:   ping: 2000/2000 replies correct.*cpu 1, channel 1 of 2\)$'
expect "ping from CPU 0: every reply right, over channel 0 of 2" '^lxds-guest: test lxd-smp:   ping: 2000/2000 replies correct.*cpu 0, channel 0 of 2\)$'
expect "pings from CPU 0 and CPU 1 at once: CPU 0 over channel 0, every reply right" '^lxds-guest: test lxd-smp: cpu0: ping: ([0-9]+)/\1 replies correct.*cpu 0, channel 0 of 2\) \(exit 0\)$'
expect "pings from CPU 0 and CPU 1 at once: CPU 1 over channel 1, every reply right" '^lxds-guest: test lxd-smp: cpu1: ping: ([0-9]+)/\1 replies correct.*cpu 1, channel 1 of 2\) \(exit 0\)$'
expect "per-channel counts: each ping's slots on its own channel, the two runs overlapping in time" '^lxds-guest: test lxd-smp: simultaneous pings: channel 0 \+([0-9]+) sent \+\1 received, channel 1 \+\1 sent \+\1 received; runs overlap: yes \(TSC cpu0 [0-9]+\.\.[0-9]+, cpu1 [0-9]+\.\.[0-9]+\); both moving in [0-9]+ samples$'
expect "klxd_call from CPU 1 goes over channel 1 alone" '^lxds-guest: test lxd-smp: klxd_call from CPU 1: channel 1 \+500, channel 0 \+0$'
expect_hv "the echo LXD attached both channels" '^lxd echo: echo: ready on channel 1 of 2 at 0x21000000'
expect "hostile domain, channel 1 broken: CPU 1's ping fails with an error" '^lxds-guest: test lxd-smp: xchan: cpu1 \(broken channel 1\): exit 1: .*lxdctl: ping xchan'
expect "hostile domain: CPU 0's ping over channel 0 at the same time gets every reply" '^lxds-guest: test lxd-smp: xchan: cpu0 \(channel 0\) at the same time: exit 0$'
expect "hostile domain destroyed" '^lxds-guest: test lxd-smp: \$ lxdctl destroy xchan  \(exit 0\)$'
expect "lxdctl info: core 0 runs Linux" '^lxds-guest: test lxd-smp:   core 0: Linux$'
expect "lxdctl info: core 1 runs Linux" '^lxds-guest: test lxd-smp:   core 1: Linux$'
expect "lxdctl info: the echo LXD on its core, by name" '^lxds-guest: test lxd-smp:   core [23]: LXD echo$'
expect "lxdctl info: the other LXD core free" '^lxds-guest: test lxd-smp:   core [23]: free for an LXD$'
expect "the test reached its end" '^lxds-guest: test lxd-smp: smp: done'
expect "the test passed" '^lxds-guest: test lxd-smp exit=0'
expect_not "no FAIL line" '^lxds-guest: test lxd-smp: FAIL'
expect_not "no kernel panic, oops or BUG" 'Kernel panic|BUG:|Oops|general protection'
expect "a hypercall's buffer rewritten by Linux's other CPU during the call: one copy checked and loaded" '^lxds-guest: test lxd-smp:   dmesg: .*klxd_hcrace: 100 CREATE calls while Linux.s CPU 1 rewrote the image: [0-9]+ created \(heap 64 KiB [1-9][0-9]*, 128 KiB [1-9][0-9]*\), [0-9]+ refused; 0 inconsistent \(checked one image, loaded another\); pool free back'
expect_hv "INIT to a hidden core from CPU 1 dropped" '^apic: linux/1: IPI INIT vector [0-9a-fx]+ to physical APIC ID 0x[23] dropped: Linux may send only fixed and lowest-priority IPIs'
expect_hv "SIPI to a hidden core from CPU 1 dropped" '^apic: linux/1: IPI SIPI vector 0x10 to physical APIC ID 0x[23] dropped'
expect "hypercall stress from CPU 0 and CPU 1 at once: every round, nothing leaked" '^lxds-guest: test lxd-smp: hypercall stress: cpu0 ([0-9]+)/\1 rounds, cpu1 \1/\1 rounds; pool free ([0-9]+) \(before \2\); domains left: 0'
expect "INIT-SIPI-SIPI sent to the hidden cores" 'dmesg: .*INIT, INIT de-assert, SIPI, SIPI sent to APIC ID 3'
expect_hv_not "none of them started" '^linux: cpu [23] started'
# Linux's CPU hotplug: cpu1 offline, then online (INIT-SIPI-SIPI to a running core of its own)
expect_hv "hotplug: INIT to the offlined cpu1 resets its vCPU" '^linux: INIT to its running cpu 1: its vCPU is stopped'
expect_hv "hotplug: the core waits for a SIPI" '^linux: cpu 1 reset by Linux.s INIT'
expect "hotplug: cpu1 offline" '^lxds-guest: test lxd-smp: after offline: online=0 nproc=1'
expect "hotplug: cpu1 online again" '^lxds-guest: test lxd-smp: after online: online=0-1 nproc=2'
expect "hotplug: a busy loop on cpu1 after it" '^lxds-guest: test lxd-smp: busy loop on cpu1 after the hotplug: [0-9]+'
expect_hv_not "no Linux core stopped" '^linux: (the guest|its cpu [0-9]+) stopped'
expect_hv_not "no VM-entry failure" 'VM entry failed|VMLAUNCH failed|VMRESUME failed'
expect_rc "Linux powered off" 0

# Linux on three cores (lxd_cores=1 of 4): three callers at once, each on
# its own channel, to the echo LXD on the one LXD core (guest:
# /tests/lxd-smp3.sh).  Linux idles in HLT (guest CPUID offers no MWAIT):
# with MWAIT, Bochs let a core sleep through its wake-up and this boot
# never reached the shell.
linux_modules "lxds.test=lxd-smp3"
boot linux-smp3 bochs "lxd_cores=1" --cores 4 --megs 512 --timeout 900
expect "lxd_cores=1 of 4: 3 cores for Linux" '^cores: 3 for Linux, 1 for LXDs$'
expect "nproc = 3" '^lxds-guest: test lxd-smp3: nproc=3$'
expect "/proc/cpuinfo shows 3 processors" '^lxds-guest: test lxd-smp3: cpuinfo processors=3$'
expect "three busy loops at once finish" '^lxds-guest: test lxd-smp3: busy loops at once: cpu0=[0-9]+ cpu1=[0-9]+ cpu2=[0-9]+$'
expect "echo on the LXD core" '^lxds-guest: test lxd-smp3: echo runs on core 3$'
for c in 0 1 2; do
  expect "three callers at once: CPU $c over channel $c of 3, every reply right" "^lxds-guest: test lxd-smp3: cpu$c: ping: ([0-9]+)/\\1 replies correct.*cpu $c, channel $c of 3\\) \\(exit 0\\)\$"
done
expect "the three runs overlap in time, each channel's counts exact" '^lxds-guest: test lxd-smp3: three pings at once: channel 0 \+([0-9]+)/\+\1 channel 1 \+\1/\+\1 channel 2 \+\1/\+\1 \(sent/received\); all three running together: yes'
expect "lxdctl info: core 2 runs Linux" '^lxds-guest: test lxd-smp3:   core 2: Linux$'
expect "lxdctl info: core 3 runs the echo LXD" '^lxds-guest: test lxd-smp3:   core 3: LXD echo$'
expect "the test passed" '^lxds-guest: test lxd-smp3 exit=0'
expect_not "no FAIL line" '^lxds-guest: test lxd-smp3: FAIL'
expect_not "no kernel panic, oops or BUG" 'Kernel panic|BUG:|Oops|general protection'
expect_hv_not "no Linux core stopped" '^linux: (the guest|its cpu [0-9]+) stopped'
expect_rc "Linux powered off" 0

# the command line refuses a split it cannot make, in one line, at once
boot smp-too-many qemu "linux_cores=5" --cores 4 --megs 256 --timeout 200
expect "linux_cores=5 of 4: refused" '^(error: )?cmdline: linux_cores=5 exceeds the 4 core\(s\) online'
expect "and the boot stops" '^lxds: refusing to boot with this split of the cores'
boot smp-no-lxd qemu "linux_cores=4" --cores 4 --megs 256 --timeout 200
expect "linux_cores=4 of 4: no LXD core left, refused" '^(error: )?cmdline: linux_cores=4 leaves no core for LXDs \(4 online\)'
boot smp-bad qemu "linux_cores=two" --cores 2 --megs 256 --timeout 200
expect "linux_cores=two: refused" "^(error: )?cmdline: linux_cores: 'two' is not a core count"

# A SIPI with no INIT before it, to a core of Linux's that Linux has not
# started (Linux boots 2 of its 3 cores: maxcpus=2): ignored, as the CPU
# does; Linux's hotplug then starts that core.  The AP state machine is
# the same code under both backends (domains/linux.c): this boot runs
# under QEMU (seconds; in Bochs a 3-core Linux takes minutes).
linux_modules "lxds.test=lxd-smp-sipi maxcpus=2"
boot smp-sipi qemu "lxd_cores=1" --cores 4 --megs 512 --timeout 300
expect "Linux has 3 cores, 2 started at boot" '^lxds-guest: test lxd-smp-sipi: nproc=2 present=0-2 online=0-1$'
expect_hv "the lone SIPI: ignored, and why" '^apic: linux/[01]: SIPI to its cpu 2 \(APIC ID 0x2\): no INIT before it \(the core is not waiting for a SIPI\): ignored'
expect "the lone SIPI started nothing" '^lxds-guest: test lxd-smp-sipi: after the lone SIPI: online=0-1$'
expect_hv "Linux's hotplug starts cpu 2 (INIT-SIPI)" '^linux: cpu 2 started by Linux.s INIT-SIPI: real mode'
expect "cpu2 online" '^lxds-guest: test lxd-smp-sipi: after online: online=0-2 nproc=3$'
expect "a busy loop on cpu2" '^lxds-guest: test lxd-smp-sipi: busy loop on cpu2: 2000$'
expect "lxdctl info: core 2 runs Linux" '^lxds-guest: test lxd-smp-sipi:   core 2: Linux$'
expect "lxdctl info: core 3 is the LXDs'" '^lxds-guest: test lxd-smp-sipi:   core 3: free for an LXD$'
expect "the test passed" '^lxds-guest: test lxd-smp-sipi exit=0'
expect_hv_not "no Linux core stopped" '^linux: (the guest|its cpu [0-9]+) stopped'
expect_rc "Linux powered off" 0
