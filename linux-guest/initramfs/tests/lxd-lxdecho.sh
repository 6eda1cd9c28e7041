#!/bin/sh
# Issue 11's end-to-end example: lxdecho.c, an ordinary misc-device driver,
# (a) as a normal module (lxdecho.ko) and (b) built unmodified into an LXD
# (/lib/lxd/lxdecho.lxd) whose file operations Linux reaches through the
# IDL glue (lxdecho_glue.ko over klxd).  The same shell exercise runs
# against both; tests/system/lxd_glue.sh compares what they printed.
. /tests/lxd-lib.sh
ensure_module

# wait_dev SECONDS: until /dev/lxdecho exists.
wait_dev() {
  n=0
  while [ ! -c /dev/lxdecho ]; do
    n=$((n + 1))
    [ $n -gt $(($1 * 10)) ] && return 1
    sleep 0.1
  done
}

# loop I N: N writes of "L<I>-<j>" each followed by a read, which must be
# one whole write (of any loop); prints nothing on success.
loop() {
  j=0
  while [ $j -lt "$2" ]; do
    echo "L$1-$j" > /dev/lxdecho || { echo "loop $1: write $j failed"; return 1; }
    r=$(cat /dev/lxdecho) || { echo "loop $1: read $j failed"; return 1; }
    case "$r" in
      L[0-9]-[0-9]|L[0-9]-[0-9][0-9]) ;;
      *) echo "loop $1: read '$r' is not one whole write"; return 1 ;;
    esac
    j=$((j + 1))
  done
}

# exercise LABEL: the same script for both builds; its RESULT line is compared.
exercise() {
  wait_dev 30 || fail "$1: /dev/lxdecho did not appear"
  echo hello > /dev/lxdecho || fail "$1: echo hello > /dev/lxdecho failed"
  out1=$(cat /dev/lxdecho) || fail "$1: cat /dev/lxdecho failed"
  say "$1: echo hello > /dev/lxdecho; cat /dev/lxdecho: '$out1'"
  [ "$out1" = hello ] || fail "$1: cat gave '$out1', not hello"
  long=$(i=0; while [ $i -lt 60 ]; do printf '0123456789'; i=$((i + 1)); done)
  echo "$long" > /dev/lxdecho || fail "$1: writing 601 bytes failed"
  out2=$(cat /dev/lxdecho) || fail "$1: reading 601 bytes failed"
  [ "$out2" = "$long" ] || fail "$1: 601 bytes came back as ${#out2} different ones"
  out3=$(dd if=/dev/lxdecho bs=7 2>/dev/null) || fail "$1: dd bs=7 failed"
  [ "$out3" = "$long" ] || fail "$1: read in 7-byte pieces gave ${#out3} different bytes"
  pids=
  for i in 1 2 3 4 5 6; do
    loop "$i" 20 > /tmp/loop.$i 2>&1 &
    pids="$pids $!"
  done
  bad=0
  for p in $pids; do wait "$p" || bad=1; done
  cat /tmp/loop.* | while IFS= read -r l; do say "$1: $l"; done
  [ $bad = 0 ] || fail "$1: a concurrent loop failed"
  say "$1: 6 concurrent shell loops x 20 echo/cat: every read one whole write"
  say "RESULT $1: '$out1' ${#out2} ${#out3} $(printf '%s' "$out2" | head -c 20)"
}

# (a) the ordinary module
run insmod /lib/modules/lxdecho.ko || fail "insmod lxdecho.ko"
exercise module
run rmmod lxdecho || fail "rmmod lxdecho"
[ -e /dev/lxdecho ] && fail "/dev/lxdecho still there after rmmod"

# (b) the same driver in an LXD, Linux's side in lxdecho_glue.ko; a failure
# shows what the glue logged (pr_warn: not on the quiet console)
fail() {
  dmesg | grep -E 'klxd|lxdecho' | tail -n 20 | while IFS= read -r l; do say "dmesg: $l"; done
  say "FAIL: $*"
  exit 1
}
free0=$(pool_free)
run lxdctl load /lib/lxd/lxdecho.lxd || fail "load lxdecho.lxd"
id=$(printf '%s\n' "$OUT" | sed -n 's/^loaded lxdecho as domain \([0-9]*\)$/\1/p')
[ -n "$id" ] || fail "no domain id from load"
run insmod /lib/modules/lxdecho_glue.ko domain="$id" || fail "insmod lxdecho_glue.ko"
exercise lxd
dmesg | grep -E 'lxdecho_glue|klxd_glue' | while IFS= read -r l; do say "dmesg: $l"; done

# a dead domain: calls end with an error, not a hang
run lxdctl destroy lxdecho || fail "destroy lxdecho"
if out=$(cat /dev/lxdecho 2>&1); then
  fail "cat /dev/lxdecho succeeded after the domain was destroyed: '$out'"
fi
say "after destroy: cat /dev/lxdecho: $out"
run rmmod lxdecho_glue || fail "rmmod lxdecho_glue"
[ -e /dev/lxdecho ] && fail "/dev/lxdecho still there after rmmod lxdecho_glue"
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free), $free0 before"
say "lxdecho: the same script passed as a module and in an LXD"
