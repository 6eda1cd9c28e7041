/* The SVM side of a vCPU: its VMCB and permission maps, and the exit handling between runs. */
#ifndef X86_SVM_VCPU_H
#define X86_SVM_VCPU_H

#include <lxds/vcpu.h>
#include <x86/vmcb.h>

struct svm_vcpu {
    uint64_t vmcb_pa;
    struct vmcb *vmcb;
    uint64_t iopm_pa;               /* 3 pages: one bit per port, set = exits */
    uint64_t msrpm_pa;              /* 2 pages: two bits per MSR (read, write) */
    uint32_t asid;
    bool asid_shared;               /* no free ASID: flush the TLB on every VMRUN */
    unsigned int cpu;               /* the core whose VMCB this is */
    uint64_t quantum;               /* watchdog: TSC cycles between ticks (0 = none) */
    uint64_t next_tick;             /* TSC of the next watchdog tick */
    bool linux_ap;                  /* one of Linux's other cores (started by its SIPI):
                                       intercepts NMIs, arch_force_guest_exit's signal */
};

static inline struct svm_vcpu *svm_of(const struct vcpu *v)
{
    return (struct svm_vcpu *)(void *)v->arch;
}

/* Facts about one #VMEXIT, read once from the VMCB. */
struct svm_exit {
    uint32_t code;                  /* compared as 32 bits: VMEXIT_INVALID is -1 */
    uint64_t info1, info2;
    uint64_t rip;
};

/* svm/intercepts.c: the one place that says what exits, per kind of vCPU. */
void svm_intercepts_apply(struct vcpu *v, struct svm_vcpu *s);

/* svm/vcpu.c: an NMI to that core, whose Linux AP vCPU then exits. */
void svm_force_guest_exit(unsigned int cpu);
/* NULL: Linux's other cores can be started (INIT-SIPI emulated, real mode under NPT). */
const char *svm_linux_smp_refusal(void);
void svm_intercept_exception(struct svm_vcpu *s, unsigned int vector, bool on);

/* svm/exit.c */
const char *svm_exit_name(uint32_t code);
bool svm_handle_exit(struct vcpu *v, const struct svm_exit *e);
void svm_report_exit(const struct vcpu *v, const struct svm_exit *e, const char *why);
void svm_stop(struct vcpu *v, enum vcpu_stop why, uint64_t addr, uint64_t detail);
void svm_inject_exception(struct vcpu *v, unsigned int vector, uint32_t error_code);

/* svm/decode.c: reading guest memory through its page tables and stage-2 table,
 * and the length of the instruction that exited (no next-RIP save in QEMU TCG). */
int svm_guest_read(const struct vcpu *v, uint64_t gva, void *buf, size_t len);
/* Length of the instruction at RIP when its opcode (after prefixes) is opcode[0..n);
 * else a negative errno (-EFAULT unreadable, -EBADMSG another instruction). */
int svm_insn_length(const struct vcpu *v, const uint8_t *opcode, size_t n);
/* MOV to CRn at RIP: its length, the CR and the source register (0 rax .. 15 r15);
 * else -EFAULT (unreadable) or -EBADMSG (another instruction). */
int svm_decode_mov_to_cr(const struct vcpu *v, unsigned int *cr, unsigned int *gpr);

/* The backend's entry points (x86/virt.h), registered in svm/svm_cpu.c */
int svm_vcpu_create(struct vcpu *v, const struct vcpu_boot *boot);
int svm_vcpu_run(struct vcpu *v);
void svm_vcpu_destroy(struct vcpu *v);
void svm_vcpu_load_state(struct vcpu *v, const struct lxds_debug_regs *r);
void svm_vcpu_debug_apply(struct vcpu *v);

/* svm/debug.c */
void svm_vcpu_save_state(struct vcpu *v, struct lxds_debug_regs *r);
bool svm_debug_exception(struct vcpu *v, unsigned int vector);
/* An intercepted INT n while a debugger may be attached: true when it was an
 * int3 (the debugger's breakpoint: it parks), false otherwise. */
bool svm_debug_swint(struct vcpu *v);

#endif
