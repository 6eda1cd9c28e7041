/*
 * VMX capabilities: every control the hypervisor sets is computed from the
 * capability MSRs (the TRUE_* ones when IA32_VMX_BASIC[55] says so), and
 * the features lxds cannot work without are checked once, by name.
 */
#include <lxds/errno.h>
#include <lxds/printk.h>
#include <x86/cpu.h>
#include <x86/vmx.h>
#include <x86/vmx_caps.h>

struct vmx_caps vmx_caps;

struct requirement {
    const uint64_t *cap;            /* the capability word to look in */
    bool in_allowed1;               /* test bit in the high half (a control may be 1) */
    uint64_t bit;
    const char *name;
};

static const struct requirement required[] = {
    { &vmx_caps.pin, true, PIN_PREEMPTION_TIMER, "VMX-preemption timer" },
    { &vmx_caps.pin, true, PIN_EXTERNAL_INTERRUPT_EXITING, "external-interrupt exiting" },
    { &vmx_caps.proc, true, PROC_HLT_EXITING, "HLT exiting" },
    { &vmx_caps.proc, true, PROC_USE_MSR_BITMAPS, "MSR bitmaps" },
    { &vmx_caps.proc, true, PROC_USE_IO_BITMAPS, "I/O bitmaps" },
    { &vmx_caps.proc, true, PROC_SECONDARY_CONTROLS, "secondary processor-based controls" },
    { &vmx_caps.proc, true, PROC_CR8_LOAD_EXITING, "CR8-load exiting (an LXD's TPR)" },
    { &vmx_caps.proc, true, PROC_CR8_STORE_EXITING, "CR8-store exiting (an LXD's TPR)" },
    { &vmx_caps.proc2, true, PROC2_ENABLE_EPT, "EPT" },
    { &vmx_caps.exit, true, EXIT_HOST_ADDR_SPACE_SIZE, "64-bit host (exit control)" },
    { &vmx_caps.exit, true, EXIT_LOAD_EFER, "load IA32_EFER on exit" },
    { &vmx_caps.exit, true, EXIT_SAVE_EFER, "save IA32_EFER on exit" },
    { &vmx_caps.exit, true, EXIT_LOAD_PAT, "load IA32_PAT on exit" },
    { &vmx_caps.entry, true, ENTRY_IA32E_MODE_GUEST, "64-bit guests (entry control)" },
    { &vmx_caps.entry, true, ENTRY_LOAD_EFER, "load IA32_EFER on entry" },
    { &vmx_caps.entry, true, ENTRY_LOAD_PAT, "load IA32_PAT on entry" },
    { &vmx_caps.ept_vpid, false, EPT_CAP_WALK_4, "4-level EPT page walk" },
    { &vmx_caps.ept_vpid, false, EPT_CAP_WB, "write-back EPT paging structures" },
    { &vmx_caps.ept_vpid, false, EPT_CAP_INVEPT, "INVEPT" },
};

static bool has(const struct requirement *r)
{
    uint64_t word = r->in_allowed1 ? *r->cap >> 32 : *r->cap;

    return (word & r->bit) == r->bit;
}

static void read_msrs(void)
{
    struct vmx_caps *c = &vmx_caps;

    c->basic = rdmsr(MSR_IA32_VMX_BASIC);
    c->revision = c->basic & 0x7FFFFFFF;
    c->true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
    c->pin = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_PINBASED : MSR_IA32_VMX_PINBASED_CTLS);
    c->proc = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED : MSR_IA32_VMX_PROCBASED_CTLS);
    c->exit = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_EXIT : MSR_IA32_VMX_EXIT_CTLS);
    c->entry = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_ENTRY : MSR_IA32_VMX_ENTRY_CTLS);
    c->misc = rdmsr(MSR_IA32_VMX_MISC);
    c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    /* the secondary controls and EPT/VPID MSRs exist only when their parent bit may be 1 */
    if ((c->proc >> 32) & PROC_SECONDARY_CONTROLS)
        c->proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
    if ((c->proc2 >> 32) & (PROC2_ENABLE_EPT | PROC2_ENABLE_VPID))
        c->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    c->preemption_shift = c->misc & 0x1F;
    c->has_vpid = ((c->proc2 >> 32) & PROC2_ENABLE_VPID) && (c->ept_vpid & VPID_CAP_INVVPID);
    c->has_unrestricted = (c->proc2 >> 32) & PROC2_UNRESTRICTED_GUEST;
    c->has_ept_2m = c->ept_vpid & EPT_CAP_2M;
    c->has_ept_1g = c->ept_vpid & EPT_CAP_1G;
    c->has_ept_ad = c->ept_vpid & EPT_CAP_AD;
    c->has_invept_single = c->ept_vpid & EPT_CAP_INVEPT_SINGLE;
    c->has_invvpid_single = c->ept_vpid & VPID_CAP_INVVPID_SINGLE;
}

int vmx_caps_init(void)
{
    unsigned int missing = 0;

    read_msrs();
    for (unsigned int i = 0; i < ARRAY_SIZE(required); i++)
        if (!has(&required[i])) {
            pr_err("vmx: this CPU's VT-x lacks %s, which lxds needs\n", required[i].name);
            missing++;
        }
    if (!vmx_caps.has_invept_single && !(vmx_caps.ept_vpid & EPT_CAP_INVEPT_ALL)) {
        pr_err("vmx: INVEPT supports neither single-context nor all-context invalidation\n");
        missing++;
    }
    if (missing)
        return -ENOTSUP;
    printk("vmx: VMCS revision %#x, %s controls, EPT%s%s%s, %s, %s, preemption timer 1/%u TSC\n",
           vmx_caps.revision, vmx_caps.true_ctls ? "true" : "default",
           vmx_caps.has_ept_2m ? " 2M" : "", vmx_caps.has_ept_1g ? " 1G" : "",
           vmx_caps.has_ept_ad ? " A/D" : "",
           vmx_caps.has_vpid ? "VPID" : "no VPID (TLB flushed on every switch)",
           vmx_caps.has_unrestricted ? "unrestricted guest" : "no unrestricted guest",
           1u << vmx_caps.preemption_shift);
    return 0;
}

/* A legal control value: the bits we want that may be 1, plus the bits that must be 1. */
static uint32_t adjust(uint64_t cap, uint32_t want)
{
    return (want & (uint32_t)(cap >> 32)) | (uint32_t)cap;
}

struct vmx_controls vmx_controls_isolated(void)
{
    uint32_t proc2 = PROC2_ENABLE_EPT | PROC2_ENABLE_RDTSCP | PROC2_WBINVD_EXITING;

    if (vmx_caps.has_vpid)
        proc2 |= PROC2_ENABLE_VPID;
    struct vmx_controls c = {
        .pin = adjust(vmx_caps.pin, PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING |
                                    PIN_PREEMPTION_TIMER),
        .proc = adjust(vmx_caps.proc, PROC_HLT_EXITING | PROC_USE_MSR_BITMAPS |
                                      PROC_USE_IO_BITMAPS | PROC_SECONDARY_CONTROLS |
                                      PROC_MWAIT_EXITING | PROC_MONITOR_EXITING |
                                      PROC_RDPMC_EXITING | PROC_MOV_DR_EXITING |
                                      PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING),
        .proc2 = adjust(vmx_caps.proc2, proc2),
        /* debug controls: the guest DR7 (a debugger's breakpoints) in the VMCS */
        .exit = adjust(vmx_caps.exit, EXIT_HOST_ADDR_SPACE_SIZE | EXIT_LOAD_EFER |
                                      EXIT_SAVE_EFER | EXIT_LOAD_PAT | EXIT_SAVE_PAT |
                                      EXIT_SAVE_DEBUG_CONTROLS),
        .entry = adjust(vmx_caps.entry, ENTRY_IA32E_MODE_GUEST | ENTRY_LOAD_EFER | ENTRY_LOAD_PAT |
                                        ENTRY_LOAD_DEBUG_CONTROLS),
    };
    return c;
}

struct vmx_controls vmx_controls_linux(void)
{
    uint32_t proc2 = PROC2_ENABLE_EPT | PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID |
                     PROC2_ENABLE_XSAVES;

    if (vmx_caps.has_vpid)
        proc2 |= PROC2_ENABLE_VPID;
    struct vmx_controls c = {
        .pin = adjust(vmx_caps.pin, 0),
        .proc = adjust(vmx_caps.proc, PROC_USE_MSR_BITMAPS | PROC_USE_IO_BITMAPS |
                                      PROC_SECONDARY_CONTROLS),
        .proc2 = adjust(vmx_caps.proc2, proc2),
        .exit = adjust(vmx_caps.exit, EXIT_HOST_ADDR_SPACE_SIZE | EXIT_LOAD_EFER |
                                      EXIT_SAVE_EFER | EXIT_LOAD_PAT | EXIT_SAVE_PAT),
        .entry = adjust(vmx_caps.entry, ENTRY_IA32E_MODE_GUEST | ENTRY_LOAD_EFER | ENTRY_LOAD_PAT),
    };
    return c;
}

uint64_t vmx_fix_cr0(uint64_t cr0, bool unrestricted)
{
    uint64_t must1 = vmx_caps.cr0_fixed0;

    if (unrestricted)
        must1 &= ~(CR0_PE | CR0_PG);
    return (cr0 | must1) & vmx_caps.cr0_fixed1;
}

uint64_t vmx_fix_cr4(uint64_t cr4)
{
    return (cr4 | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;
}
