#!/bin/bash
# kenv-symcheck.sh: the link check of a kernel-environment LXD image.
#
#   kenv-symcheck.sh OUT CROSS_LIST DRIVER_OBJ... -- ENV_OBJ_OR_LIB...
#
# Every symbol the driver's objects leave undefined (nm -u of them linked
# together with ld -r) is exactly one of:
#   local    defined by the kernel environment (the ENV objects/archives);
#   cross    listed in CROSS_LIST (one symbol a line, '#' comments): the IDL
#            glue generates it as a call into Linux;
#   refused  neither: the check fails and names each one.
# A CROSS_LIST entry the driver does not use, or that the environment also
# defines, is an error too, so the list stays exactly what must cross.
# OUT gets the table ("local|cross|refused SYMBOL", sorted).
set -euo pipefail
export LC_ALL=C          # sort and comm must agree on one order

out=$1 cross_list=$2
shift 2
drv=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do drv+=("$1"); shift; done
[ "${1:-}" = "--" ] || { echo "kenv-symcheck: usage: OUT CROSS_LIST DRIVER_OBJ... -- ENV..." >&2; exit 2; }
shift
env=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ld -r -o "$tmp/driver.o" "${drv[@]}"
nm -u "$tmp/driver.o" | awk '{print $2}' | sort -u >"$tmp/undef"
nm --defined-only "${env[@]}" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TtDdBbRrVvWw]/ {print $3}' \
    | sort -u >"$tmp/env"
if [ -n "$cross_list" ] && [ "$cross_list" != none ]; then
    sed -e 's/#.*//' -e 's/[[:space:]]//g' "$cross_list" | { grep -v '^$' || true; } | sort -u >"$tmp/cross"
else
    : >"$tmp/cross"
fi

comm -12 "$tmp/undef" "$tmp/env" | sed 's/^/local   /' >"$tmp/table"
comm -23 "$tmp/undef" "$tmp/env" | comm -12 - "$tmp/cross" | sed 's/^/cross   /' >>"$tmp/table"
comm -23 "$tmp/undef" "$tmp/env" | comm -23 - "$tmp/cross" | sed 's/^/refused /' >>"$tmp/table"
sort -k2 "$tmp/table" >"$out"

bad=0
name=$(basename "$out" .tmp)
if grep -q '^refused' "$out"; then
    echo "$name: the driver needs symbols that are neither in the kernel environment nor listed to cross:" >&2
    grep '^refused' "$out" | awk '{print "    " $2}' >&2
    bad=1
fi
unused=$(comm -23 "$tmp/cross" "$tmp/undef")
if [ -n "$unused" ]; then
    echo "$name: $cross_list lists symbols the driver does not use:" $unused >&2
    bad=1
fi
both=$(comm -12 "$tmp/cross" "$tmp/env")
if [ -n "$both" ]; then
    echo "$name: $cross_list lists symbols the environment defines (local, not crossing):" $both >&2
    bad=1
fi
echo "$name: $(grep -c '^local' "$out" || true) local, $(grep -c '^cross' "$out" || true) crossing, $(grep -c '^refused' "$out" || true) refused"
exit $bad
