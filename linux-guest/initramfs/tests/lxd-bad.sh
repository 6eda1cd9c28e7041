#!/bin/sh
# Every malformed image in /lib/lxd/bad/ is refused with a clear error, and
# nothing is left behind: no domain, the pool as it was.
. /tests/lxd-lib.sh
ensure_module
free0=$(pool_free)
n=0
for f in /lib/lxd/bad/*.lxd; do
  [ -f "$f" ] || fail "no images in /lib/lxd/bad/"
  n=$((n + 1))
  run lxdctl load "$f" && fail "$f was accepted"
  [ "$RC" = 1 ] || fail "$f: exit $RC, not 1"
  printf '%s\n' "$OUT" | grep -q '^lxdctl: ' || fail "$f: no error message"
  say "refused: ${f##*/}: $(printf '%s\n' "$OUT" | tail -n 1)"
  [ "$(domain_count)" = 0 ] || fail "$f left a domain behind"
  [ "$(pool_free)" = "$free0" ] || fail "$f: pool free $(pool_free), $free0 before"
done
say "$n malformed images refused, pool unchanged at $free0 bytes"
