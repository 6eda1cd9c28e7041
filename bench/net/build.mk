# make bench-net: packets through the isolated dummy driver vs the native
# dummy.ko in one Bochs boot (issue 12; docs/bench-net.md).
.PHONY: bench-net
bench-net: setup
	bash bench/net/run.sh
BENCH_TARGETS += bench-net
