/* The x86 side of a vCPU: its VMCS and bitmaps, and the exit handling between runs. */
#ifndef X86_VMX_VCPU_H
#define X86_VMX_VCPU_H

#include <lxds/vcpu.h>
#include <lxds/ept.h>
#include <x86/vmx_caps.h>

struct arch_vcpu {
    uint64_t vmcs_pa;
    uint64_t msr_bitmap_pa;         /* one page: all ones, every MSR access exits */
    uint64_t io_bitmap_pa;          /* two pages (A, B): all ones, every port exits */
    uint64_t eptp;
    uint16_t vpid;                  /* 0 when VPID is not used */
    bool launched;
    unsigned int cpu;               /* the core whose VMCS this is */
    uint32_t timer_quantum;         /* preemption timer value per entry */
    uint8_t tpr;                    /* an isolated guest's virtual CR8 (CR8 accesses exit) */
    bool unrestricted;              /* started in real mode (a Linux AP): PE/PG are the guest's */
};

/* "IA-32e mode guest" from the guest's EFER.LMA (a vCPU that entered long mode itself). */
void vmx_sync_ia32e_mode(void);

/* Facts about one VM exit, read once from the VMCS. */
struct vmx_exit {
    uint32_t reason;                /* basic reason (bits 15:0) */
    uint64_t qualification;
    uint64_t rip;
    uint32_t instruction_length;
};

const char *vmx_exit_reason_name(uint32_t reason);

/* VMLAUNCH (launched = 0) or VMRESUME with regs (arch/x86/vmx/vmx_entry.asm): 0 after a
 * VM exit, 1 VMfailInvalid, 2 VMfailValid. */
int vmx_enter(struct vcpu_regs *regs, int launched);
/* VPIDs (arch/x86/vmx/vpid.c): 0 when VPID is not used or none is left. */
uint16_t vpid_alloc(void);
void vpid_free(uint16_t id);
/* INVEPT of one EPT's mappings on this core. */
void vmx_invept(uint64_t eptp);

/* Handles one exit; true to resume the guest, false when v->stop says why not. */
bool vmx_handle_exit(struct vcpu *v, const struct vmx_exit *e);

/* Prints the exit's reason, decoded qualification, guest RIP and registers. */
void vmx_report_exit(const struct vcpu *v, const struct vmx_exit *e, const char *why);

void vmx_stop(struct vcpu *v, enum vcpu_stop why, uint64_t addr, uint64_t detail);

/* The backend's entry points (x86/virt.h), registered in vmx/backend.c */
int vmx_virt_init(void);
void vmx_stage2_params(bool *allow_2m, bool *allow_1g, enum ept_format *format);
int vmx_vcpu_create(struct vcpu *v, const struct vcpu_boot *boot);
int vmx_vcpu_run(struct vcpu *v);
void vmx_vcpu_destroy(struct vcpu *v);
void vmx_vcpu_save_state(struct vcpu *v, struct lxds_debug_regs *r);
void vmx_vcpu_load_state(struct vcpu *v, const struct lxds_debug_regs *r);
void vmx_vcpu_debug_apply(struct vcpu *v);

/* #BP/#DB exits that belong to an attached debugger (arch/x86/vmx/debug.c):
 * true when it took the exception (the vCPU parks after this exit). */
bool vmx_debug_exception(struct vcpu *v, uint32_t intr_info, uint64_t qualification);

#endif
