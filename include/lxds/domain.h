/* A domain: an isolated address space (one EPT) with its vCPUs and its policy. */
#ifndef LXDS_DOMAIN_H
#define LXDS_DOMAIN_H

#include <lxds/ept.h>
#include <lxds/exit_policy.h>
#include <lxds/vcpu.h>

/* What a hypercall handler tells the run loop to do next. */
enum hypercall_action {
    HC_RESUME,
    HC_STOP,            /* stop the vCPU: VCPU_STOP_REQUESTED */
    HC_EXIT,            /* the domain ends itself: VCPU_STOP_EXITED with v->exit_code */
};

struct domain_ops {
    /* VMCALL from the domain: registers in v->regs, results written back there. */
    enum hypercall_action (*hypercall)(struct vcpu *v);
    /* What the domain may do to the machine (ports, MSRs, privileged
     * operations) and what happens to the rest; NULL denies everything. */
    const struct exit_policy *policy;
    /* Watchdog tick: true if the domain made progress since the last tick. */
    bool (*progress)(struct vcpu *v);
};

struct domain {
    char name[32];
    int id;
    struct ept ept;
    const struct domain_ops *ops;
    void *priv;
};

/* Sets up an empty domain (an EPT with nothing mapped). 0 or -ENOMEM. */
int domain_init(struct domain *d, const char *name, const struct domain_ops *ops, void *priv);
/* Frees its EPT; its vCPUs must be destroyed first. */
void domain_destroy(struct domain *d);

#endif
