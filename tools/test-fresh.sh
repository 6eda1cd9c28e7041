#!/usr/bin/env bash
# make test-fresh: proves the README's promise on a machine that never saw lxds.
#
# Builds a minimal Debian 12 root (mmdebstrap, variant minbase, from this
# machine's own Debian apt sources: nothing else is downloaded), adds only
# what a newcomer needs to type the README's commands (make; the clone is
# copied in), and in it, as root with an empty HOME (so an empty kernel
# cache), runs:
#   1. make test                                   (the first run, cold cache)
#   2. make run, driven at the guest shell by tools/run-session.py: load and
#      ping the echo LXD, `sleep 5` timed from outside, poweroff -f; then
#      build/hypervisor.log must hold the hypervisor's log
# printing the wall time and result of each.  Slow (a cold kernel build plus
# the whole suite, ~30 min here): run it before resolving set-up work and
# whenever set-up changes; record the result in docs/fresh-machine.md.
#
#   tools/test-fresh.sh [--keep] [--root DIR] [--only-run]
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=/var/tmp/lxds-fresh/root
keep=0 only_run=0
while [ $# -gt 0 ]; do
  case $1 in
    --keep) keep=1 ;;
    --root) root=$2; shift ;;
    --only-run) only_run=1 ;;
    *) echo "test-fresh.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || { echo "test-fresh.sh: needs root (chroot, mounts)" >&2; exit 2; }
command -v mmdebstrap >/dev/null || { echo "test-fresh.sh: mmdebstrap missing: run make setup" >&2; exit 2; }

now() { date +%s; }
log() { echo "test-fresh: $*"; }

mounts=()
cleanup() {
  local m
  for ((i=${#mounts[@]}-1; i>=0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
  [ "$keep" = 1 ] || rm -rf "$root"
}
trap cleanup EXIT

# This machine's Debian sources only (not third-party repositories).
sources=$(mktemp /tmp/lxds-fresh-sources.XXXXXX)
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  case $f in
    *.sources) awk 'BEGIN{RS=""; ORS="\n\n"} /debian\.org/' "$f" ;;
    *) grep -E '^deb .*debian\.org' "$f" || true ;;
  esac
done >"$sources"
[ -s "$sources" ] || { echo "test-fresh.sh: no Debian apt sources on this machine" >&2; exit 1; }

if [ "$only_run" = 0 ] || [ ! -d "$root" ]; then
  rm -rf "$root"
  mkdir -p "$(dirname "$root")"
  t=$(now)
  log "making a minimal Debian 12 root in $root (mmdebstrap, this machine's Debian sources)"
  mmdebstrap --variant=minbase --include=make,ca-certificates,python3 bookworm "$root" "$sources" \
    >/tmp/lxds-fresh-mmdebstrap.log 2>&1 \
    || { tail -n 30 /tmp/lxds-fresh-mmdebstrap.log; echo "test-fresh.sh: mmdebstrap failed" >&2; exit 1; }
  log "root ready in $(( $(now) - t ))s"
  # a clean clone of what is committed, as a newcomer gets it
  git clone -q "$top" "$root/root/lxds"
  log "cloned $(git -C "$top" rev-parse --short HEAD) into /root/lxds"
fi
rm -f "$sources"
cp /etc/resolv.conf "$root/etc/resolv.conf"

for m in proc sys dev dev/pts; do
  mount --bind "/$m" "$root/$m"
  mounts+=("$root/$m")
done
# The one machine-wide lock for emulators and kernel builds is shared with the
# host, so this run and anyone else's take turns instead of fighting for 2 cores.
touch /tmp/lxds-heavy.lock "$root/tmp/lxds-heavy.lock"
mount --bind /tmp/lxds-heavy.lock "$root/tmp/lxds-heavy.lock"
mounts+=("$root/tmp/lxds-heavy.lock")

inroot() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
             TERM=xterm LANG=C.UTF-8 bash -c "cd /root/lxds && $1"; }

rc_test=0 rc_run=0
if [ "$only_run" = 0 ]; then
  t=$(now)
  log "1. make test (first run on a fresh machine)"
  set +e
  inroot 'make test' 2>&1 | tee /tmp/lxds-fresh-test.log \
    | grep --line-buffered -E '^(FAIL|setup|make: \*\*\*|build-kernel.sh: (building|built))|passed, [0-9]+ failed'
  rc_test=${PIPESTATUS[0]}
  set -e
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' /tmp/lxds-fresh-test.log | tail -n1 || true)
  log "make test: ${summary:-no summary line} (exit $rc_test) in $(( $(now) - t ))s; log /tmp/lxds-fresh-test.log"
fi

t=$(now)
log "2. make run, driven at the guest shell"
set +e
inroot "rm -f build/hypervisor.log; python3 tools/run-session.py --transcript /tmp/run-session.txt --sleep-check \
  --step 'lxdctl load /lib/lxd/echo.lxd && lxdctl ping echo -n 2000=>2000/2000 replies correct' \
  --step 'lxdctl status echo=>running' \
  -- make run && grep -q 'hypervisor log continues here' build/hypervisor.log && echo 'PASS: run: build/hypervisor.log holds the hypervisor log' \
  || { echo 'FAIL: run: the session failed or build/hypervisor.log is missing or empty'; exit 1; }" 2>&1 | tee /tmp/lxds-fresh-run.log
rc_run=${PIPESTATUS[0]}
set -e
cp "$root/tmp/run-session.txt" /tmp/lxds-fresh-run-transcript.txt 2>/dev/null || true
log "make run session: exit $rc_run in $(( $(now) - t ))s; transcript /tmp/lxds-fresh-run-transcript.txt"

[ "$rc_test" -eq 0 ] && [ "$rc_run" -eq 0 ]
