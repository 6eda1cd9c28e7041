/*
 * What a domain kind may do to the machine, as data: which ports and MSRs
 * reach the hardware, which the domain's hooks emulate, which privileged
 * operations the hypervisor performs for it, and what happens to the rest.
 * Deny by default: a port or MSR no range names, and an operation the
 * policy does not list, is refused.
 *
 * One policy per domain kind, declared in domains/ (domains/linux.c,
 * domains/lxd.c) and referenced from its struct domain_ops.  The
 * virtualization backend applies it: VMX builds its I/O and MSR bitmaps
 * from the ranges (arch/x86/vmx/policy_bitmaps.c), SVM its IOPM and MSRPM
 * (arch/x86/svm/policy_maps.c), and both ask the policy in their exit
 * handlers (the I/O and MSR exits through arch/x86/policy_exit.c).
 * Nothing here is specific to one backend.
 */
#ifndef LXDS_EXIT_POLICY_H
#define LXDS_EXIT_POLICY_H

#include <lxds/types.h>

struct vcpu;

/* How one access to a port or MSR is handled. */
enum policy_access {
    POLICY_DENY = 0,        /* refused (the default): see enum policy_refusal */
    POLICY_PASS,            /* reaches the hardware without an exit */
    POLICY_EMULATE,         /* exits; the domain's hook decides */
};

/* Ports [first, last]; the first range that contains a port decides. */
struct policy_ports {
    uint16_t first, last;
    uint8_t access;         /* enum policy_access */
    const char *what;       /* for the docs and the log */
};

/* MSRs [first, last], reads and writes separately; the first range decides. */
struct policy_msrs {
    uint32_t first, last;
    uint8_t read, write;    /* enum policy_access */
    const char *what;
};

/* Privileged operations the hypervisor performs for (or emulates to) the domain. */
enum policy_op {
    POLICY_OP_HALT,         /* HLT waits for the domain's next interrupt */
    POLICY_OP_CR0_CR4,      /* MOV to CR0/CR4: the bits the hypervisor owns kept fixed */
    POLICY_OP_CR8_VIRTUAL,  /* MOV to/from CR8 against a virtual TPR (never the core's) */
    POLICY_OP_XSETBV,       /* XSETBV, checked by the CPU's XCR0 rules */
    POLICY_OP_INVD,         /* INVD and WBINVD, done as WBINVD (never drops others' dirty lines) */
    POLICY_OP_APIC_WRITES,  /* writes to its (read-only) local APIC page emulated, IPIs filtered */
    POLICY_OP_MAX,
};
#define POLICY_OP(op) (1u << (op))

/*
 * What happens to everything the policy does not allow.
 *  POLICY_STOP:  the vCPU is stopped and the exit reported (an LXD).
 *  POLICY_FAULT: the domain gets what a machine without the resource gives
 *                and goes on (Linux): #GP for an MSR, #UD for VMX
 *                instructions, reads of all ones and dropped writes for a
 *                port; each refusal is logged (rate-limited).
 */
enum policy_refusal {
    POLICY_STOP,
    POLICY_FAULT,
};

/* What an emulation hook did with an access. */
enum policy_result {
    POLICY_DONE,            /* handled; for reads *val holds the value */
    POLICY_REPLAY,          /* the hypervisor does the access for the domain as asked */
    POLICY_REFUSED,         /* treat as denied (policy_refusal applies) */
    POLICY_RESET,           /* the domain asked to reset the machine: its vCPU stops */
    POLICY_POWER_OFF,       /* the domain asked to power off or sleep: its vCPU stops */
};

struct exit_policy {
    const char *name;
    const struct policy_ports *ports;
    unsigned int nports;
    const struct policy_msrs *msrs;
    unsigned int nmsrs;
    uint32_t ops;                       /* POLICY_OP() bits */
    enum policy_refusal refusal;
    /* POLICY_EMULATE ports: size 1, 2 or 4 bytes at port (the access may
     * cover several ports; at least one of them is emulated). */
    enum policy_result (*port_io)(struct vcpu *v, uint16_t port, unsigned int size, bool in,
                                  uint32_t *val);
    /* POLICY_EMULATE MSRs. */
    enum policy_result (*msr)(struct vcpu *v, uint32_t msr, bool write, uint64_t *val);
};

/* How an access to one port / one MSR is handled under p (POLICY_DENY if no range names it). */
enum policy_access policy_port_access(const struct exit_policy *p, uint16_t port);
enum policy_access policy_msr_access(const struct exit_policy *p, uint32_t msr, bool write);
/*
 * An access of size bytes at port, which may cover several ports: EMULATE if
 * any of them is emulated, else DENY if any is denied, else PASS.
 */
enum policy_access policy_io_access(const struct exit_policy *p, uint16_t port, unsigned int size);
static inline bool policy_allows(const struct exit_policy *p, enum policy_op op)
{
    return p && (p->ops & POLICY_OP(op));
}
/* A text for each enum policy_result, for the log. */
const char *policy_result_name(enum policy_result r);

#endif
