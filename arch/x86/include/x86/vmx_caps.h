/* What this CPU's VMX offers, read once from the capability MSRs on the boot core. */
#ifndef X86_VMX_CAPS_H
#define X86_VMX_CAPS_H

#include <lxds/types.h>

struct vmx_caps {
    uint64_t basic;
    uint32_t revision;              /* VMCS revision identifier */
    bool true_ctls;                 /* use the TRUE_* control MSRs */
    uint64_t pin, proc, proc2, exit, entry;     /* allowed-0 (low) / allowed-1 (high) */
    uint64_t misc, ept_vpid;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    unsigned int preemption_shift;  /* timer ticks every 2^shift TSC cycles */
    bool has_vpid, has_unrestricted, has_ept_2m, has_ept_1g, has_ept_ad;
    bool has_invept_single, has_invvpid_single;
};

/* The controls a vCPU runs with, each already legal for this CPU. */
struct vmx_controls {
    uint32_t pin, proc, proc2, exit, entry;
};

extern struct vmx_caps vmx_caps;

/* Reads the MSRs and checks every required feature; -ENOTSUP names what is missing. */
int vmx_caps_init(void);

/*
 * Controls for an isolated guest (self-test guest or LXD): every MSR, I/O
 * port, HLT and external interrupt exits; EPT, VPID, preemption timer on.
 */
struct vmx_controls vmx_controls_isolated(void);

/*
 * Controls for Linux, the privileged guest: it takes its own interrupts and
 * halts its own core; only the MSRs and ports in its bitmaps exit.
 */
struct vmx_controls vmx_controls_linux(void);

/* Applies the CPU's fixed bits to a CR0/CR4 value (VMX needs them in and out of guests). */
uint64_t vmx_fix_cr0(uint64_t cr0, bool unrestricted);
uint64_t vmx_fix_cr4(uint64_t cr4);

#endif
