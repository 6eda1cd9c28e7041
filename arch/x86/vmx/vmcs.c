/* The current VMCS: checked writes, readable dumps, VM-instruction error names. */
#include <lxds/errno.h>
#include <lxds/printk.h>
#include <x86/percpu.h>
#include <x86/vmcs.h>

int vmwrite(enum vmcs_field f, uint64_t v)
{
    uint8_t fail;

    __asm__ volatile("vmwrite %1, %2; setna %0" : "=q"(fail) : "rm"(v), "r"((uint64_t)f) : "cc");
    if (fail) {
        struct x86_percpu *pc = this_x86_cpu();
        if (pc->vmwrite_failures++ == 0)
            pc->first_bad_field = f;
        return -EIO;
    }
    return 0;
}

int vmcs_check_writes(const char *what)
{
    struct x86_percpu *pc = this_x86_cpu();

    if (!pc->vmwrite_failures)
        return 0;
    pr_err("vmx: %s: %u VMWRITE(s) failed, first to field %#x (VM-instruction error %u: %s)\n",
           what, pc->vmwrite_failures, pc->first_bad_field,
           (uint32_t)vmread(VM_INSTRUCTION_ERROR),
           vmx_instruction_error_name((uint32_t)vmread(VM_INSTRUCTION_ERROR)));
    pc->vmwrite_failures = 0;
    return -EIO;
}

const char *vmx_instruction_error_name(uint32_t err)
{
    static const char *const names[] = {
        [1] = "VMCALL executed in VMX root operation",
        [2] = "VMCLEAR with invalid physical address",
        [3] = "VMCLEAR with VMXON pointer",
        [4] = "VMLAUNCH with non-clear VMCS",
        [5] = "VMRESUME with non-launched VMCS",
        [6] = "VMRESUME after VMXOFF",
        [7] = "VM entry with invalid control field(s)",
        [8] = "VM entry with invalid host-state field(s)",
        [9] = "VMPTRLD with invalid physical address",
        [10] = "VMPTRLD with VMXON pointer",
        [11] = "VMPTRLD with incorrect VMCS revision identifier",
        [12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
        [13] = "VMWRITE to read-only VMCS component",
        [15] = "VMXON executed in VMX root operation",
        [16] = "VM entry with invalid executive-VMCS pointer",
        [17] = "VM entry with non-launched executive VMCS",
        [18] = "VM entry with executive-VMCS pointer not VMXON pointer",
        [19] = "VMCALL with non-clear VMCS",
        [20] = "VMCALL with invalid VM-exit control fields",
        [22] = "VMCALL with incorrect MSEG revision identifier",
        [23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
        [24] = "VMCALL with invalid SMM-monitor features",
        [25] = "VM entry with invalid VM-execution control fields in executive VMCS",
        [26] = "VM entry with events blocked by MOV SS",
        [28] = "invalid operand to INVEPT/INVVPID",
    };

    return err < ARRAY_SIZE(names) && names[err] ? names[err] : "unknown VM-instruction error";
}

struct named_field {
    enum vmcs_field field;
    const char *name;
};

#define F(x) { x, #x }
static const struct named_field control_fields[] = {
    F(PIN_BASED_CONTROLS), F(PROC_BASED_CONTROLS), F(PROC_BASED_CONTROLS2),
    F(EXIT_CONTROLS), F(ENTRY_CONTROLS), F(EXCEPTION_BITMAP), F(CR3_TARGET_COUNT),
    F(ENTRY_INTERRUPTION_INFO), F(EPT_POINTER), F(VMCS_VPID), F(MSR_BITMAP),
    F(IO_BITMAP_A), F(IO_BITMAP_B), F(CR0_GUEST_HOST_MASK), F(CR0_READ_SHADOW),
    F(CR4_GUEST_HOST_MASK), F(CR4_READ_SHADOW), F(EXIT_MSR_STORE_COUNT),
    F(EXIT_MSR_LOAD_COUNT), F(ENTRY_MSR_LOAD_COUNT),
};

static const struct named_field host_fields[] = {
    F(HOST_CR0), F(HOST_CR3), F(HOST_CR4), F(HOST_RSP), F(HOST_RIP),
    F(HOST_CS_SEL), F(HOST_SS_SEL), F(HOST_DS_SEL), F(HOST_ES_SEL), F(HOST_FS_SEL),
    F(HOST_GS_SEL), F(HOST_TR_SEL), F(HOST_FS_BASE), F(HOST_GS_BASE), F(HOST_TR_BASE),
    F(HOST_GDTR_BASE), F(HOST_IDTR_BASE), F(HOST_IA32_EFER), F(HOST_IA32_PAT),
};

static const struct named_field guest_fields[] = {
    F(GUEST_RIP), F(GUEST_RSP), F(GUEST_RFLAGS), F(GUEST_CR0), F(GUEST_CR3), F(GUEST_CR4),
    F(GUEST_IA32_EFER), F(GUEST_IA32_PAT), F(GUEST_DR7),
    F(GUEST_CS_SEL), F(GUEST_CS_BASE), F(GUEST_CS_LIMIT), F(GUEST_CS_AR),
    F(GUEST_SS_SEL), F(GUEST_SS_AR), F(GUEST_DS_SEL), F(GUEST_DS_AR),
    F(GUEST_ES_SEL), F(GUEST_ES_AR), F(GUEST_FS_SEL), F(GUEST_FS_AR),
    F(GUEST_GS_SEL), F(GUEST_GS_AR), F(GUEST_LDTR_SEL), F(GUEST_LDTR_AR),
    F(GUEST_TR_SEL), F(GUEST_TR_BASE), F(GUEST_TR_LIMIT), F(GUEST_TR_AR),
    F(GUEST_GDTR_BASE), F(GUEST_GDTR_LIMIT), F(GUEST_IDTR_BASE), F(GUEST_IDTR_LIMIT),
    F(GUEST_INTERRUPTIBILITY), F(GUEST_ACTIVITY_STATE), F(GUEST_PENDING_DBG),
    F(VMCS_LINK_POINTER), F(GUEST_PREEMPTION_TIMER),
};
#undef F

static void dump_group(const char *title, const struct named_field *f, size_t n)
{
    printk("  %s:\n", title);
    for (size_t i = 0; i < n; i += 2) {
        if (i + 1 < n)
            printk("    %-24s 0x%016lx   %-24s 0x%016lx\n", f[i].name, vmread(f[i].field),
                   f[i + 1].name, vmread(f[i + 1].field));
        else
            printk("    %-24s 0x%016lx\n", f[i].name, vmread(f[i].field));
    }
}

void vmcs_dump(void)
{
    dump_group("guest state", guest_fields, ARRAY_SIZE(guest_fields));
    dump_group("host state", host_fields, ARRAY_SIZE(host_fields));
    dump_group("controls", control_fields, ARRAY_SIZE(control_fields));
}
