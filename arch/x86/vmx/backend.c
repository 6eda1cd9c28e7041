/* VT-x as an x86 virtualization backend (arch/x86/include/x86/virt.h). */
#include <lxds/vcpu.h>
#include <x86/virt.h>
#include <x86/vmcs.h>
#include <x86/vmx.h>
#include <x86/vmx_caps.h>
#include <x86/vmx_vcpu.h>

const char *vmx_selftest_break(struct vcpu *v, enum x86_selftest_break how, uint64_t *expect_detail);

/* Linux's other cores start in real mode at the SIPI vector: that needs unrestricted guest. */
static const char *vmx_linux_smp_refusal(void)
{
    return vmx_caps.has_unrestricted ? NULL
         : "this CPU's VT-x has no unrestricted guest, needed to run Linux's real-mode AP start-up";
}

const struct x86_virt_backend x86_vmx_backend = {
    .name = "VT-x",
    .emulates_apic_writes = true,
    .linux_smp_refusal = vmx_linux_smp_refusal,
    .init = vmx_virt_init,
    .secondary_cpu_init = vmx_secondary_cpu_init,
    .stage2_params = vmx_stage2_params,
    .vcpu_create = vmx_vcpu_create,
    .vcpu_run = vmx_vcpu_run,
    .vcpu_destroy = vmx_vcpu_destroy,
    .vcpu_save_state = vmx_vcpu_save_state,
    .vcpu_load_state = vmx_vcpu_load_state,
    .vcpu_debug_apply = vmx_vcpu_debug_apply,
    .selftest_break = vmx_selftest_break,
};

/* The self-tests' broken VMCS (the vCPU's VMCS is current on this core after create). */
const char *vmx_selftest_break(struct vcpu *v, enum x86_selftest_break how, uint64_t *expect_detail)
{
    (void)v;
    if (how == X86_BREAK_CONTROL) {
        vmwrite(CR3_TARGET_COUNT, 5);
        *expect_detail = 7;                     /* VM-instruction error: invalid control field(s) */
        return "writing 0x5 to VMCS field CR3_TARGET_COUNT";
    }
    vmwrite(GUEST_CR0, 0);                      /* no PE, no PG */
    *expect_detail = EXIT_REASON_ENTRY_FAILURE | EXIT_INVALID_GUEST_STATE;
    return "writing 0 to VMCS field GUEST_CR0";
}
