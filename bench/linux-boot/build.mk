# make bench-linux-boot: Linux's boot under the hypervisor vs. directly (Bochs instruction counts).
.PHONY: bench-linux-boot
bench-linux-boot: setup
	bash bench/linux-boot/run.sh
BENCH_TARGETS += bench-linux-boot
