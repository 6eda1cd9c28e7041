# arch/x86/: everything x86-specific. Only these files see arch/x86/include.
HV_ARCH_SRCS += arch/x86/cpu.c arch/x86/serial.c arch/x86/gdt.c arch/x86/idt.c \
                arch/x86/trap.c arch/x86/acpi.c arch/x86/lapic.c arch/x86/time.c \
                arch/x86/smp.c arch/x86/power.c arch/x86/linux_boot.c \
                arch/x86/guest_cpuid.c arch/x86/core_state.c arch/x86/xcr0.c \
                arch/x86/virt.c arch/x86/selftest.c \
                arch/x86/policy_exit.c \
                arch/x86/ram_map.c \
                arch/x86/debug_regs.c \
                arch/x86/apic_icr.c arch/x86/mmio_decode.c arch/x86/guest_mem.c \
                arch/x86/linux_apic.c
HV_ASM       += arch/x86/exception_entry.asm arch/x86/selftest_guest_blob.asm

# The self-test guests' programs, shared by both backends (arch/x86/selftest.c).
SELFTEST_GUEST_BIN := $(BUILD)/hv/arch/x86/selftest_guest.bin

$(SELFTEST_GUEST_BIN): arch/x86/selftest_guest.asm | setup
	@mkdir -p $(dir $@)
	nasm -f bin -o $@ $<

$(BUILD)/hv/arch/x86/selftest_guest_blob.o: $(SELFTEST_GUEST_BIN)
$(BUILD)/hv/arch/x86/selftest_guest_blob.o: NASMFLAGS += -DSELFTEST_GUEST_BIN='"$(SELFTEST_GUEST_BIN)"'
