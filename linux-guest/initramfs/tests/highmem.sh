#!/bin/sh
# RAM above 4 GiB (issue 16): Linux sees it (zone Normal on x86-64 is the
# memory above 4 GiB) and uses it: Linux allocates from the highest zone
# first, so a tmpfs file's pages come from above 4 GiB: the Normal zone's
# free pages must fall by most of the file's size, and the file reads back
# with the checksum it was written with.
set -e
say() { echo "lxds-guest: test highmem: $*"; }
normal_free() { awk '/^Node 0, zone/ {z=$4} z=="Normal" && $1=="pages" && $2=="free" {print $3; exit}' /proc/zoneinfo; }
normal_present() { awk '/^Node 0, zone/ {z=$4} z=="Normal" && $1=="present" {print $2; exit}' /proc/zoneinfo; }

say "$(grep MemTotal /proc/meminfo | tr -s ' ')"
present=$(normal_present)
say "zone Normal present=${present:-none} pages"
[ -n "$present" ] && [ "$present" -gt 262144 ] || { say "FAIL: no RAM above 4 GiB in zone Normal"; exit 1; }

mb=${HIGHMEM_FILE_MB:-256}
mkdir -p /mnt/big
mount -t tmpfs -o size=$((mb + 64))M tmpfs /mnt/big
before=$(normal_free)
# random bytes: a page lost, or two pages sharing a frame, changes the checksum
want=$(dd if=/dev/urandom bs=1M count="$mb" 2>/dev/null | tee /mnt/big/fill | md5sum)
after=$(normal_free)
used=$(( (before - after) / 256 ))
say "wrote ${mb} MiB to tmpfs; zone Normal free fell by ${used} MiB"
[ "$used" -ge $((mb * 3 / 4)) ] || { say "FAIL: the file did not use the RAM above 4 GiB"; exit 1; }
got=$(md5sum < /mnt/big/fill)
say "checksum written '$want' read '$got'"
[ "$got" = "$want" ] || { say "FAIL: the file read back differs"; exit 1; }
rm /mnt/big/fill
umount /mnt/big
# the LXD pool sits at the top of RAM, above 4 GiB here, and klxd's pages
# (the channel) come from zone Normal: an echo LXD crossing both
lxdctl load /lib/lxd/echo.lxd >/tmp/out 2>&1 || { cat /tmp/out; say "FAIL: lxdctl load echo"; exit 1; }
lxdctl ping echo -n 10000 >/tmp/out 2>&1 || { cat /tmp/out; say "FAIL: lxdctl ping echo"; exit 1; }
say "echo: $(head -n 1 /tmp/out)"
grep -q '^ping: 10000/10000 replies correct' /tmp/out || { say "FAIL: echo replies"; exit 1; }
lxdctl destroy echo >/tmp/out 2>&1 || { cat /tmp/out; say "FAIL: lxdctl destroy echo"; exit 1; }
say "PASS"
