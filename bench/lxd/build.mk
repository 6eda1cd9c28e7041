# make bench-lxd: Linux <-> LXD round trips in Bochs (emulated instructions per round trip).
.PHONY: bench-lxd
bench-lxd: setup
	bash bench/lxd/run.sh
BENCH_TARGETS += bench-lxd
