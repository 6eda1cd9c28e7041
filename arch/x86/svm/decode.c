/*
 * Reading what the guest executed, through x86/guest_mem.h (the guest's own
 * 4-level page tables from the VMCB, then the domain's nested table), and
 * the length of an intercepted instruction from its prefixes and opcode.
 * QEMU TCG has no next-RIP save and no decode assists, so this is how RIP
 * moves past CPUID, VMMCALL, VMCALL, RDMSR/WRMSR, HLT, INVD and XSETBV.  Everything read here is guest-controlled: a walk that
 * meets an unmapped or non-present entry fails with -EFAULT, never faults
 * the hypervisor.
 */
#include <lxds/domain.h>
#include <lxds/errno.h>
#include <lxds/string.h>
#include <x86/cpu.h>
#include <x86/guest_mem.h>
#include <x86/mmio_decode.h>
#include <x86/svm_vcpu.h>

static struct guest_paging paging_of(const struct vcpu *v)
{
    const struct vmcb_save *g = &svm_of(v)->vmcb->save;

    return (struct guest_paging){ .cr0 = g->cr0, .cr3 = g->cr3, .cr4 = g->cr4, .efer = g->efer };
}

int svm_guest_read(const struct vcpu *v, uint64_t gva, void *buf, size_t len)
{
    struct guest_paging p = paging_of(v);

    return x86_guest_read(&v->dom->ept, &p, gva, buf, len);
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

/*
 * The instruction at RIP: as many bytes as can be read into insn (*have), and
 * the index of its opcode after the prefixes; *rex is the REX prefix right
 * before the opcode, or 0.
 */
static size_t fetch_at_rip(const struct vcpu *v, uint8_t insn[X86_MAX_INSN], size_t *have,
                           uint8_t *rex)
{
    const struct vmcb_save *g = &svm_of(v)->vmcb->save;
    struct guest_paging p = paging_of(v);
    size_t i = 0;

    *have = x86_guest_fetch_insn(&v->dom->ept, &p, g->cs.base + g->rip, insn);
    *rex = 0;
    for (; i < *have && is_prefix(insn[i]); i++)
        *rex = (insn[i] & 0xF0) == 0x40 ? insn[i] : 0;  /* REX counts only right before the opcode */
    return i;
}

int svm_insn_length(const struct vcpu *v, const uint8_t *opcode, size_t n)
{
    uint8_t insn[X86_MAX_INSN], rex;
    size_t have, i = fetch_at_rip(v, insn, &have, &rex);

    if (i + n > have)
        return have ? -EBADMSG : -EFAULT;
    if (memcmp(insn + i, opcode, n))
        return -EBADMSG;
    return (int)(i + n);
}

int svm_decode_mov_to_cr(const struct vcpu *v, unsigned int *cr, unsigned int *gpr)
{
    uint8_t insn[X86_MAX_INSN], rex;
    size_t have, i = fetch_at_rip(v, insn, &have, &rex);

    if (i + 3 > have)
        return have ? -EBADMSG : -EFAULT;
    if (insn[i] != 0x0F || insn[i + 1] != 0x22 || (insn[i + 2] >> 6) != 3)
        return -EBADMSG;                                /* MOV CRn, reg is 0F 22 /r with mod 11 */
    *cr = ((insn[i + 2] >> 3) & 7) | (rex & 4 ? 8 : 0);
    *gpr = (insn[i + 2] & 7) | (rex & 1 ? 8 : 0);
    return (int)(i + 3);
}
