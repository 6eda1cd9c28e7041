# Sourced by the Bochs benchmarks (bench/*/run.sh, bench/net/batch.sh, sets.sh,
# bench/lxd/percpu.sh), run from the repository's top with $work set:
#   bench_boot NAME HV_CMDLINE LINUX_ARGS TIMEOUT_S [--may-fail]
# builds an ISO of the hypervisor (HV_CMDLINE), the guest kernel (console
# on ttyS0, quiet, then LINUX_ARGS) and its initramfs, boots it in Bochs
# with 4 cores and 512 MiB under the shared emulator lock, and leaves the
# logs in $work/com1.log (Linux) and $work/com2.log (the hypervisor).  A
# failed boot ends the script with the logs' tails, unless --may-fail.
bench_boot() {
  local name=$1 hv=$2 linux=$3 timeout=$4 rc=0
  tools/mkiso.sh "$work/$name.iso" build/lxds.elf "$hv" \
    "build/linux/bzImage|linux console=ttyS0 quiet $linux" \
    "build/linux/initramfs.cpio.lz4|initrd"
  flock /tmp/lxds-heavy.lock tools/emu.sh bochs --iso "$work/$name.iso" --log "$work/com1.log" \
    --com2 "$work/com2.log" --cores 4 --megs 512 --timeout "$timeout" 2>"$work/emu.err" || rc=$?
  if [ "$rc" != 0 ] && [ "${5:-}" != --may-fail ]; then
    echo "bench $name: the boot failed (emu.sh status $rc):" >&2
    tail -n 30 "$work/com1.log" "$work/emu.err" >&2
    exit 1
  fi
}

#   bench_dummy_sets NAME NETBENCH_ARGS [OUT]
# the one-boot comparisons of the isolated dummy (bench/net/batch.sh,
# sets.sh): boots lxd-dummy-bench with NETBENCH_ARGS, keeps the logs as
# OUT.com1 / OUT.com2 if OUT is given, fails unless the guest finished, and
# prints its BENCH lines and the domain's stats lines.
bench_dummy_sets() {
  local name=$1 args=$2 out=${3:-}
  bench_boot "$name" "linux_cores=1" "lxds.test=lxd-dummy-bench $args" 2400
  [ -n "$out" ] && cp "$work/com1.log" "$out.com1" && cp "$work/com2.log" "$out.com2"
  grep -q 'test lxd-dummy-bench: bench done' "$work/com1.log" ||
    { echo "bench $name: the run did not finish:" >&2; tail -n 40 "$work/com1.log" >&2; exit 1; }
  tr -d '\r' < "$work/com1.log" | grep -o 'BENCH[A-Z]* .*'
  tr -d '\r' < "$work/com2.log" | grep -o 'dummy_lxd: stats: .*' || true
}

#   bench_write_section TAG SECTION_FILE OUT
# puts SECTION_FILE (which starts "<!-- TAG: ..." and ends "<!-- /TAG -->")
# into OUT in place of the section with the same TAG, or at its end if OUT
# has none (or does not exist): a benchmark rewrites its own figures and
# leaves the page's hand-written text as it is.
bench_write_section() {
  local tag=$1 sec=$2 out=$3
  touch "$out"
  awk -v sec="$sec" -v first="<!-- $tag:" -v last="<!-- /$tag -->" '
    index($0, first) == 1 { skip = 1; while ((getline l < sec) > 0) print l; done = 1; next }
    index($0, last) == 1 { skip = 0; next }
    !skip { print }
    END { if (!done) { print ""; while ((getline l < sec) > 0) print l } }' "$out" > "$out.new" &&
  mv "$out.new" "$out"
}
