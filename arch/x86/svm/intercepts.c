/*
 * What exits under SVM, per vCPU: the one place the SVM backend decides it.
 * The domain kind's exit policy (include/lxds/exit_policy.h) is applied as
 * data, as VT-x applies it (arch/x86/vmx/vcpu.c, policy_bitmaps.c):
 *
 *  - the IOPM and MSRPM are built from its port and MSR ranges
 *    (svm/policy_maps.c): only what it passes runs without an exit;
 *  - HLT exits unless the policy lets the domain halt (POLICY_OP_HALT:
 *    Linux's HLT then waits for its own interrupts without an exit);
 *  - CR8 is a virtual TPR (V_INTR_MASKING) where the policy says so
 *    (POLICY_OP_CR8_VIRTUAL); CR0 and CR4 are the guest's own VMCB state
 *    under SVM (no bit of them is the hypervisor's, unlike VT-x's fixed
 *    bits), so no CR write of Linux's exits (an isolated vCPU's do: below);
 *  - a domain refused by fault (POLICY_FAULT: Linux) also exits on #GP, so
 *    the SVM instructions, which the CPU refuses with #GP at CPL > 0 before
 *    any intercept, get the #UD a CPU without SVM gives (svm/exit.c).
 *
 * Every vCPU intercepts CPUID, INVD, XSETBV, shutdown (triple fault), INIT,
 * every SVM instruction (VMRUN must be intercepted; VMMCALL is the
 * hypercall) and #UD (a VMCALL opcode is a hypercall, as KVM does it, so
 * klxd and the LXD SDK run unchanged on AMD).  The handlers ask the policy.
 * Isolated vCPUs (LXDs, self-test guests) also exit on physical interrupts,
 * NMIs and SMIs (their core is the hypervisor's between quanta), and on
 * RDPMC, MONITOR, MWAIT, every debug-register access and CR0/CR4 writes
 * (no handler: the domain is stopped with the exit named).  Linux's other
 * cores (its APs, started by its INIT-SIPI) exit on NMIs: the hypervisor
 * sends one to reset such a core when Linux sends it an INIT (SVM has no
 * preemption timer to make a halted vCPU exit); any other NMI there (from
 * the platform: Linux's NMI IPIs are refused, arch/x86/apic_icr.c) is
 * given to Linux (svm/exit.c).
 */
#include <lxds/domain.h>
#include <lxds/memory.h>
#include <x86/cpu.h>
#include <x86/svm_policy.h>
#include <x86/svm_vcpu.h>

#define VECTOR_UD 6
#define VECTOR_GP 13

_Static_assert(SVM_IOPM_BYTES == 3 * PAGE_SIZE, "the IOPM is 3 pages (svm/vcpu.c allocates them)");
_Static_assert(SVM_MSRPM_BYTES == 2 * PAGE_SIZE, "the MSRPM is 2 pages (svm/vcpu.c allocates them)");

void svm_intercept_exception(struct svm_vcpu *s, unsigned int vector, bool on)
{
    if (on)
        s->vmcb->ctl.exceptions |= 1u << vector;
    else
        s->vmcb->ctl.exceptions &= ~(1u << vector);
}

void svm_intercepts_apply(struct vcpu *v, struct svm_vcpu *s)
{
    struct vmcb_control *c = &s->vmcb->ctl;
    const struct exit_policy *p = v->dom && v->dom->ops ? v->dom->ops->policy : NULL;

    svm_policy_maps(p, phys_to_virt(s->iopm_pa), phys_to_virt(s->msrpm_pa));
    c->iopm_pa = s->iopm_pa;
    c->msrpm_pa = s->msrpm_pa;
    c->intercept1 = SVM_I1_CPUID | SVM_I1_INVD | SVM_I1_SHUTDOWN | SVM_I1_INIT |
                    SVM_I1_IOIO | SVM_I1_MSR | SVM_I1_INVLPGA;
    c->intercept2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE |
                    SVM_I2_STGI | SVM_I2_CLGI | SVM_I2_SKINIT | SVM_I2_XSETBV | SVM_I2_WBINVD;
    c->exceptions = 1u << VECTOR_UD;
    if (p && p->refusal == POLICY_FAULT)
        c->exceptions |= 1u << VECTOR_GP;
    if (!policy_allows(p, POLICY_OP_HALT))
        c->intercept1 |= SVM_I1_HLT;
    if (s->linux_ap)
        c->intercept1 |= SVM_I1_NMI;
    c->vintr = policy_allows(p, POLICY_OP_CR8_VIRTUAL) || v->kind != VCPU_KIND_LINUX ?
               SVM_VINTR_MASKING : 0;
    if (v->kind != VCPU_KIND_LINUX) {
        c->intercept1 |= SVM_I1_INTR | SVM_I1_NMI | SVM_I1_SMI;
        /* as VT-x's RDPMC, MONITOR/MWAIT and MOV-DR exiting for isolated
         * vCPUs: no performance counters (another domain's activity), no
         * waits on the core, no debug registers (DR0-3 are not switched by
         * VMRUN: they are the debugger's, set by the hypervisor) */
        c->intercept1 |= SVM_I1_RDPMC;
        c->intercept2 |= SVM_I2_MONITOR | SVM_I2_MWAIT | SVM_I2_MWAIT_ARMED;
        c->dr_read = c->dr_write = 0xFFFF;
        /* no control register but the virtual CR8, as on VT-x (where the
         * bits the hypervisor owns exit): a CR0/CR4 write stops the domain
         * (QEMU lets CR4.VMXE be set on an AMD CPU, and the next VMRUN fails) */
        c->cr_write = (1u << 0) | (1u << 4);
    }
}
