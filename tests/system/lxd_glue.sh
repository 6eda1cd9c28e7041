#!/usr/bin/env bash
# Issue 11's end-to-end example in Bochs (docs/idl.md "A misc device"):
# lxd-sdk/kenv/drivers/lxdecho/lxdecho.c, an ordinary misc-device module,
# (a) insmod'ed into Linux and (b) built unmodified into an LXD whose file
# operations Linux calls through the IDL glue (lxdecho_glue.ko: idlc's
# lxdecho_linux.c on klxd's glue backend; the domain: lxdecho_domain.c on
# the async backend).  linux-guest/initramfs/tests/lxd-lxdecho.sh runs the
# same shell exercise (echo/cat, 601 bytes, 7-byte reads, 6 concurrent
# loops) against both; here we check each step and that both printed the
# same result.
. "$(dirname "$0")/lib/boot.sh"

make -s -C "$ROOT" linux build/lxds.elf >/dev/null ||
  { fail "hypervisor, guest kernel, klxd, lxdecho and its LXD image build" "make linux build/lxds.elf failed"; exit 1; }

linux_modules "lxds.test=lxd-lxdecho"
boot lxd-lxdecho bochs "" --cores 4 --megs 512 --timeout 1500
expect "Linux reaches userspace" '^lxds-guest: ready'
expect_not "no FAIL line" '^lxds-guest: test lxd-lxdecho: FAIL'
expect_not "no kernel panic, oops or BUG in Linux" 'Kernel panic|BUG:|Oops|general protection'

for how in module lxd; do
  expect "$how: echo hello; cat gives hello" "test lxd-lxdecho: $how: echo hello > /dev/lxdecho; cat /dev/lxdecho: 'hello'"
  expect "$how: 6 concurrent loops" "test lxd-lxdecho: $how: 6 concurrent shell loops x 20 echo/cat: every read one whole write"
  expect "$how: result line" "test lxd-lxdecho: RESULT $how: 'hello' 600 600 01234567890123456789"
done
res() { tr -d '\r' < "$LOG" | sed -n "s/.*test lxd-lxdecho: RESULT $1: //p" | head -n 1; }
if [ -n "$(res module)" ] && [ "$(res module)" = "$(res lxd)" ]; then
  pass "the module and the LXD printed the same ($(res lxd))"
else
  fail "the module and the LXD printed the same" "module '$(res module)', lxd '$(res lxd)'"
fi
expect_hv "lxd: module_init ran in the domain under the glue" '^lxd lxdecho: kenv: module_init done \(glue: serving Linux.s calls\)'
expect_hv "lxd: the driver's misc_register crossed and returned the real minor" '^lxd lxdecho: lxdecho: /dev/lxdecho is minor [0-9]+'
expect "lxd: Linux registered the domain's device" 'dmesg: .*lxdecho_glue: domain [0-9]+ registered /dev/lxdecho \(minor [0-9]+\)'
expect "dead domain: calls fail, not hang" 'test lxd-lxdecho: after destroy: cat /dev/lxdecho: .*(Broken pipe|No such device)'
expect "everything unloaded, pool back" 'test lxd-lxdecho: lxdecho: the same script passed as a module and in an LXD'
if tr -d '\r' < "$LOG" | grep -qE '^lxds-guest: test lxd-lxdecho exit=0'; then
  pass "lxd-lxdecho: test passed"
else
  fail "lxd-lxdecho: test passed" "no line 'lxds-guest: test lxd-lxdecho exit=0'"
fi
expect_rc "Linux powered off" 0
