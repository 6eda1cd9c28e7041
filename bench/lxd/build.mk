# make bench-lxd: Linux <-> LXD round trips in Bochs (emulated instructions per round trip).
.PHONY: bench-lxd
bench-lxd: setup
	bash bench/lxd/run.sh
BENCH_TARGETS += bench-lxd

# make bench-lxd-percpu: one echo LXD pinged from 1, 2 and 3 Linux CPUs at once, a channel each, and 2 sharing one (issue 16; LINUX_CORES=2 for 1 and 2 only).
.PHONY: bench-lxd-percpu
bench-lxd-percpu: setup
	bash bench/lxd/percpu.sh
BENCH_TARGETS += bench-lxd-percpu
