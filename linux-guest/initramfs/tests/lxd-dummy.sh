#!/bin/sh
# Issue 12: Linux's drivers/net/dummy.c, (a) the native dummy.ko and (b)
# unmodified in an LXD (/lib/lxd/dummy.lxd, Linux's side dummy_glue.ko),
# driven by the same shell exercise: the interface in ip link, up, an
# address, a MAC change, carrier off/on, packets from nettx (AF_PACKET) and
# the counters read over rtnetlink (ndo_get_stats64 crosses).  Then
# containment: the domain stopped while packets flow, and a test build that
# faults after N packets; each time Linux goes on, the interface goes away,
# and a reload carries traffic again.  tests/system/lxd_dummy.sh checks the
# lines.  NPKT: packets per size (default 300).
. /tests/lxd-lib.sh
# send_counted SIZE WHAT: 100 packets of SIZE bytes on $IF; its tx_packets
# (the completions are asynchronous) must grow by exactly 100 within 5 s
send_counted() {
  s0=$(stats_of $IF)
  run nettx send $IF 100 "$1" || fail "$2: sending"
  n=0
  while :; do
    set -- "$2" $s0 $(stats_of $IF)
    [ $(($5 - $2)) -ge 100 ] && break
    n=$((n + 1)); [ $n -gt 50 ] && break
    sleep 0.1
  done
  [ $(($5 - $2)) = 100 ] || fail "$1: tx_packets grew by $(($5 - $2)), not 100"
}

ensure_module
NPKT=${NPKT:-300}
IF=dummy0

# stats_of IF: "packets bytes dropped" from rtnetlink
stats_of() { nettx stats "$1" 2>&1 | sed -n 's/.*tx_packets \([0-9]*\) tx_bytes \([0-9]*\) tx_dropped \([0-9]*\)$/\1 \2 \3/p'; }

wait_if() {
  n=0
  while [ ! -d /sys/class/net/$IF ]; do
    n=$((n + 1))
    [ $n -gt $(($1 * 10)) ] && return 1
    sleep 0.1
  done
}

wait_gone() {
  n=0
  while [ -d /sys/class/net/$IF ]; do
    n=$((n + 1))
    [ $n -gt $(($1 * 10)) ] && return 1
    sleep 0.1
  done
}

# exercise LABEL: the same steps for both builds; RESULT lines are compared.
exercise() {
  wait_if 60 || fail "$1: $IF did not appear"
  run ip link show $IF || fail "$1: ip link show $IF"
  run ip link set $IF address 02:11:22:33:44:55 || fail "$1: MAC change"
  mac=$(cat /sys/class/net/$IF/address)
  [ "$mac" = 02:11:22:33:44:55 ] || fail "$1: address is $mac after the change"
  run ip link set $IF up || fail "$1: ip link set up"
  run ip addr add 10.99.0.1/24 dev $IF || fail "$1: ip addr add"
  ip addr show dev $IF | grep -q 'inet 10.99.0.1/24' || fail "$1: the address is not on $IF"
  echo 0 > /sys/class/net/$IF/carrier || fail "$1: carrier off"
  c0=$(cat /sys/class/net/$IF/carrier)
  echo 1 > /sys/class/net/$IF/carrier || fail "$1: carrier on"
  c1=$(cat /sys/class/net/$IF/carrier)
  say "$1: carrier off -> $c0, on -> $c1; address $mac; $(ip link show $IF | head -n 1)"
  [ "$c0$c1" = 01 ] || fail "$1: carrier went $c0 then $c1"
  s0=$(stats_of $IF)
  [ -n "$s0" ] || fail "$1: no statistics for $IF"
  run nettx send $IF "$NPKT" 64 || fail "$1: sending $NPKT 64-byte packets"
  run nettx send $IF "$NPKT" 1500 || fail "$1: sending $NPKT 1500-byte packets"
  # completions are asynchronous in the LXD: the counters settle shortly
  want=$((NPKT * 2)); n=0
  while :; do
    s1=$(stats_of $IF)
    set -- "$1" $s0 $s1
    [ $(($5 - $2)) -ge $want ] && break
    n=$((n + 1)); [ $n -gt 50 ] && break
    sleep 0.1
  done
  dp=$(($5 - $2)); db=$(($6 - $3)); dd=$(($7 - $4))
  say "$1: after $NPKT x 64 + $NPKT x 1500 bytes: tx_packets +$dp tx_bytes +$db tx_dropped +$dd"
  [ $dp = $want ] || fail "$1: tx_packets grew by $dp, not $want"
  [ $db = $((NPKT * 1564)) ] || fail "$1: tx_bytes grew by $db, not $((NPKT * 1564))"
  say "RESULT $1: $dp packets $db bytes $dd dropped carrier $c0$c1 mac $mac"
  run ip link set $IF down || fail "$1: ip link set down"
}

# (a) the native module
KO=/lib/modules/$(uname -r)/kernel/drivers/net/dummy.ko
run insmod "$KO" || fail "insmod $KO"
exercise native
run rmmod dummy || fail "rmmod dummy"
wait_gone 10 || fail "$IF still there after rmmod dummy"

# (b) the same driver in an LXD.  A failure shows what the glue logged.
fail() {
  dmesg | grep -E 'klxd|dummy' | tail -n 25 | while IFS= read -r l; do say "dmesg: $l"; done
  lxdctl log | grep -E 'dummy' | tail -n 15 | while IFS= read -r l; do say "hv: $l"; done
  say "FAIL: $*"
  exit 1
}
free0=$(pool_free)

# load IMAGE NAME [PARAM=VALUE...]: one command, as at the shell: lxdctl
# creates the domain, inserts its glue (IMAGE minus .lxd plus _glue.ko,
# which grants the packet pool before the start) with domain=ID, then
# starts it (the parameters are the domain's)
load() {
  run lxdctl load "$@" || fail "load $1"
  id=$(printf '%s\n' "$OUT" | sed -n "s/^loaded $2 as domain \([0-9]*\)$/\1/p")
  [ -n "$id" ] || fail "no domain id from load"
  printf '%s\n' "$OUT" | grep -q "^inserted ${1%.lxd}_glue.ko domain=$id$" ||
    fail "lxdctl load did not insert ${1%.lxd}_glue.ko"
}

# unload NAME: after the domain stopped (not destroyed): the glue by hand,
# then the domain
unload() {
  run rmmod dummy_glue || fail "rmmod dummy_glue"
  run lxdctl destroy "$1" || fail "destroy $1"
}

# destroy NAME WHAT: lxdctl destroy removes the glue module load inserted
destroy() {
  run lxdctl destroy "$1" || fail "destroy $1 ($2)"
  printf '%s\n' "$OUT" | grep -q '^removed dummy_glue$' || fail "destroy $1 ($2) did not remove dummy_glue"
  grep -q '^dummy_glue ' /proc/modules && fail "dummy_glue still loaded after destroy $1 ($2)"
  wait_gone 10 || fail "$IF still there after destroy $1 ($2)"
}

load /lib/lxd/dummy.lxd dummy
exercise lxd
dmesg | grep -E 'dummy_glue' | while IFS= read -r l; do say "dmesg: $l"; done
P=/sys/module/dummy_glue/parameters
grep -q ' txr=[1-9]' $P/stats || fail "lxd: no packet went through the transmit ring ($(cat $P/stats | cut -c1-200))"

# a Linux that writes five bad transmit ring entries (dummy_glue's
# forge_txd): the domain refuses each, and its ring goes on
run ip link set $IF up || fail "forged entries: up"
echo 1 > $P/forge_txd || fail "forged entries: writing forge_txd"
send_counted 64 "after forged entries"
say "forged transmit entries: 100 packets counted after them"
# the channel's one-way messages, the path before the ring (tx_ring=0)
echo 0 > $P/tx_ring || fail "tx_ring=0"
echo > $P/stats
send_counted 1500 "tx_ring=0"
grep -q ' txr=0 ' $P/stats || fail "tx_ring=0: packets went through the ring"
echo 1 > $P/tx_ring || fail "tx_ring=1"
say "tx_ring=0: 100 packets counted through channel messages"
# the stage times: only with timing=1 (a static key; off, nothing is timed)
echo > $P/stats
send_counted 64 "timing=0"
grep -q '^xmit=[0-9]*/0 fast=[0-9]*/0 ' $P/stats || fail "timing=0: stages timed or packets miscounted ($(cut -c1-80 $P/stats))"
echo 1 > $P/timing || fail "timing=1"
echo > $P/stats
send_counted 64 "timing=1"
grep -qE '^xmit=[1-9][0-9]*/[1-9][0-9]* fast=[1-9][0-9]*/[1-9]' $P/stats || fail "timing=1: stages not timed ($(cut -c1-80 $P/stats))"
echo 0 > $P/timing || fail "timing=0"
say "timing: stage times only with timing=1 ($(cut -d' ' -f1-2 $P/stats))"
run ip link set $IF down || fail "forged entries: down"

# rtnl_link_ops.validate: the driver's own, run in the domain, judges the
# address of ip link add; what it accepts the glue refuses (devices come
# from the domain)
for a in 00:00:00:00:00:00 01:02:03:04 02:00:00:00:00:01; do
  if ip link add evil0 address $a type dummy > /tmp/ipadd.out 2>&1; then
    fail "validate: ip link add with address $a was accepted"
  fi
  say "validate: address $a: $(head -n 1 /tmp/ipadd.out)"
done
[ -d /sys/class/net/evil0 ] && fail "validate: evil0 exists"

# destroy: the interface goes away cleanly
destroy dummy first
dmesg | grep -q "dummy_glue: domain $id is gone: interfaces unregistered" ||
  fail "no log line about the interface going away"
say "destroy: $IF unregistered, dummy_glue removed"

# load/destroy cycles: each destroy takes the glue module with it
for c in 1 2 3; do
  load /lib/lxd/dummy.lxd dummy
  wait_if 60 || fail "cycle $c: $IF did not appear"
  run ip link set $IF up || fail "cycle $c: up"
  run nettx send $IF 20 64 || fail "cycle $c: sending"
  destroy dummy "cycle $c"
done
say "3 load/destroy cycles: no glue module left after each destroy"

# (c) containment 1: the domain stopped while a sender is in full flow,
# with completions batched and held (docs/bench-net.md): those it held die
# with it, Linux frees their packets
load /lib/lxd/dummy.lxd dummy completion_batch=32 completion_hold=50000
wait_if 60 || fail "reload: $IF did not appear"
run ip link set $IF up || fail "reload: up"
nettx send $IF 1000000 64 > /tmp/nettx.out 2>&1 &
tx=$!
sleep 2
run lxdctl stop dummy || fail "stop dummy"
n=0
while kill -0 $tx 2>/dev/null; do
  n=$((n + 1)); [ $n -gt 300 ] && fail "the sender hangs 30 s after the domain stopped"
  sleep 0.1
done
wait $tx; rc=$?
say "stop while sending: sender exit $rc: $(cat /tmp/nettx.out)"
[ $rc = 1 ] || fail "the sender did not see an error (exit $rc)"
grep -q 'sent [1-9][0-9]* of 1000000' /tmp/nettx.out || fail "no packet went out before the stop"
wait_gone 10 || fail "$IF still there after the domain stopped"
dmesg | grep -q "dummy_glue: domain $id stopped, crashed or was destroyed" || fail "no log line for the stop"
say "stop while sending: Linux up, $IF gone, $(dmesg | grep "domain $id is gone: interfaces" | tail -n 1)"
unload dummy

# (d) reload: traffic flows again (completions batched per dispatch pass)
load /lib/lxd/dummy.lxd dummy completion_batch=32
wait_if 60 || fail "reload 2: $IF did not appear"
run ip link set $IF up || fail "reload 2: up"
send_counted 200 "reload 2"
say "reload: 100 packets counted again"
destroy dummy "reload 2"

# (e) containment 2: a test build of dummy.c (dummy_test.lxd, a patch in
# lxd-sdk/kenv/drivers/dummy/test/) that checks every payload byte and
# faults on packet fault_after+1
load /lib/lxd/test/dummy_test.lxd dummy_test
wait_if 60 || fail "dummy_test: $IF did not appear"
run ip link set $IF up || fail "dummy_test: up"
run lxdctl list
nettx send $IF 100000 100 > /tmp/nettx.out 2>&1 &
tx=$!
n=0
while kill -0 $tx 2>/dev/null; do
  n=$((n + 1)); [ $n -gt 600 ] && fail "the sender hangs 60 s after the fault"
  sleep 0.1
done
wait $tx; rc=$?
say "fault after 150 packets: sender exit $rc: $(cat /tmp/nettx.out)"
[ $rc = 1 ] || fail "the sender did not see an error (exit $rc)"
wait_gone 10 || fail "$IF still there after the fault"
run lxdctl status dummy_test
printf '%s\n' "$OUT" | grep -qE 'crashed|45074' || fail "dummy_test did not end with a fault"
unload dummy_test

# (f) and once more after the fault
load /lib/lxd/dummy.lxd dummy
wait_if 60 || fail "reload 3: $IF did not appear"
run ip link set $IF up || fail "reload 3: up"
run nettx send $IF 50 64 || fail "reload 3: sending"
destroy dummy "reload 3"

# (g) a hostile build of the domain side (dummy_hostile.lxd: dummy.c with
# test/dummy-hostile.patch, test/dummy_hostile.c): after registering dummy0
# it forges what a compromised driver would (bad setups, calls on the
# registered device, nested rtnl, forged/stale/mistyped references, bad
# messages, a flood) and sends every completion twice; then it serves on.
# the hostile build's "N of N checked calls refused" lines in the hypervisor's log
forged_done() { lxdctl log | grep -c 'dummy hostile: [0-9]* of [0-9]* checked calls refused'; }
# wait_forged LABEL BEFORE: until the domain just loaded has logged the end of
# its forged calls (forged_done no longer what it was before the load)
wait_forged() {
  n=0
  while [ "$(forged_done)" = "$2" ]; do
    n=$((n + 1)); [ $n -gt 600 ] && fail "$1: the domain did not finish its forged calls in 60 s"
    sleep 0.1
  done
}
f0=$(forged_done)
load /lib/lxd/test/dummy_hostile.lxd dummy_hostile completion_batch=32
wait_if 60 || fail "hostile: $IF did not appear"
wait_forged hostile "$f0"
say "hostile: domain: $(lxdctl log | sed -n 's/.*dummy hostile: \([0-9]* of [0-9]* checked.*\)/\1/p' | tail -n 1)"
run ip link set $IF address 02:11:22:33:44:66 || fail "hostile: MAC change"
run ip link set $IF up || fail "hostile: up"
run ip addr add 10.99.0.1/24 dev $IF || fail "hostile: ip addr add"
send_counted 64 hostile
say "hostile: $IF works: 100 packets counted, address $(cat /sys/class/net/$IF/address)"
# counters are the driver's to report: Linux shows garbage as garbage, no more
run ip link set $IF mtu 1234 || fail "hostile: mtu 1234"
g=$(stats_of $IF)
run ip link set $IF mtu 1500 || fail "hostile: mtu 1500"
say "hostile: garbage counters shown as they came: $g"
[ "${g%% *}" = 18446744073709551615 ] || fail "hostile: the garbage counters did not come through ($g)"
# ip link add of the isolated kind: refused by the glue (the devices are the domain's)
if ip link add evil0 type dummy > /tmp/ipadd.out 2>&1; then fail "hostile: ip link add type dummy was accepted"; fi
say "hostile: ip link add type dummy refused: $(head -n 1 /tmp/ipadd.out)"
[ -d /sys/class/net/evil0 ] && fail "hostile: evil0 exists"
destroy dummy_hostile hostile
n=0
until dmesg | grep -q "dummy_glue: domain $id refused:"; do
  n=$((n + 1)); [ $n -gt 100 ] && fail "hostile: no refusal counts from dummy_glue"
  sleep 0.1
done
say "hostile: Linux: $(dmesg | sed -n "s/.*dummy_glue: \(domain $id refused: .*\)/\1/p" | tail -n 1)"

# (g2) a live domain that keeps its pool slots: dummy_hostile.lxd with
# keep_after=200 keeps every skb after its 200th packet, so no slot goes
# back to Linux, while it goes on running and reading its ring (Linux's
# watchdog sees it running).  Linux's sender must not hang: once no slot
# comes back for 5 s its packets are dropped; the domain is destroyed as
# usual.
f0=$(forged_done)
load /lib/lxd/test/dummy_hostile.lxd dummy_hostile completion_batch=32 keep_after=200
wait_if 60 || fail "kept slots: $IF did not appear"
wait_forged "kept slots" "$f0"
run ip link set $IF up || fail "kept slots: up"
t0=$(cut -d' ' -f1 /proc/uptime)
nettx send $IF 2000 64 > /tmp/nettx.out 2>&1 &
tx=$!
n=0
while kill -0 $tx 2>/dev/null; do
  n=$((n + 1))
  if [ $n -gt 1200 ]; then kill $tx; fail "kept slots: the sender hangs 120 s after it started"; fi
  sleep 0.1
done
wait $tx; rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
say "kept slots: sender exit $rc, from $t0 to $t1 s: $(cat /tmp/nettx.out)"
lxdctl log | grep -q 'dummy hostile: from packet 201 on, every skb and its pool slot kept' ||
  fail "kept slots: the domain did not start keeping at packet 201"
dmesg | grep -q 'dummy_glue: dummy0: no pool slot came free in 5 s' ||
  fail "kept slots: no log line for the slots that did not come back"
say "kept slots: dmesg: $(dmesg | grep 'no pool slot came free' | tail -n 1 | sed 's/^\[[^]]*\] //')"
run lxdctl status dummy_hostile
printf '%s\n' "$OUT" | grep -q "dummy_hostile': running" || fail "kept slots: the domain is not running"
destroy dummy_hostile "kept slots"
say "kept slots: the sender finished, the domain destroyed"

# (g3) a domain that gives slots back late: dummy_hostile.lxd with
# hold_ms=500 keeps every skb and frees all it keeps together 500 ms after
# the first, so Linux's 160 pool slots run out while the channel is empty
# and its sender thread sleeps for one; the domain rings it as it gives
# the slots back through the completion ring (dummy_pool.h's want).
# Every packet must be counted, none dropped, and the rings seen by Linux
# (dummy_glue's stats: rung).
f0=$(forged_done)
load /lib/lxd/test/dummy_hostile.lxd dummy_hostile hold_ms=500
wait_if 60 || fail "slow domain: $IF did not appear"
wait_forged "slow domain" "$f0"
run ip link set $IF up || fail "slow domain: up"
echo 0 > /sys/module/dummy_glue/parameters/stats || fail "slow domain: stats reset"
s0=$(stats_of $IF)
run nettx send $IF 400 64 || fail "slow domain: sending"
n=0
while :; do
  set -- $s0 $(stats_of $IF)
  [ $(($4 - $1)) -ge 400 ] && break
  n=$((n + 1)); [ $n -gt 300 ] && fail "slow domain: tx_packets grew by $(($4 - $1)) of 400 in 30 s"
  sleep 0.1
done
st=$(cat /sys/module/dummy_glue/parameters/stats)
rung=$(echo "$st" | sed -n 's/.* rung=\([0-9]*\) .*/\1/p')
slow=$(echo "$st" | sed -n 's/.* slow=\([0-9]*\) .*/\1/p')
say "slow domain: $(($4 - $1)) of 400 packets counted, $(($6 - $3)) dropped, $slow through the sender thread, rung $rung times"
[ $(($4 - $1)) = 400 ] || fail "slow domain: $(($4 - $1)) packets counted, not 400"
[ $(($6 - $3)) = 0 ] || fail "slow domain: $(($6 - $3)) packets dropped"
[ "${slow:-0}" -gt 0 ] || fail "slow domain: no packet waited for a slot (slow=$slow)"
[ "${rung:-0}" -gt 0 ] || fail "slow domain: the domain never rang (rung=$rung; $st)"
destroy dummy_hostile "slow domain"

# (h) after the hostile domain: the isolated driver and the native one work
load /lib/lxd/dummy.lxd dummy
wait_if 60 || fail "reload 4: $IF did not appear"
run ip link set $IF up || fail "reload 4: up"
run nettx send $IF 50 64 || fail "reload 4: sending"
destroy dummy "reload 4"
run insmod "$KO" || fail "insmod $KO after the hostile domain"
wait_if 10 || fail "native: $IF did not appear after the hostile domain"
run ip link set $IF up || fail "native again: up"
s0=$(stats_of $IF)
run nettx send $IF 50 64 || fail "native again: sending"
set -- $s0 $(stats_of $IF)
[ $(($4 - $1)) = 50 ] || fail "native again: tx_packets grew by $(($4 - $1)), not 50"
run rmmod dummy || fail "rmmod dummy (native again)"
wait_gone 10 || fail "$IF still there after rmmod dummy (native again)"
say "after the hostile domain: isolated and native dummy carry traffic"

[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free), $free0 before"
say "dummy: native and isolated passed the same script; stop, fault and reload contained"
