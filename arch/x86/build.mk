# arch/x86/: everything x86-specific. Only these files see arch/x86/include.
HV_ARCH_SRCS += arch/x86/cpu.c arch/x86/serial.c arch/x86/gdt.c arch/x86/idt.c \
                arch/x86/trap.c arch/x86/acpi.c arch/x86/lapic.c arch/x86/time.c \
                arch/x86/smp.c arch/x86/power.c arch/x86/linux_boot.c \
                arch/x86/guest_cpuid.c arch/x86/core_state.c arch/x86/xcr0.c
HV_ASM       += arch/x86/exception_entry.asm
