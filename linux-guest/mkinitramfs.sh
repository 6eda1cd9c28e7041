#!/usr/bin/env bash
# Build the lxds guest initramfs (newc cpio, legacy-LZ4 compressed, as the
# kernel's RD_LZ4 expects) without root: the archive is described as a list for
# the kernel's own usr/gen_init_cpio, so /dev/console needs no mknod.
#
#   mkinitramfs.sh OUT KBUILD_DIR MODROOT [HOST:GUEST ...]
#
#   OUT         the .cpio.lz4 to write; rewritten only when its content changes
#               (the archive is reproducible: fixed timestamps, root-owned)
#   KBUILD_DIR  the kernel's O= build dir (for usr/gen_init_cpio)
#   MODROOT     modules_install output; its lib/modules/ goes into the image
#   HOST:GUEST  extra files (or directories, copied whole) to add; GUEST is an
#               absolute path in the image. The mode comes from the host file.
#
# Contents: linux-guest/initramfs/ (init, etc/, tests/), /bin/busybox with a
# link for each applet, /dev/console, the kernel modules, the extras.
set -euo pipefail

die() { echo "mkinitramfs.sh: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: mkinitramfs.sh OUT KBUILD_DIR MODROOT [HOST:GUEST ...]"
out=$1 kbuild=$2 modroot=$3
shift 3

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tree=$here/initramfs
busybox=${BUSYBOX:-/bin/busybox}
gen=$kbuild/usr/gen_init_cpio

[ -x "$gen" ] || die "$gen missing: build the kernel first (make linux)"
[ -x "$busybox" ] || die "$busybox missing: install busybox-static (make setup)"
# a dynamic busybox would need a libc the image does not have (readelf: binutils, a gcc dependency)
if readelf -l "$busybox" 2>/dev/null | grep -q 'INTERP'; then
  die "$busybox is dynamically linked: install busybox-static, not busybox"
fi
[ -x "$tree/init" ] || die "$tree/init missing or not executable"
command -v lz4 >/dev/null || die "lz4 not found: run 'make setup'"

list=$(mktemp /tmp/lxds-initramfs.XXXXXX.list)
cpio_tmp=$(mktemp /tmp/lxds-initramfs.XXXXXX.cpio)
trap 'rm -f "$list" "$cpio_tmp" "$cpio_tmp.lz4"' EXIT

declare -A seen=()
check_path() {
  case $1 in
    /*) ;;
    *) die "guest path '$1' is not absolute" ;;
  esac
  [[ $1 != *[[:space:]]* ]] || die "path '$1' has white space (gen_init_cpio cannot take it)"
}
add_dir() {  # guest path; parents first
  local d=$1
  [ "$d" = / ] && return 0
  [ -n "${seen[$d]:-}" ] && return 0
  add_dir "$(dirname "$d")"
  seen[$d]=dir
  echo "dir $d 0755 0 0" >>"$list"
}
add_file() {  # host path, guest path
  local host=$1 guest=$2 mode
  check_path "$guest"
  [[ $host != *[[:space:]]* ]] || die "path '$host' has white space (gen_init_cpio cannot take it)"
  if [ -n "${seen[$guest]:-}" ]; then
    # a later entry (an extra) replaces an earlier one of the same name
    sed -i "\\# $guest #d" "$list"
  fi
  add_dir "$(dirname "$guest")"
  mode=$(stat -L -c '%a' "$host")
  seen[$guest]=file
  echo "file $guest $host $mode 0 0" >>"$list"
}
add_tree() {  # host dir, guest dir: every file and directory below
  local hostdir=$1 guestdir=$2 rel
  add_dir "$guestdir"
  while IFS= read -r rel; do
    rel=${rel#./}
    if [ -d "$hostdir/$rel" ]; then
      add_dir "${guestdir%/}/$rel"
    elif [ -f "$hostdir/$rel" ]; then
      add_file "$hostdir/$rel" "${guestdir%/}/$rel"
    fi   # symlinks and special files are left out
  done < <(cd "$hostdir" && find . -mindepth 1 \( -type d -o -type f \) | LC_ALL=C sort)
}

for d in /bin /sbin /usr/bin /usr/sbin /dev /proc /sys /tmp /run /root /etc /lib/modules /mnt; do
  add_dir "$d"
done
echo "nod /dev/console 0600 0 0 c 5 1" >>"$list"
echo "nod /dev/null 0666 0 0 c 1 3" >>"$list"
seen[/dev/console]=nod
seen[/dev/null]=nod

add_file "$busybox" /bin/busybox
while IFS= read -r applet; do
  applet=/${applet#/}
  [ "$applet" = /bin/busybox ] && continue
  [ -n "${seen[$applet]:-}" ] && continue
  add_dir "$(dirname "$applet")"
  seen[$applet]=link
  echo "slink $applet /bin/busybox 0777 0 0" >>"$list"
done < <("$busybox" --list-full | LC_ALL=C sort)

add_tree "$tree" /
if [ -d "$modroot/lib/modules" ]; then
  add_tree "$modroot/lib/modules" /lib/modules
fi

for spec in "$@"; do
  [[ $spec == *:* ]] || die "extra '$spec' is not HOST:GUEST"
  host=${spec%%:*} guest=${spec#*:}
  [ -e "$host" ] || die "extra file $host (for $guest) does not exist"
  if [ -d "$host" ]; then
    check_path "$guest"
    add_tree "$host" "$guest"
  else
    add_file "$host" "$guest"
  fi
done

"$gen" -t 0 "$list" >"$cpio_tmp" || die "gen_init_cpio failed on $list"
lz4 -q -l -9 -f "$cpio_tmp" "$cpio_tmp.lz4" || die "lz4 compression failed"

mkdir -p "$(dirname "$out")"
if [ -f "$out" ] && cmp -s "$cpio_tmp.lz4" "$out"; then
  exit 0   # unchanged: keep the old mtime so nothing downstream rebuilds
fi
mv "$cpio_tmp.lz4" "$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs.sh: wrote $out ($(stat -c %s "$out") bytes, $(grep -c . "$list") entries)" >&2
