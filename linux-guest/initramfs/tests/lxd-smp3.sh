#!/bin/sh
# Linux on three cores (lxd_cores=1 of 4, tests/system/linux_smp.sh):
# nproc and /proc/cpuinfo show 3; a busy loop pinned to each core, all
# three at once; an echo LXD on the one LXD core with a channel per Linux
# CPU, pinged from CPUs 0, 1 and 2 at the same time (each over its own
# channel, every reply checked, the three runs overlapping by the TSC,
# /proc/lxd_channels' counts exact); lxdctl info says what each core runs.
. /tests/lxd-lib.sh
LOOPS=${SMP_LOOPS:-20000}
N=${SMP_PINGS:-5000}
say "nproc=$(nproc)"
say "cpuinfo processors=$(grep -c '^processor' /proc/cpuinfo)"
busy() { taskset -c "$1" sh -c "i=0; while [ \$i -lt $LOOPS ]; do i=\$((i + 1)); done; echo \$i" ; }
for c in 0 1 2; do busy $c > /tmp/b$c & eval p$c=\$!; done
for c in 0 1 2; do eval wait \$p$c || fail "the busy loop on CPU $c failed"; done
say "busy loops at once: cpu0=$(cat /tmp/b0) cpu1=$(cat /tmp/b1) cpu2=$(cat /tmp/b2)"
for c in 0 1 2; do [ "$(cat /tmp/b$c)" = "$LOOPS" ] || fail "the busy loop on CPU $c did not finish"; done
run lxdctl load /lib/lxd/echo.lxd --channels 3 || fail "lxdctl load echo --channels 3"
say "echo runs on core $(core_of echo)"
id=$(lxdctl list | awk '$2 == "echo" { print $1 }')
chan_count() { awk -v d="$id" -v c="$1" -v f="$2" '$1 == d && $2 == c { print $f }' /proc/lxd_channels; }
# three_pings K: one attempt.  The three wait at a start line (/tmp/go,
# spinning on their own CPUs) so that they begin together; every reply and
# every channel count is checked on every attempt.  Under QEMU a vCPU
# thread may be descheduled by the host for longer than a whole run of
# another CPU, so an attempt whose runs did not overlap by the TSC is
# repeated (up to 3), and the line says which attempt it was.
three_pings() {
  rm -f /tmp/go
  for c in 0 1 2; do echo "$(chan_count $c 5) $(chan_count $c 6)" > /tmp/c$c; done
  for c in 0 1 2; do
    taskset -c $c sh -c "while [ ! -e /tmp/go ]; do :; done; exec lxdctl ping echo -n $N -T" > /tmp/p$c 2>&1 &
    eval a$c=\$!
  done
  sleep 1; : > /tmp/go
  for c in 0 1 2; do eval wait \$a$c; echo $? > /tmp/e$c; done
  lo=0 hi=
  for c in 0 1 2; do
    say "cpu$c: $(grep 'replies correct' /tmp/p$c) (exit $(cat /tmp/e$c))"
    grep -q "^ping: $N/$N replies correct.*cpu $c, channel $c of 3)$" /tmp/p$c ||
      fail "ping from CPU $c: not every reply correct, or not over channel $c"
    read -r b f <<EOT
$(sed -n 's/^ping: tsc \([0-9]*\) \([0-9]*\) .*/\1 \2/p' /tmp/p$c)
EOT
    [ -n "$b" ] && [ -n "$f" ] || fail "ping from CPU $c printed no TSC span"
    [ "$b" -gt "$lo" ] && lo=$b            # the latest start
    { [ -z "$hi" ] || [ "$f" -lt "$hi" ]; } && hi=$f   # the earliest end
  done
  overlap=no
  [ "$lo" -lt "$hi" ] && overlap=yes
  counts=
  for c in 0 1 2; do
    read -r s r < /tmp/c$c
    ds=$(( $(chan_count $c 5) - s )); dr=$(( $(chan_count $c 6) - r ))
    counts="$counts channel $c +$ds/+$dr"
    [ "$ds" = "$N" ] && [ "$dr" = "$N" ] || fail "channel $c: +$ds sent, +$dr received, for $N pings"
  done
  say "three pings at once:$counts (sent/received); all three running together: $overlap (latest start $lo, earliest end $hi; attempt $1 of 3)"
}
for k in 1 2 3; do
  three_pings $k
  [ "$overlap" = yes ] && break
done
[ "$overlap" = yes ] || fail "the three pings did not all run at the same time (by the TSC) in 3 attempts"
run lxdctl info
run taskset -c 2 lxdctl destroy echo || fail "destroy echo from CPU 2"
say "smp3: done"
