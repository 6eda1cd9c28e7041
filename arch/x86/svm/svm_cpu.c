/*
 * Turning SVM on for one core: detection (CPUID 0x80000001 SVM, 0x8000000A
 * nested paging and ASIDs, VM_CR.SVMDIS), EFER.SVME, the host save area
 * (VM_HSAVE_PA), a VMSAVE area for the host's own FS/GS/TR/LDTR/syscall
 * state, and IA32_PAT as the NPT format's memory types expect it.
 */
#include <lxds/ept.h>
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <lxds/string.h>
#include <x86/cpu.h>
#include <x86/lapic.h>
#include <x86/percpu.h>
#include <x86/svm_vcpu.h>
#include <x86/virt.h>
#include <x86/vmcb.h>

#define CPUID_SVM_LEAF        0x8000000Au
#define CPUID81_ECX_SVM       (1u << 2)
#define CPUID81_EDX_NX        (1u << 20)
#define EFER_NXE              (1ull << 11)
#define CPUID8A_EDX_NP        (1u << 0)
#define CPUID8A_EDX_NRIPS     (1u << 3)
#define CPUID8A_EDX_DECODE    (1u << 7)

uint32_t svm_nasid;             /* ASIDs the CPU offers (CPUID 0x8000000A:EBX) */
static bool svm_usable;

const char *svm_unusable_reason(void)
{
    static char why[120];
    uint32_t max = cpuid(0x80000000, 0).eax;

    if (max < 0x80000001 || !(cpuid(0x80000001, 0).ecx & CPUID81_ECX_SVM))
        return "AMD SVM is absent (CPUID 0x80000001:ECX.SVM = 0)";
    if (max < CPUID_SVM_LEAF)
        return "AMD SVM is present but CPUID leaf 0x8000000A is missing";
    struct cpuid_regs r = cpuid(CPUID_SVM_LEAF, 0);
    if (!(r.edx & CPUID8A_EDX_NP))
        return "AMD SVM has no nested paging (CPUID 0x8000000A:EDX.NP = 0)";
    if (r.ebx < 2) {
        fmt_snprintf(why, sizeof(why), "AMD SVM offers no guest ASID (CPUID 0x8000000A:EBX = %u)",
                     r.ebx);
        return why;
    }
    /* Without EFER.NXE, bit 63 of a nested page table entry is reserved: pages
     * could not be made non-executable (QEMU: -cpu qemu64 lacks nx; add +nx). */
    if (!(cpuid(0x80000001, 0).edx & CPUID81_EDX_NX))
        return "AMD SVM is present but NX is absent (CPUID 0x80000001:EDX.NX = 0), so nested "
               "page tables cannot withhold execute rights";
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
        return "AMD SVM is disabled by the firmware (VM_CR.SVMDIS = 1)";
    return NULL;
}

static int svm_cpu_enable(unsigned int cpu)
{
    struct x86_percpu *pc = x86_cpu(cpu);
    uint64_t hsave, host;

    /* NXE: nested walks use the host's paging mode, so NX in NPT entries needs it */
    wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_SVME | EFER_NXE);
    if ((rdmsr(MSR_IA32_EFER) & (EFER_SVME | EFER_NXE)) != (EFER_SVME | EFER_NXE)) {
        pr_err("svm: cpu %u: EFER.SVME or NXE does not stay set (EFER=%#lx)\n", cpu,
               rdmsr(MSR_IA32_EFER));
        return -EIO;
    }
    if (mem_alloc_frames(1, 1, &hsave) || mem_alloc_frames(1, 1, &host)) {
        pr_err("svm: cpu %u: no frame for the host save area\n", cpu);
        return -ENOMEM;
    }
    memset(phys_to_virt(host), 0, PAGE_SIZE);
    wrmsr(MSR_VM_HSAVE_PA, hsave);
    wrmsr(MSR_IA32_PAT, EPT_NPT_HOST_PAT);      /* nested page tables index it */
    pc->svm_hsave_pa = hsave;
    pc->svm_host_vmcb_pa = host;
    pc->svm_on = true;
    printk("cpu %u: SVM on (host save area at %#lx)\n", cpu, hsave);
    return 0;
}

static int svm_virt_init(void)
{
    struct cpuid_regs r = cpuid(CPUID_SVM_LEAF, 0);

    svm_nasid = r.ebx;
    printk("svm: revision %u, %u ASIDs, nested paging%s%s (lengths of intercepted "
           "instructions are decoded by the hypervisor)\n", r.eax & 0xFF, r.ebx,
           r.edx & CPUID8A_EDX_NRIPS ? ", next-RIP save" : ", no next-RIP save",
           r.edx & CPUID8A_EDX_DECODE ? ", decode assists" : ", no decode assists");
    svm_usable = true;
    return svm_cpu_enable(0);
}

static void svm_secondary_cpu_init(unsigned int cpu)
{
    if (svm_usable && svm_cpu_enable(cpu))
        pr_err("cpu %u: SVM could not be enabled; no guest will run on this core\n", cpu);
}

static void svm_stage2_params(bool *allow_2m, bool *allow_1g, enum ept_format *format)
{
    *allow_2m = true;                           /* PS in PDEs: every x86-64 CPU */
    *allow_1g = (cpuid(0x80000001, 0).edx >> 26) & 1;   /* Page1GB */
    *format = EPT_FORMAT_NPT;
}

const char *svm_selftest_break(struct vcpu *v, enum x86_selftest_break how, uint64_t *expect_detail);

const struct x86_virt_backend x86_svm_backend = {
    .name = "SVM",
    .emulates_apic_writes = true,
    .linux_smp_refusal = svm_linux_smp_refusal,
    .force_guest_exit = svm_force_guest_exit,
    .init = svm_virt_init,
    .secondary_cpu_init = svm_secondary_cpu_init,
    .stage2_params = svm_stage2_params,
    .vcpu_create = svm_vcpu_create,
    .vcpu_run = svm_vcpu_run,
    .vcpu_destroy = svm_vcpu_destroy,
    .vcpu_save_state = svm_vcpu_save_state,
    .vcpu_load_state = svm_vcpu_load_state,
    .vcpu_debug_apply = svm_vcpu_debug_apply,
    .selftest_break = svm_selftest_break,
};

/* The self-tests' broken VMCB: VMRUN's consistency checks must refuse it (VMEXIT_INVALID). */
const char *svm_selftest_break(struct vcpu *v, enum x86_selftest_break how, uint64_t *expect_detail)
{
    struct vmcb *vmcb = ((struct svm_vcpu *)(void *)v->arch)->vmcb;

    *expect_detail = SVM_EXIT_INVALID;
    if (how == X86_BREAK_CONTROL) {
        vmcb->ctl.intercept2 &= ~SVM_I2_VMRUN;  /* the APM requires the VMRUN intercept */
        return "clearing the VMRUN intercept in the VMCB";
    }
    vmcb->save.efer &= ~EFER_SVME;              /* a guest EFER without SVME is illegal */
    return "clearing EFER.SVME in the VMCB's guest state";
}
