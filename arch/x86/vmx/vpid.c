/* VPID allocation: each vCPU gets its own tag so TLB entries survive switches. */
#include <lxds/spinlock.h>
#include <x86/vmx.h>
#include <x86/vmx_caps.h>
#include <x86/vmx_vcpu.h>

#define VPID_MAX 4096                   /* plenty: one per vCPU */

static uint64_t vpid_used[VPID_MAX / 64] = { 1 };  /* VPID 0 is the host's */
static spinlock_t vpid_lock = SPINLOCK_INIT;

/* Returns a fresh VPID, or 0 (no VPID: the CPU flushes on every entry/exit). */
uint16_t vpid_alloc(void)
{
    uint16_t id = 0;

    if (!vmx_caps.has_vpid)
        return 0;
    spin_lock(&vpid_lock);
    for (unsigned int i = 1; i < VPID_MAX; i++)
        if (!(vpid_used[i / 64] >> (i % 64) & 1)) {
            vpid_used[i / 64] |= 1ull << (i % 64);
            id = (uint16_t)i;
            break;
        }
    spin_unlock(&vpid_lock);
    return id;
}

/* Flushes the VPID's TLB entries (it may be reused) and frees it. */
void vpid_free(uint16_t id)
{
    if (!id)
        return;
    invvpid(vmx_caps.has_invvpid_single ? INVVPID_SINGLE : INVVPID_ALL, id);
    spin_lock(&vpid_lock);
    vpid_used[id / 64] &= ~(1ull << (id % 64));
    spin_unlock(&vpid_lock);
}

/* Drops cached translations of an EPT (after changes, before reuse of its frames). */
void vmx_invept(uint64_t eptp)
{
    invept(vmx_caps.has_invept_single ? INVEPT_SINGLE : INVEPT_ALL, eptp);
}
