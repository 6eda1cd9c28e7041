#!/bin/sh
# Benchmark (make bench-nullblk, bench/nullblk/run.sh): null_blk memory-backed,
# native and in an LXD, in one boot: 4 KiB random reads and writes and 64 KiB
# sequential reads and writes, 1 and 16 requests in flight (nbgtool bench:
# O_DIRECT, one thread per request in flight).  Two rounds in opposite
# orders (native then LXD, LXD then native), each running the cases in a
# different order; one line per run:
#   lxds-guest: test lxd-nullblk-bench: BENCH <native|lxd> <round> bench ... iops, N ticks/io
. /tests/lxd-lib.sh
ensure_module

PARAMS="memory_backed=1 gb=1 bs=4096 irqmode=1"
N4K=${N4K:-1200}
N64K=${N64K:-300}

wait_dev() {
  n=0
  while [ ! -b /dev/nullb0 ]; do
    n=$((n + 1))
    [ $n -gt 600 ] && return 1
    sleep 0.1
  done
}

up() {
  case $1 in
    native) run modprobe null_blk $PARAMS || fail "modprobe null_blk" ;;
    lxd) run lxdctl load /lib/lxd/null_blk.lxd $PARAMS ${2:-} || fail "lxdctl load" ;;
  esac
  wait_dev || fail "$1: no /dev/nullb0"
  say "$1: scheduler $(cat /sys/block/nullb0/queue/scheduler)"
  # the 8 MiB the runs use, written once so that reads find data
  dd if=/dev/zero of=/dev/nullb0 bs=65536 count=128 oflag=direct 2>/dev/null || fail "$1: prefill"
}

down() {
  case $1 in
    native) run rmmod null_blk || fail "rmmod null_blk" ;;
    lxd) run lxdctl destroy null_blk || fail "lxd teardown" ;;   # removes null_blk_glue too
  esac
}

cases1="randread:4096:1 randwrite:4096:1 seqread:65536:1 seqwrite:65536:1 randread:4096:16 randwrite:4096:16 seqread:65536:16 seqwrite:65536:16"
cases2="seqwrite:65536:16 randread:4096:16 seqread:65536:1 randwrite:4096:1 seqread:65536:16 randwrite:4096:16 seqwrite:65536:1 randread:4096:1"

bench_all() {  # HOW ROUND CASES
  for c in $3; do
    mode=${c%%:*}; rest=${c#*:}; bs=${rest%%:*}; qd=${rest#*:}
    n=$N4K; [ "$bs" = 65536 ] && n=$N64K
    st=/sys/module/null_blk_glue/parameters/stats
    if [ "$1" = lxd ]; then echo 0 > $st; fi
    out=$(nbgtool bench /dev/nullb0 "$mode" "$bs" "$qd" "$n" 2>&1) || fail "$1 $c: $out"
    say "BENCH $1 $2 $out"
    # the completion path's counters for this run (nbg_linux_main.c)
    if [ "$1" = lxd ]; then say "STATS $2 $c $(cat $st)"; fi
  done
}

# lxds.nbquick=1 (NBQUICK=1 make bench-nullblk): the 4 KiB cases only
quick=0
if grep -q 'lxds.nbquick=1' /proc/cmdline; then
  quick=1
  cases1="randread:4096:1 randwrite:4096:1 randread:4096:16 randwrite:4096:16"
  cases2="randwrite:4096:16 randread:4096:1 randwrite:4096:1 randread:4096:16"
fi

round=1
for how in native lxd; do up $how; bench_all $how 1 "$cases1"; down $how; done
for how in lxd native; do up $how; bench_all $how 2 "$cases2"; down $how; done
# Not in the table: the LXD as in rounds 1-2 with its stages stamped
# (timing=1 on both sides, off by default: ~six rdtsc and their sums per
# request on Linux's core, three in the domain), for the STATS lines'
# breakdown (pre, send, to_dom, dom, back, copy, endrq) and the domain's
# cost lines' ticks; rounds 1-2 leave those 0 and count only.
# The glue module is reloaded by "up", so the parameter is set after it.
up lxd timing=1    # the domain's cost lines timed too
echo 1 > /sys/module/null_blk_glue/parameters/timing
say "lxd: timing $(cat /sys/module/null_blk_glue/parameters/timing)"
bench_all lxd 3 "$cases1"
down lxd
# ... and with queue_rq's nbg_submit always through the send that may wait
# (null_blk_glue's try_send=0, as before branch nb5).
up lxd
echo 0 > /sys/module/null_blk_glue/parameters/try_send
say "lxd: try_send $(cat /sys/module/null_blk_glue/parameters/try_send)"
bench_all lxd 4 "$cases1"
down lxd
# ... and with the request data copied into and out of the pool by Linux's
# memcpy_{from,to}_bvec (null_blk_glue's copy_words=0, as before this
# round: rep movsb, one emulated instruction per byte) instead of eight
# bytes a move.  (Rounds 5-7 of earlier sessions, the lazy receive thread
# and queue_rq's poll, are in docs/bench-nullblk.md; both were slower.)
up lxd
echo 0 > /sys/module/null_blk_glue/parameters/copy_words
say "lxd: copy_words $(cat /sys/module/null_blk_glue/parameters/copy_words)"
bench_all lxd 5 "$cases1"
down lxd
# ... and without queue_rq's poll for a request alone in flight
# (null_blk_glue's poll_ticks=0, as before session 11: the receive thread
# ends every request and wakes its task).
up lxd
echo 0 > /sys/module/null_blk_glue/parameters/poll_ticks
say "lxd: poll_ticks $(cat /sys/module/null_blk_glue/parameters/poll_ticks)"
bench_all lxd 6 "$cases1"
down lxd
say "done"
