#!/usr/bin/env bash
# Makes a GRUB ISO that boots the hypervisor (menu timeout 0, serial console).
#   tools/mkiso.sh OUT.iso HV_ELF "HV_CMDLINE" [MODULE_FILE["|module command line"] ...]
# Each module is copied into the ISO and passed to the hypervisor as a Multiboot2
# module; its command line is the text after '|' (default: the file's name).
# The hypervisor boots the module whose line starts with "linux" (the rest is
# Linux's command line) with the one that starts with "initrd".
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 OUT.iso HV_ELF HV_CMDLINE [MODULE[|CMDLINE] ...]" >&2; exit 2; }
out=$1 elf=$2 cmdline=$3
shift 3
[ -f "$elf" ] || { echo "mkiso: no hypervisor image at $elf" >&2; exit 1; }
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/lxds-iso.XXXXXX)
log=$(mktemp /tmp/lxds-mkrescue.XXXXXX.log)
trap 'rm -rf "$dir" "$log"' EXIT
mkdir -p "$dir/boot/grub" "$dir/boot/modules"
cp "$elf" "$dir/boot/lxds.elf"
modules=
for m in "$@"; do
  file=${m%%|*}
  args=; [ "$file" != "$m" ] && args=${m#*|}
  [ -f "$file" ] || { echo "mkiso: no module file $file" >&2; exit 1; }
  name=$(basename "$file")
  cp "$file" "$dir/boot/modules/$name"
  modules+="    module2 /boot/modules/$name ${args:-$name}"$'\n'
done
awk -v cmd="$cmdline" -v mods="$modules" \
  '{ gsub(/@HV_CMDLINE@/, cmd); if ($0 ~ /@MODULES@/) printf "%s", mods; else print }' \
  "$here/boot/grub.cfg.in" > "$dir/boot/grub/grub.cfg"
mkdir -p "$(dirname "$out")"
if ! grub-mkrescue -o "$out" "$dir" >"$log" 2>&1; then
  echo "mkiso: grub-mkrescue failed:" >&2; cat "$log" >&2; exit 1
fi
