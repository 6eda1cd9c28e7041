/*
 * What the generated glue itself costs per call, in TSC cycles, on the host:
 * tmod.idl's generated code with a loopback backend (one thread: the
 * request is framed into slots, reassembled, dispatched, the reply framed
 * and reassembled), so the numbers leave out the channel's cache-line
 * transfers and the wake-ups, which the ipc/async benchmarks measure.
 *
 * Then the same generated call over a real channel between threads (issue
 * 11 item 6): drv_ping through the host backend (glue_host.c: a receiver
 * thread and worker threads per side, condition variables) with 1, 4 and
 * 16 callers in flight, beside a raw channel round trip of the same
 * payload (one slot each way, an echo thread polling) with 1, 4 and 16
 * requests in flight.
 *
 *     make bench-glue      (optimised, no sanitizers)
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lxds/glue.h>
#include <lxds/glue_host.h>

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

/* --- over a real channel ------------------------------------------------------ */

#define RAW_CALLS  200000
#define GLUE_CALLS 20000
#define RING_SLOTS 64

static struct chan raw_a, raw_b;
static volatile int raw_stop;

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *raw_echo(void *arg)
{
	struct chan_msg m;

	(void)arg;
	pin(1);
	while (!raw_stop) {
		if (chan_try_recv(&raw_b, &m) != 0) {
			__builtin_ia32_pause();
			continue;
		}
		m.hdr.type = CHAN_T_REPLY;
		m.w[0] += 1;                      /* what drv_ping does */
		chan_send(&raw_b, &m);
	}
	return NULL;
}

/* k requests out, then k replies in; cycles per call. */
static double raw_rtt(unsigned k)
{
	struct chan_msg m, r;
	uint64_t t0, i, bad = 0;
	unsigned j;

	memset(&m, 0, sizeof(m));
	m.hdr.type = CHAN_T_REQUEST;
	t0 = cycles();
	for (i = 0; i < RAW_CALLS; i += k) {
		for (j = 0; j < k; j++) {
			m.w[0] = i + j;
			m.hdr.tag = j;
			chan_send(&raw_a, &m);
		}
		for (j = 0; j < k; j++) {
			if (chan_recv(&raw_a, &r) != 0 || r.w[0] != i + j + 1)
				bad++;
		}
	}
	if (bad)
		fprintf(stderr, "bench_glue: %llu raw replies wrong\n", (unsigned long long)bad);
	return (double)(cycles() - t0) / RAW_CALLS;
}

static volatile uint64_t glue_bad;

static void *glue_caller(void *arg)
{
	uint64_t n = (uintptr_t)arg, i;

	for (i = 0; i < n; i++)
		if (drv_ping((uint32_t)i) != (uint32_t)i + 1)
			__atomic_add_fetch(&glue_bad, 1, __ATOMIC_RELAXED);
	return NULL;
}

static double glue_rtt(unsigned k)
{
	pthread_t t[16];
	uint64_t t0;
	unsigned j;

	t0 = cycles();
	for (j = 0; j < k; j++)
		pthread_create(&t[j], NULL, glue_caller, (void *)(uintptr_t)(GLUE_CALLS / k));
	for (j = 0; j < k; j++)
		pthread_join(t[j], NULL);
	return (double)(cycles() - t0) / (GLUE_CALLS / k * k);
}

static int bench_channel(void)
{
	static struct glue_ctx lctx, dctx;
	static struct chan lch, dch;
	size_t bytes = chan_mem_size(RING_SLOTS);
	void *raw_mem = aligned_alloc(4096, bytes), *glue_mem = aligned_alloc(4096, bytes);
	static const unsigned inflight[] = { 1, 4, 16 };
	double raw[3], glue[3];
	pthread_t echo;
	unsigned i;

	if (!raw_mem || !glue_mem || chan_mem_init(raw_mem, bytes) || chan_mem_init(glue_mem, bytes) ||
	    chan_attach(&raw_a, raw_mem, bytes, 0, CHAN_ACCEPT_ALL) ||
	    chan_attach(&raw_b, raw_mem, bytes, 1, CHAN_ACCEPT_ALL) ||
	    chan_attach(&lch, glue_mem, bytes, 0, CHAN_ACCEPT_ALL) ||
	    chan_attach(&dch, glue_mem, bytes, 1, CHAN_ACCEPT_ALL))
		return 1;
	pin(0);
	pthread_create(&echo, NULL, raw_echo, NULL);
	raw_rtt(1);   /* warm-up */
	for (i = 0; i < 3; i++)
		raw[i] = raw_rtt(inflight[i]);
	raw_stop = 1;
	pthread_join(echo, NULL);

	glue_ctx_init(&lctx, "linux", tmod_linux_dispatch);
	glue_ctx_init(&dctx, "domain", tmod_domain_dispatch);
	tmod_linux_ctx = &lctx;
	tmod_domain_ctx = &dctx;
	/* 16 workers a side, so 16 callers can be in flight at once. */
	if (glue_host_start(&lctx, &lch, 16) || glue_host_start(&dctx, &dch, 16))
		return 1;
	glue_rtt(1);  /* warm-up */
	for (i = 0; i < 3; i++)
		glue[i] = glue_rtt(inflight[i]);
	glue_host_stop(&lctx);
	glue_host_stop(&dctx);
	printf("\nover a %u-slot channel between threads (TSC cycles per call):\n", RING_SLOTS);
	printf("%-12s %14s %22s %8s\n", "in flight", "raw channel", "generated drv_ping", "ratio");
	for (i = 0; i < 3; i++)
		printf("%-12u %14.1f %22.1f %7.1fx\n", inflight[i], raw[i], glue[i], glue[i] / raw[i]);
	if (glue_bad) {
		fprintf(stderr, "bench_glue: %llu generated calls answered wrong\n",
			(unsigned long long)glue_bad);
		return 1;
	}
	free(raw_mem);
	free(glue_mem);
	return 0;
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
	if (bench_channel() != 0) {
		fprintf(stderr, "bench_glue: the channel part failed\n");
		return 1;
	}
	return sink == 42 ? 2 : 0;
}
