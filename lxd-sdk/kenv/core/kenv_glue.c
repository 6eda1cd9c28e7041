/*
 * The IDL glue in a kernel-environment domain (docs/lxd-kenv.md "The IDL
 * glue"): linked only into images that declare KENV_GLUE_<image> (an IDL),
 * compiled once per image with
 *     -DKENV_GLUE_DISPATCH=<module>_domain_dispatch -DKENV_GLUE_CTX=<module>_domain_ctx
 * naming the generated domain side (M_domain.c).
 *
 * kenv_glue_run replaces the environment's plain loop: it attaches the
 * domain's channel (grant 0, side 1, as lxd-sdk/dispatch.c), starts the
 * glue's async backend (lxd-sdk/glue/glue_async.c), runs module_init in an
 * async thread of its own (its calls into Linux, misc_register say, park
 * only that thread), and serves requests from Linux: each runs in its own
 * async thread.  The idle hook keeps the heartbeat, the environment's
 * timers and work, and the ring moving.
 *
 * Also the glue's environment hooks for the domain: memory from the kenv
 * heap, the hypervisor log, no locking (one core, cooperative threads),
 * plain user copies (a domain has no user space).
 */
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/glue_async.h>
#include <lxds/lxd.h>
#include <lxds/string.h>

#include "../kenv_core.h"

#define KENV_GLUE_STACK    (16u * 1024)   /* each async thread: kernel code plus the glue's frames */
#define KENV_GLUE_THREADS  32u            /* KENV_SDK_RESERVE (640 KiB) holds them */

extern struct glue_ctx *KENV_GLUE_CTX;
int KENV_GLUE_DISPATCH(struct glue_ctx *ctx, const struct glue_msg *req, struct glue_msg *reply);

int kenv_glue_run(void);

static struct glue_ctx kenv_glue_ctx;
static struct chan kenv_glue_chan;
static struct async_rt kenv_glue_rt;

/* ---- the glue's environment hooks ---- */

void *glue_zalloc(size_t size)
{
    void *p = kenv_heap_alloc(size, 16);

    if (p)
        memset(p, 0, size);
    return p;
}

void glue_free(void *p)
{
    if (p && kenv_heap_free(p) != 0)
        kenv_die(KENV_EXIT_PANIC, "glue_free of a pointer the heap did not hand out");
}

void glue_log(struct glue_ctx *ctx, const char *fmt, ...)
{
    char line[240];
    va_list ap;
    int n;

    (void)ctx;
    va_start(ap, fmt);
    n = kenv_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    kenv_log_line(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* One core, cooperative threads that never yield inside the table code. */
void glue_lock(struct glue_ctx *ctx) { (void)ctx; }
void glue_unlock(struct glue_ctx *ctx) { (void)ctx; }

int glue_copy_from_user(void *dst, const void *user_src, size_t n)
{
    if (n && (!dst || !user_src))
        return GLUE_EFAULT;
    memcpy(dst, user_src, n);
    return 0;
}

int glue_copy_to_user(void *user_dst, const void *src, size_t n)
{
    if (n && (!user_dst || !src))
        return GLUE_EFAULT;
    memcpy(user_dst, src, n);
    return 0;
}

/* ---- start-up and the loop ---- */

static void kenv_glue_idle(void *arg)
{
    kenv_heartbeat();
    kenv_linux_tick();
    glue_async_idle(arg);
}

/*
 * glue_async's wait when a poll found nothing, above all while a send waits
 * for room on a full ring towards Linux: then the sender may be the only
 * thread, its yield comes straight back to it and the idle hook never runs,
 * so the heartbeat must move here, or a domain whose Linux is slow to take
 * a burst (the hostile build's flood of 500 messages under QEMU on a loaded
 * host) is stopped by the watchdog as if it hung.
 */
static void kenv_glue_relax(void)
{
    kenv_heartbeat();
    ipc_cpu_relax();
}

static void kenv_glue_module_init(void *arg)
{
    char why[64];
    int rc;

    (void)arg;
    rc = kenv_linux_module_init();
    if (rc) {
        fmt_snprintf(why, sizeof(why), "module_init failed: %d", rc);
        kenv_die(KENV_EXIT_INIT_FAILED, why);
    }
    lxd_printf("kenv: module_init done (glue: serving Linux's calls)");
}

static int kenv_glue_attach(void)
{
    const struct lxd_boot_info *bi = lxd_boot_info;

    if (bi->ngrants < 1 || bi->grants[0].bytes == 0 || bi->grants[0].bytes > LXD_GRANT_STRIDE) {
        lxd_printf("kenv: this image has IDL glue but the domain has no channel (grant 0)");
        return -EINVAL;
    }
    return chan_attach(&kenv_glue_chan, (void *)(uintptr_t)bi->grants[0].va,
                       bi->grants[0].bytes, 1, CHAN_ACCEPT_ALL);
}

int kenv_glue_run(void)
{
    int rc = kenv_glue_attach();

    if (rc)
        return rc;
    glue_ctx_init(&kenv_glue_ctx, kenv_domain_name(), KENV_GLUE_DISPATCH);
    KENV_GLUE_CTX = &kenv_glue_ctx;
    rc = async_rt_init(&kenv_glue_rt, KENV_GLUE_STACK, KENV_GLUE_THREADS);
    if (rc) {
        lxd_printf("kenv: async runtime for the glue: %d", rc);
        return rc;
    }
    rc = glue_async_start(&kenv_glue_ctx, &kenv_glue_chan, kenv_glue_relax);
    if (rc) {
        lxd_printf("kenv: glue_async_start: %d", rc);
        return rc;
    }
    async_set_idle(&kenv_glue_rt, kenv_glue_idle, &kenv_glue_ctx);
    if (async_spawn(kenv_glue_module_init, NULL) != 0) {
        lxd_printf("kenv: no async thread for module_init");
        return -ENOMEM;
    }
    glue_async_serve(&kenv_glue_ctx);
    return 0;
}
