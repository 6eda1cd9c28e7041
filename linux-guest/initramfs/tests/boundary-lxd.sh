#!/bin/sh
# Issue 10, the LXDs' side of the boundary (attack.lxd; its mode is the name
# it is loaded under):
#   dirty -> check -> echo on one core: no register state crosses from one
#     domain to the next, a raised CR8 does not brick the core, and the exit
#     code of each is reported as it was given;
#   spam: LXD log lines escaped and rate-limited;
#   flood: a domain that floods Linux's reply ring cannot hold klxd_call()
#     past its deadline;
#   pi-OP: every privileged operation class ends its domain (3a).
# Afterwards an echo LXD answers and the pool is back to its start.  Every
# check runs (a failed one is counted, not fatal).
. /tests/lxd-lib.sh
failed=0
bad() { say "FAIL: $*"; failed=$((failed + 1)); }
# mark TEXT: a progress line in the kernel log (dmesg), at info level so it
# stays off the console: there it split the test's own lines mid-line
mark() { echo "<6>lxds-guest: test $T: mark: $*" > /dev/kmsg; }
status_line() { lxdctl status "$1" 2>&1 | grep -E '^(stopped|crashed):'; }
# ended NAME STATE [SECONDS]: waits until the domain no longer runs (stopped
# or crashed, so a crash does not cost the whole wait), then true if STATE.
ended() {
  n=0
  while :; do
    s=$(state_of "$1")
    [ "$s" = stopped ] || [ "$s" = crashed ] && break
    n=$((n + 1))
    [ $n -gt $((${3:-10} * 4)) ] && break
    sleep 0.25
  done
  [ "$s" = "$2" ]
}

ensure_module
say "/proc/lxd mode $(stat -c %a /proc/lxd)"
[ "$(stat -c %a /proc/lxd)" = 400 ] || bad "/proc/lxd is not mode 0400"
free0=$(pool_free)

# 3, 4. One core (1), three domains in a row.
run lxdctl load /lib/lxd/attack.lxd dirty --core 1 || bad "load dirty"
ended dirty stopped 60 || bad "dirty did not stop by itself"
say "dirty: $(status_line dirty)"
status_line dirty | grep -q '^stopped: exited with code 7 ' || bad "dirty's exit code 7 is not in its status"
run lxdctl load /lib/lxd/attack.lxd check --core 1 || bad "load check on dirty's core"
ended check stopped 60 || bad "check did not run to its end on core 1 (the core does not wake?)"
say "check: $(status_line check)"
status_line check | grep -q '^stopped: exited with code 0 ' || bad "check found state left by dirty"
run lxdctl load /lib/lxd/echo.lxd echo1 --core 1 || bad "load echo1 on core 1"
run lxdctl ping echo1 -n 10 -t 3000 || bad "echo1 on core 1 does not answer"
for d in dirty check echo1; do run lxdctl destroy $d || bad "destroy $d"; done

# 6. Log abuse.
run lxdctl load /lib/lxd/attack.lxd spam || bad "load spam"
ended spam stopped 120 || bad "spam did not stop by itself"
say "spam: $(status_line spam)"
run lxdctl destroy spam || bad "destroy spam"

# 3a. Privileged operations (attack.lxd pi-OP), one domain each on core 2,
# while an echo domain on core 3 must keep answering: each must be ended by
# the hypervisor (stopped or crashed, with its reason), never return.
PI_OPS="in-diag out-com1 out-pci out-reset out-cf9 rdmsr wrmsr wrmsr-efer hlt invd wbinvd
cr0-pg cr4-pae xsetbv vmxoff vmread vmrun stgi cr3-out cr3-low idt ud2
rdpmc monitor mwait dr7-write dr0-read outs ins in-rtc out-pic out-pit in-cfc out-pm1
rdmsr-vmx rdmsr-fc rdmsr-tsc wrmsr-x2apic wrmsr-tscdl wrmsr-pat wrmsr-mtrr wrmsr-kgs
getsec vmlaunch vmptrld invept vmload vmsave clgi skinit invlpga xsaves invpcid cr4-vmxe lgdt"
run lxdctl load /lib/lxd/echo.lxd sentry --core 3 || bad "load sentry"
tried=0 ended_ok=0
for op in $PI_OPS; do
  tried=$((tried + 1))
  lxdctl load /lib/lxd/attack.lxd "pi-$op" --core 2 >/dev/null 2>&1 || bad "load pi-$op"
  ended "pi-$op" crashed 20 || true
  s=$(state_of "pi-$op")
  st=$(status_line "pi-$op")
  say "pi $op: $st"
  case "$st" in
    *"exited with code 99"*) bad "pi-$op returned: not refused" ;;
    stopped:*|crashed:*) ended_ok=$((ended_ok + 1)) ;;
    *) bad "pi-$op is still $s" ; lxdctl stop "pi-$op" >/dev/null 2>&1 ;;
  esac
  lxdctl ping sentry -n 20 -t 3000 >/dev/null 2>&1 || bad "sentry does not answer after pi-$op"
  lxdctl destroy "pi-$op" >/dev/null 2>&1 || bad "destroy pi-$op"
done
say "privileged operations: $ended_ok of $tried ended by the hypervisor; sentry answered after each"
run lxdctl destroy sentry || bad "destroy sentry"

# The rest goes on.
run lxdctl load /lib/lxd/echo.lxd || bad "load echo after the attacks"
run lxdctl ping echo -n 1000 || bad "echo does not answer after the attacks"
run lxdctl destroy echo || bad "destroy echo"
# 5. Ring abuse: klxd_call() to a domain that floods Linux's reply ring.
run lxdctl load /lib/lxd/attack.lxd flood || bad "load flood"
id=$(printf '%s\n' "$OUT" | sed -n 's/^loaded flood as domain \([0-9]*\)$/\1/p')
mark "flood is domain $id"
echo 3000 > /sys/module/klxd/parameters/timeout_ms
t0=$(date +%s)
mark "klxd_call to the flooding domain $id: insmod klxd_apitest"
run insmod /lib/modules/klxd_apitest.ko domain="$id" calls=1 && bad "klxd_call to the flooding domain succeeded"
mark "insmod returned $RC"
t1=$(date +%s)
mark "t1 $t1"
dmesg | grep 'klxd_apitest:' | tail -n 2 | while IFS= read -r l; do say "dmesg: $l"; done
if dmesg | grep -q 'klxd_apitest: call 0: klxd_call failed: -110'; then
  say "klxd_call to the flooding domain: -ETIMEDOUT after $((t1 - t0)) s (deadline 3 s)"
else
  bad "klxd_call to the flooding domain did not end with -ETIMEDOUT"
fi
echo 10000 > /sys/module/klxd/parameters/timeout_ms
mark "stopping flood"
run lxdctl stop flood || bad "stop flood"
mark "stop returned $RC"
run lxdctl destroy flood || bad "destroy flood"
mark "destroy returned $RC"

run lxdctl load /lib/lxd/echo.lxd echo2 || bad "load echo2 after the flood"
run lxdctl ping echo2 -n 100 || bad "echo2 does not answer after the flood"
run lxdctl destroy echo2 || bad "destroy echo2"

[ "$(domain_count)" = 0 ] || bad "$(domain_count) domain(s) left"
[ "$(pool_free)" = "$free0" ] || bad "pool free $(pool_free), $free0 before"
say "pool back to $(pool_free) bytes"
[ $failed = 0 ] || { say "$failed check(s) failed"; exit 1; }
say "LXD attacks refused; state reset between domains; echo answers; nothing leaked"
