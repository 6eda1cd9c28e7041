#!/bin/sh
# Issue 10 item 3d: /dev/lxd ioctl fuzz as root, with an echo LXD loaded
# (its id is kept out of the calls that would change it).  No oops, the
# pool and the domain count unchanged after every call, echo answers after.
. /tests/lxd-lib.sh
failed=0
bad() { say "FAIL: $*"; failed=$((failed + 1)); }

ensure_module
free0=$(pool_free)
run lxdctl load /lib/lxd/echo.lxd || bad "load echo"
run /bin/lxd-ioctl-fuzz 20000 || bad "lxd-ioctl-fuzz: a call changed the pool or the domain count"
dmesg | grep -E 'Oops|BUG:|general protection|WARNING:' | while IFS= read -r l; do say "dmesg: $l"; done
dmesg | grep -qE 'Oops|BUG:|general protection' && bad "the kernel oopsed under the ioctl fuzz"
run lxdctl ping echo -n 100 || bad "echo does not answer after the ioctl fuzz"
run lxdctl destroy echo || bad "destroy echo"
[ "$(pool_free)" = "$free0" ] || bad "pool free $(pool_free), $free0 before"
run rmmod klxd || bad "rmmod klxd after the fuzz"
[ $failed = 0 ] || { say "$failed check(s) failed"; exit 1; }
say "the ioctl fuzz changed nothing; klxd, echo and the pool go on"
