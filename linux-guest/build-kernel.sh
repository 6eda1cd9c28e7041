#!/usr/bin/env bash
# Build the lxds guest kernel outside the clone, into a cache directory keyed by
# everything that decides its content, so an unchanged tree never rebuilds it and
# a fresh clone (CI) on the same machine reuses it.  This script is the only
# place the key is computed; it runs after set-up (make calls it from a recipe),
# so the key always sees the installed linux-source package.
#
#   build-kernel.sh --dir        print the cache directory for the current inputs (never fails)
#   build-kernel.sh [--link DIR] build it there unless a valid build is cached (takes
#                                /tmp/lxds-heavy.lock); with --link, point DIR/kernel at
#                                the cache entry and rewrite DIR/kernel-cache-dir only
#                                when the entry changed (make's stamp for what uses it)
#
# Cache layout: ${LXDS_CACHE:-$HOME/.cache/lxds}/linux-<key>/
#   src/            the unpacked linux-source-6.1 tree (kept clean: O= build)
#   build/          the O= build dir: .config, vmlinux, arch/x86/boot/bzImage,
#                   Module.symvers, usr/gen_init_cpio; external modules build against it
#   modroot/        `make modules_install` output (lib/modules/<release>/, with modules.dep)
#   kernelrelease   `uname -r` of this kernel
#   build.log       full make output
#   done            written last; a build counts only with it AND every artefact
#                   below present (validated on every call, not only keyed)
# key = first 16 hex digits of sha256 over: the linux-source-6.1 package version,
#       the compiler version, kernel.config, and this script.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fragment=$here/kernel.config
pkg=linux-source-6.1
tarball=/usr/src/linux-source-6.1.tar.xz
cache_root=${LXDS_CACHE:-$HOME/.cache/lxds}
lock=/tmp/lxds-heavy.lock
jobs=${LXDS_KERNEL_JOBS:-2}

pkg_version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || echo not-installed)
cc_version=$(gcc --version 2>/dev/null | head -n1 || echo no-gcc)
key=$({ echo "$pkg $pkg_version"; echo "$cc_version"; cat "$fragment"; cat "${BASH_SOURCE[0]}"; } \
      | sha256sum | cut -c1-16)
dir=$cache_root/linux-$key

link=
case ${1:-} in
  --dir) echo "$dir"; exit 0 ;;
  --link) [ $# -eq 2 ] || { echo "build-kernel.sh: --link takes a directory" >&2; exit 2; }
          link=$2 ;;
  "") ;;
  *) echo "build-kernel.sh: unknown argument '$1' (use --dir, --link DIR or nothing)" >&2; exit 2 ;;
esac

die() { echo "build-kernel.sh: $*" >&2; exit 1; }

# Everything later steps need from a build: the image, what external modules
# (klxd, LXD drivers) build against, and the module tree with its depmod index.
artefacts() {
  local rel
  echo build/arch/x86/boot/bzImage build/vmlinux build/Module.symvers build/.config \
       build/usr/gen_init_cpio build/scripts/mod/modpost build/include/generated/autoconf.h \
       build/include/generated/utsrelease.h build/Makefile kernelrelease
  rel=$(cat "$dir/kernelrelease" 2>/dev/null) || return 0
  echo "modroot/lib/modules/$rel/modules.dep" "modroot/lib/modules/$rel/modules.dep.bin"
}
# Prints why the cache entry is not usable (nothing when it is).
cache_problem() {
  [ -e "$dir/done" ] || { echo "no finished build"; return; }
  local f
  for f in $(artefacts); do
    [ -e "$dir/$f" ] || { echo "it lacks $f"; return; }
  done
}

publish() {  # point $link/kernel at the cache entry; touch the stamp only on change
  [ -n "$link" ] || return 0
  mkdir -p "$link"
  ln -sfn "$dir" "$link/kernel"
  [ "$(cat "$link/kernel-cache-dir" 2>/dev/null)" = "$dir" ] || echo "$dir" >"$link/kernel-cache-dir"
}

why=$(cache_problem)
if [ -z "$why" ]; then
  publish
  exit 0
fi

[ "$pkg_version" != not-installed ] && [ -r "$tarball" ] \
  || die "$pkg is not installed ($tarball missing): run 'make setup' (tools/setup.sh)"
command -v gcc >/dev/null || die "gcc not found: run 'make setup'"
for tool in flex bison bc lz4; do
  command -v "$tool" >/dev/null || die "$tool not found (needed by the kernel build): run 'make setup'"
done

# Without depmod, modules_install only warns and leaves no modules.dep: refuse.
depmod_bin=$(command -v depmod || command -v /usr/sbin/depmod || command -v /sbin/depmod) \
  || die "depmod not found (Debian package kmod): run 'make setup'"
mkdir -p "$dir"
# One heavy job at a time on this 2-core machine, across all engineers and CI.
exec 9>"$lock"
if ! flock -n 9; then
  echo "build-kernel.sh: waiting for $lock (another kernel build or emulator run)..." >&2
  flock 9
fi
# Someone else may have finished the same build while we waited.
why=$(cache_problem)
if [ -z "$why" ]; then
  publish
  exit 0
fi
if [ -e "$dir/done" ]; then
  echo "build-kernel.sh: the cached kernel in $dir is incomplete ($why): rebuilding" >&2
  rm -f "$dir/done"
fi

start=$(date +%s)
echo "build-kernel.sh: building the guest kernel ($pkg $pkg_version, key $key) in $dir" >&2

# 1. Unpack the source, atomically: a half-unpacked tree is never named src/.
if [ ! -d "$dir/src" ]; then
  echo "build-kernel.sh: unpacking $tarball ..." >&2
  rm -rf "$dir/src.tmp"
  mkdir -p "$dir/src.tmp"
  tar -xJf "$tarball" -C "$dir/src.tmp" || die "unpacking $tarball failed"
  [ -f "$dir/src.tmp/linux-source-6.1/Makefile" ] || die "$tarball has no linux-source-6.1/Makefile"
  mv "$dir/src.tmp/linux-source-6.1" "$dir/src"
  rm -rf "$dir/src.tmp"
fi

src=$dir/src
out=$dir/build
log=$dir/build.log
mkdir -p "$out"
: >"$log"
kmake() { make -C "$src" O="$out" ARCH=x86_64 "$@" >>"$log" 2>&1; }
fail_log() { echo "---- last lines of $log ----" >&2; tail -n 40 "$log" >&2; die "$1"; }

# 2. Configure: tinyconfig, then our fragment, then resolve dependencies.
#    A partial build left by an interrupted run is reused: regenerating the same
#    .config does not force make to rebuild what is already there.
kmake tinyconfig || fail_log "make tinyconfig failed"
(cd "$src" && ./scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$fragment") >>"$log" 2>&1 \
  || fail_log "merge_config.sh of $fragment failed"
kmake olddefconfig || fail_log "make olddefconfig failed"

# 3. Check that every option of the fragment stuck (tinyconfig/olddefconfig
#    silently drops an option whose dependencies are missing).
missing=()
echo "build-kernel.sh: key options in $out/.config:" >&2
while IFS= read -r line; do
  if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
    sym=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
    got=$(grep -E "^$sym=" "$out/.config" | head -n1 | cut -d= -f2- || true)
    if [ "$got" = "$want" ]; then
      printf '  %-36s %s\n' "$sym" "$got" >&2
    else
      missing+=("$sym: want $want, got ${got:-unset}")
    fi
  elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
    sym=${BASH_REMATCH[1]}
    if grep -qE "^$sym=" "$out/.config"; then
      missing+=("$sym: want unset, got $(grep -E "^$sym=" "$out/.config" | cut -d= -f2-)")
    fi
  fi
done <"$fragment"
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-kernel.sh: these options of $fragment did not stick (missing dependency?):" >&2
  printf '  %s\n' "${missing[@]}" >&2
  die "config check failed; fix $fragment"
fi

# 4. Build the kernel, modules, and the headers external modules need.
echo "build-kernel.sh: make -j$jobs (log: $log) ..." >&2
kmake -j"$jobs" all || fail_log "kernel build failed"
rm -rf "$dir/modroot"
kmake INSTALL_MOD_PATH="$dir/modroot" INSTALL_MOD_STRIP=1 DEPMOD="$depmod_bin" modules_install \
  || fail_log "make modules_install failed"
make -s -C "$src" O="$out" kernelrelease >"$dir/kernelrelease" 2>>"$log" || fail_log "make kernelrelease failed"

for f in $(artefacts); do
  [ -e "$dir/$f" ] || die "build finished but $dir/$f is missing"
done

# 5. The stamp, last and atomically.
secs=$(( $(date +%s) - start ))
printf 'release=%s\nseconds=%s\nkey=%s\n' "$(cat "$dir/kernelrelease")" "$secs" "$key" >"$dir/done.tmp"
mv "$dir/done.tmp" "$dir/done"
echo "build-kernel.sh: built $(cat "$dir/kernelrelease") in ${secs}s: $out/arch/x86/boot/bzImage" >&2
publish
