#!/bin/sh
# 200 load/destroy cycles leak nothing: the pool is back to its starting
# size, no domain is left, and unloading klxd with a running domain destroys
# it.  Every 10th cycle also starts the domain and pings it.
. /tests/lxd-lib.sh
N=${LXD_CYCLES:-200}
ensure_module
free0=$(pool_free)
mem0=$(sed -n 's/^MemFree: *\([0-9]*\) kB/\1/p' /proc/meminfo)
i=0
while [ $i -lt $N ]; do
  i=$((i + 1))
  if [ $((i % 10)) = 0 ]; then
    out=$(lxdctl load /lib/lxd/echo.lxd cyc 2>&1) || fail "cycle $i: load: $out"
    out=$(lxdctl ping cyc -n 100 2>&1) || fail "cycle $i: ping: $out"
  else
    out=$(lxdctl load /lib/lxd/echo.lxd cyc --no-start 2>&1) || fail "cycle $i: load: $out"
  fi
  out=$(lxdctl destroy cyc 2>&1) || fail "cycle $i: destroy: $out"
  [ $((i % 50)) = 0 ] && say "cycle $i: pool free $(pool_free) bytes"
done
free1=$(pool_free)
[ "$free1" = "$free0" ] || fail "pool free $free1 after $N cycles, $free0 before"
[ "$(domain_count)" = 0 ] || fail "domains left after $N cycles"
mem1=$(sed -n 's/^MemFree: *\([0-9]*\) kB/\1/p' /proc/meminfo)
say "Linux MemFree ${mem0} kB before, ${mem1} kB after"
[ $((mem0 - mem1)) -lt 1024 ] || fail "Linux lost $((mem0 - mem1)) kB over $N cycles"
# Unloading klxd destroys what runs and frees its rings.
run lxdctl load /lib/lxd/echo.lxd last || fail "load before rmmod"
run rmmod klxd || fail "rmmod klxd with a running domain"
ensure_module
[ "$(domain_count)" = 0 ] || fail "rmmod left a domain behind"
[ "$(pool_free)" = "$free0" ] || fail "pool free $(pool_free) after rmmod, $free0 before"
say "$N load/destroy cycles and an unload with a running domain: pool back at $free0 bytes"
