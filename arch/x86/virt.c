/*
 * Which virtualization backend runs: VT-x when CPUID.1:ECX.VMX says so, else
 * AMD SVM with nested paging when CPUID 0x80000001/0x8000000A and VM_CR allow
 * it.  Every arch_virt_* and arch_vcpu_* call of include/lxds/arch.h is
 * forwarded to the chosen backend (arch/x86/include/x86/virt.h).
 */
#include <lxds/arch.h>
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/printk.h>
#include <lxds/vcpu.h>
#include <x86/lapic.h>
#include <x86/virt.h>

extern uint32_t boot_has_vmx;           /* set by boot/entry.asm from CPUID.1:ECX */

static const struct x86_virt_backend *backend;
static char refusal[200];

const struct x86_virt_backend *x86_virt(void)
{
    return backend;
}

const char *arch_virt_detect(void)
{
    if (boot_has_vmx) {
        backend = &x86_vmx_backend;
        return NULL;
    }
    const char *svm_why = svm_unusable_reason();
    if (!svm_why) {
        backend = &x86_svm_backend;
        return NULL;
    }
    fmt_snprintf(refusal, sizeof(refusal), "VT-x is absent (CPUID.1:ECX.VMX = 0) and %s",
                 svm_why);
    return refusal;
}

const char *arch_virt_name(void)
{
    return backend ? backend->name : "none";
}

int arch_virt_init(void)
{
    return backend->init();
}

void x86_virt_secondary_cpu_init(unsigned int cpu)
{
    if (backend)
        backend->secondary_cpu_init(cpu);
}

void arch_stage2_params(bool *allow_2m, bool *allow_1g, enum ept_format *format)
{
    backend->stage2_params(allow_2m, allow_1g, format);
}

int arch_vcpu_create(struct vcpu *v, const struct vcpu_boot *boot)
{
    if (boot->sipi_start && (!backend || !backend->linux_smp_refusal))
        return -ENOTSUP;                /* a real-mode start-up this backend cannot run */
    return backend->vcpu_create(v, boot);
}

int arch_vcpu_run(struct vcpu *v)
{
    return backend->vcpu_run(v);
}

/*
 * A Linux vCPU programs its core's local APIC itself (its writes are
 * replayed on the real one): Linux's CPU hotplug software-disables it
 * before the core is reset, and a disabled APIC takes no fixed IPI, so the
 * hypervisor's wake-up kick (cpu_run_on) would never reach the parked core
 * again.  Enabled again as the core goes back to the hypervisor.
 */
void arch_vcpu_destroy(struct vcpu *v)
{
    backend->vcpu_destroy(v);
    if (v->kind == VCPU_KIND_LINUX)
        x86_lapic_enable();
}

void arch_vcpu_save_state(struct vcpu *v, struct lxds_debug_regs *r)
{
    backend->vcpu_save_state(v, r);
}

void arch_vcpu_load_state(struct vcpu *v, const struct lxds_debug_regs *r)
{
    backend->vcpu_load_state(v, r);
}

void arch_vcpu_debug_apply(struct vcpu *v)
{
    backend->vcpu_debug_apply(v);
}

const char *arch_linux_smp_refusal(void)
{
    const struct x86_virt_backend *b = x86_virt();

    if (!b)
        return "no virtualization backend";
    if (!b->linux_smp_refusal)
        return "this backend does not start Linux's other cores";
    return b->linux_smp_refusal();
}
