/*
 * A virtual CPU: the unit the hypervisor runs.  The Linux guest and every
 * LXD run on vCPUs; each belongs to a domain (which owns the EPT) and has a
 * home core it runs on.  The architecture keeps its state (the VMCS) behind
 * the opaque arch pointer.
 */
#ifndef LXDS_VCPU_H
#define LXDS_VCPU_H

#include <lxds/hypercall_abi.h>
#include <lxds/types.h>

struct domain;
struct arch_vcpu;

/* Why a vCPU stopped running (arch_vcpu_run() returned). */
enum vcpu_stop {
    VCPU_RUNNABLE,              /* not stopped */
    VCPU_STOP_REQUESTED,        /* the domain asked (e.g. a hypercall said "done") */
    VCPU_STOP_HALTED,           /* HLT in a domain that may not halt */
    VCPU_STOP_EPT_VIOLATION,    /* touched memory it was not given */
    VCPU_STOP_TRIPLE_FAULT,
    VCPU_STOP_EXCEPTION,        /* an exception the domain may not take */
    VCPU_STOP_WATCHDOG,         /* ran past its time budget without progress */
    VCPU_STOP_ENTRY_FAILED,     /* VM entry failed: a hypervisor bug or bad state */
    VCPU_STOP_UNEXPECTED_EXIT,  /* an exit this domain has no handler for */
    VCPU_STOP_EXITED,           /* the domain ended itself; stop_detail = its exit code */
};

/* General-purpose registers, in the order arch/x86/vmx/vmx_entry.asm saves them. */
struct vcpu_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/* What runs on the vCPU decides how much of the machine it sees. */
enum vcpu_kind {
    VCPU_KIND_ISOLATED,         /* LXDs and self-test guests: every MSR, port and HLT exits */
    VCPU_KIND_LINUX,            /* the privileged guest: its own interrupts, most MSRs and ports */
};

/*
 * Where a vCPU starts: 64-bit mode, flat segments, paging at cr3; or, with
 * sipi_start, as an x86 application processor after INIT and a start-up IPI
 * (real mode at sipi_vector:0000, every other register as after INIT; only
 * the other fields' zero values then).
 */
struct vcpu_boot {
    uint64_t rip, rsp, cr3, rsi;
    uint64_t gdt_base;          /* 0: no GDT in guest memory */
    uint16_t gdt_limit;
    uint16_t cs, ds;            /* selectors; 0 means 0x08 and 0x10 */
    bool sipi_start;
    uint8_t sipi_vector;
};

/*
 * A debugger's hold on a vCPU.  Linux's core sets the requests
 * (domains/debug.c); the home core's run loop parks the vCPU in the
 * hypervisor at its next exit, saves its state into regs, and on resume
 * loads regs back if the debugger changed them.  regs is also saved when
 * the vCPU stops for good, so a crashed domain can be inspected.
 */
struct vcpu_debug {
    volatile bool attached;
    volatile bool pause_req;    /* park at the next exit */
    volatile bool paused;       /* parked: regs is current */
    volatile bool resume_req;   /* leave the park */
    volatile bool step;         /* with resume_req: run one instruction, then park */
    volatile bool regs_dirty;   /* the debugger wrote regs: load them before running */
    volatile uint32_t event;    /* enum lxds_debug_event: why it parked last */
    bool stepping;              /* arch: TF is ours until the step's #DB */
    bool guest_tf;              /* arch: the guest's own TF while we step */
    volatile bool hw_dirty;     /* a hardware slot changed: arch loads them before running */
    uint32_t hw_hit;            /* LXDS_DBG_EV_HWBREAK: the slots that matched (bit n = slot n) */
    struct {
        uint64_t addr;
        uint32_t kind;          /* LXDS_DBG_HW_OFF, _EXEC, _WRITE, _ACCESS */
        uint32_t len;           /* 1, 2, 4, 8 */
    } hw[LXDS_DBG_HW_SLOTS];    /* the debug registers, DR0-DR3 on x86 */
    struct lxds_debug_regs regs;
};

struct vcpu {
    struct domain *dom;
    enum vcpu_kind kind;
    unsigned int id;            /* within the domain */
    unsigned int home_cpu;
    struct vcpu_regs regs;
    struct arch_vcpu *arch;
    enum vcpu_stop stop;
    uint64_t stop_rip;          /* guest RIP when it stopped */
    uint64_t stop_addr;         /* guest-physical address for EPT violations */
    uint64_t stop_detail;       /* reason-specific: qualification, vector, exit reason, exit code */
    uint64_t exit_code;         /* set by a hypercall handler that returns HC_EXIT */
    volatile bool stop_requested;   /* set by another core; the run loop stops the vCPU */
    uint32_t watchdog_limit;    /* preemption-timer expiries without progress; 0 = no watchdog */
    uint32_t watchdog_count;
    uint64_t exits;             /* counters */
    uint64_t hypercalls;
    unsigned int refusals_logged;   /* exits refused with an injected fault, logged so far */
    unsigned int io_refusals_logged;    /* port accesses refused, logged so far */
    struct vcpu_debug dbg;
};

/* On the home core, from the run loop: park the vCPU for the debugger until it
 * is resumed (or asked to stop).  Defined in domains/debug.c. */
void vcpu_debug_park(struct vcpu *v);

/* The ABI's text for it (enum vcpu_stop mirrors enum lxds_exit_reason). */
const char *vcpu_stop_name(enum vcpu_stop s);

#endif
