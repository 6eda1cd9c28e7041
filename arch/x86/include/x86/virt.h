/*
 * The x86 virtualization backends behind include/lxds/arch.h: VT-x
 * (arch/x86/vmx/) and AMD SVM (arch/x86/svm/).  arch/x86/virt.c picks one at
 * boot from CPUID and forwards every arch_virt_* / arch_vcpu_* call to it;
 * nothing outside arch/x86 knows which one runs.
 */
#ifndef X86_VIRT_H
#define X86_VIRT_H

#include <lxds/ept.h>
#include <lxds/types.h>

struct vcpu;
struct vcpu_boot;
struct lxds_debug_regs;

/* The self-tests' deliberately broken vCPUs (arch/x86/selftest.c). */
enum x86_selftest_break {
    X86_BREAK_CONTROL,                  /* an invalid control field */
    X86_BREAK_GUEST_STATE,              /* an invalid guest state */
};

struct x86_virt_backend {
    const char *name;                   /* "VT-x", "SVM": for log lines */
    /* Its exit handler hands writes to a read-only APIC page to x86/linux_apic.h. */
    bool emulates_apic_writes;
    /* NULL if it can start Linux's other cores (INIT-SIPI-SIPI emulated), else why not;
     * a NULL function: it cannot. */
    const char *(*linux_smp_refusal)(void);
    /* Makes the vCPU running on that core exit soon (arch_force_guest_exit); NULL: its
     * vCPUs exit on their own often enough (VT-x: the preemption timer). */
    void (*force_guest_exit)(unsigned int cpu);
    int (*init)(void);                  /* boot core: capabilities, enable */
    void (*secondary_cpu_init)(unsigned int cpu);   /* each other core as it comes up */
    void (*stage2_params)(bool *allow_2m, bool *allow_1g, enum ept_format *format);
    int (*vcpu_create)(struct vcpu *v, const struct vcpu_boot *boot);
    int (*vcpu_run)(struct vcpu *v);
    void (*vcpu_destroy)(struct vcpu *v);
    void (*vcpu_save_state)(struct vcpu *v, struct lxds_debug_regs *r);
    void (*vcpu_load_state)(struct vcpu *v, const struct lxds_debug_regs *r);
    void (*vcpu_debug_apply)(struct vcpu *v);
    /* Breaks a created vCPU on purpose; says what it did, and the stop_detail
     * its run must end with (VCPU_STOP_ENTRY_FAILED). */
    const char *(*selftest_break)(struct vcpu *v, enum x86_selftest_break how,
                                  uint64_t *expect_detail);
};

extern const struct x86_virt_backend x86_vmx_backend;
extern const struct x86_virt_backend x86_svm_backend;

/* The backend detection chose (NULL before arch_virt_detect or when none fits). */
const struct x86_virt_backend *x86_virt(void);

/* Each other core, as it comes up (arch/x86/smp.c). */
void x86_virt_secondary_cpu_init(unsigned int cpu);

/* SVM's detection: NULL when usable, else what is missing (one phrase). */
const char *svm_unusable_reason(void);

#endif
