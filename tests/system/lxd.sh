#!/usr/bin/env bash
# LXDs end to end (issue 6), Linux's side: the hypervisor boots Linux in
# Bochs with 4 cores (Linux on core 0, LXDs on 1-3); the klxd module and
# lxdctl in the initramfs load, run, ping, stop and destroy LXD images by
# hypercall.  One boot per initramfs test (linux-guest/initramfs/tests/lxd-*.sh);
# checks the guest's COM1 lines and the hypervisor's COM2 log.
#   LXD_TESTS="basic echo" bash tests/system/lxd.sh   runs only some of them
. "$(dirname "$0")/lib/boot.sh"

# `make linux` builds klxd.ko and lxdctl too: they are in the initramfs (INITRAMFS_EXTRA).
make -s -C "$ROOT" linux build/lxds.elf >/dev/null ||
  { fail "hypervisor, guest kernel, klxd and lxdctl build" "make linux build/lxds.elf failed"; exit 1; }

TESTS=${LXD_TESTS:-basic echo two bad probe user-vmcall kapi cycles}
want() { [[ " $TESTS " == *" $1 "* ]]; }

# lxdtest NAME TIMEOUT: boots the hypervisor with Linux running /tests/lxd-NAME.sh
lxdtest() {
  linux_modules "lxds.test=lxd-$1"
  boot "lxd-$1" bochs "" --cores 4 --megs 512 --timeout "$2"
  expect "lxd-$1: Linux reaches userspace" '^lxds-guest: ready'
  expect_not "lxd-$1: no FAIL line" "^lxds-guest: test lxd-$1: FAIL"
  expect_not "lxd-$1: no kernel panic, oops or BUG" 'Kernel panic|BUG:|Oops|general protection'
  if tr -d '\r' < "$HVLOG" | grep -qE '^linux: the guest stopped'; then
    fail "lxd-$1: Linux kept running" "$(tr -d '\r' < "$HVLOG" | grep -E '^linux: the guest stopped' | head -n 1)"
  else
    pass "lxd-$1: Linux kept running"
  fi
}
# passed_rc NAME: init's exit line for the test, then the power-off.  The
# console output queued just before poweroff -f is sometimes cut off (the
# UART is not drained; seen once in lxd-echo): then the script's own last
# line, printed only when it got to its end, stands in for init's, as long
# as no failing exit line is there.
passed_rc() {
  local clean
  clean=$(tr -d '\r' < "$LOG")
  if grep -qE "^lxds-guest: test lxd-$1 exit=0" <<<"$clean"; then
    pass "lxd-$1: test passed"
  elif ! grep -qE "test lxd-$1 exit=[1-9]" <<<"$clean" && grep -qE "^lxds-guest: test lxd-$1: $2" <<<"$clean"; then
    pass "lxd-$1: test passed (its last line is there; init's exit line was cut off at power-off)"
  else
    fail "lxd-$1: test passed" "no line 'lxds-guest: test lxd-$1 exit=0' in the serial log"
  fi
  expect_rc "lxd-$1: Linux powered off" 0
}

if want basic; then
  lxdtest basic 300
  expect "basic: klxd found lxds and its ABI" 'klxd: lxds hypervisor, ABI 1\.[0-9]+'
  expect "basic: /dev/lxd appears" 'test lxd-basic: \$ insmod /lib/modules/klxd.ko  \(exit 0\)'
  expect "basic: lxdctl info answers (LXDS_HC_VERSION, INFO)" 'test lxd-basic:   abi: 1\.[0-9]+ \(klxd 1, built for 1\.[0-9]+\)'
  expect "basic: LXD cores 1-3" 'test lxd-basic:   cpus: 4, LXD cores: 1,2,3 '
  expect "basic: pool size" 'test lxd-basic:   pool: [1-9][0-9]* bytes, [0-9]+ free'
  expect "basic: list header, no domains" 'test lxd-basic:   ID +NAME +STATE'
  expect "basic: /proc/lxd" 'test lxd-basic:   # id name state core exits reason'
  expect "basic: missing domain refused clearly" "test lxd-basic:   lxdctl: no domain 7: no such domain"
  expect "basic: unknown command gives usage" "test lxd-basic:   lxdctl: unknown command 'frobnicate'"
  expect "basic: log read (LXDS_HC_LOG_READ)" 'test lxd-basic: hypervisor log: [1-9][0-9]* bytes'
  expect "basic: rmmod" 'test lxd-basic: klxd loaded, answered and unloaded'
  passed_rc basic 'klxd loaded, answered and unloaded'
fi

if want echo; then
  lxdtest echo 900
  expect "echo: 'lxdctl load /lib/lxd/echo.lxd && lxdctl ping echo' on a fresh boot" 'test lxd-echo: \$ sh -c lxdctl load /lib/lxd/echo\.lxd && lxdctl ping echo  \(exit 0\)'
  expect "echo: loaded" 'test lxd-echo:   loaded echo as domain [0-9]+'
  expect "echo: lxdctl loaded klxd itself" 'klxd: lxds hypervisor, ABI 1\.[0-9]+|test lxd-echo:   ping: 1000/1000 replies correct'
  expect "echo: started on an LXD core" 'test lxd-echo:   started echo on core [1-3]'
  expect "echo: status running on its own core" "test lxd-echo:   domain [0-9]+ 'echo': running on core [1-3]"
  expect "echo: 100000 verified round trips" 'test lxd-echo:   ping: 100000/100000 replies correct, [0-9]+ cycles per round trip, [0-9]+ round trips/s'
  expect "echo: batched round trips" 'test lxd-echo:   ping: 10000/10000 replies correct, .*\(batch 16,'
  expect "echo: ping of a stopped domain fails clearly" 'test lxd-echo:   lxdctl: ping echo: the domain is stopped'
  expect "echo: pool back to its starting size" 'test lxd-echo: pool back to [0-9]+ bytes'
  expect_hv "echo: hypervisor created it" "lxd: created domain [0-9]+ 'echo'"
  expect_hv "echo: channel granted" "lxd: domain [0-9]+ 'echo' granted 1 page\(s\) of Linux at 0x[0-9a-f]+"
  expect_hv "echo: ran on an LXD core" '^lxd echo: running on cpu [1-3]'
  expect_hv "echo: the LXD counted 100000 requests" "^lxd echo: echo: 100000 requests"
  expect_hv "echo: stopped on request" '^lxd echo: stopped on cpu [1-3]'
  expect_hv "echo: destroyed, memory back" "lxd: destroyed domain [0-9]+ 'echo'; [0-9]+ KiB back to the pool"
  passed_rc echo 'echo: [0-9]+ verified round trips, stopped, destroyed, nothing leaked'
  # round-trip figures for whoever reads the test output
  tr -d '\r' < "$LOG" | grep -E 'test lxd-echo:   ping:' | sed 's/^/  figures: /'
fi

if want two; then
  lxdtest two 600
  expect "two: both run at once on two cores" 'test lxd-two: echo-a on core [1-3], echo-b on core [1-3]'
  expect "two: echo-a answered" 'test lxd-two: echo-a: ping: [0-9]+/[0-9]+ replies correct'
  expect "two: echo-b answered" 'test lxd-two: echo-b: ping: [0-9]+/[0-9]+ replies correct'
  expect_hv "two: echo-a ran" '^lxd echo-a: running on cpu [1-3]'
  expect_hv "two: echo-b ran" '^lxd echo-b: running on cpu [1-3]'
  passed_rc two 'two echo LXDs on cores'
fi

if want bad; then
  lxdtest bad 600
  expect "bad: images refused with a reason" 'test lxd-bad: refused: .*\.lxd: lxdctl: '
  expect "bad: all refused, pool unchanged" 'test lxd-bad: [1-9][0-9]* malformed images refused, pool unchanged'
  expect_hv "bad: the hypervisor says why" "lxd: refused to create '[^']+' from [0-9]+ bytes"
  expect_not "bad: no domain ran" 'test lxd-bad:   started '
  passed_rc bad '[0-9]+ malformed images refused'
fi

if want probe; then
  lxdtest probe 600
  expect "probe: status says EPT violation, address and RIP" 'test lxd-probe: probe died: crashed: EPT violation at GPA 0x[0-9a-f]+, RIP 0x[0-9a-f]+'
  expect "probe: echo still answers" 'test lxd-probe:   ping: 1000/1000 replies correct'
  expect "probe: Linux goes on" 'test lxd-probe: Linux goes on after the probe'
  expect_hv "probe: crash logged, only the probe stopped" '^lxd probe: CRASHED on cpu [1-3]: .*EPT.*only this domain was stopped'
  passed_rc probe 'Linux goes on after the probe'
fi

if want user-vmcall; then
  lxdtest user-vmcall 300
  expect "user-vmcall: SIGILL (#UD)" 'test lxd-user-vmcall:   lxd-user-vmcall: vmcall at CPL 3 raised SIGILL \(#UD\)'
  expect_not "user-vmcall: the vmcall did not return" 'vmcall RETURNED to user space'
  expect "user-vmcall: Linux goes on" 'test lxd-user-vmcall: user-space vmcall got SIGILL'
  passed_rc user-vmcall 'user-space vmcall got SIGILL'
fi

if want kapi; then
  lxdtest kapi 300
  expect "kapi: 1000 klxd_call()s correct" 'test lxd-kapi: dmesg: .*klxd_apitest: 1000/1000 calls to domain [0-9]+ correct'
  expect "kapi: klxd pinned while used" 'test lxd-kapi: \$ rmmod klxd  \(exit [1-9]'
  expect "kapi: missing domain refused" 'klxd_apitest: klxd_channel_get\(99\) failed: -2'
  passed_rc kapi '1000 klxd_call\(\)s from another module answered correctly'
fi

if want cycles; then
  lxdtest cycles 1500
  expect "cycles: progress" 'test lxd-cycles: cycle 200: pool free [0-9]+ bytes'
  expect "cycles: nothing leaked" 'test lxd-cycles: 200 load/destroy cycles and an unload with a running domain: pool back at [0-9]+ bytes'
  expect_hv "cycles: unload destroyed the running domain" "lxd: destroyed domain [0-9]+ 'last'"
  passed_rc cycles '[0-9]+ load/destroy cycles and an unload'
fi
