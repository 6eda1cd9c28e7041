#!/usr/bin/env bash
# Issue 12 in Bochs (docs/lxd-dummy.md): Linux's drivers/net/dummy.c as the
# native dummy.ko and, unmodified, in an LXD (dummy.lxd + dummy_glue.ko),
# through the same shell exercise (linux-guest/initramfs/tests/lxd-dummy.sh):
# ip link, up, address, MAC change, carrier off/on, 2 x 300 packets from
# nettx counted over rtnetlink; then the domain stopped while a sender is in
# full flow, a test build that faults after 150 packets, a hostile build
# whose forged calls must all be refused, the same build keeping every
# pool slot after 200 packets (the sender must finish), and reloads.
. "$(dirname "$0")/lib/boot.sh"

make -s -C "$ROOT" linux build/lxds.elf >/dev/null ||
  { fail "hypervisor, guest kernel, dummy.lxd and dummy_glue.ko build" "make linux build/lxds.elf failed"; exit 1; }

linux_modules "lxds.test=lxd-dummy"
boot lxd-dummy bochs "" --cores 4 --megs 512 --timeout 1500
T='test lxd-dummy'
expect "Linux reaches userspace" '^lxds-guest: ready'
expect_not "no FAIL line" "^lxds-guest: $T: FAIL"
expect_not "no kernel panic, oops or BUG in Linux" 'Kernel panic|BUG:|Oops|general protection|scheduling while atomic'

for how in native lxd; do
  expect "$how: carrier off/on and the new MAC" "$T: $how: carrier off -> 0, on -> 1; address 02:11:22:33:44:55"
  expect "$how: 600 packets and their bytes counted" "$T: $how: after 300 x 64 \\+ 300 x 1500 bytes: tx_packets \\+600 tx_bytes \\+469200 tx_dropped \\+0"
done
res() { tr -d '\r' < "$LOG" | sed -n "s/.*$T: RESULT $1: //p" | head -n 1; }
if [ -n "$(res native)" ] && [ "$(res native)" = "$(res lxd)" ]; then
  pass "native and isolated printed the same ($(res lxd))"
else
  fail "native and isolated printed the same" "native '$(res native)', lxd '$(res lxd)'"
fi
expect_hv "lxd: module_init ran in the domain under the glue" '^lxd dummy: kenv: module_init done \(glue: serving Linux.s calls\)'
expect_hv "lxd: the domain mapped the packet pool" '^lxd dummy: dummy_lxd: packet pool of 524288 bytes'
expect "lxd: Linux registered the domain's device" "dmesg: .*dummy_glue: domain [0-9]+ registered dummy0 \\(ifindex [0-9]+\\)"
expect "lxd: forged transmit ring entries, then 100 packets counted" "$T: forged transmit entries: 100 packets counted after them"
tr -d '\r' < "$HVLOG" | grep 'transmit ring entry' | sed 's/^/    hv| /'
expect_hv "forged entries: another rpc refused" '^lxd dummy: dummy_lxd: transmit ring entry [0-9]+ refused \(not dummy_lxd_xmit\); 1 refused so far'
expect_hv "forged entries: a broken glue header refused" '^lxd dummy: dummy_lxd: transmit ring entry [0-9]+ refused \(not a one-slot glue message\); 2 refused so far'
expect_hv "forged entries: an unknown device and data past the pool refused" '^lxd dummy: dummy_lxd: transmit ring entry [0-9]+ refused \(by the generated glue\); 4 refused so far'
expect_hv "forged entries: a slot with another's data refused" '^lxd dummy: dummy_lxd: transmit ring entry [0-9]+ refused \(by dummy_lxd_xmit\); 5 refused so far'
expect "lxd: the channel's messages still carry packets (tx_ring=0)" "$T: tx_ring=0: 100 packets counted through channel messages"
expect "lxd: the packet path's stages timed only when asked (timing=1)" "$T: timing: stage times only with timing=1 \\(xmit=[0-9]+/[1-9]"
tr -d '\r' < "$LOG" | grep -E "$T: validate: address" | sed 's/^/    | /'
expect "validate: the driver's validate refuses a zero address" "$T: validate: address 00:00:00:00:00:00: .*Cannot assign requested address"
expect "validate: the driver's validate refuses a 4-byte address" "$T: validate: address 01:02:03:04: .*Invalid argument"
expect "validate: an address it accepts, then the glue refuses ip link add" "$T: validate: address 02:00:00:00:00:01: .*Operation not supported"
expect "destroy: the interface went away, the glue module with it" "$T: destroy: dummy0 unregistered, dummy_glue removed"
expect "stop while sending: the sender saw errors, not a hang" "$T: stop while sending: sender exit 1: nettx: dummy0: sent [0-9]+ of 1000000 \\(64 bytes\\), [0-9]+ errors"
expect "stop while sending: Linux up, interface gone, logged" "$T: stop while sending: Linux up, dummy0 gone, .*interfaces unregistered"
expect "reload: traffic flows again" "$T: reload: 100 packets counted again"
expect_hv "fault build: every payload byte right before the fault" '^lxd dummy_test: dummy test build: 150 packets, 151 payloads checked, 0 wrong; faulting now'
expect "fault build: the sender saw errors" "$T: fault after 150 packets: sender exit 1: nettx: dummy0: sent [0-9]+ of 100000"
tr -d '\r' < "$HVLOG" | grep 'dummy hostile' | sed 's/^/    hv| /'
expect_hv "hostile: the domain saw all its checked calls refused" '^lxd dummy_hostile: dummy hostile: 16 of 16 checked calls refused, [0-9]+ forged messages sent'
expect_hv "hostile: every completion sent twice" '^lxd dummy_hostile: dummy hostile: 20 completions sent twice'
expect "hostile: dummy0 still carries traffic" "$T: hostile: dummy0 works: 100 packets counted, address 02:11:22:33:44:66"
expect "hostile: garbage counters shown as garbage" "$T: hostile: garbage counters shown as they came: 18446744073709551615 4702111234474983745 0"
expect "hostile: ip link add of the isolated kind refused" "$T: hostile: ip link add type dummy refused"
# 16 wrapper refusals (dummy_hostile.c's list); 508 messages sent to be
# refused by the generated glue (5 requests, 1 mis-sent one-way, 2
# malformed completions: a count over the bound, a count over the message;
# a flood of 500): the count may be lower only if klxd_glue's queue dropped
# some of the flood (logged), so at least the 8 outside it; 32 slot numbers
# given back not in flight (4 forged one by one, 5 in one message with one
# of them twice, each of the first 20 packets' slots given back again, and
# 3 written into the completion ring); 2 jumps of the ring's index (ahead
# and back)
expect "hostile: Linux counted every refusal" "$T: hostile: Linux: domain [0-9]+ refused: 16 calls by dummy_glue, ([89]|[1-9][0-9]+) messages by the generated glue, 32 slot numbers given back not in flight, 2 completion ring jumps"
# a live domain that keeps every pool slot after its 200th packet
# (dummy_hostile.lxd keep_after=200): the sender finishes, Linux says why
# its packets are dropped, the domain is still running and is destroyed
expect_hv "kept slots: the domain keeps every slot from packet 201 on" '^lxd dummy_hostile: dummy hostile: from packet 201 on, every skb and its pool slot kept'
expect "kept slots: the sender finishes (no hang)" "$T: kept slots: sender exit [01], from [0-9.]+ to [0-9.]+ s: nettx: dummy0: sent [0-9]+ of 2000"
expect "kept slots: Linux logs that no slot comes back and drops" "$T: kept slots: dmesg: dummy_glue: dummy0: no pool slot came free in 5 s \\(160 in flight\\): dropping packets"
expect "kept slots: the running domain destroyed as usual" "$T: kept slots: the sender finished, the domain destroyed"
# a domain that gives slots back 500 ms late (dummy_hostile.lxd hold_ms=500):
# Linux runs out of pool slots, its sender sleeps, and the domain rings it
expect "slow domain: every packet counted, none dropped, the domain rang" "$T: slow domain: 400 of 400 packets counted, 0 dropped, [1-9][0-9]* through the sender thread, rung [1-9][0-9]* times"
expect "life cycle: 3 load/destroy cycles leave no glue module" "$T: 3 load/destroy cycles: no glue module left after each destroy"
expect "hostile: reload and the native dummy work after it" "$T: after the hostile domain: isolated and native dummy carry traffic"
expect "everything contained and unloaded, pool back" "$T: dummy: native and isolated passed the same script; stop, fault and reload contained"
if tr -d '\r' < "$LOG" | grep -qE '^lxds-guest: test lxd-dummy exit=0'; then
  pass "lxd-dummy: test passed"
else
  fail "lxd-dummy: test passed" "no line 'lxds-guest: test lxd-dummy exit=0'"
fi
expect_rc "Linux powered off" 0
