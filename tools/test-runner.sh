#!/usr/bin/env bash
# Runs lxds tests and prints one summary line: "N passed, N failed".
#
#   test-runner.sh --host BIN...      cmocka unit-test programs
#   test-runner.sh --system DIR       every DIR/*.sh system-test script
#   (both may be given; LXDS_TEST_FILTER=regex keeps only matching system scripts)
#
# Contract for system-test scripts: print "PASS: <name>" or "FAIL: <name>: <why>"
# per check; a script that exits non-zero without printing any FAIL counts as
# one failure. Scripts bound their own emulator runs with a timeout.
set -u
passed=0
failed=0
failures=()

count_output() {  # $1 = label, $2 = log file, $3 = exit status
  local label=$1 log=$2 rc=$3 p f
  p=$(grep -cE '^\[ +OK +\]|^PASS: ' "$log")
  # cmocka's own summary line "[  FAILED  ] N test(s), listed below" must not count twice
  f=$(grep -E '^\[ +FAILED +\] |^FAIL: ' "$log" | grep -vcE '^\[ +FAILED +\] [0-9]+ test')
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    failures+=("$label: exited with status $rc and reported no failing check")
    echo "---- tail of $label output ----"; tail -n 25 "$log"; echo "----"
  fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    f=1
    failures+=("$label: ran no check")
  fi
  while IFS= read -r line; do failures+=("$label: $line"); done \
    < <(grep -E '^\[ +FAILED +\] |^FAIL: ' "$log" | grep -vE '^\[ +FAILED +\] [0-9]+ test')
  passed=$((passed + p))
  failed=$((failed + f))
}

mode=
while [ $# -gt 0 ]; do
  case $1 in
    --host) mode=host ;;
    --system) mode=system ;;
    *)
      tmp=$(mktemp)
      if [ "$mode" = host ]; then
        echo "== unit: $1"
        "$1" >"$tmp" 2>&1; rc=$?
        grep -E '^\[ +(OK|FAILED) +\]|ERROR|runtime error|AddressSanitizer' "$tmp"
        count_output "$1" "$tmp" "$rc"
      elif [ "$mode" = system ]; then
        for t in "$1"/*.sh; do
          [ -e "$t" ] || continue
          if [ -n "${LXDS_TEST_FILTER:-}" ] && ! [[ $t =~ $LXDS_TEST_FILTER ]]; then continue; fi
          echo "== system: $t"
          bash "$t" 2>&1 | tee "$tmp"; rc=${PIPESTATUS[0]}
          count_output "$t" "$tmp" "$rc"
        done
      else
        echo "test-runner: say --host or --system before $1" >&2; exit 2
      fi
      rm -f "$tmp"
      ;;
  esac
  shift
done

if [ ${#failures[@]} -gt 0 ]; then
  echo "Failures:"
  printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
