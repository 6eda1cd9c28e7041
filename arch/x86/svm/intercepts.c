/*
 * What exits under SVM, per kind of vCPU: the one place the SVM backend
 * decides it.  It mirrors VT-x's policy (arch/x86/vmx/vcpu.c linux_bitmaps
 * and vmx_caps.c controls) until the shared exit/MSR/port policy moves into
 * domains/ as data; then this file is where that data is applied.
 *
 *  - Every vCPU: CPUID, INVD, XSETBV, shutdown (triple fault), INIT, the SVM
 *    instructions (VMRUN must be intercepted; VMMCALL is the hypercall),
 *    #UD (a VMCALL opcode is a hypercall, as KVM does it, so klxd and the
 *    LXD SDK run unchanged on AMD).
 *  - Linux: its own interrupts (no INTR intercept, V_INTR_MASKING off), HLT
 *    and devices; the MSRs VT-x refuses (IA32_FEATURE_CONTROL, the VMX
 *    capability MSRs) plus SVM's (EFER, VM_CR, VM_HSAVE_PA); COM2, 0xCF9 and
 *    0x64 exit.
 *  - Isolated (LXDs, self-test guests): every port and MSR, HLT, physical
 *    interrupts and NMIs exit (V_INTR_MASKING: CR8 is a virtual TPR that
 *    never reaches the APIC).
 */
#include <lxds/memory.h>
#include <lxds/string.h>
#include <x86/cpu.h>
#include <x86/svm_vcpu.h>

#define VECTOR_UD 6

#define IOPM_PAGES   3
#define MSRPM_PAGES  2

/* Two bits per MSR (read, write) in three 2 KiB blocks; MSRs outside them always exit. */
static void msr_intercept(uint8_t *msrpm, uint32_t msr)
{
    uint32_t block;

    if (msr <= 0x1FFF)
        block = 0;
    else if (msr >= 0xC0000000 && msr <= 0xC0001FFF)
        block = 0x800;
    else if (msr >= 0xC0010000 && msr <= 0xC0011FFF)
        block = 0x1000;
    else
        return;                         /* always intercepted */
    uint32_t bit = (msr & 0x1FFF) * 2;
    msrpm[block + bit / 8] |= (uint8_t)(3u << (bit % 8));
}

static void io_intercept(uint8_t *iopm, uint16_t port)
{
    iopm[port / 8] |= (uint8_t)(1u << (port % 8));
}

void svm_intercept_exception(struct svm_vcpu *s, unsigned int vector, bool on)
{
    if (on)
        s->vmcb->ctl.exceptions |= 1u << vector;
    else
        s->vmcb->ctl.exceptions &= ~(1u << vector);
}

static void linux_maps(uint8_t *msrpm, uint8_t *iopm)
{
    memset(msrpm, 0, MSRPM_PAGES * PAGE_SIZE);
    memset(iopm, 0, IOPM_PAGES * PAGE_SIZE);
    msr_intercept(msrpm, MSR_IA32_FEATURE_CONTROL);
    for (uint32_t m = 0x480; m <= 0x491; m++)       /* the VMX capability MSRs */
        msr_intercept(msrpm, m);
    msr_intercept(msrpm, MSR_IA32_EFER);            /* EFER.SVME is the hypervisor's */
    msr_intercept(msrpm, MSR_VM_CR);
    msr_intercept(msrpm, MSR_VM_HSAVE_PA);
    msr_intercept(msrpm, MSR_IA32_PAT);             /* the guest's PAT is the VMCB's g_pat */
    for (uint16_t p = 0x2F8; p < 0x300; p++)        /* COM2: the hypervisor's log */
        io_intercept(iopm, p);
    io_intercept(iopm, 0xCF9);                      /* reset control */
    io_intercept(iopm, 0x64);                       /* keyboard controller (reset) */
}

void svm_intercepts_apply(struct vcpu *v, struct svm_vcpu *s)
{
    struct vmcb_control *c = &s->vmcb->ctl;
    uint8_t *msrpm = phys_to_virt(s->msrpm_pa), *iopm = phys_to_virt(s->iopm_pa);

    c->intercept1 = SVM_I1_CPUID | SVM_I1_INVD | SVM_I1_SHUTDOWN | SVM_I1_INIT |
                    SVM_I1_IOIO | SVM_I1_MSR;
    c->intercept2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE |
                    SVM_I2_STGI | SVM_I2_CLGI | SVM_I2_SKINIT | SVM_I2_XSETBV;
    c->exceptions = 1u << VECTOR_UD;
    c->iopm_pa = s->iopm_pa;
    c->msrpm_pa = s->msrpm_pa;
    if (v->kind == VCPU_KIND_LINUX) {
        linux_maps(msrpm, iopm);
        c->vintr = 0;
        return;
    }
    memset(msrpm, 0xFF, MSRPM_PAGES * PAGE_SIZE);
    memset(iopm, 0xFF, IOPM_PAGES * PAGE_SIZE);
    c->intercept1 |= SVM_I1_INTR | SVM_I1_NMI | SVM_I1_SMI | SVM_I1_HLT;
    c->vintr = SVM_VINTR_MASKING;
}
