/*
 * echo: answers every request on its channel (grant 0) with the payload
 * complemented, word by word:
 *
 *     reply.w[i] = ~request.w[i]      for i = 0 .. CHAN_PAYLOAD_WORDS - 1
 *
 * (the same tag, type CHAN_T_REPLY).  Complementing rather than copying
 * means a reply can never be mistaken for the request still sitting in
 * shared memory, and every bit of every word is checked by `lxdctl ping`.
 * One-way messages are counted and dropped.
 */
#include <lxds/lxd.h>

#define ECHO_REPORT_EVERY 100000

struct echo_state {
    uint64_t requests;
};

static void echo_handle(void *ctx, const struct chan_msg *req, struct chan_msg *reply)
{
    struct echo_state *st = ctx;
    int i;

    for (i = 0; i < CHAN_PAYLOAD_WORDS; i++)
        reply->w[i] = ~req->w[i];
    if (++st->requests % ECHO_REPORT_EVERY == 0)
        lxd_log("echo: %llu requests", (unsigned long long)st->requests);
}

static struct lxd_dispatch echo_dispatch;
static struct echo_state echo_state;

int lxd_main(struct lxd_boot_info *bi)
{
    int ret = lxd_dispatch_init(&echo_dispatch, 0, echo_handle, &echo_state);

    if (ret) {
        lxd_log("echo: no usable channel in grant 0 (%u grants): error %d", bi->ngrants, ret);
        return LXD_EXIT_NO_CHANNEL;
    }
    lxd_log("echo: ready on channel at 0x%llx (%llu bytes, %llu slots per direction)",
            (unsigned long long)(uintptr_t)echo_dispatch.chan_va,
            (unsigned long long)echo_dispatch.chan_bytes,
            (unsigned long long)(echo_dispatch.chan_bytes / (2 * CHAN_SLOT_SIZE)));
    lxd_dispatch_run(&echo_dispatch);
}
