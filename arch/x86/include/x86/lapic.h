/* The local APIC, in xAPIC (MMIO) mode: IDs, IPIs, EOI. */
#ifndef X86_LAPIC_H
#define X86_LAPIC_H

#include <lxds/types.h>

void x86_lapic_init(uint64_t base);     /* boot core: map and enable */
void x86_lapic_enable(void);            /* every core */
uint32_t x86_lapic_id(void);
uint64_t x86_lapic_base(void);          /* physical = virtual (identity map) */
uint32_t x86_lapic_read(uint32_t reg);
void x86_lapic_write(uint32_t reg, uint32_t v);
void x86_lapic_send_fixed(uint32_t apic_id, uint8_t vector);
void x86_lapic_eoi(void);
void x86_lapic_send_init(uint32_t apic_id);
void x86_lapic_send_nmi(uint32_t apic_id);
void x86_lapic_send_sipi(uint32_t apic_id, uint8_t vector_page);
void x86_lapic_send_ipi(uint32_t apic_id, uint8_t vector);
bool x86_lapic_wait_icr_idle(void);
void x86_lapic_timer_start(uint8_t vector, uint32_t count, bool periodic);
uint32_t x86_lapic_timer_current(void);
void x86_lapic_timer_stop(void);

#endif
