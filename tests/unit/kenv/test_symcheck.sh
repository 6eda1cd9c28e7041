#!/bin/bash
# The kernel environment's link check (lxd-sdk/kenv/tools/kenv-symcheck.sh)
# on small objects: every undefined symbol is local, cross or refused; a
# refused one fails with its name; a crossing list with an unused entry or
# an entry the environment defines fails too.  Prints PASS:/FAIL: lines.
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
[ -f "$ROOT/lxd-sdk/kenv/tools/kenv-symcheck.sh" ] || ROOT=$(pwd)
CHECK=$ROOT/lxd-sdk/kenv/tools/kenv-symcheck.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; }

cat >"$T/drv.c" <<'C'
extern int env_fn(void), cross_fn(void), missing_fn(void);
extern int cross_data[4];
int driver_entry(void) { return env_fn() + cross_fn() + missing_fn() + cross_data[1]; }
C
cat >"$T/drv2.c" <<'C'
extern int env_fn(void), cross_fn(void);
extern int cross_data[4];
int driver_entry(void) { return env_fn() + cross_fn() + cross_data[1]; }
C
cat >"$T/env.c" <<'C'
int env_fn(void) { return 1; }
int env_data = 3;
C
for f in drv drv2 env; do gcc -c -O1 -o "$T/$f.o" "$T/$f.c" || { fail "compile $f"; exit 1; }; done
ar rcs "$T/libenv.a" "$T/env.o"
printf '# crossing\ncross_fn\ncross_data   # data\n' >"$T/cross"

out=$(bash "$CHECK" "$T/t1" "$T/cross" "$T/drv.o" -- "$T/libenv.a" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'missing_fn' <<<"$out" && grep -q '^refused missing_fn$' <<<"$(sed 's/  */ /g' "$T/t1")"; then
  pass "a symbol neither local nor crossing is refused by name"
else
  fail "refused symbol: rc $rc, output: $out"
fi

out=$(bash "$CHECK" "$T/t2" "$T/cross" "$T/drv2.o" -- "$T/libenv.a" 2>&1); rc=$?
table=$(sed 's/  */ /g' "$T/t2" | tr '\n' ',')
if [ $rc -eq 0 ] && [ "$table" = "cross cross_data,cross cross_fn,local env_fn," ] &&
   grep -q '1 local, 2 crossing, 0 refused' <<<"$out"; then
  pass "local and crossing symbols sorted into the table"
else
  fail "good driver: rc $rc, table '$table', output: $out"
fi

printf 'cross_fn\ncross_data\nnot_used_fn\n' >"$T/cross_extra"
out=$(bash "$CHECK" "$T/t3" "$T/cross_extra" "$T/drv2.o" -- "$T/libenv.a" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'does not use: not_used_fn' <<<"$out"; then
  pass "a crossing entry the driver does not use fails the check"
else
  fail "unused entry: rc $rc, output: $out"
fi

printf 'cross_fn\ncross_data\nenv_fn\n' >"$T/cross_local"
out=$(bash "$CHECK" "$T/t4" "$T/cross_local" "$T/drv2.o" -- "$T/libenv.a" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'environment defines (local, not crossing): env_fn' <<<"$out"; then
  pass "a crossing entry the environment defines fails the check"
else
  fail "local entry: rc $rc, output: $out"
fi

out=$(bash "$CHECK" "$T/t5" none "$T/drv2.o" -- "$T/libenv.a" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'cross_fn' <<<"$out" && grep -q 'cross_data' <<<"$out"; then
  pass "with no crossing list every non-local symbol is refused"
else
  fail "no list: rc $rc, output: $out"
fi
