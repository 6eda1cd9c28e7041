#!/usr/bin/env bash
# Real gdb (Debian's, batch mode) against lxdctl's gdb server over the fake
# target, through a pipe (`target remote | rsp_fake`): the packets gdb really
# sends, not only the ones a test author expects.  PASS:/FAIL: per check.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v gdb >/dev/null || { echo "FAIL: gdb-real: gdb is not installed (make setup)"; exit 1; }

run_gdb() {  # $1 = output file, rest = gdb -ex commands
  local out=$1; shift
  local args=()
  for c in "$@"; do args+=(-ex "$c"); done
  (cd "$here" && RSP_FAKE_SUMMARY=$out.summary timeout 60 gdb -batch -nx -ex 'set pagination off' -ex 'target remote | ./rsp_fake' \
     "${args[@]}") >"$out" 2>&1
}
summary() {  # file: the fake target's summary line (it may land just after gdb exits)
  for _ in $(seq 30); do [ -s "$1.summary" ] && break; sleep 0.1; done
  cat "$1.summary" >>"$1" 2>/dev/null
}
check() {  # name file regex
  if grep -qE "$3" "$2"; then echo "PASS: gdb-real: $1"
  else echo "FAIL: gdb-real: $1: no /$3/ in gdb's output:"; sed 's/^/    /' "$2" | tail -n 25; fi
}

run_gdb "$work/a" 'info threads' 'p/x $rip' 'p/x $rax' 'x/4xb 0x400000' 'break *0x400020' \
  'continue' 'p/x $rip' 'stepi' 'p/x $rip' 'set var $rbx = 0x1234' 'p/x $rbx' \
  'set var *(unsigned char *)0x400100 = 0xcc' 'x/1xb 0x400100' 'x/1xb 0x3ff000' \
  'thread 2' 'p/x $rip' 'p/x $cr2' 'info registers eflags' 'detach'
summary "$work/a"
check "connects and reads the target description" "$work/a" '^0x0000000000400000 in \?\? \(\)'
check "domains are threads, with name and state" "$work/a" '2 +Thread 2 \(probe \(crashed: EPT violation\)\)'
check "reads rip" "$work/a" '^\$1 = 0x400000$'
check "reads rax" "$work/a" '^\$2 = 0x1122334455667788$'
check "reads memory" "$work/a" '^0x400000:\s+0x90\s+0x90\s+0x90\s+0x90'
check "breakpoint hit" "$work/a" 'Thread 1 hit Breakpoint 1, 0x0000000000400020'
check "stepi moves one instruction" "$work/a" '^\$4 = 0x400021$'
check "writes a register" "$work/a" '^\$5 = 0x1234$'
check "writes memory" "$work/a" '^0x400100:\s+0xcc'
check "unmapped memory is an error" "$work/a" 'Cannot access memory at address 0x3ff000'
check "switches to the second domain" "$work/a" '^\$6 = 0x400123$'
check "control registers" "$work/a" '^\$7 = 0x1000000$'
check "eflags decoded" "$work/a" '^eflags +0x2 +\[ +\]'
check "detaches" "$work/a" 'Inferior 1 \(Remote target\) detached'
check "the server saw no bad packet" "$work/a" 'rsp_fake: [0-9]+ packets, 0 bad, detached 1'

# Ctrl-C: a domain that runs and never stops, interrupted from gdb (SIGINT to gdb)
(cd "$here" && RSP_FAKE_SUMMARY=$work/b.summary timeout 60 gdb -batch -nx -ex 'target remote | ./rsp_fake' -ex 'set var $rip = 0x401000' \
   -ex 'continue' -ex 'p/x $rip' -ex 'kill') >"$work/b" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q 'rip = 0x401000\|^0x0000000000400000' "$work/b" 2>/dev/null && break; sleep 0.1; done
sleep 1
pkill -INT -P "$pid" -x gdb 2>/dev/null || pkill -INT -f "gdb -batch -nx -ex target remote \| ./rsp_fake -ex set var"
wait "$pid"
summary "$work/b"
check "interrupt stops a running domain" "$work/b" 'Thread 1 received signal SIGINT, Interrupt'
check "kill reaches the target" "$work/b" 'killed 1'
