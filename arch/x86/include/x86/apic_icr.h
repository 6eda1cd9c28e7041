/*
 * Linux's writes to its local APIC's interrupt command register, decided:
 * which cores the IPI addresses and which of them may receive it.  Pure
 * (no APIC access): arch/x86/linux_apic.c replays the verdict on the real
 * APIC, and the host unit tests check it (tests/unit/core/test_apic_icr.c).
 *
 * Linux may send only fixed and lowest-priority IPIs with a vector >= 32,
 * and only to cores it owns ("Linux's cores", a set: the boot core and the
 * others of linux_cores=N).  INIT and SIPI are not replayed: an INIT or SIPI
 * whose destination is only Linux's other cores (never itself, never a core
 * outside the set, never "other" APIC IDs) is handed back as init/sipi for
 * the hypervisor to emulate (the core's start-up, domains/linux.c); any
 * other INIT or SIPI is refused whole.  NMI, SMI, ExtINT and reserved
 * delivery modes, vectors < 32, and the part of any destination that names
 * a core Linux does not own are dropped.  Whatever
 * is let through is replayed as one physical, edge-triggered fixed IPI per
 * core, so a logical or broadcast destination can never reach a core
 * outside the set whatever that core's LDR says.
 */
#ifndef X86_APIC_ICR_H
#define X86_APIC_ICR_H

#include <lxds/types.h>

#define APIC_ICR_MAX_CORES   64

/* ICR_LOW fields (SDM Vol. 3 10.6.1) */
#define ICR_VECTOR(lo)       ((lo) & 0xFFu)
#define ICR_MODE(lo)         (((lo) >> 8) & 7u)
#define ICR_MODE_FIXED       0u
#define ICR_MODE_LOWEST      1u
#define ICR_MODE_SMI         2u
#define ICR_MODE_NMI         4u
#define ICR_MODE_INIT        5u
#define ICR_MODE_SIPI        6u
#define ICR_MODE_EXTINT      7u
#define ICR_DEST_LOGICAL     (1u << 11)
#define ICR_LEVEL_ASSERT     (1u << 14)
#define ICR_TRIGGER_LEVEL    (1u << 15)
#define ICR_SHORTHAND(lo)    (((lo) >> 18) & 3u)
#define ICR_SH_NONE          0u
#define ICR_SH_SELF          1u
#define ICR_SH_ALL           2u     /* all including self */
#define ICR_SH_OTHERS        3u     /* all excluding self */
#define ICR_DEST(hi)         ((hi) >> 24)   /* ICR_HIGH bits 31:24 */

/* One core as the decision sees it: index = the hypervisor's core number. */
struct apic_icr_core {
    bool present;
    uint32_t apic_id;
    uint32_t ldr;               /* its LDR (bits 31:24 the logical ID); 0 if unknown */
};

struct apic_icr_view {
    const struct apic_icr_core *cores;
    unsigned int ncores;        /* <= APIC_ICR_MAX_CORES */
    uint64_t linux_cores;       /* bit i: core i belongs to Linux */
    unsigned int self;          /* the sending core */
    bool cluster;               /* the DFR model is cluster (else flat) */
};

struct apic_icr_verdict {
    uint64_t deliver;           /* send the vector here (physical, fixed, edge) */
    uint64_t dropped;           /* addressed cores Linux does not own */
    bool dropped_other;         /* addressed more than the known cores say (no such ID, LDR bits) */
    uint8_t vector;
    const char *refused;        /* set: nothing delivered, and why */
    uint64_t init;              /* INIT (level assert) to these Linux cores: emulate it */
    uint64_t sipi;              /* SIPI with vector to these Linux cores: emulate it */
    bool init_deassert;         /* INIT level de-assert to Linux's cores: no effect */
};

void apic_icr_decide(const struct apic_icr_view *v, uint32_t lo, uint32_t hi,
                     struct apic_icr_verdict *out);
/* "fixed", "NMI", "INIT", ... for the log */
const char *apic_icr_mode_name(uint32_t lo);

#endif
