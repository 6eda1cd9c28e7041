/* A guest's memory through its page tables and its stage-2 table (see x86/guest_mem.h). */
#include <lxds/ept.h>
#include <lxds/errno.h>
#include <lxds/memory.h>
#include <lxds/string.h>
#include <x86/cpu.h>
#include <x86/guest_mem.h>
#include <x86/mmio_decode.h>

#define PTE_P       1ull
#define PTE_PS      (1ull << 7)
#define PTE_ADDR    0x000FFFFFFFFFF000ull
#define EFER_LMA    (1ull << 10)
#define CR4_LA57    (1ull << 12)     /* 5-level paging: not walked here */

static int read_gpa(const struct ept *ept, uint64_t gpa, void *buf, size_t len)
{
    uint64_t hpa;
    enum ept_memtype mt;

    if (ept_translate(ept, gpa, &hpa, NULL, NULL, &mt) || mt != EPT_MT_WB)
        return -EFAULT;
    if (!mem_is_mapped(hpa, len))
        return -EFAULT;
    memcpy(buf, phys_to_virt(hpa), len);
    return 0;
}

static int gva_to_gpa(const struct ept *ept, const struct guest_paging *p, uint64_t gva,
                      uint64_t *gpa)
{
    uint64_t table = p->cr3 & PTE_ADDR;

    if (!(p->cr0 & CR0_PG)) {
        *gpa = gva;
        return 0;
    }
    if (!(p->cr4 & CR4_PAE) || !(p->efer & EFER_LMA) || (p->cr4 & CR4_LA57))
        return -EFAULT;                                 /* not in 4-level long mode */
    for (int level = 3; level >= 0; level--) {
        unsigned int shift = 12 + 9 * (unsigned int)level;
        uint64_t e;

        if (read_gpa(ept, table + ((gva >> shift) & 511) * 8, &e, sizeof(e)))
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

int x86_guest_read(const struct ept *ept, const struct guest_paging *p, uint64_t gva,
                   void *buf, size_t len)
{
    uint8_t *out = buf;

    while (len) {
        size_t chunk = MIN(len, PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
        uint64_t gpa;

        if (gva_to_gpa(ept, p, gva, &gpa) || read_gpa(ept, gpa, out, chunk))
            return -EFAULT;
        gva += chunk;
        out += chunk;
        len -= chunk;
    }
    return 0;
}

size_t x86_guest_fetch_insn(const struct ept *ept, const struct guest_paging *p, uint64_t gva,
                            uint8_t *buf)
{
    size_t have = 0;

    while (have < X86_MAX_INSN) {
        size_t chunk = MIN(X86_MAX_INSN - have, PAGE_SIZE - ((gva + have) & (PAGE_SIZE - 1)));
        if (x86_guest_read(ept, p, gva + have, buf + have, chunk))
            break;
        have += chunk;
    }
    return have;
}
