/* Local APIC access in xAPIC mode (memory-mapped registers). */
#include <lxds/arch.h>
#include <lxds/printk.h>
#include <x86/cpu.h>
#include <x86/lapic.h>
#include <x86/trap.h>

#define LAPIC_ID        0x020
#define LAPIC_EOI       0x0B0
#define LAPIC_SVR       0x0F0
#define LAPIC_ESR       0x280
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0
#define LVT_MASKED      (1u << 16)
#define LVT_PERIODIC    (1u << 17)
#define SVR_ENABLE      (1u << 8)
#define ICR_PENDING     (1u << 12)
#define ICR_INIT        (5u << 8)
#define ICR_STARTUP     (6u << 8)
#define ICR_NMI         (4u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)

static volatile uint8_t *lapic;

static uint32_t rd(uint32_t reg) { return *(volatile uint32_t *)(lapic + reg); }
static void wr(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(lapic + reg) = v; }

void x86_lapic_init(uint64_t base)
{
    lapic = (volatile uint8_t *)(uintptr_t)base;
}

uint64_t x86_lapic_base(void)
{
    return (uint64_t)(uintptr_t)lapic;
}

uint32_t x86_lapic_read(uint32_t reg)
{
    return rd(reg);
}

void x86_lapic_write(uint32_t reg, uint32_t v)
{
    wr(reg, v);
}

void x86_lapic_enable(void)
{
    uint64_t msr = rdmsr(MSR_IA32_APIC_BASE);

    /* xAPIC mode: leaving x2APIC needs a full disable first (SDM 10.12.5) */
    if (msr & APIC_BASE_X2APIC) {
        wrmsr(MSR_IA32_APIC_BASE, msr & ~(APIC_BASE_ENABLE | APIC_BASE_X2APIC));
        msr &= ~APIC_BASE_X2APIC;
    }
    wrmsr(MSR_IA32_APIC_BASE, msr | APIC_BASE_ENABLE);
    wr(LAPIC_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
}

uint32_t x86_lapic_id(void)
{
    return rd(LAPIC_ID) >> 24;
}

void x86_lapic_eoi(void)
{
    wr(LAPIC_EOI, 0);
}

bool x86_lapic_wait_icr_idle(void)
{
    for (int i = 0; i < 1000000; i++) {
        if (!(rd(LAPIC_ICR_LO) & ICR_PENDING))
            return true;
        cpu_pause();
    }
    return false;
}

static void send(uint32_t apic_id, uint32_t lo)
{
    wr(LAPIC_ESR, 0);
    wr(LAPIC_ICR_HI, apic_id << 24);
    wr(LAPIC_ICR_LO, lo);
    if (!x86_lapic_wait_icr_idle())
        pr_warn("lapic: IPI %#x to APIC ID %u still pending\n", lo, apic_id);
}

void x86_lapic_send_init(uint32_t apic_id)
{
    send(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
}

void x86_lapic_send_nmi(uint32_t apic_id)
{
    send(apic_id, ICR_NMI | ICR_LEVEL_ASSERT);
}

void x86_lapic_send_sipi(uint32_t apic_id, uint8_t vector_page)
{
    send(apic_id, ICR_STARTUP | vector_page);
}

/* A fixed, edge-triggered IPI in physical mode, on behalf of a guest: the ESR is
 * left alone (it is the guest's to read); waits for the previous IPI to leave. */
void x86_lapic_send_fixed(uint32_t apic_id, uint8_t vector)
{
    if (!x86_lapic_wait_icr_idle())
        pr_warn("lapic: the previous IPI is still pending; sending vector %#x to APIC ID %u "
                "anyway\n", vector, apic_id);
    wr(LAPIC_ICR_HI, apic_id << 24);
    wr(LAPIC_ICR_LO, vector);
}

void x86_lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    send(apic_id, ICR_LEVEL_ASSERT | vector);
}

/* The local timer at the bus clock (divide by 1): count ticks, then an interrupt
 * at vector (masked when vector is 0: a count-down to read), again if periodic. */
void x86_lapic_timer_start(uint8_t vector, uint32_t count, bool periodic)
{
    wr(LAPIC_TIMER_DIV, 0xB);
    wr(LAPIC_LVT_TIMER, (vector ? vector : LVT_MASKED) | (periodic ? LVT_PERIODIC : 0));
    wr(LAPIC_TIMER_INIT, count);
}

uint32_t x86_lapic_timer_current(void)
{
    return rd(LAPIC_TIMER_CUR);
}

void x86_lapic_timer_stop(void)
{
    wr(LAPIC_LVT_TIMER, LVT_MASKED);
    wr(LAPIC_TIMER_INIT, 0);
}

uint64_t arch_apic_base_msr(void)
{
    return rdmsr(MSR_IA32_APIC_BASE);
}
