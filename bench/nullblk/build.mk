# make bench-nullblk: null_blk native vs in an LXD, IOPS and emulated
# instructions per I/O, in Bochs (docs/bench-nullblk.md).
.PHONY: bench-nullblk
bench-nullblk: setup
	bash bench/nullblk/run.sh
BENCH_TARGETS += bench-nullblk
