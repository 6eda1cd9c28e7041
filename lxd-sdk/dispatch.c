/*
 * The LXD dispatch loop: one channel, polled forever, one async thread per
 * request (the paper's design: a handler that blocks, say on a call back
 * to Linux, does not hold up the requests behind it).  Handlers that do
 * not block cost one stack switch there and back: ASYNC runs them eagerly.
 *
 * Side convention: Linux creates the channel (chan_mem_init over the whole
 * grant) and attaches as side 0; the LXD attaches as side 1.  Ring 0 thus
 * carries Linux -> LXD, ring 1 LXD -> Linux.
 *
 * The heartbeat in the boot-info page moves on every loop iteration and on
 * every wait for a free slot, so the watchdog sees a domain that is alive
 * even while Linux is slow to take its replies.
 */
#include <lxds/errno.h>
#include <lxds/lxd.h>
#include <lxds/string.h>

/* What a new request thread copies before it can block. */
struct lxd_dispatch_job {
    struct lxd_dispatch *d;
    struct chan_msg req;
};

static void lxd_dispatch_beat(void)
{
    lxd_boot_info->heartbeat++;
}

/* Sends the reply, letting other threads and the peer move while the ring is full. */
static void lxd_dispatch_reply(struct lxd_dispatch *d, const struct chan_msg *req,
                               struct chan_msg *reply)
{
    reply->hdr.type = CHAN_T_REPLY;
    reply->hdr.tag = req->hdr.tag;
    while (chan_try_send(&d->ch, reply) != 0) {
        lxd_dispatch_beat();
        achan_poll(&d->ac);
        async_yield();
        ipc_cpu_relax();
    }
}

static void lxd_dispatch_thread(void *arg)
{
    const struct lxd_dispatch_job *job = arg;
    struct lxd_dispatch *d = job->d;
    struct chan_msg req = job->req;     /* *job is reused once we block */
    struct chan_msg reply;

    memset(&reply, 0, sizeof(reply));
    d->handler(d->ctx, &req, &reply);
    if (req.hdr.type == CHAN_T_REQUEST)
        lxd_dispatch_reply(d, &req, &reply);
}

/* Runs when every thread is blocked (only threads waiting on Linux can be). */
static void lxd_dispatch_idle(void *arg)
{
    struct lxd_dispatch *d = arg;

    lxd_dispatch_beat();
    if (d->tick)
        d->tick(d->tick_ctx);
    if (achan_poll(&d->ac) == 0)
        ipc_cpu_relax();
}

void lxd_dispatch_set_tick(struct lxd_dispatch *d, void (*fn)(void *ctx), void *ctx)
{
    d->tick = fn;
    d->tick_ctx = ctx;
}

int lxd_dispatch_init(struct lxd_dispatch *d, unsigned int grant, lxd_handler_fn fn, void *ctx)
{
    const struct lxd_boot_info *bi = lxd_boot_info;
    int ret;

    memset(d, 0, sizeof(*d));
    if (grant >= bi->ngrants || grant >= LXDS_MAX_GRANTS || bi->grants[grant].bytes == 0 ||
        bi->grants[grant].bytes > LXD_GRANT_STRIDE)
        return -EINVAL;
    d->handler = fn;
    d->ctx = ctx;
    d->chan_va = (void *)(uintptr_t)bi->grants[grant].va;
    d->chan_bytes = bi->grants[grant].bytes;
    ret = chan_attach(&d->ch, d->chan_va, d->chan_bytes, 1, CHAN_ACCEPT_ALL);
    if (ret)
        return ret;
    ret = achan_init(&d->ac, &d->ch, d->calls, LXD_DISPATCH_CALLS);
    if (ret)
        return ret;
    ret = async_rt_init(&d->rt, LXD_DISPATCH_STACK, LXD_DISPATCH_THREADS);
    if (ret)
        return ret;
    async_set_idle(&d->rt, lxd_dispatch_idle, d);
    return 0;
}

void lxd_dispatch_run(struct lxd_dispatch *d)
{
    struct lxd_dispatch_job job = { .d = d };

    for (;;) {
        lxd_dispatch_beat();
        if (achan_recv_request(&d->ac, &job.req) != 0) {
            /* Nothing new: the domain's own work, then blocked-then-woken threads. */
            if (d->tick)
                d->tick(d->tick_ctx);
            async_yield();
            ipc_cpu_relax();
            continue;
        }
        d->requests++;
        /* Every thread busy (all blocked on Linux): run them until one ends. */
        while (async_spawn(lxd_dispatch_thread, &job) == IPC_ENOMEM) {
            d->spawn_waits++;
            lxd_dispatch_beat();
            achan_poll(&d->ac);
            async_yield();
        }
    }
}
