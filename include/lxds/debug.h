/*
 * The debugger's mechanism (domains/debug.c), for the domain code that owns
 * vCPUs (domains/lxd.c): one call per LXDS_HC_DEBUG operation.
 */
#ifndef LXDS_DEBUG_H
#define LXDS_DEBUG_H

#include <lxds/ept.h>
#include <lxds/hypercall_abi.h>
#include <lxds/vcpu.h>

/* A debuggable vCPU and what the debugger needs to know of its domain. */
struct debug_target {
    struct vcpu *v;
    const struct ept *ept;
    void *owner;
    bool (*is_running)(const struct debug_target *t);   /* on its core (not stopped for good) */
    bool (*was_started)(const struct debug_target *t);  /* has a state to look at */
    bool (*is_loaded)(const struct debug_target *t);    /* loaded, never started */
    void (*kick)(const struct debug_target *t);         /* make its core exit the guest */
};

/* Performs req->op (enum lxds_debug_op) on t.  buf holds LXDS_DBG_MEM_MAX
 * bytes for READ (filled) and WRITE (the data).  Returns >= 0 or -errno. */
int debug_op(const struct debug_target *t, struct lxds_debug *req, void *buf);

/* The domain's virtual address -> guest-physical, walking its page tables
 * (CR3) through its EPT.  0, or -EFAULT. */
int debug_translate(const struct ept *ept, uint64_t cr3, uint64_t va, uint64_t *gpa);

#endif
