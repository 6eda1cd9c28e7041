#!/bin/sh
# Helpers for the lxd-*.sh tests (sourced; run on its own it only checks
# that klxd loads).  Every line a test prints starts "lxds-guest: test NAME:".
T=${0##*/}
T=${T%.sh}
say() { echo "lxds-guest: test $T: $*"; }
fail() { say "FAIL: $*"; exit 1; }

# run CMD...: runs it, shows its output (stdout and stderr) indented, keeps
# it in OUT and its exit status in RC; returns RC.
run() {
  OUT=$("$@" 2>&1)
  RC=$?
  say "\$ $*  (exit $RC)"
  [ -n "$OUT" ] && printf '%s\n' "$OUT" | while IFS= read -r l; do say "  $l"; done
  return $RC
}

# klxd loaded and /dev/lxd there.
ensure_module() {
  [ -c /dev/lxd ] && return 0
  insmod /lib/modules/klxd.ko || { dmesg | tail -n 5; fail "insmod klxd.ko failed"; }
  [ -c /dev/lxd ] || fail "klxd loaded but /dev/lxd is missing"
}

# The LXD pool's free bytes (lxdctl info: "pool: T bytes, F free").
pool_free() { lxdctl info | sed -n 's/^pool: [0-9]* bytes, \([0-9]*\) free$/\1/p'; }

# Field from lxdctl status: state_of NAME -> loaded|running|stopped|crashed
state_of() { lxdctl status "$1" 2>/dev/null | sed -n "s/^domain [0-9]* '[^']*': \([a-z]*\).*/\1/p"; }
core_of() { lxdctl status "$1" 2>/dev/null | sed -n 's/.* on core \([0-9]*\)$/\1/p'; }

# wait_state NAME STATE [SECONDS]: polls until the domain is in STATE.
wait_state() {
  n=0
  while [ "$(state_of "$1")" != "$2" ]; do
    n=$((n + 1))
    [ $n -gt $((${3:-10} * 10)) ] && return 1
    sleep 0.1
  done
  return 0
}

# The number of domains (lxdctl list minus its header).
domain_count() { lxdctl list | tail -n +2 | grep -c .; }

if [ "$T" = lxd-lib ]; then
  ensure_module
  say "klxd loaded"
fi
