/*
 * Linux's hypercalls (include/lxds/hypercall_abi.h, docs/hypercalls.md).
 * Every argument is checked before anything changes: addresses must lie in
 * Linux's own RAM (it runs identity-mapped), sizes are bounded, ids must name
 * existing domains.  No guest buffer is read twice: whatever is checked is
 * first copied into the hypervisor's memory and checked and used there, since
 * Linux's memory can change during the call (another Linux vCPU, or an LXD
 * that Linux granted those pages to): names, argument strings, status and
 * debug requests into locals, an ELF image into pool frames.  Results are
 * written out once, at the end.
 *
 * Locking (docs/hypercalls.md): Linux may run on several cores
 * (linux_cores=N), each a vCPU that can call at any time.  One lock,
 * hypercall_lock, is held around the whole dispatch, so Linux's calls run
 * one at a time whatever core makes them: the LXD table, the pool, the
 * debugger's state and hc_debug's buffer are only changed under it by
 * Linux (LXD cores change their own domain's state by atomics, as before).
 */
#include <lxds/domain.h>
#include <lxds/errno.h>
#include <lxds/hypercall_abi.h>
#include <lxds/linux_guest.h>
#include <lxds/lxd_domain.h>
#include <lxds/lxd_pool.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <lxds/spinlock.h>
#include <lxds/string.h>

#define LOG_READ_MAX   KiB(64)
#define LIST_MAX       1024
#define GRANT_MAX_PAGES 4096

static bool name_ok(const char *name)
{
    size_t n = strnlen(name, LXDS_NAME_MAX);

    if (n == 0 || n == LXDS_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static bool name_taken(const char *name)
{
    uint32_t ids[LXDS_MAX_DOMAINS];
    int n = lxd_list(ids, LXDS_MAX_DOMAINS);
    struct lxds_domain_status st;

    for (int i = 0; i < n && i < LXDS_MAX_DOMAINS; i++)
        if (!lxd_status(ids[i], &st) && !strcmp(st.name, name))
            return true;
    return false;
}

/*
 * The image is copied into pool frames of the hypervisor's own before the
 * ELF checks: the validator and the loader then read the same bytes.  (Read
 * in place, a second writer could grow a segment's filesz between the check
 * and the copy and overrun the new domain's memory.)
 */
static int stage_image(uint64_t image, uint64_t len, uint64_t *pa, uint64_t *pages)
{
    *pages = ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE;
    int rc = pool_alloc(*pages, 1, pa);
    if (rc)
        return rc;
    memcpy(phys_to_virt(*pa), phys_to_virt(image), len);
    return 0;
}

static int64_t hc_create(uint64_t image, uint64_t len, uint64_t name_gpa)
{
    char name[LXDS_NAME_MAX];
    const char *why = "";
    uint64_t staged, pages;

    if (len == 0 || len > LXDS_MAX_IMAGE)
        return trace_error(-E2BIG);
    if (!linux_ram_contains(image, len) || !linux_ram_contains(name_gpa, LXDS_NAME_MAX))
        return trace_error(-EFAULT);
    memcpy(name, phys_to_virt(name_gpa), sizeof(name));
    if (!name_ok(name))
        return trace_error(-EINVAL);
    if (name_taken(name))
        return trace_error(-EEXIST);
    int rc = stage_image(image, len, &staged, &pages);
    if (rc) {
        printk("lxd: refused to create '%s': no %lu KiB of contiguous pool to copy its image into (%s)\n",
               name, pages * PAGE_SIZE >> 10, errno_name(rc));
        return rc;
    }
    rc = lxd_create(phys_to_virt(staged), len, name, &why);
    pool_free(staged, pages);
    if (rc < 0)
        printk("lxd: refused to create '%s' from %lu bytes at %#lx: %s (%s)\n", name, len, image,
               why, errno_name(rc));
    return rc;
}

static int64_t hc_grant(uint64_t id, uint64_t gpa, uint64_t pages)
{
    uint64_t va;

    if (!IS_ALIGNED(gpa, PAGE_SIZE) || pages == 0 || pages > GRANT_MAX_PAGES)
        return trace_error(-EINVAL);
    if (!linux_ram_contains(gpa, pages * PAGE_SIZE))
        return trace_error(-EFAULT);                     /* only Linux's own RAM can be shared */
    int rc = lxd_grant((uint32_t)id, gpa, pages, &va);
    return rc ? rc : (int64_t)va;
}

static int64_t hc_set_args(uint64_t id, uint64_t gpa, uint64_t len)
{
    char text[LXD_ARGS_MAX];

    if (len >= LXD_ARGS_MAX)
        return trace_error(-E2BIG);
    if (len && !linux_ram_contains(gpa, len))
        return trace_error(-EFAULT);
    if (len)        /* len 0 may come with any gpa: never hand memcpy an unchecked pointer */
        memcpy(text, phys_to_virt(gpa), len);   /* a private copy: checked, then used */
    return lxd_set_args((uint32_t)id, text, len);
}

static int64_t hc_status(uint64_t id, uint64_t gpa)
{
    struct lxds_domain_status st;

    if (!linux_ram_contains(gpa, sizeof(st)))
        return trace_error(-EFAULT);
    int rc = lxd_status((uint32_t)id, &st);
    if (!rc)
        memcpy(phys_to_virt(gpa), &st, sizeof(st));
    return rc;
}

static int64_t hc_list(uint64_t gpa, uint64_t max)
{
    uint32_t ids[LXDS_MAX_DOMAINS];

    if (max > LIST_MAX || (max && !linux_ram_contains(gpa, max * sizeof(uint32_t))))
        return max > LIST_MAX ? -EINVAL : -EFAULT;
    int n = lxd_list(ids, LXDS_MAX_DOMAINS);
    if (max)        /* max 0 may come with any gpa: it only counts */
        memcpy(phys_to_virt(gpa), ids, MIN((uint64_t)n, max) * sizeof(uint32_t));
    return n;
}

/* A caller built for ABI 1.1 passes no size and has room for that layout only. */
static int64_t hc_info(uint64_t gpa, uint64_t size)
{
    struct lxds_info info;

    _Static_assert(offsetof(struct lxds_info, linux_core_mask) == LXDS_INFO_SIZE_1_1,
                   "1.2's field follows 1.1's layout");
    if (!size)
        size = LXDS_INFO_SIZE_1_1;
    if (size < LXDS_INFO_SIZE_1_1)
        return trace_error(-EINVAL);
    size = MIN(size, sizeof(info));
    if (!linux_ram_contains(gpa, size))
        return trace_error(-EFAULT);
    lxd_info(&info);
    memcpy(phys_to_virt(gpa), &info, size);
    return 0;
}

static int64_t hc_log_read(uint64_t buf, uint64_t len, uint64_t pos_gpa)
{
    uint64_t pos;

    if (len > LOG_READ_MAX)
        return trace_error(-EINVAL);
    if (!linux_ram_contains(buf, len) || !linux_ram_contains(pos_gpa, sizeof(pos)))
        return trace_error(-EFAULT);
    memcpy(&pos, phys_to_virt(pos_gpa), sizeof(pos));
    size_t n = log_read(&pos, phys_to_virt(buf), len);
    memcpy(phys_to_virt(pos_gpa), &pos, sizeof(pos));
    return (int64_t)n;
}

/*
 * The debugger's calls.  The request is copied in once and checked here;
 * memory ops move data through a buffer of the hypervisor's own, so the
 * domain's memory and Linux's buffer are each touched once, by one memcpy.
 */
static int64_t hc_debug(uint64_t id, uint64_t gpa)
{
    static uint8_t buf[LXDS_DBG_MEM_MAX];   /* under hypercall_lock: one call at a time */
    struct lxds_debug req;
    bool mem;

    if (!linux_ram_contains(gpa, sizeof(req)))
        return trace_error(-EFAULT);
    memcpy(&req, phys_to_virt(gpa), sizeof(req));
    mem = req.op == LXDS_DBG_READ || req.op == LXDS_DBG_WRITE;
    if (mem) {
        if (req.len == 0 || req.len > LXDS_DBG_MEM_MAX)
            return trace_error(-EINVAL);
        if (!linux_ram_contains(req.buf_gpa, req.len))
            return trace_error(-EFAULT);
        if (req.op == LXDS_DBG_WRITE)
            memcpy(buf, phys_to_virt(req.buf_gpa), req.len);
    }
    int rc = lxd_debug((uint32_t)id, &req, buf);
    if (rc > 0 && req.op == LXDS_DBG_READ)
        memcpy(phys_to_virt(req.buf_gpa), buf, (size_t)rc);
    if (req.op == LXDS_DBG_GET && rc == 0)
        memcpy(phys_to_virt(gpa), &req, sizeof(req));
    return rc;
}

/* Calls whose first argument is a domain id. */
static bool takes_id(uint64_t nr)
{
    return nr == LXDS_HC_START || nr == LXDS_HC_STOP || nr == LXDS_HC_DESTROY ||
           nr == LXDS_HC_STATUS || nr == LXDS_HC_GRANT || nr == LXDS_HC_SET_ARGS ||
           nr == LXDS_HC_DEBUG;
}

static spinlock_t hypercall_lock = SPINLOCK_INIT;

static int64_t dispatch(struct vcpu *v, uint64_t a0, uint64_t a1, uint64_t a2)
{
    switch (v->regs.rax) {
    case LXDS_HC_VERSION: return LXDS_ABI_VERSION;
    case LXDS_HC_INFO: return hc_info(a0, a1);
    case LXDS_HC_CREATE: return hc_create(a0, a1, a2);
    case LXDS_HC_START: return lxd_start((uint32_t)a0, (int)(int64_t)a1);
    case LXDS_HC_STOP: return lxd_stop((uint32_t)a0);
    case LXDS_HC_DESTROY: return lxd_destroy((uint32_t)a0);
    case LXDS_HC_STATUS: return hc_status(a0, a1);
    case LXDS_HC_LIST: return hc_list(a0, a1);
    case LXDS_HC_GRANT: return hc_grant(a0, a1, a2);
    case LXDS_HC_LOG_READ: return hc_log_read(a0, a1, a2);
    case LXDS_HC_SET_ARGS: return hc_set_args(a0, a1, a2);
    case LXDS_HC_DEBUG: return hc_debug(a0, a1);
    default: return -ENOSYS;
    }
}

enum hypercall_action linux_hypercall(struct vcpu *v)
{
    uint64_t a0 = v->regs.rdi, a1 = v->regs.rsi, a2 = v->regs.rdx;
    int64_t ret;

    /*
     * Ids are 32-bit: an id above 2^32 names no domain (truncating it would
     * make id + 2^32 act on domain id); START's core is a core number or
     * -1 as a 64-bit value.
     */
    if (takes_id(v->regs.rax) && a0 > UINT32_MAX) {
        v->regs.rax = (uint64_t)(int64_t)trace_error(-ENOENT);
        return HC_RESUME;
    }
    if (v->regs.rax == LXDS_HC_START && a1 != UINT64_MAX && a1 > INT32_MAX) {
        v->regs.rax = (uint64_t)(int64_t)trace_error(-EINVAL);
        return HC_RESUME;
    }
    if (v->regs.rax == LXDS_HC_VERSION) {
        ret = LXDS_ABI_VERSION;         /* no state: no lock */
    } else {
        spin_lock(&hypercall_lock);
        ret = dispatch(v, a0, a1, a2);
        spin_unlock(&hypercall_lock);
    }
    v->regs.rax = (uint64_t)ret;
    return HC_RESUME;
}
