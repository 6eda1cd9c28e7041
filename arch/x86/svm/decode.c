/*
 * Reading what the guest executed: guest-virtual to guest-physical through
 * the guest's own 4-level page tables (its CR3; 64-bit guests only, which is
 * all lxds runs), guest-physical to host-physical through the domain's
 * nested table, and the length of an intercepted instruction from its
 * prefixes and opcode.  QEMU TCG has no next-RIP save and no decode assists,
 * so this is how RIP moves past CPUID, VMMCALL, VMCALL, RDMSR/WRMSR, HLT,
 * INVD and XSETBV.  Everything read here is guest-controlled: a walk that
 * meets an unmapped or non-present entry fails with -EFAULT, never faults
 * the hypervisor.
 */
#include <lxds/domain.h>
#include <lxds/errno.h>
#include <lxds/memory.h>
#include <lxds/string.h>
#include <x86/cpu.h>
#include <x86/svm_vcpu.h>

#define PTE_P       1ull
#define PTE_PS      (1ull << 7)
#define PTE_ADDR    0x000FFFFFFFFFF000ull
#define MAX_INSN    15

/* One byte-range inside a page of guest-physical memory, through the nested table.
 * Only write-back memory (RAM) is read: a guest that points its RIP or its page
 * tables at a device's registers must not make the hypervisor read them. */
static int read_gpa(const struct vcpu *v, uint64_t gpa, void *buf, size_t len)
{
    uint64_t hpa;
    enum ept_memtype mt;

    if (ept_translate(&v->dom->ept, gpa, &hpa, NULL, NULL, &mt) || mt != EPT_MT_WB)
        return -EFAULT;
    if (!mem_is_mapped(hpa, len))
        return -EFAULT;
    memcpy(buf, phys_to_virt(hpa), len);
    return 0;
}

static int gva_to_gpa(const struct vcpu *v, uint64_t gva, uint64_t *gpa)
{
    const struct vmcb_save *g = &svm_of(v)->vmcb->save;
    uint64_t table = g->cr3 & PTE_ADDR;

    if (!(g->cr0 & CR0_PG)) {
        *gpa = gva;
        return 0;
    }
    if (!(g->cr4 & CR4_PAE) || !(g->efer & (1ull << 10)))
        return -EFAULT;                                 /* not in long mode */
    for (int level = 3; level >= 0; level--) {
        unsigned int shift = 12 + 9 * (unsigned int)level;
        uint64_t e;

        if (read_gpa(v, table + ((gva >> shift) & 511) * 8, &e, sizeof(e)))
            return -EFAULT;
        if (!(e & PTE_P))
            return -EFAULT;
        if (level == 0 || ((level == 1 || level == 2) && (e & PTE_PS))) {
            uint64_t size = 1ull << shift;
            *gpa = (e & PTE_ADDR & ~(size - 1)) + (gva & (size - 1));
            return 0;
        }
        table = e & PTE_ADDR;
    }
    return -EFAULT;
}

int svm_guest_read(const struct vcpu *v, uint64_t gva, void *buf, size_t len)
{
    uint8_t *out = buf;

    while (len) {
        size_t chunk = MIN(len, PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
        uint64_t gpa;

        if (gva_to_gpa(v, gva, &gpa) || read_gpa(v, gpa, out, chunk))
            return -EFAULT;
        gva += chunk;
        out += chunk;
        len -= chunk;
    }
    return 0;
}

static bool is_prefix(uint8_t b)
{
    switch (b) {
    case 0x66: case 0x67: case 0xF0: case 0xF2: case 0xF3:
    case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65:
        return true;
    default:
        return (b & 0xF0) == 0x40;                      /* REX (64-bit mode) */
    }
}

int svm_insn_length(const struct vcpu *v, const uint8_t *opcode, size_t n)
{
    const struct vmcb_save *g = &svm_of(v)->vmcb->save;
    uint8_t insn[MAX_INSN];
    size_t have = 0, i = 0;

    /* read what can be read of 15 bytes (the instruction may end just before an unmapped page) */
    for (uint64_t rip = g->cs.base + g->rip; have < MAX_INSN; ) {
        size_t chunk = MIN(MAX_INSN - have, PAGE_SIZE - ((rip + have) & (PAGE_SIZE - 1)));
        if (svm_guest_read(v, rip + have, insn + have, chunk))
            break;
        have += chunk;
    }
    while (i < have && is_prefix(insn[i]))
        i++;
    if (i + n > have)
        return have ? -EBADMSG : -EFAULT;
    if (memcmp(insn + i, opcode, n))
        return -EBADMSG;
    return (int)(i + n);
}
