/* Time: the TSC, calibrated once against the PIT, for delays during SMP start-up
 * and for the TSC frequency the guests are told (x86_tsc_hz, guest_cpuid.c). */
#include <lxds/arch.h>
#include <lxds/printk.h>
#include <x86/cpu.h>

#define PIT_HZ          1193182u
#define PIT_CH2         0x42
#define PIT_CMD         0x43
#define PIT_GATE        0x61
#define CALIBRATE_MS    50              /* the longest a 16-bit PIT count allows is 54.9 */

static uint64_t tsc_per_us = 1000;      /* replaced by x86_time_calibrate() */
static uint64_t tsc_hz;                 /* 0 until calibrated */

uint64_t arch_cycles(void)
{
    return rdtsc();
}

uint64_t arch_cycles_khz(void)
{
    return tsc_hz ? tsc_hz / 1000 : 1000000;
}

uint64_t arch_cycles_per_us(void)
{
    return tsc_per_us;
}

/* Counts TSC ticks over 50 ms of PIT channel 2 (its gate is port 0x61). */
void x86_time_calibrate(void)
{
    uint16_t count = (uint16_t)((uint64_t)PIT_HZ * CALIBRATE_MS / 1000);
    uint8_t gate = inb(PIT_GATE);

    outb(PIT_GATE, (gate & ~0x02) | 0x01);  /* speaker off, gate on */
    outb(PIT_CMD, 0xB0);                    /* channel 2, lo/hi, mode 0 */
    outb(PIT_CH2, count & 0xFF);
    outb(PIT_CH2, count >> 8);
    uint64_t start = rdtsc();
    for (uint64_t spins = 0; !(inb(PIT_GATE) & 0x20); spins++)
        if (spins > 100000000ull) {
            pr_warn("time: PIT channel 2 never expired; assuming 1 GHz TSC\n");
            outb(PIT_GATE, gate);
            return;
        }
    uint64_t ticks = rdtsc() - start;
    outb(PIT_GATE, gate);
    /* the PIT really counted `count` periods of 1/PIT_HZ s, not exactly 50 ms */
    tsc_hz = ticks * PIT_HZ / count;
    tsc_per_us = tsc_hz / 1000000;
    if (tsc_per_us == 0)
        tsc_per_us = 1;
    pr_info("time: TSC runs at %lu.%03lu MHz (calibrated against the PIT)\n",
            tsc_hz / 1000000, tsc_hz / 1000 % 1000);
}

uint64_t x86_tsc_hz(void)
{
    return tsc_hz;
}

void arch_udelay(unsigned int us)
{
    uint64_t end = rdtsc() + (uint64_t)us * tsc_per_us;

    while (rdtsc() < end)
        cpu_pause();
}
