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

# --- the hypervisor image ------------------------------------------------------
HV_ELF     := $(BUILD)/lxds.elf
HV_CC      := gcc
HV_CFLAGS  := -std=gnu11 -O2 -g $(HOST_WARN) -ffreestanding -fno-stack-protector \
              -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -mcmodel=small \
              -fno-asynchronous-unwind-tables -fno-omit-frame-pointer -MMD -MP -Iinclude
# Only arch code sees arch internals: generic code cannot include them by accident.
HV_ARCH_CFLAGS := $(HV_CFLAGS) -Iarch/x86/include
NASMFLAGS  := -f elf64 -g
HV_SRCS      :=
HV_ARCH_SRCS :=
HV_ASM       :=

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

HV_OBJS := $(patsubst %.c,$(BUILD)/hv/%.o,$(HV_SRCS) $(HV_ARCH_SRCS)) \
           $(patsubst %.asm,$(BUILD)/hv/%.o,$(HV_ASM))

$(BUILD)/hv/%.o: %.c | setup
	@mkdir -p $(dir $@)
	$(HV_CC) $(if $(filter $<,$(HV_ARCH_SRCS)),$(HV_ARCH_CFLAGS),$(HV_CFLAGS)) -c -o $@ $<

$(BUILD)/hv/%.o: %.asm | setup
	@mkdir -p $(dir $@)
	nasm $(NASMFLAGS) -o $@ $<

$(HV_ELF): $(HV_OBJS) boot/linker.ld
	$(HV_CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
	    -T boot/linker.ld -o $@ $(HV_OBJS) -lgcc
	@grub-file --is-x86-multiboot2 $@ || { echo "$@ is not a valid Multiboot2 image"; exit 1; }

-include $(HV_OBJS:.o=.d)

test-host: setup $(HOST_TESTS)
	@bash tools/test-runner.sh --host $(HOST_TESTS)

test: setup $(HOST_TESTS) iso
	@bash tools/test-runner.sh --host $(HOST_TESTS) --system tests/system

bench: setup $(BENCH_TARGETS)

# Boot the ISO: QEMU/KVM with nested VT-x when this host has it, else Bochs.
RUN_CORES ?= 2
RUN_MEGS  ?= 512
run: setup iso
	tools/emu.sh auto --iso $(ISO) --cores $(RUN_CORES) --megs $(RUN_MEGS)
run-qemu: setup iso
	tools/emu.sh $(if $(wildcard /dev/kvm),kvm,qemu) --iso $(ISO) --cores $(RUN_CORES) --megs $(RUN_MEGS)
run-bochs: setup iso
	tools/emu.sh bochs --iso $(ISO) --cores $(RUN_CORES) --megs $(RUN_MEGS)

clean:
	rm -rf $(BUILD)
