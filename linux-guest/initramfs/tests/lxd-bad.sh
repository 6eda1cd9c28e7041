#!/bin/sh
# Every malformed image in /lib/lxd/bad/ is refused with a clear error (the
# hypervisor's reason, as listed in /lib/lxd/bad/EXPECTED: "FILE ERRNO
# reason"), and nothing is left behind: no domain, the pool as it was.
. /tests/lxd-lib.sh
ensure_module
free0=$(pool_free)
n=0
for f in /lib/lxd/bad/*.lxd; do
  [ -f "$f" ] || fail "no images in /lib/lxd/bad/"
  n=$((n + 1))
  b=${f##*/}
  run lxdctl load "$f" && fail "$b was accepted"
  [ "$RC" = 1 ] || fail "$b: exit $RC, not 1"
  printf '%s\n' "$OUT" | grep -q '^lxdctl: ' || fail "$b: no error message"
  exp=$(grep "^$b " /lib/lxd/bad/EXPECTED 2>/dev/null)
  if [ -n "$exp" ]; then
    errno=$(echo "$exp" | cut -d' ' -f2)
    why=$(echo "$exp" | cut -d' ' -f3-)
    printf '%s\n' "$OUT" | grep -qF "$why" || fail "$b: the error does not say '$why'"
    printf '%s\n' "$OUT" | grep -qF "($errno)" || fail "$b: the error does not say $errno"
  fi
  say "refused: $b: $(printf '%s\n' "$OUT" | tail -n 1)"
  [ "$(domain_count)" = 0 ] || fail "$b left a domain behind"
  [ "$(pool_free)" = "$free0" ] || fail "$b: pool free $(pool_free), $free0 before"
done
say "$n malformed images refused, pool unchanged at $free0 bytes"
