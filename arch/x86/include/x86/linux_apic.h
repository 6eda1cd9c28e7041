/*
 * Linux's local APIC, with its page read-only in Linux's stage-2 table:
 * reads reach the real APIC at no cost (timer count, ISR, IRR, ICR status
 * are the real ones); every write exits (EPT violation / NPF), the backend
 * hands it here with what it needs to read the instruction, and the write is
 * decoded (x86/mmio_decode.h) and replayed on the real APIC, register by
 * register: ICR_HIGH is staged, ICR_LOW goes through the ICR decision
 * (x86/apic_icr.h), the APIC ID is never written.  Backend-neutral.
 */
#ifndef X86_LINUX_APIC_H
#define X86_LINUX_APIC_H

#include <lxds/types.h>
#include <x86/guest_mem.h>

struct vcpu;
struct ept;

/* One write exit, as the backend saw it. */
struct apic_write_exit {
    uint64_t gpa;               /* the address written */
    uint64_t rip;               /* the writing instruction's linear address */
    struct guest_paging paging;
    uint64_t *gpr[16];          /* the guest's GPRs in ModRM order; NULL: not reachable (RSP) */
};

/* True if gpa lies in the APIC page this emulation protects. */
bool x86_linux_apic_page(uint64_t gpa);

/*
 * Decodes and replays one write.  Returns the instruction's length (the
 * backend moves RIP past it), or 0: refused (not decodable, not a 32-bit
 * aligned register write): logged, and the backend injects #GP(0) instead
 * of executing it.
 */
unsigned int x86_linux_apic_write(struct vcpu *v, const struct ept *ept,
                                  const struct apic_write_exit *x);

/*
 * The counters since boot (low 32 bits), for measurement: CPUID 0x40000002
 * gives c[0-3] = write exits, EOI writes, ICR writes, IPIs dropped (in part
 * or whole); 0x40000003 gives c[4-7] = timer writes, other registers,
 * refused writes (#GP), the handler's average cost in TSC cycles.
 */
void x86_linux_apic_stats(uint32_t c[8]);

#endif
