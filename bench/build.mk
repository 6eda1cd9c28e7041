# bench/: `make bench` runs the ipc/async benchmarks (optimised, no
# sanitizers), prints the table and plots it with gnuplot into build/bench/.
# Heavy: serialised with other heavy jobs through /tmp/lxds-heavy.lock.
# The two-core benchmarks need both cores to themselves: a machine whose
# `flock` wrapper hands out a second emulator slot (/tmp/lxds-heavy.lock.2)
# would otherwise run them beside an emulator on one of the two cores (issue
# 17: that is what put the turns in a "fast" regime with a floor of ~1000
# ticks).  `flock -x` bypasses such a wrapper; on a machine without one the
# second file is just a second, uncontended lock.
BENCH_LOCK   := flock -x /tmp/lxds-heavy.lock flock -x /tmp/lxds-heavy.lock.2

BENCH_DIR    := $(BUILD)/bench
BENCH_CFLAGS  = $(IPC_OPT_CFLAGS)  # recursive: ipc/build.mk is included later
BENCH_OBJS   := $(BENCH_DIR)/bench_util.o $(BENCH_DIR)/bench_ipc.o $(BENCH_DIR)/bench_async.o \
                $(BENCH_DIR)/bench_turns.o \
                $(BENCH_DIR)/bench_boost.o
BENCH_LIBS   := $(BUILD)/opt/ipc/channel.o \
                $(patsubst %.c,$(BUILD)/opt/%.o,lxd-sdk/async/async.c lxd-sdk/async/async_pool.c \
                  lxd-sdk/async/async_chan.c lxd-sdk/async/port_host.c) \
                $(BUILD)/opt/lxd-sdk/async/ctx_x86_64.o

$(BENCH_DIR)/%.o: bench/%.c bench/bench.h bench/chan_v1.h
	@mkdir -p $(@D)
	$(HOST_CC) $(BENCH_CFLAGS) -MMD -MP -c $< -o $@

$(BENCH_DIR)/bench_boost.o: bench/bench_boost.cpp bench/bench.h
	@mkdir -p $(@D)
	g++ -std=c++17 -O2 -g $(HOST_WARN) -c $< -o $@

$(BENCH_DIR)/ipc-async-bench: $(BENCH_OBJS) $(BENCH_LIBS)
	g++ -o $@ $^ -lck -lboost_context -pthread

.PHONY: bench-ipc-async
bench-ipc-async: $(BENCH_DIR)/ipc-async-bench
	$(BENCH_LOCK) $(BENCH_DIR)/ipc-async-bench $(BENCH_DIR)
	bash bench/report.sh $(BENCH_DIR)

BENCH_TARGETS += bench-ipc-async

-include $(BENCH_DIR)/*.d
