#!/bin/sh
# Benchmark run (make bench-net, bench/net/run.sh), not a test: nettx
# through the native dummy.ko and through dummy.lxd (+ dummy_glue.ko) in the
# same boot, alternating: NETBENCH_REPS (default 4) runs per driver and
# configuration in the order native, lxd, lxd, native, native, lxd, ...
# (a drift through the boot weighs on both alike; run.sh takes each cell's
# median over the runs, docs/bench-net.md), for 64- and
# 1500-byte frames with the default send buffer (up to 160 packets in
# flight) and a minimal one (SO_SNDBUF 1: the kernel's minimum, a few
# packets in flight).  Each run prints a nettx line that run.sh tabulates.
# The isolated driver runs as "lxd" (dummy_glue's ndo_start_xmit sends
# itself: fast=1, the default), loaded afresh for each of its turns, and
# in the first and last turn also as "lxdtimed" (timing=1: the packet
# path's stages timed, which costs ~40 instructions a packet, so not in the
# lxd runs) and "lxdslow" (fast=0: every packet through the sender thread,
# the path before); after each isolated run a BENCHSTAT line
# has dummy_glue's per-stage counters (TSC ticks; in Bochs, emulated
# instructions; the stage times only in lxdtimed runs) and, for every run, the context switches (/proc/stat ctxt).
. /tests/lxd-lib.sh
ensure_module
N=${NETBENCH_N:-1000}
IF=dummy0

wait_if() {
  n=0
  while [ ! -d /sys/class/net/$IF ]; do
    n=$((n + 1)); [ $n -gt 600 ] && fail "$IF did not appear"
    sleep 0.1
  done
}

# The hypervisor's counters of Linux's APIC writes (CPUID 0x40000002/3
# through klxd_kattack.ko apicstat=1): each timer arm and EOI on Linux's
# core is a VM exit whose handler runs on that core, inside nettx's TSC.
# "writes A eoi B icr C dropped D timer E ...": the fields used are 2, 4, 10.
apicstat() {
  insmod /lib/modules/klxd_kattack.ko apicstat=${1:-1} >/dev/null 2>&1
  rmmod klxd_kattack 2>/dev/null
  dmesg | grep 'klxd_kattack: apicstat:' | tail -n 1 | sed 's/.*apicstat: //'
}
# Linux's local timer interrupts so far (/proc/interrupts LOC, its one core)
loc() { awk '$1 == "LOC:" {print $2}' /proc/interrupts; }

# rounds LABEL: every configuration once
rounds() {
  ip link set $IF up || fail "$1: up"
  # the device as Linux's transmit path sees it (a qdisc, flags): the same
  # for both drivers, or the comparison is not of the drivers alone
  say "BENCHDEV $1: $(ip link show $IF | head -n 1) flags=$(cat /sys/class/net/$IF/flags) txqlen=$(cat /sys/class/net/$IF/tx_queue_len)"
  for size in 64 1500; do
    for buf in ${NETBENCH_BUFS:-default 1}; do
      st=/sys/module/dummy_glue/parameters/stats
      [ -w $st ] && echo 0 > $st
      a0=$(apicstat); l0=$(loc)
      c0=$(awk '$1 == "ctxt" {print $2}' /proc/stat)
      if [ $buf = default ]; then out=$(nettx send $IF "$N" $size 2>&1); else out=$(nettx send $IF "$N" $size $buf 2>&1); fi
      c1=$(awk '$1 == "ctxt" {print $2}' /proc/stat)
      l1=$(loc); a1=$(apicstat)
      # the counters at the run's end, before the last completions and
      # the receive thread's polls after it (BENCHSTAT: a second later)
      s1=$([ -r $st ] && cat $st)
      say "BENCH $1 size=$size sndbuf=$buf: $out"
      [ -n "$s1" ] && say "BENCHSTATRUN $1 size=$size sndbuf=$buf: $s1"
      # APIC write exits and timer interrupts over the run (and the awk
      # and grep around it, the same for every driver)
      say "BENCHAPIC $1 size=$size sndbuf=$buf: loc=$((l1 - l0)) $(echo "$a0 $a1" | awk '{ printf "apic_writes=%d eoi=%d timer=%d icr=%d", $22 - $2, $24 - $4, $30 - $10, $26 - $6 }')"
      sleep 1   # the completions of the last packets
      c2=$(awk '$1 == "ctxt" {print $2}' /proc/stat)
      say "BENCHSTAT $1 size=$size sndbuf=$buf: ctxt=$((c1 - c0)) ctxt_after=$((c2 - c1)) $([ -r $st ] && cat $st)"
    done
  done
  sleep 1
  say "BENCH $1 stats: $(nettx stats $IF 2>&1)"
}

native() {
  insmod /lib/modules/$(uname -r)/kernel/drivers/net/dummy.ko || fail "insmod dummy.ko"
  wait_if
  rounds native
  rmmod dummy || fail "rmmod dummy"
}

# lxd [slow]: one turn of the isolated driver (fast=1); with slow, then
# fast=0 too (lxdslow)
lxd() {
  out=$(lxdctl load /lib/lxd/dummy.lxd dummy 2>&1) || fail "load: $out"   # inserts dummy_glue.ko too
  wait_if
  rounds lxd
  if [ "${1:-}" = slow ]; then
    # the stages timed (timing=1: off in the lxd runs, as a user runs it)
    echo 1 > /sys/module/dummy_glue/parameters/timing || fail "timing=1"
    rounds lxdtimed
    echo 0 > /sys/module/dummy_glue/parameters/timing || fail "timing=0"
    echo 0 > /sys/module/dummy_glue/parameters/fast || fail "fast=0"
    rounds lxdslow
    echo 1 > /sys/module/dummy_glue/parameters/fast || fail "fast=1"
  fi
  lxdctl destroy dummy >/dev/null || fail "destroy"
  n=0; while [ -d /sys/class/net/$IF ]; do n=$((n + 1)); [ $n -gt 100 ] && fail "$IF stays"; sleep 0.1; done
  grep -q '^dummy_glue ' /proc/modules && fail "dummy_glue still loaded after destroy"
}

# NETBENCH_BATCH=1 (kernel command line): how completions come back
# (docs/bench-net.md): through the completion ring in the pool (lxd: the
# default since the ring), in messages batched by 32 (lxdmsg:
# completion_ring=0, the default before it) and in messages one by one
# (lxdone: completion_ring=0 completion_batch=0), in the order lxdmsg, lxd,
# lxdone, lxd, lxdmsg, lxdone, between two native rounds; the default send
# buffer only (NETBENCH_BUFS: the buffers measured).
lxd_batch() { # LABEL [PARAM=VALUE]
  out=$(lxdctl load /lib/lxd/dummy.lxd dummy $2 2>&1) || fail "load $2: $out"
  wait_if
  rounds $1
  lxdctl destroy dummy >/dev/null || fail "destroy"
  n=0; while [ -d /sys/class/net/$IF ]; do n=$((n + 1)); [ $n -gt 100 ] && fail "$IF stays"; sleep 0.1; done
}

# NETBENCH_SETS=P:V,P:V,... (kernel command line): one isolated driver, fast=1,
# measured with dummy_glue's parameter P set to V, in that order (label
# lxdsetN: the Nth), between two native rounds: a change measured against
# the code before it in the same boot.
if [ -n "${NETBENCH_SETS:-}" ]; then
  native
  out=$(lxdctl load /lib/lxd/dummy.lxd dummy 2>&1) || fail "load: $out"
  wait_if
  i=0
  for pv in $(echo "$NETBENCH_SETS" | tr , " "); do
    i=$((i + 1))
    echo "${pv#*:}" > /sys/module/dummy_glue/parameters/${pv%%:*} || fail "$pv"
    say "BENCHSET lxdset$i: ${pv%%:*}=${pv#*:}"
    rounds "lxdset$i"
  done
  lxdctl destroy dummy >/dev/null || fail "destroy"
  n=0; while [ -d /sys/class/net/$IF ]; do n=$((n + 1)); [ $n -gt 100 ] && fail "$IF stays"; sleep 0.1; done
  native
  apicstat 2 >/dev/null
  say "BENCHAPICCOST $(dmesg | grep 'klxd_kattack: apiccost:' | tail -n 1 | sed 's/.*apiccost: //')"
  say "bench done"
  exit 0
fi
# NETBENCH_NAPS=A,B,... (kernel command line): one isolated driver, fast=1,
# measured with dummy_glue's rx_nap_us set to A, then B, ... (label lxdnapN),
# between two native rounds (the receive thread's nap, docs/bench-net.md).
# NETBENCH_RELAX=A,B,... (kernel command line): likewise, with klxd_glue's
# rx_relax (the receive thread's cpu_relax() spin while alone on its core,
# docs/bench-nullblk.md) set to A, then B, ... (label lxdrelaxN).
# param_rounds PARAM LIST LABEL: native, then one isolated driver measured
# with dummy_glue's PARAM set to each value of LIST in turn, then native.
param_rounds() {
  native
  out=$(lxdctl load /lib/lxd/dummy.lxd dummy 2>&1) || fail "load: $out"
  wait_if
  for v in $(echo "$2" | tr , " "); do
    echo "$v" > /sys/module/dummy_glue/parameters/$1 || fail "$1=$v"
    rounds "$3$v"
  done
  lxdctl destroy dummy >/dev/null || fail "destroy"
  n=0; while [ -d /sys/class/net/$IF ]; do n=$((n + 1)); [ $n -gt 100 ] && fail "$IF stays"; sleep 0.1; done
  native
  say "bench done"
  exit 0
}
[ -z "${NETBENCH_RELAX:-}" ] || param_rounds rx_relax "$NETBENCH_RELAX" lxdrelax
[ -z "${NETBENCH_NAPS:-}" ] || param_rounds rx_nap_us "$NETBENCH_NAPS" lxdnap
if [ "${NETBENCH_BATCH:-0}" = 1 ]; then
  native
  lxd_batch lxdmsg completion_ring=0
  lxd_batch lxd ""
  lxd_batch lxdone "completion_ring=0 completion_batch=0"
  lxd_batch lxd ""
  lxd_batch lxdmsg completion_ring=0
  lxd_batch lxdone "completion_ring=0 completion_batch=0"
  native
  say "bench done"
  exit 0
fi
# NETBENCH_REPS turns each, in pairs native-lxd, lxd-native, ...
REPS=${NETBENCH_REPS:-4}
i=1
while [ $i -le "$REPS" ]; do
  slow=
  if [ $i = 1 ] || [ $i = "$REPS" ]; then slow=slow; fi
  if [ $((i % 2)) = 1 ]; then native; lxd $slow; else lxd $slow; native; fi
  i=$((i + 1))
done
say "bench done"
