# lxds top-level Makefile.
# Each part of the tree contributes a <dir>/build.mk fragment that adds to the
# variables below; this file only holds the shared settings and the entry targets.

# No built-in rules: with them make "remakes" an included .d file by linking
# <name>.d.o (the %: %.o rule), which a pattern rule here then tries to build.
MAKEFLAGS  += --no-builtin-rules

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
# The hypervisor: every function outside its file is declared in a header, once.
HV_WARN    := -Wmissing-prototypes -Wmissing-declarations -Wredundant-decls
HV_CFLAGS  := -std=gnu11 -O2 -g $(HOST_WARN) $(HV_WARN) -ffreestanding -fno-stack-protector \
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

.PHONY: all setup test test-host test-system test-fresh bench run run-qemu run-bochs iso clean
all: iso

# Set-up runs first, while make reads this file: fragments below ask the
# compiler at parse time ($(shell gcc -print-file-name=include)), and on a
# fresh machine there is no compiler until tools/setup.sh has installed it.
# (About 0.1 s when everything is there.)  `make clean` needs nothing.
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell bash tools/setup.sh >&2 || echo failed),)
$(error tools/setup.sh failed (see above): the packages lxds needs are not installed)
endif
endif
setup:
	@bash tools/setup.sh

include $(sort $(wildcard */build.mk */*/build.mk */*/*/build.mk))

# (sorted: a source two fragments both name is built and linked once)
HV_OBJS := $(sort $(patsubst %.c,$(BUILD)/hv/%.o,$(HV_SRCS) $(HV_ARCH_SRCS)) \
                  $(patsubst %.asm,$(BUILD)/hv/%.o,$(HV_ASM)))

# make V=1 shows the full commands
Q := $(if $(V),,@)

$(BUILD)/hv/%.o: %.c | setup
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(HV_CC) $(if $(filter $<,$(HV_ARCH_SRCS)),$(HV_ARCH_CFLAGS),$(HV_CFLAGS)) -c -o $@ $<

$(BUILD)/hv/%.o: %.asm | setup
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)nasm $(NASMFLAGS) -o $@ $<

$(HV_ELF): $(HV_OBJS) boot/linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HV_CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
	    -T boot/linker.ld -o $@ $(HV_OBJS) -lgcc
	@grub-file --is-x86-multiboot2 $@ || { echo "$@ is not a valid Multiboot2 image"; exit 1; }

-include $(HV_OBJS:.o=.d)

# The ISO: GRUB (menu timeout 0) boots the hypervisor with HV_CMDLINE and
# Linux (LINUX_CMDLINE) with its initramfs as Multiboot2 modules.
#   make iso HV_CMDLINE="lxd_cores=1 log=debug" LINUX_CMDLINE="console=ttyS0"
HV_CMDLINE    ?=
LINUX_CMDLINE ?= console=ttyS0 quiet
ISO := $(BUILD)/lxds.iso
ISO_MODULES = '$(LINUX_BZIMAGE)|linux $(LINUX_CMDLINE)' '$(LINUX_INITRAMFS)|initrd'

$(ISO): $(HV_ELF) $(LINUX_BZIMAGE) $(LINUX_INITRAMFS) boot/grub.cfg.in tools/mkiso.sh \
        $(BUILD)/iso.cmdline
	@$(if $(Q),echo "  ISO     $@")
	$(Q)tools/mkiso.sh $@ $(HV_ELF) '$(HV_CMDLINE)' $(ISO_MODULES)

# Rebuild the ISO when a command line changes.
$(BUILD)/iso.cmdline: FORCE
	@mkdir -p $(BUILD)
	@echo '$(HV_CMDLINE) $(LINUX_CMDLINE)' | cmp -s - $@ || echo '$(HV_CMDLINE) $(LINUX_CMDLINE)' > $@

iso: $(ISO)

.PHONY: FORCE
FORCE:

test-host: setup $(HOST_TESTS)
	@bash tools/test-runner.sh --host $(HOST_TESTS)

test: setup $(HOST_TESTS) iso linux
	@bash tools/test-runner.sh --host $(HOST_TESTS) --system tests/system

# The README's two commands on a machine that never saw lxds: a fresh Debian 12
# root (mmdebstrap), a clean clone, `make test` and a scripted `make run`.
# Slow (~30 min); see docs/fresh-machine.md.
test-fresh: setup
	@bash tools/test-fresh.sh

bench: setup $(BENCH_TARGETS)

# Boot the ISO: QEMU/KVM with nested VT-x when this host has it, else Bochs.
# 4 cores: by default half for LXDs (2), the rest for Linux (2: an SMP guest).
RUN_CORES ?= 4
RUN_MEGS  ?= 512
# Linux's shell is on this terminal (COM1); the hypervisor's log goes to HV_LOG (COM2).
HV_LOG    ?= $(BUILD)/hypervisor.log
# The guest's COM4 (ttyS3) on this TCP port, for `lxdctl gdb NAME --tty /dev/ttyS3` and gdb here.
GDB_PORT  ?= 1234
RUN_ARGS   = --iso $(ISO) --cores $(RUN_CORES) --megs $(RUN_MEGS) --com2 $(HV_LOG) --gdb-port $(GDB_PORT)
run: setup iso
	@echo "lxds: the hypervisor's log (COM2) goes to $(HV_LOG)"
	tools/emu.sh auto $(RUN_ARGS)
run-qemu: setup iso
	tools/emu.sh qemu $(RUN_ARGS)
run-bochs: setup iso
	tools/emu.sh bochs $(RUN_ARGS)

clean:
	rm -rf $(BUILD)
