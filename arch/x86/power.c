/* Stopping: one core (HLT forever) or the machine (ACPI S5, with emulator fallbacks). */
#include <lxds/arch.h>
#include <lxds/printk.h>
#include <x86/acpi.h>
#include <x86/cpu.h>

#define SLP_EN (1u << 13)

void __noreturn arch_halt_cpu(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

void __noreturn arch_poweroff(void)
{
    cli();
    printk("lxds: powering off\n");
    arch_console_flush();
    if (acpi.can_poweroff) {
        outw(acpi.pm1a_cnt, acpi.slp_typ_s5 | SLP_EN);
        if (acpi.pm1b_cnt)
            outw(acpi.pm1b_cnt, acpi.slp_typ_s5 | SLP_EN);
    }
    /* Bochs' shutdown port, then QEMU's and older Bochs' ACPI ports */
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (uint8_t)*s);
    outw(0x604, 0x2000);
    outw(0xB004, 0x2000);
    for (volatile unsigned long spin = 0; spin < 50000000ul; spin++)
        ;                               /* emulators act on the request asynchronously */
    printk("lxds: power off did not take effect; halting this core\n");
    arch_halt_cpu();
}
