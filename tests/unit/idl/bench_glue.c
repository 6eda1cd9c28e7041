/*
 * What the generated glue itself costs per call, in TSC cycles, on the host:
 * tmod.idl's generated code with a loopback backend (one thread: the
 * request is framed into slots, reassembled, dispatched, the reply framed
 * and reassembled), so the numbers leave out the channel's cache-line
 * transfers and the wake-ups, which the ipc/async benchmarks measure.
 *
 *     make bench-glue      (optimised, no sanitizers)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lxds/glue.h>

#include "tmod_test.h"

static struct glue_ctx linux_ctx, domain_ctx;
static uint8_t pool[1 << 16];

static struct glue_ctx *peer_of(struct glue_ctx *c)
{
	return c == &linux_ctx ? &domain_ctx : &linux_ctx;
}

/* Slots out of m, through a reassembler, into out (what two rings do). */
static int loop_transfer(struct glue_ctx *rx_ctx, const struct glue_msg *m, struct glue_rx *rx)
{
	struct chan_msg slot;
	int n = glue_frame_count(m), s;
	enum glue_rx_result r = GLUE_RX_MORE;

	for (s = 0; s < n; s++) {
		glue_frame_one(m, (uint32_t)s, (uint32_t)n, &slot);
		r = glue_rx_feed(rx_ctx, rx, &slot);
	}
	return r == GLUE_RX_DONE ? 0 : GLUE_EBADMSG;
}

static int loop_call(struct glue_ctx *ctx, struct glue_msg *req, struct glue_msg *reply)
{
	static union glue_msg_full out[8];
	static struct glue_rx rx_req[8], rx_rep[8];
	static int depth;
	struct glue_ctx *peer = peer_of(ctx);
	int d = depth++, err;

	glue_msg_init(&rx_req[d].msg.m, GLUE_MAX_WORDS);
	glue_msg_init(&rx_rep[d].msg.m, GLUE_MAX_WORDS);
	glue_msg_init(&out[d].m, GLUE_MAX_WORDS);
	req->kind = CHAN_T_REQUEST;
	req->tag = 1;
	err = loop_transfer(peer, req, &rx_req[d]);
	if (!err) {
		glue_handle(peer, &rx_req[d].msg.m, &out[d].m);
		err = loop_transfer(ctx, &out[d].m, &rx_rep[d]);
	}
	if (!err)
		err = glue_msg_copy(reply, &rx_rep[d].msg.m);
	depth--;
	if (err)
		return err;
	return reply->w[0] ? (int)(int64_t)reply->w[0] : 0;
}

static int loop_send(struct glue_ctx *ctx, struct glue_msg *msg)
{
	static union glue_msg_full none;
	static struct glue_rx rx;
	struct glue_ctx *peer = peer_of(ctx);

	glue_msg_init(&rx.msg.m, GLUE_MAX_WORDS);
	glue_msg_init(&none.m, GLUE_MAX_WORDS);
	msg->kind = CHAN_T_ONEWAY;
	if (loop_transfer(peer, msg, &rx) != 0)
		return GLUE_EBADMSG;
	glue_handle(peer, &rx.msg.m, &none.m);
	return 0;
}

static const struct glue_backend_ops loop_ops = { .call = loop_call, .send = loop_send };

static uint64_t cycles(void)
{
	return __builtin_ia32_rdtsc();
}

#define N 200000

int main(void)
{
	struct tdev *kdev;
	uint8_t data[200];
	uint64_t t0, t1, i, sink = 0;
	struct chan_msg a, b;

	setenv("GLUE_QUIET", "1", 1);
	glue_ctx_init(&linux_ctx, "linux", tmod_linux_dispatch);
	glue_ctx_init(&domain_ctx, "domain", tmod_domain_dispatch);
	linux_ctx.ops = domain_ctx.ops = &loop_ops;
	glue_pool_set(&linux_ctx, tmod_POOL_tpool, pool, sizeof(pool));
	glue_pool_set(&domain_ctx, tmod_POOL_tpool, pool, sizeof(pool));
	tmod_linux_ctx = &linux_ctx;
	tmod_domain_ctx = &domain_ctx;
	if (drv_init() != 0 || !(kdev = tkernel.registered)) {
		fprintf(stderr, "bench_glue: drv_init failed\n");
		return 1;
	}
	memset(data, 7, sizeof(data));
	memset(&a, 1, sizeof(a));

	t0 = cycles();
	for (i = 0; i < N; i++) {
		b = a;                           /* a raw slot: the floor */
		__asm__ __volatile__("" : : "r"(&b) : "memory");
	}
	t1 = cycles();
	printf("%-44s %8.1f cycles\n", "copy of one 64-byte slot", (double)(t1 - t0) / N);

	t0 = cycles();
	for (i = 0; i < N; i++)
		sink += drv_ping((uint32_t)i);
	t1 = cycles();
	printf("%-44s %8.1f cycles\n", "drv_ping(u32) -> u32 (1 slot each way)", (double)(t1 - t0) / N);

	t0 = cycles();
	for (i = 0; i < N; i++) {
		struct tbuf *b2 = malloc(sizeof(*b2));

		b2->data = pool;
		b2->len = 64;
		b2->proto = 0x0800;
		b2->id = 0;
		sink += (uint64_t)kdev->ops->xmit(b2, kdev);   /* + one-way tconsume */
	}
	t1 = cycles();
	printf("%-44s %8.1f cycles\n", "ops->xmit(buf, dev) + one-way consume",
	       (double)(t1 - t0) / N);

	t0 = cycles();
	for (i = 0; i < N / 10; i++)
		sink += (uint64_t)tsum(200, data);
	t1 = cycles();
	printf("%-44s %8.1f cycles\n", "tsum(200 bytes): 6 slots in, 1 out", (double)(t1 - t0) / (N / 10));
	return sink == 42 ? 2 : 0;
}
