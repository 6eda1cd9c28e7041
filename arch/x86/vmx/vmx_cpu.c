/*
 * Turning VMX on for one core: IA32_FEATURE_CONTROL (set and lock it when
 * the firmware left it unlocked, respect it when locked), CR0/CR4 fixed
 * bits, a VMXON region with the revision identifier, VMXON.
 */
#include <lxds/ept.h>
#include <lxds/errno.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <x86/cpu.h>
#include <x86/percpu.h>
#include <x86/vmx.h>
#include <x86/vmx_vcpu.h>
#include <x86/vmx_caps.h>

static int enable_feature_control(unsigned int cpu)
{
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

    if (!(fc & FEATURE_CONTROL_LOCKED)) {
        wrmsr(MSR_IA32_FEATURE_CONTROL,
              fc | FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
        if (cpu == 0)
            printk("vmx: IA32_FEATURE_CONTROL was unlocked; enabled VMX outside SMX and locked it\n");
        return 0;
    }
    if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
        pr_err("vmx: cpu %u: IA32_FEATURE_CONTROL is locked with VMX disabled "
               "(value %#lx); enable VT-x in the firmware setup\n", cpu, fc);
        return -EPERM;
    }
    return 0;
}

int vmx_cpu_enable(unsigned int cpu)
{
    struct x86_percpu *pc = x86_cpu(cpu);
    uint64_t pa;
    int rc = enable_feature_control(cpu);

    if (rc)
        return rc;
    write_cr0(vmx_fix_cr0(read_cr0(), false));
    write_cr4(vmx_fix_cr4(read_cr4() | CR4_VMXE));
    rc = mem_alloc_frames(1, 1, &pa);
    if (rc) {
        pr_err("vmx: cpu %u: no frame for the VMXON region\n", cpu);
        return rc;
    }
    *(uint32_t *)phys_to_virt(pa) = vmx_caps.revision;
    if (vmx_on(pa)) {
        pr_err("vmx: cpu %u: VMXON failed (CR0=%#lx CR4=%#lx FEATURE_CONTROL=%#lx)\n",
               cpu, read_cr0(), read_cr4(), rdmsr(MSR_IA32_FEATURE_CONTROL));
        mem_free_frames(pa, 1);
        return -EIO;
    }
    pc->vmxon_pa = pa;
    pc->vmx_on = true;
    printk("cpu %u: VMXON done (VMXON region at %#lx)\n", cpu, pa);
    return 0;
}

static bool vmx_usable;

/* Capabilities, then VMXON on the boot core (the backend's init). */
int vmx_virt_init(void)
{
    int rc = vmx_caps_init();

    if (rc)
        return rc;
    vmx_usable = true;
    return vmx_cpu_enable(0);
}

/* Each other core, as it comes up: VMXON when the boot core found VT-x usable. */
void vmx_secondary_cpu_init(unsigned int cpu)
{
    if (vmx_usable && vmx_cpu_enable(cpu))
        pr_err("cpu %u: VT-x could not be enabled; no guest will run on this core\n", cpu);
}

void vmx_stage2_params(bool *allow_2m, bool *allow_1g, enum ept_format *format)
{
    *allow_2m = vmx_caps.has_ept_2m;
    *allow_1g = vmx_caps.has_ept_1g;
    *format = EPT_FORMAT_VMX;
}
