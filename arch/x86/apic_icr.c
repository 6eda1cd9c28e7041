/*
 * The ICR decision for Linux's IPIs (see x86/apic_icr.h): no APIC access,
 * no global state, so the host unit tests run it as the hypervisor does.
 */
#include <x86/apic_icr.h>

const char *apic_icr_mode_name(uint32_t lo)
{
    static const char *const names[8] = {
        "fixed", "lowest-priority", "SMI", "reserved mode 3",
        "NMI", "INIT", "SIPI", "ExtINT",
    };
    return names[ICR_MODE(lo)];
}

/* The cores a destination field names in logical mode (SDM 10.6.2.2). */
static uint64_t logical_targets(const struct apic_icr_view *v, uint8_t dest, bool *other)
{
    uint64_t set = 0;
    uint8_t seen = 0;

    if (!v->cluster && dest == 0xFF) {          /* flat broadcast: every core */
        for (unsigned int i = 0; i < v->ncores; i++)
            if (v->cores[i].present)
                set |= 1ull << i;
        *other = true;                          /* and any core the hypervisor does not list */
        return set;
    }
    for (unsigned int i = 0; i < v->ncores; i++) {
        uint8_t ldr = (uint8_t)(v->cores[i].ldr >> 24);
        bool hit;

        if (!v->cores[i].present)
            continue;
        if (v->cluster)
            hit = (dest >> 4) == (ldr >> 4) && (dest & ldr & 0x0F);
        else
            hit = (dest & ldr) != 0;
        if (hit) {
            set |= 1ull << i;
            seen |= v->cluster ? (uint8_t)(dest & ldr & 0x0F) : (uint8_t)(dest & ldr);
        }
    }
    /* bits that name no known core may name a core whose LDR the hypervisor does not know */
    *other = v->cluster ? (dest & 0x0F & ~seen) != 0 : (dest & ~seen) != 0;
    return set;
}

static uint64_t physical_targets(const struct apic_icr_view *v, uint8_t dest, bool *other)
{
    uint64_t set = 0;

    for (unsigned int i = 0; i < v->ncores; i++)
        if (v->cores[i].present && (dest == 0xFF || v->cores[i].apic_id == dest))
            set |= 1ull << i;
    *other = dest == 0xFF || !set;
    return set;
}

void apic_icr_decide(const struct apic_icr_view *v, uint32_t lo, uint32_t hi,
                     struct apic_icr_verdict *out)
{
    uint32_t mode = ICR_MODE(lo);
    uint64_t all = 0, self = 1ull << v->self, targets;
    bool other = false;

    for (unsigned int i = 0; i < v->ncores; i++)
        if (v->cores[i].present)
            all |= 1ull << i;
    switch (ICR_SHORTHAND(lo)) {
    case ICR_SH_SELF:
        targets = self;
        break;
    case ICR_SH_ALL:
        targets = all | self;
        other = true;                           /* the APIC bus: every APIC there is */
        break;
    case ICR_SH_OTHERS:
        targets = all & ~self;
        other = true;
        break;
    default:
        targets = lo & ICR_DEST_LOGICAL ? logical_targets(v, (uint8_t)ICR_DEST(hi), &other)
                                        : physical_targets(v, (uint8_t)ICR_DEST(hi), &other);
    }
    out->vector = (uint8_t)ICR_VECTOR(lo);
    out->dropped = targets & ~v->linux_cores;
    out->dropped_other = other;
    out->deliver = 0;
    out->refused = NULL;
    out->init = out->sipi = 0;
    out->init_deassert = false;
    if ((mode == ICR_MODE_INIT || mode == ICR_MODE_SIPI) && targets && !other &&
        !(targets & ~v->linux_cores) && !(targets & self)) {
        /* the start-up of Linux's own other cores: emulated, never replayed */
        out->dropped = 0;
        if (mode == ICR_MODE_SIPI)
            out->sipi = targets;
        else if ((lo & ICR_TRIGGER_LEVEL) && !(lo & ICR_LEVEL_ASSERT))
            out->init_deassert = true;          /* SDM 10.6.1: only resets arbitration IDs */
        else
            out->init = targets;
        return;
    }
    if (mode != ICR_MODE_FIXED && mode != ICR_MODE_LOWEST) {
        out->refused = "Linux may send only fixed and lowest-priority IPIs";
        out->dropped = targets;
        return;
    }
    if (out->vector < 32) {
        out->refused = "vectors below 32 are exceptions, never IPIs";
        out->dropped = targets;
        return;
    }
    out->deliver = targets & v->linux_cores;
    if (mode == ICR_MODE_LOWEST && out->deliver) {
        /* one core of the set takes it: the sender if addressed, else the lowest-numbered */
        out->deliver = out->deliver & self ? self : out->deliver & -out->deliver;
    }
}
