/*
 * The debugger's mechanism, arch-neutral: parking a vCPU on its home core,
 * the requests Linux's core makes of it (attach, pause, resume, step, get and
 * set registers), and access to a domain's memory by its own virtual
 * addresses.  Policy (which domain, what gdb asked) is lxdctl's, in Linux.
 *
 * Memory: the domain's page tables are its own (it may rewrite them), so
 * they are walked like any other hostile data: every table entry is read
 * through the domain's EPT, only 4-level long-mode paging is followed, and a
 * translation that leaves the EPT fails.  Nothing outside the domain's EPT
 * is ever read or written; its EPT rights are not the debugger's limit
 * (breakpoints go into read-only code).
 */
#include <lxds/arch.h>
#include <lxds/debug.h>
#include <lxds/errno.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <lxds/string.h>

#define PTE_P        1ull
#define PTE_PS       (1ull << 7)
#define PTE_ADDR     0x000FFFFFFFFFF000ull
#define PAUSE_TIMEOUT_US 500000

void vcpu_debug_park(struct vcpu *v)
{
    arch_vcpu_save_state(v, &v->dbg.regs);
    if (v->dbg.event == LXDS_DBG_EV_NONE || v->dbg.event == LXDS_DBG_EV_STOPPED)
        v->dbg.event = LXDS_DBG_EV_PAUSED;
    v->dbg.pause_req = false;
    __atomic_store_n(&v->dbg.paused, true, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&v->dbg.resume_req, __ATOMIC_ACQUIRE) && !v->stop_requested)
        arch_cpu_relax();
    if (v->dbg.regs_dirty) {
        arch_vcpu_load_state(v, &v->dbg.regs);
        v->dbg.regs_dirty = false;
    }
    arch_vcpu_debug_apply(v);
    v->watchdog_count = 0;                  /* paused time is not the domain's */
    v->dbg.event = LXDS_DBG_EV_NONE;
    __atomic_store_n(&v->dbg.paused, false, __ATOMIC_RELEASE);
    /* last: do_resume returns when it sees this, and then paused and event
     * must already say "running", or a GET would report the old stop again */
    __atomic_store_n(&v->dbg.resume_req, false, __ATOMIC_RELEASE);
}

/* Waits until the running vCPU parked; -ETIMEDOUT if its core never answers. */
static int wait_parked(const struct debug_target *t)
{
    for (unsigned int us = 0; us < PAUSE_TIMEOUT_US; us += 10) {
        if (__atomic_load_n(&t->v->dbg.paused, __ATOMIC_ACQUIRE))
            return 0;
        if (!t->is_running(t))
            return 0;                       /* it stopped for good meanwhile */
        arch_udelay(10);
    }
    return trace_error(-ETIMEDOUT);
}

static int do_pause(const struct debug_target *t)
{
    struct vcpu *v = t->v;

    if (!t->is_running(t) || v->dbg.paused)
        return 0;
    v->dbg.pause_req = true;
    t->kick(t);                             /* an exit on its core makes it see the request */
    return wait_parked(t);
}

static int do_resume(const struct debug_target *t, bool step)
{
    struct vcpu *v = t->v;

    if (!t->is_running(t))
        return trace_error(-ESRCH);                      /* stopped for good: nothing runs again */
    if (!v->dbg.paused)
        return step ? -EBUSY : 0;
    v->dbg.step = step;
    __atomic_store_n(&v->dbg.resume_req, true, __ATOMIC_RELEASE);
    /* wait until it left the park, so a GET right after sees it running */
    for (unsigned int us = 0; us < PAUSE_TIMEOUT_US; us += 10) {
        if (!__atomic_load_n(&v->dbg.resume_req, __ATOMIC_ACQUIRE))
            return 0;
        arch_udelay(10);
    }
    return trace_error(-ETIMEDOUT);
}

/* Reads the 8-byte table entry at gpa through the domain's EPT. */
static int read_pte(const struct ept *ept, uint64_t gpa, uint64_t *pte)
{
    uint64_t hpa;

    if (gpa & 7 || ept_translate(ept, gpa, &hpa, NULL, NULL, NULL))
        return trace_error(-EFAULT);
    *pte = *(volatile uint64_t *)phys_to_virt(hpa);
    return 0;
}

/* The domain's virtual address va -> its guest-physical address, by its CR3. */
int debug_translate(const struct ept *ept, uint64_t cr3, uint64_t va, uint64_t *gpa)
{
    uint64_t table = cr3 & PTE_ADDR, pte = 0;

    if ((va >> 47) != 0 && (va >> 47) != 0x1FFFF)
        return trace_error(-EFAULT);                     /* not canonical */
    for (int level = 3; level >= 0; level--) {
        unsigned int idx = (unsigned int)(va >> (12 + 9 * level)) & 511;

        if (read_pte(ept, table + idx * 8ull, &pte) || !(pte & PTE_P))
            return trace_error(-EFAULT);
        if ((level == 2 || level == 1) && (pte & PTE_PS)) {
            uint64_t size = 1ull << (12 + 9 * level);
            *gpa = (pte & PTE_ADDR & ~(size - 1)) | (va & (size - 1));
            return 0;
        }
        table = pte & PTE_ADDR;
    }
    *gpa = table | (va & 0xFFF);
    return 0;
}

/* Copies len bytes between the domain (at its virtual address va) and buf;
 * returns how many were copied before the first inaccessible page, or
 * -EFAULT if not even the first byte is. */
static long copy_domain(const struct debug_target *t, uint64_t va, void *buf, uint64_t len,
                        bool write)
{
    uint64_t done = 0;

    while (done < len) {
        uint64_t gpa, hpa, chunk = MIN(len - done, PAGE_SIZE - ((va + done) & (PAGE_SIZE - 1)));

        if (debug_translate(t->ept, t->v->dbg.regs.cr3, va + done, &gpa) ||
            ept_translate(t->ept, gpa, &hpa, NULL, NULL, NULL))
            break;
        /* a 4 KiB chunk never crosses a guest page; the EPT page may be bigger */
        if (write)
            memcpy(phys_to_virt(hpa), (uint8_t *)buf + done, chunk);
        else
            memcpy((uint8_t *)buf + done, phys_to_virt(hpa), chunk);
        done += chunk;
    }
    return done ? (long)done : -EFAULT;
}

/*
 * One hardware breakpoint slot (LXDS_DBG_SET_HWBP): checked here, loaded
 * into the debug registers by the arch code on the home core when the vCPU
 * leaves the park.  Execution breakpoints are one byte; watchpoints are 1,
 * 2, 4 or 8 bytes, aligned to their length (what the hardware can match);
 * every address must be canonical.
 */
static int set_hwbp(struct vcpu *v, const struct lxds_debug *req)
{
    uint32_t slot = req->flags & LXDS_DBG_HW_SLOT_MASK, kind = req->flags & LXDS_DBG_HW_KIND_MASK;
    uint64_t len = req->len, addr = req->addr;

    if (req->flags & ~(LXDS_DBG_HW_SLOT_MASK | LXDS_DBG_HW_KIND_MASK))
        return trace_error(-EINVAL);
    if (kind != LXDS_DBG_HW_OFF) {
        if (kind != LXDS_DBG_HW_EXEC && kind != LXDS_DBG_HW_WRITE && kind != LXDS_DBG_HW_ACCESS)
            return trace_error(-EINVAL);                 /* no read-only watch on x86 */
        if (len != 1 && len != 2 && len != 4 && len != 8)
            return trace_error(-EINVAL);
        if ((kind == LXDS_DBG_HW_EXEC && len != 1) || (addr & (len - 1)))
            return trace_error(-EINVAL);
        if ((addr >> 47) != 0 && (addr >> 47) != 0x1FFFF)
            return trace_error(-EINVAL);                 /* not canonical */
    } else {
        addr = 0;
        len = 1;
    }
    v->dbg.hw[slot].addr = addr;
    v->dbg.hw[slot].len = (uint32_t)len;
    v->dbg.hw[slot].kind = kind;
    v->dbg.hw_dirty = true;
    return 0;
}

static bool any_hwbp(const struct vcpu *v)
{
    for (unsigned int i = 0; i < LXDS_DBG_HW_SLOTS; i++)
        if (v->dbg.hw[i].kind != LXDS_DBG_HW_OFF)
            return true;
    return false;
}

static void clear_hwbps(struct vcpu *v)
{
    for (unsigned int i = 0; i < LXDS_DBG_HW_SLOTS; i++)
        v->dbg.hw[i].kind = LXDS_DBG_HW_OFF;
    v->dbg.hw_dirty = true;
}

/* Paused, or stopped for good (state kept): what GET, SET and memory need. */
static bool still(const struct debug_target *t)
{
    return t->v->dbg.paused || !t->is_running(t);
}

int debug_op(const struct debug_target *t, struct lxds_debug *req, void *buf)
{
    struct vcpu *v = t->v;
    int rc;

    switch (req->op) {
    case LXDS_DBG_ATTACH:
        if (t->is_loaded(t) && !v->dbg.attached) {
            /* not started yet: its run loop parks it before the first
             * instruction (the start makes it running, PAUSE waits for it) */
            v->dbg.attached = true;
            v->dbg.pause_req = true;
            return 0;
        }
        if (!t->was_started(t))
            return trace_error(-EINVAL);                 /* being created: nothing to look at */
        v->dbg.attached = true;
        rc = do_pause(t);
        if (rc)
            v->dbg.attached = false;
        return rc;
    case LXDS_DBG_DETACH:
        if (!v->dbg.attached)
            return 0;
        if (any_hwbp(v) && t->is_running(t) && !v->dbg.paused) {
            /* its debug registers are loaded only while parked: park it once,
             * or a slot left armed would stop a domain nobody debugs */
            rc = do_pause(t);
            if (rc)
                return rc;
        }
        clear_hwbps(v);
        v->dbg.attached = false;
        if (!t->is_running(t)) {
            v->dbg.pause_req = false;       /* a loaded one starts without a hold */
            return 0;
        }
        return do_resume(t, false);
    case LXDS_DBG_PAUSE:
        return v->dbg.attached ? do_pause(t) : -EPERM;
    case LXDS_DBG_RESUME:
        if (!v->dbg.attached)
            return trace_error(-EPERM);
        if (req->flags & ~LXDS_DBG_STEP)
            return trace_error(-EINVAL);
        return do_resume(t, req->flags & LXDS_DBG_STEP);
    case LXDS_DBG_GET:
        req->attached = v->dbg.attached;
        req->event = still(t) ? (v->dbg.paused ? v->dbg.event : LXDS_DBG_EV_STOPPED)
                              : LXDS_DBG_EV_NONE;
        req->exit_detail = req->event == LXDS_DBG_EV_HWBREAK ? v->dbg.hw_hit : 0;
        if (still(t))
            req->regs = v->dbg.regs;
        else
            memset(&req->regs, 0, sizeof(req->regs));
        return 0;
    case LXDS_DBG_SET_REGS:
        if (!v->dbg.attached || !v->dbg.paused)
            return trace_error(-EBUSY);                  /* only a parked vCPU loads them again */
        v->dbg.regs = req->regs;
        v->dbg.regs_dirty = true;
        return 0;
    case LXDS_DBG_SET_HWBP:
        if (!v->dbg.attached || !v->dbg.paused)
            return trace_error(-EBUSY);                  /* only a parked vCPU loads them */
        return set_hwbp(v, req);
    case LXDS_DBG_READ:
    case LXDS_DBG_WRITE:
        if (req->len == 0 || req->len > LXDS_DBG_MEM_MAX)
            return trace_error(-EINVAL);
        if (!still(t))
            return trace_error(-EBUSY);                  /* its CR3 is known only while it holds still */
        return (int)copy_domain(t, req->addr, buf, req->len, req->op == LXDS_DBG_WRITE);
    default:
        return trace_error(-EINVAL);
    }
}
