/*
 * echo: answers every request on its channels (every grant it has: one, or
 * one per Linux CPU with `lxdctl load --channels N`) with the payload
 * complemented, word by word:
 *
 *     reply.w[i] = ~request.w[i]      for i = 0 .. CHAN_PAYLOAD_WORDS - 1
 *
 * (the same tag, type CHAN_T_REPLY).  Complementing rather than copying
 * means a reply can never be mistaken for the request still sitting in
 * shared memory, and every bit of every word is checked by `lxdctl ping`.
 * One-way messages are counted and dropped.  Every 100000 requests it logs
 * the count and how many came over each channel.
 */
#include <lxds/lxd.h>
#include <lxds/format.h>

#define ECHO_REPORT_EVERY 100000

struct echo_state {
    uint64_t requests;
};

static struct lxd_dispatch echo_dispatch;
static struct echo_state echo_state;

/* "echo: N requests (channel 0: a, channel 1: b)" on one line. */
static void echo_report(const struct echo_state *st)
{
    char line[LXD_LOG_LINE];
    size_t len;
    unsigned int i;

    len = (size_t)fmt_snprintf(line, sizeof(line), "echo: %llu requests",
                           (unsigned long long)st->requests);
    for (i = 0; i < echo_dispatch.nchans && echo_dispatch.nchans > 1 && len < sizeof(line); i++)
        len += (size_t)fmt_snprintf(line + len, sizeof(line) - len, "%schannel %u: %llu",
                                i ? ", " : " (", i,
                                (unsigned long long)echo_dispatch.chans[i].requests);
    if (echo_dispatch.nchans > 1 && len < sizeof(line))
        fmt_snprintf(line + len, sizeof(line) - len, ")");
    lxd_log("%s", line);
}

static void echo_handle(void *ctx, const struct chan_msg *req, struct chan_msg *reply)
{
    struct echo_state *st = ctx;
    int i;

    for (i = 0; i < CHAN_PAYLOAD_WORDS; i++)
        reply->w[i] = ~req->w[i];
    if (++st->requests % ECHO_REPORT_EVERY == 0)
        echo_report(st);
}

int lxd_main(struct lxd_boot_info *bi)
{
    int ret = lxd_dispatch_init_channels(&echo_dispatch, 0, 0, echo_handle, &echo_state);
    unsigned int i;

    if (ret) {
        lxd_log("echo: no usable channels in its %u grants (each must be a channel): error %d",
                bi->ngrants, ret);
        return LXD_EXIT_NO_CHANNEL;
    }
    for (i = 0; i < echo_dispatch.nchans; i++)
        lxd_log("echo: ready on channel %u of %u at 0x%llx (%llu bytes, %llu slots per direction)",
                i, echo_dispatch.nchans,
                (unsigned long long)(uintptr_t)echo_dispatch.chans[i].va,
                (unsigned long long)echo_dispatch.chans[i].bytes,
                (unsigned long long)(echo_dispatch.chans[i].bytes / (2 * CHAN_SLOT_SIZE)));
    lxd_dispatch_run(&echo_dispatch);
}
