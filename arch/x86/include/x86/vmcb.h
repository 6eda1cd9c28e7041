/*
 * The AMD SVM virtual machine control block (APM Vol. 2, appendix B): the
 * control area (intercepts, exit information, nested paging, event
 * injection) and the state save area.  Offsets are checked below.
 */
#ifndef X86_VMCB_H
#define X86_VMCB_H

#include <lxds/compiler.h>
#include <lxds/types.h>

struct vmcb_seg {
    uint16_t sel;
    uint16_t attrib;            /* VMX access rights compressed: bits 7:0 and 15:12 -> 11:0 */
    uint32_t limit;
    uint64_t base;
} __packed;

struct vmcb_control {
    uint16_t cr_read, cr_write;         /* 0x000: bit n = CRn */
    uint16_t dr_read, dr_write;
    uint32_t exceptions;                /* 0x008: bit n = vector n */
    uint32_t intercept1;                /* 0x00C: SVM_I1_* */
    uint32_t intercept2;                /* 0x010: SVM_I2_* */
    uint32_t intercept3;
    uint8_t reserved1[0x3C - 0x18];
    uint16_t pause_threshold, pause_count;
    uint64_t iopm_pa;                   /* 0x040 */
    uint64_t msrpm_pa;                  /* 0x048 */
    uint64_t tsc_offset;                /* 0x050 */
    uint32_t asid;                      /* 0x058 */
    uint8_t tlb_control;                /* 0x05C */
    uint8_t reserved2[3];
    uint64_t vintr;                     /* 0x060: V_TPR, V_IRQ, V_INTR_MASKING (bit 24)... */
    uint64_t interrupt_shadow;          /* 0x068 */
    uint64_t exit_code;                 /* 0x070 */
    uint64_t exit_info1;                /* 0x078 */
    uint64_t exit_info2;                /* 0x080 */
    uint64_t exit_int_info;             /* 0x088 */
    uint64_t nested_ctl;                /* 0x090: bit 0 nested paging */
    uint64_t avic_bar;
    uint64_t ghcb_pa;
    uint64_t event_inj;                 /* 0x0A8 */
    uint64_t nested_cr3;                /* 0x0B0 */
    uint64_t virt_ext;                  /* 0x0B8 */
    uint32_t clean;                     /* 0x0C0 */
    uint32_t reserved3;
    uint64_t next_rip;                  /* 0x0C8: only with NRIP save (not in QEMU TCG) */
    uint8_t insn_len;                   /* 0x0D0: only with decode assists */
    uint8_t insn_bytes[15];
    uint8_t reserved4[0x400 - 0xE0];
} __packed;

struct vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;  /* 0x400 */
    uint8_t reserved1[43];
    uint8_t cpl;                        /* 0x4CB */
    uint32_t reserved2;
    uint64_t efer;                      /* 0x4D0 */
    uint8_t reserved3[112];
    uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip;  /* 0x548 */
    uint8_t reserved4[88];
    uint64_t rsp;                       /* 0x5D8 */
    uint8_t reserved5[24];
    uint64_t rax;                       /* 0x5F8 */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t cr2;                       /* 0x640 */
    uint8_t reserved6[32];
    uint64_t g_pat;                     /* 0x668 */
    uint64_t dbgctl;
    uint64_t br_from, br_to, last_excp_from, last_excp_to;
} __packed;

struct vmcb {
    struct vmcb_control ctl;
    struct vmcb_save save;
} __packed;

_Static_assert(__builtin_offsetof(struct vmcb_control, iopm_pa) == 0x40, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb_control, exit_code) == 0x70, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb_control, event_inj) == 0xA8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb_control, next_rip) == 0xC8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save) == 0x400, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.cpl) == 0x4CB, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.efer) == 0x4D0, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr4) == 0x548, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.rip) == 0x578, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.rsp) == 0x5D8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.rax) == 0x5F8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr2) == 0x640, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "VMCB layout");

/* intercept1 (vector 3) */
#define SVM_I1_INTR        (1u << 0)
#define SVM_I1_NMI         (1u << 1)
#define SVM_I1_SMI         (1u << 2)
#define SVM_I1_INIT        (1u << 3)
#define SVM_I1_RDPMC       (1u << 15)
#define SVM_I1_CPUID       (1u << 18)
#define SVM_I1_INTN        (1u << 21)   /* INT n (QEMU TCG reports INT3 here, not as #BP) */
#define SVM_I1_INVD        (1u << 22)
#define SVM_I1_HLT         (1u << 24)
#define SVM_I1_INVLPGA     (1u << 26)
#define SVM_I1_IOIO        (1u << 27)
#define SVM_I1_MSR         (1u << 28)
#define SVM_I1_SHUTDOWN    (1u << 31)
/* intercept2 (vector 4) */
#define SVM_I2_VMRUN       (1u << 0)
#define SVM_I2_VMMCALL     (1u << 1)
#define SVM_I2_VMLOAD      (1u << 2)
#define SVM_I2_VMSAVE      (1u << 3)
#define SVM_I2_STGI        (1u << 4)
#define SVM_I2_CLGI        (1u << 5)
#define SVM_I2_SKINIT      (1u << 6)
#define SVM_I2_WBINVD      (1u << 9)
#define SVM_I2_MONITOR     (1u << 10)
#define SVM_I2_MWAIT       (1u << 11)   /* unconditionally */
#define SVM_I2_MWAIT_ARMED (1u << 12)   /* if the monitor hardware is armed */
#define SVM_I2_XSETBV      (1u << 13)

#define SVM_VINTR_MASKING  (1ull << 24)
#define SVM_NESTED_PAGING  1ull
#define SVM_TLB_FLUSH_ALL  1u           /* flush every ASID: QEMU TCG flushes all anyway */

/* EVENTINJ */
#define SVM_EVTINJ_VALID   (1u << 31)
#define SVM_EVTINJ_ERR     (1u << 11)
#define SVM_EVTINJ_EXC     (3u << 8)
#define SVM_EVTINJ_NMI     (2u << 8)

/* Exit codes (APM Vol. 2 appendix C) */
#define SVM_EXIT_CR0_READ     0x000
#define SVM_EXIT_CR0_WRITE    0x010
#define SVM_EXIT_DR0_READ     0x020   /* + n for DRn */
#define SVM_EXIT_DR0_WRITE    0x030
#define SVM_EXIT_EXCP_BASE    0x040
#define SVM_EXIT_INTR         0x060
#define SVM_EXIT_NMI          0x061
#define SVM_EXIT_SMI          0x062
#define SVM_EXIT_INIT         0x063
#define SVM_EXIT_VINTR        0x064
#define SVM_EXIT_RDPMC        0x06F
#define SVM_EXIT_CPUID        0x072
#define SVM_EXIT_SWINT        0x075
#define SVM_EXIT_INVD         0x076
#define SVM_EXIT_HLT          0x078
#define SVM_EXIT_INVLPGA      0x07A
#define SVM_EXIT_IOIO         0x07B
#define SVM_EXIT_MSR          0x07C
#define SVM_EXIT_SHUTDOWN     0x07F
#define SVM_EXIT_VMRUN        0x080
#define SVM_EXIT_VMMCALL      0x081
#define SVM_EXIT_VMLOAD       0x082
#define SVM_EXIT_VMSAVE       0x083
#define SVM_EXIT_STGI         0x084
#define SVM_EXIT_CLGI         0x085
#define SVM_EXIT_SKINIT       0x086
#define SVM_EXIT_WBINVD       0x089
#define SVM_EXIT_MONITOR      0x08A
#define SVM_EXIT_MWAIT        0x08B
#define SVM_EXIT_MWAIT_ARMED  0x08C
#define SVM_EXIT_XSETBV       0x08D
#define SVM_EXIT_NPF          0x400
#define SVM_EXIT_INVALID      0xFFFFFFFFu

/* MSRs */
#define MSR_VM_CR             0xC0010114
#define MSR_VM_HSAVE_PA       0xC0010117
#define MSR_IA32_PAT          0x277
#define VM_CR_LOCK            (1ull << 3)
#define VM_CR_SVMDIS          (1ull << 4)
#define EFER_SVME             (1ull << 12)

#endif
