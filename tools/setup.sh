#!/usr/bin/env bash
# Install the Debian packages lxds needs, only when something is missing.
# Idempotent and quiet when everything is already there.
set -euo pipefail

# package -> a file or command that proves it is installed
declare -A probe=(
  [gcc]=/usr/bin/gcc
  [g++]=/usr/bin/g++
  [make]=/usr/bin/make
  [git]=/usr/bin/git
  [nasm]=/usr/bin/nasm
  [grub-pc-bin]=/usr/lib/grub/i386-pc/multiboot2.mod
  [grub-common]=/usr/bin/grub-mkrescue
  [xorriso]=/usr/bin/xorriso
  [mtools]=/usr/bin/mformat
  [qemu-system-x86]=/usr/bin/qemu-system-x86_64
  [bochs]=/usr/bin/bochs
  [bochsbios]=/usr/share/bochs/BIOS-bochs-latest
  [vgabios]=/usr/share/vgabios/vgabios.bin
  [bochs-term]=/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so
  [gdb]=/usr/bin/gdb
  [libcmocka-dev]=/usr/include/cmocka.h
  [gnuplot-nox]=/usr/bin/gnuplot
  [libck-dev]=/usr/include/ck_ring.h
  [libboost-context-dev]=/usr/include/boost/context/fiber.hpp
  [busybox-static]=/bin/busybox
  [linux-source-6.1]=/usr/src/linux-source-6.1.tar.xz
  [bc]=/usr/bin/bc
  [flex]=/usr/bin/flex
  [bison]=/usr/bin/bison
  [libelf-dev]=/usr/include/libelf.h
  [libssl-dev]=/usr/include/openssl/ssl.h
  [cpio]=/usr/bin/cpio
  [kmod]=/usr/bin/kmod
  [mmdebstrap]=/usr/bin/mmdebstrap
  [lz4]=/usr/bin/lz4
  [patch]=/usr/bin/patch
  [xz-utils]=/usr/bin/xz
  [python3]=/usr/bin/python3
  [clang]=/usr/bin/clang
  [libclang-rt-14-dev]=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
)

# setup.sh --list: the packages it installs (for tools/check-setup.py)
if [ "${1:-}" = --list ]; then
  printf '%s\n' "${!probe[@]}" | sort
  exit 0
fi

missing=()
for pkg in "${!probe[@]}"; do
  [ -e "${probe[$pkg]}" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
  command -v sudo >/dev/null || { echo "setup: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2; exit 1; }
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/lxds-setup.XXXXXX.log)
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  echo "setup: apt-get failed; last lines of $log:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
rm -f "$log"
echo "setup: done" >&2
