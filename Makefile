# lxds top-level Makefile.
# Each part of the tree contributes a <dir>/build.mk fragment that adds to the
# variables below; this file only holds the shared settings and the entry targets.

BUILD      := build
HOST_BUILD := $(BUILD)/host

# --- host builds: portable libraries, unit tests, benchmarks -----------------
HOST_CC        ?= gcc
HOST_WARN      := -Wall -Wextra -Werror
HOST_CFLAGS    := -std=gnu11 -g -O1 $(HOST_WARN) -fno-omit-frame-pointer \
                  -fsanitize=address,undefined -fno-sanitize-recover=all \
                  -Iinclude -DLXDS_HOST=1
HOST_LDFLAGS   := -fsanitize=address,undefined
HOST_TEST_LIBS := -lcmocka

# Unit-test executables (cmocka); tools/test-runner.sh runs each one.
HOST_TESTS :=
# Phony targets that `make bench` runs.
BENCH_TARGETS :=
# System tests: scripts under tests/system/ that tools/test-runner.sh runs.

.PHONY: all setup test test-host test-system bench run run-qemu run-bochs iso clean
all: iso

setup:
	@bash tools/setup.sh

include $(sort $(wildcard */build.mk */*/build.mk */*/*/build.mk))

test-host: setup $(HOST_TESTS)
	@bash tools/test-runner.sh --host $(HOST_TESTS)

test: setup $(HOST_TESTS) iso
	@bash tools/test-runner.sh --host $(HOST_TESTS) --system tests/system

bench: setup $(BENCH_TARGETS)

clean:
	rm -rf $(BUILD)
