/*
 * The LXD dispatch loop: one channel or several (one per Linux CPU that
 * calls the domain), polled forever, one async thread per
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
 *
 * Several channels (issue 16): each ring stays single-producer single-
 * consumer (one Linux CPU, this core).  The loop takes at most one message
 * from each channel per turn, starting one past where the last turn
 * started, so a busy channel cannot starve the others; a reply goes out on
 * the channel its request came from (the job carries the index, which only
 * this loop ever sets: nothing the peer writes picks a channel).
 */
#include <lxds/errno.h>
#include <lxds/lxd.h>
#include <lxds/string.h>

/* What a new request thread copies before it can block. */
struct lxd_dispatch_job {
    struct lxd_dispatch *d;
    struct lxd_dispatch_chan *c;        /* the channel the request came from */
    struct chan_msg req;
};

static void lxd_dispatch_beat(void)
{
    lxd_boot_info->heartbeat++;
}

/* Replies to the LXD's own calls, on every channel; how many callers woke. */
static unsigned lxd_dispatch_poll_all(struct lxd_dispatch *d)
{
    unsigned i, woken = 0;

    for (i = 0; i < d->nchans; i++)
        woken += achan_poll(&d->chans[i].ac);
    return woken;
}

/* Sends the reply, letting other threads and the peer move while the ring is full. */
static void lxd_dispatch_reply(struct lxd_dispatch *d, struct lxd_dispatch_chan *c,
                               const struct chan_msg *req, struct chan_msg *reply)
{
    reply->hdr.type = CHAN_T_REPLY;
    reply->hdr.tag = req->hdr.tag;
    while (chan_try_send(&c->ch, reply) != 0) {
        lxd_dispatch_beat();
        lxd_dispatch_poll_all(d);
        async_yield();
        ipc_cpu_relax();
    }
}

static void lxd_dispatch_thread(void *arg)
{
    const struct lxd_dispatch_job *job = arg;
    struct lxd_dispatch *d = job->d;
    struct lxd_dispatch_chan *c = job->c;
    struct chan_msg req = job->req;     /* *job is reused once we block */
    struct chan_msg reply;

    memset(&reply, 0, sizeof(reply));
    d->handler(d->ctx, &req, &reply);
    if (req.hdr.type == CHAN_T_REQUEST)
        lxd_dispatch_reply(d, c, &req, &reply);
}

/* Runs when every thread is blocked (only threads waiting on Linux can be). */
static void lxd_dispatch_idle(void *arg)
{
    struct lxd_dispatch *d = arg;

    lxd_dispatch_beat();
    if (d->tick)
        d->tick(d->tick_ctx);
    if (lxd_dispatch_poll_all(d) == 0)
        ipc_cpu_relax();
}

void lxd_dispatch_set_tick(struct lxd_dispatch *d, void (*fn)(void *ctx), void *ctx)
{
    d->tick = fn;
    d->tick_ctx = ctx;
}

int lxd_dispatch_init_channels(struct lxd_dispatch *d, unsigned int first, unsigned int count,
                               lxd_handler_fn fn, void *ctx)
{
    const struct lxd_boot_info *bi = lxd_boot_info;
    unsigned int i;
    int ret;

    memset(d, 0, sizeof(*d));
    if (first >= bi->ngrants || first >= LXDS_MAX_GRANTS)
        return -EINVAL;
    if (count == 0)
        count = bi->ngrants - first;
    if (count > LXD_DISPATCH_MAX_CHANNELS || count > bi->ngrants - first ||
        first + count > LXDS_MAX_GRANTS)
        return -EINVAL;
    for (i = 0; i < count; i++) {
        const struct lxd_grant *g = &bi->grants[first + i];
        struct lxd_dispatch_chan *c = &d->chans[i];

        if (g->bytes == 0 || g->bytes > LXD_GRANT_STRIDE)
            return -EINVAL;
        c->va = (void *)(uintptr_t)g->va;
        c->bytes = g->bytes;
        ret = chan_attach(&c->ch, c->va, c->bytes, 1, CHAN_ACCEPT_ALL);
        if (ret)
            return ret;
        ret = achan_init(&c->ac, &c->ch, c->calls, LXD_DISPATCH_CALLS);
        if (ret)
            return ret;
    }
    d->nchans = count;
    d->handler = fn;
    d->ctx = ctx;
    ret = async_rt_init(&d->rt, LXD_DISPATCH_STACK, LXD_DISPATCH_THREADS);
    if (ret)
        return ret;
    async_set_idle(&d->rt, lxd_dispatch_idle, d);
    return 0;
}

int lxd_dispatch_init(struct lxd_dispatch *d, unsigned int grant, lxd_handler_fn fn, void *ctx)
{
    return lxd_dispatch_init_channels(d, grant, 1, fn, ctx);
}

/* Starts a thread for job->req, running others while every thread is busy. */
static void lxd_dispatch_spawn(struct lxd_dispatch *d, struct lxd_dispatch_job *job)
{
    d->requests++;
    job->c->requests++;
    while (async_spawn(lxd_dispatch_thread, job) == IPC_ENOMEM) {
        d->spawn_waits++;
        lxd_dispatch_beat();
        lxd_dispatch_poll_all(d);
        async_yield();
    }
}

void lxd_dispatch_run(struct lxd_dispatch *d)
{
    struct lxd_dispatch_job job = { .d = d };
    unsigned int i, start, taken;

    for (;;) {
        lxd_dispatch_beat();
        /* One turn: at most one message from each channel, in a rotating order. */
        start = d->next;
        d->next = start + 1 < d->nchans ? start + 1 : 0;
        taken = 0;
        for (i = 0; i < d->nchans; i++) {
            unsigned int k = start + i < d->nchans ? start + i : start + i - d->nchans;

            job.c = &d->chans[k];
            if (achan_recv_request(&job.c->ac, &job.req) != 0)
                continue;
            taken++;
            lxd_dispatch_spawn(d, &job);
        }
        if (taken == 0) {
            /* Nothing new: the domain's own work, then blocked-then-woken threads. */
            if (d->tick)
                d->tick(d->tick_ctx);
            async_yield();
            ipc_cpu_relax();
        }
    }
}
