/*
 * The debugger's hardware breakpoint slots (domains/debug.c checks them) in
 * x86's debug registers, for both backends: DR0-DR3 hold the addresses and
 * DR7 says, per slot, enabled (L0-L3), what to match (R/W: 00 execute, 01
 * write, 11 read or write) and how many bytes (LEN: 00 one, 01 two, 11 four,
 * 10 eight).  The guest's DR7 is in the VMCS/VMCB; DR0-3 are the core's.
 */
#include <lxds/hypercall_abi.h>
#include <lxds/vcpu.h>
#include <x86/debug_regs.h>

#define DR7_GE (1ull << 9)          /* exact data breakpoints (ignored by recent CPUs) */
#define DR7_LE (1ull << 8)

static uint64_t rw_bits(uint32_t kind)
{
    return kind == LXDS_DBG_HW_WRITE ? 1 : kind == LXDS_DBG_HW_ACCESS ? 3 : 0;
}

static uint64_t len_bits(uint32_t len)
{
    return len == 2 ? 1 : len == 8 ? 2 : len == 4 ? 3 : 0;
}

uint64_t x86_debug_dr7(const struct vcpu *v)
{
    uint64_t dr7 = DR7_INIT;

    if (!v->dbg.attached)
        return dr7;
    for (unsigned int i = 0; i < LXDS_DBG_HW_SLOTS; i++) {
        uint32_t kind = v->dbg.hw[i].kind;

        if (kind == LXDS_DBG_HW_OFF)
            continue;
        dr7 |= 1ull << (2 * i);
        dr7 |= (rw_bits(kind) | len_bits(v->dbg.hw[i].len) << 2) << (16 + 4 * i);
        dr7 |= DR7_LE | DR7_GE;
    }
    return dr7;
}

void x86_debug_load_addrs(const struct vcpu *v)
{
    uint64_t a[LXDS_DBG_HW_SLOTS];

    for (unsigned int i = 0; i < LXDS_DBG_HW_SLOTS; i++)
        a[i] = v->dbg.hw[i].kind == LXDS_DBG_HW_OFF ? 0 : v->dbg.hw[i].addr;
    __asm__ volatile("mov %0, %%db0" :: "r"(a[0]));
    __asm__ volatile("mov %0, %%db1" :: "r"(a[1]));
    __asm__ volatile("mov %0, %%db2" :: "r"(a[2]));
    __asm__ volatile("mov %0, %%db3" :: "r"(a[3]));
}

uint32_t x86_debug_hits(const struct vcpu *v, uint64_t dr6)
{
    uint32_t hits = 0;

    /* B0-B3 may be set for a slot that is not enabled: only ours count */
    for (unsigned int i = 0; i < LXDS_DBG_HW_SLOTS; i++)
        if ((dr6 & (1ull << i)) && v->dbg.hw[i].kind != LXDS_DBG_HW_OFF)
            hits |= 1u << i;
    return hits;
}

bool x86_debug_hit_exec(const struct vcpu *v, uint32_t hits)
{
    for (unsigned int i = 0; i < LXDS_DBG_HW_SLOTS; i++)
        if ((hits & (1u << i)) && v->dbg.hw[i].kind == LXDS_DBG_HW_EXEC)
            return true;
    return false;
}
