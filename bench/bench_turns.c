/*
 * Side-by-side cross-core benchmark in turns (issue 17).
 *
 * One pair of threads (CPUs 0 and 1) runs every contender once per turn,
 * in an order permuted afresh each turn, so that no contender always runs
 * right after the floor (which warms the path between the cores) or right
 * after a throughput run (which leaves lines in the other core's cache).
 * Each turn is short (a few ms per contender) and carries its own floor:
 * the cross-core latency of this VM moves by 5-20x with where the host
 * puts the vCPUs, so each turn is classified by its floor into a regime
 * (fast: floor <= 1.5 x the lowest floor of the run; slow: up to 15 x, the
 * vCPUs placed far apart; disturbed: beyond, a turn that shared its CPUs
 * with other work) and medians are reported per regime.
 *
 * Contenders:
 *   round trip:  the floor (one cache line bounced), the lxds channel, the
 *                plain per-slot-flag ring below, one outstanding async call;
 *   one-way:     lxds channel and plain ring at 64 and 512 slots, lxds
 *                channel at 512 slots with batches of 8, and the lxds
 *                channel received in bursts (chan_try_recv_burst; the
 *                plain ring stays per message).
 * Every receiver reads all seven payload words and checks them.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lxds/async_chan.h>
#include <lxds/channel.h>

#include "chan_v1.h"

#define TURN_RTT_ITERS    5000
#define TURN_STREAM_MSGS  stream_msgs   /* LXDS_BENCH_STREAM, default 100000 */
#define TURNS_DEFAULT     151
#define TURNS_MAX         1001
#define TURN_NEAR_FLOOR   400   /* ticks: above, the vCPUs were never near */
#define TURN_AREAS        29      /* ring areas: one per contender's rings */
#define TURN_BURST        16      /* messages per chan_try_recv_burst call (at most) */
#define TURN_AREA_BYTES   (2 * 512 * 64)   /* the largest: a 512-slot channel */

static uint64_t stream_msgs = 100000;
static unsigned burst_max = TURN_BURST;   /* LXDS_BENCH_BURST: 1 .. TURN_BURST */
/* LXDS_BENCH_WAIT_K: the group a caught-up burst receiver waits for;
 * by default half the ring (chan_rx_wait_group clamps it there).  16 (the
 * burst) and 64 were tried too: see docs/ipc-async.md, seventh round. */
static unsigned wait_k = 65536;

/* The group a caught-up burst receiver waits for, with `left` messages to go. */
static unsigned wait_group(uint64_t left)
{
	return left < wait_k ? (unsigned)left : wait_k;
}

/* --- the plain per-slot-flag ring: the algorithmic floor for 64-byte slots -- */

/*
 * One flag word and seven payload words per slot; the sender waits for the
 * flag to be 0, writes the payload, then sets the flag; the receiver waits
 * for the flag, copies the payload out, then clears it.  No validation, no
 * types, no tags: what any ring of 64-byte slots must at least do.
 */
struct pslot {
	volatile uint64_t full;
	uint64_t w[7];
} __attribute__((aligned(64)));

struct pend {
	struct pslot *slots;
	uint64_t pos, mask;
} __attribute__((aligned(64)));

static inline void pring_send(struct pend *e, const uint64_t *w)
{
	struct pslot *s = &e->slots[e->pos++ & e->mask];
	int k;

	while (s->full)
		ipc_cpu_relax();
	ipc_barrier();
	for (k = 0; k < 7; k++)
		s->w[k] = w[k];
	ipc_barrier();
	s->full = 1;
}

static inline void pring_recv(struct pend *e, uint64_t *w)
{
	struct pslot *s = &e->slots[e->pos++ & e->mask];
	int k;

	while (!s->full)
		ipc_cpu_relax();
	ipc_barrier();
	for (k = 0; k < 7; k++)
		w[k] = s->w[k];
	ipc_barrier();
	s->full = 0;
}

/* --- an experiment: the current sender plus PREFETCHW --------------------- */

/*
 * chan_send, plus a PREFETCHW of the slot PF_DIST past the one being written
 * when chan_tx_room already knows it free (pos < avail <= pos + slots, so
 * avail - pos > PF_DIST means pos + PF_DIST < avail): the ownership transfer
 * of that line would overlap with the sends in between.  Measured in the
 * turns and not adopted (docs/ipc-async.md: no gain, a slower round trip).
 */
#define PF_SEND  2
#define PF_DIST  4

static inline void pf_send(struct chan *c, const struct chan_msg *m)
{
	struct chan_ring *r = &c->tx;

	while (!chan_tx_room(r))
		chan_tx_wait(c);
	if (r->avail - r->pos > PF_DIST)
		ipc_prefetchw(&r->slots[(r->pos + PF_DIST) & r->mask]);
	chan_fill(chan_slot(r), m);
	r->pos++;
}

/* --- contenders ------------------------------------------------------------ */

enum {
	T_FLOOR, T_CHAN_RTT, T_PLAIN_RTT, T_ACALL_RTT,
	T_V1_RTT, T_NOPF_RTT, T_GRP_RTT, T_INPL_RTT, T_MINB_RTT, T_MINA_RTT, T_LZ_RTT,
	T_CHAN_64, T_PLAIN_64, T_CHAN_512, T_PLAIN_512, T_CHAN_512_B8,
	T_V1_64, T_V1_512, T_LAZY_64, T_LAZY_512,
	T_NOPF_64, T_NOPF_512, T_LAZY8_64, T_LAZY8_512,
	T_GRP_64, T_GRP_512, T_GTX_64, T_GTX_512, T_LZ_512_B8,
	T_BURST_64, T_BURST_512, T_BURSTP_64, T_BURSTP_512,
	T_COUNT
};

static const char *const turn_name[T_COUNT] = {
	[T_FLOOR]       = "floor: one cache line",
	[T_CHAN_RTT]    = "lxds channel, 64-byte message",
	[T_PLAIN_RTT]   = "plain per-slot-flag ring",
	[T_INPL_RTT]    = "model: reply in the request's slot",
	[T_MINB_RTT]    = "lxds requester, minimal responder",
	[T_MINA_RTT]    = "minimal requester, lxds responder",
	[T_ACALL_RTT]   = "async call, 1 outstanding",
	[T_CHAN_64]     = "lxds channel, 64 slots",
	[T_PLAIN_64]    = "plain ring, 64 slots",
	[T_CHAN_512]    = "lxds channel, 512 slots",
	[T_PLAIN_512]   = "plain ring, 512 slots",
	[T_CHAN_512_B8] = "lxds channel, 512 slots, batch 8",
	[T_V1_RTT]      = "lxds channel before issue 17",
	[T_V1_64]       = "lxds before issue 17, 64 slots",
	[T_V1_512]      = "lxds before issue 17, 512 slots",
	[T_LAZY_64]     = "lxds channel, 64 slots, rx lazy 16",
	[T_LAZY_512]    = "lxds channel, 512 slots, rx lazy 32",
	[T_NOPF_RTT]    = "lxds channel with prefetchw 4",
	[T_NOPF_64]     = "lxds with prefetchw 4, 64 slots",
	[T_NOPF_512]    = "lxds with prefetchw 4, 512 slots",
	[T_LAZY8_64]    = "lxds channel, 64 slots, rx lazy 8",
	[T_LAZY8_512]   = "lxds channel, 512 slots, rx lazy 8",
	[T_GRP_RTT]     = "lxds channel, look-ahead 16 (before)",
	[T_GRP_64]      = "lxds look-ahead 16 (before), 64 slots",
	[T_GRP_512]     = "lxds look-ahead 16 (before), 512 slots",
	[T_GTX_64]      = "lxds tx no back-off + rx lazy 8, 64 slots",
	[T_GTX_512]     = "lxds tx no back-off + rx lazy 8, 512 slots",
	[T_LZ_RTT]      = "lxds channel, rx lazy 8",
	[T_LZ_512_B8]   = "lxds channel, 512 slots, batch 8, rx lazy 8",
	[T_BURST_64]    = "lxds channel, 64 slots, rx burst 16",
	[T_BURST_512]   = "lxds channel, 512 slots, rx burst 16",
	[T_BURSTP_64]   = "lxds 64 slots, rx burst 16, wait half ring",
	[T_BURSTP_512]  = "lxds 512 slots, rx burst 16, wait half ring",
};

static bool turn_is_rtt(int c)
{
	return c <= T_LZ_RTT;
}

struct turns {
	int nturns;
	/* round trips */
	struct chan ra, rb;            /* 64 slots */
	struct pend pa_tx, pa_rx, pb_tx, pb_rx;
	struct pend ia, ib;            /* the in-place model: one 64-slot ring */
	struct chan xra, xrb, yra, yrb;   /* one end lxds, the other minimal */
	struct async_rt rt;
	struct achan ac;
	struct achan_call calls[1];
	/* streams: one channel and one plain ring per size */
	struct chan s64a, s64b, s512a, s512b;
	struct pend p64tx, p64rx, p512tx, p512rx;
	/* the fast path before issue 17, on channels of its own */
	struct chan v1ra, v1rb, v164a, v164b, v1512a, v1512b;
	/* receivers that free in groups (chan_set_rx_lazy) */
	struct chan l64a, l64b, l512a, l512b;
	/* the current fast path plus a sender PREFETCHW (pf_send, an experiment) */
	struct chan nra, nrb, n64a, n64b, n512a, n512b;
	struct chan m64a, m64b, m512a, m512b;   /* rx lazy 8 */
	/* look-ahead 16 (before this round); no back-off + rx lazy 8 */
	struct chan gra, grb, g64a, g64b, g512a, g512b;
	struct chan e64a, e64b, e512a, e512b;
	struct chan lra, lrb;   /* round trip, rx lazy 8 on both sides */
	struct chan b64a, b64b, b512a, b512b;   /* received in bursts */
	struct chan q64a, q64b, q512a, q512b;   /* the same, waiting for a group when caught up */
	void *mem[TURN_AREAS];         /* the pool: one area per contender's rings */
	int area[TURN_AREAS];          /* this turn: contender's index -> area */
	int ahead;                     /* LXDS_BENCH_AHEAD, or -1 */
	bool fixed_mem;                /* LXDS_BENCH_FIXED_MEM: never move the rings */
	uint64_t bad;                  /* written by B at the end only */
	double res[TURNS_MAX][T_COUNT];  /* ticks per round trip, or M msgs/s */
	int order[TURNS_MAX][T_COUNT];
};

/* A two-party barrier between contenders: each side counts in its own line. */
static struct {
	volatile uint64_t n;
	char pad[56];
} turn_bar[2] __attribute__((aligned(64)));

static void turn_barrier(int side)
{
	uint64_t mine = turn_bar[side].n + 1;

	turn_bar[side].n = mine;
	while (turn_bar[!side].n < mine)
		ipc_cpu_relax();
}

static struct {
	volatile uint64_t v;
	char pad[56];
} tfloor __attribute__((aligned(64)));

static double floor_a(int iters)
{
	static uint64_t seq;   /* each side keeps its own count */
	uint64_t t0 = bench_tsc();
	int i;

	for (i = 0; i < iters; i++) {
		tfloor.v = ++seq;
		while (tfloor.v != seq + 1)
			ipc_cpu_relax();
		seq++;
	}
	return (double)(bench_tscp() - t0) / iters;
}

static void floor_b(int iters)
{
	static uint64_t seq = 1;
	int i;

	for (i = 0; i < iters; i++, seq += 2) {
		while (tfloor.v != seq)
			ipc_cpu_relax();
		tfloor.v = seq + 1;
	}
}

static double chan_rtt_a(struct chan *c, int iters, int v1)
{
	struct chan_msg m, in;
	uint64_t t0 = bench_tsc(), bad = 0;
	int i;

	memset(&m, 0, sizeof(m));
	m.hdr.type = CHAN_T_REQUEST;
	for (i = 0; i < iters; i++) {
		m.w[0] = i;
		if (v1 == PF_SEND)
			pf_send(c, &m);
		else if (v1)
			v1_send(c, &m);
		else
			chan_send(c, &m);
		chan_recv(c, &in);
		bad += in.w[0] != (uint64_t)i;
	}
	if (bad)
		abort();
	return (double)(bench_tscp() - t0) / iters;
}

static void chan_rtt_b(struct chan *c, int iters, int v1)
{
	struct chan_msg m;
	int i;

	for (i = 0; i < iters; i++) {
		if (chan_recv(c, &m) != 0)
			abort();
		m.hdr.type = CHAN_T_REPLY;
		if (v1 == PF_SEND)
			pf_send(c, &m);
		else if (v1)
			v1_send(c, &m);
		else
			chan_send(c, &m);
	}
}

static double plain_rtt_a(struct turns *t, int iters)
{
	uint64_t w[7] = { 0 }, in[7];
	uint64_t t0 = bench_tsc(), bad = 0;
	int i;

	for (i = 0; i < iters; i++) {
		w[0] = i;
		pring_send(&t->pa_tx, w);
		pring_recv(&t->pa_rx, in);
		bad += in[0] != (uint64_t)i;
	}
	if (bad)
		abort();
	return (double)(bench_tscp() - t0) / iters;
}

static void plain_rtt_b(struct turns *t, int iters)
{
	uint64_t w[7];
	int i;

	for (i = 0; i < iters; i++) {
		pring_recv(&t->pb_rx, w);
		pring_send(&t->pb_tx, w);
	}
}

/*
 * A model, not a channel: the reply is written into the request's own slot
 * (full: 0 free, 1 request, 2 reply), so a round trip moves one line there
 * and back, as the floor does, where two rings (the plain ring, lxds) move
 * two lines, each once per direction and once back for its next use.
 */
static double inpl_rtt_a(struct turns *t, int iters)
{
	uint64_t t0 = bench_tsc(), bad = 0, in[7];
	int i, k;

	for (i = 0; i < iters; i++) {
		struct pslot *s = &t->ia.slots[t->ia.pos++ & t->ia.mask];

		while (s->full != 0)
			ipc_cpu_relax();
		ipc_barrier();
		for (k = 0; k < 7; k++)
			s->w[k] = (uint64_t)i + k;
		ipc_barrier();
		s->full = 1;
		while (s->full != 2)
			ipc_cpu_relax();
		ipc_barrier();
		for (k = 0; k < 7; k++)
			in[k] = s->w[k];
		ipc_barrier();
		s->full = 0;
		bad += in[0] != (uint64_t)i + 1;
	}
	if (bad)
		abort();
	return (double)(bench_tscp() - t0) / iters;
}

static void inpl_rtt_b(struct turns *t, int iters)
{
	uint64_t w[7];
	int i, k;

	for (i = 0; i < iters; i++) {
		struct pslot *s = &t->ib.slots[t->ib.pos++ & t->ib.mask];

		while (s->full != 1)
			ipc_cpu_relax();
		ipc_barrier();
		for (k = 0; k < 7; k++)
			w[k] = s->w[k] + 1;
		for (k = 0; k < 7; k++)
			s->w[k] = w[k];
		ipc_barrier();
		s->full = 2;
	}
}

/*
 * A minimal end on an lxds channel's slots, for round trips with one end
 * lxds and the other not (which end costs): wait for the slot, copy seven
 * words, clear or publish the header; no validation, no look-ahead.
 */
static inline void min_send(struct chan_ring *r, uint16_t type, const uint64_t *w)
{
	union chan_hdr h = { .status = CHAN_SLOT_READY, .type = type };
	struct chan_msg *s = &r->slots[r->pos++ & r->mask];
	int k;

	while (ipc_load_acquire64(&s->hdr.word) != 0)
		ipc_cpu_relax();
	for (k = 0; k < CHAN_PAYLOAD_WORDS; k++)
		s->w[k] = w[k];
	ipc_store_release64(&s->hdr.word, h.word);
}

static inline void min_recv(struct chan_ring *r, uint64_t *w)
{
	struct chan_msg *s = &r->slots[r->pos++ & r->mask];
	int k;

	while (ipc_load_acquire64(&s->hdr.word) == 0)
		ipc_cpu_relax();
	for (k = 0; k < CHAN_PAYLOAD_WORDS; k++)
		w[k] = s->w[k];
	ipc_store_release64(&s->hdr.word, 0);
}

static double min_rtt_a(struct chan *c, int iters)
{
	uint64_t w[CHAN_PAYLOAD_WORDS] = { 0 }, in[CHAN_PAYLOAD_WORDS];
	uint64_t t0 = bench_tsc(), bad = 0;
	int i;

	for (i = 0; i < iters; i++) {
		w[0] = i;
		min_send(&c->tx, CHAN_T_REQUEST, w);
		min_recv(&c->rx, in);
		bad += in[0] != (uint64_t)i;
	}
	if (bad)
		abort();
	return (double)(bench_tscp() - t0) / iters;
}

static void min_rtt_b(struct chan *c, int iters)
{
	uint64_t w[CHAN_PAYLOAD_WORDS];
	int i;

	for (i = 0; i < iters; i++) {
		min_recv(&c->rx, w);
		min_send(&c->tx, CHAN_T_REPLY, w);
	}
}

static void acall_body(void *arg)
{
	struct turns *t = arg;
	struct chan_msg req, reply;
	int i;

	memset(&req, 0, sizeof(req));
	for (i = 0; i < TURN_RTT_ITERS; i++) {
		req.w[0] = i;
		achan_call(&t->ac, &req, &reply);
	}
}

static double acall_rtt_a(struct turns *t)
{
	uint64_t t0 = bench_tsc();

	DO_FINISH(ASYNC(acall_body, t));
	return (double)(bench_tscp() - t0) / TURN_RTT_ITERS;
}

/* Payload of message i: w[k] = i + k; the receiver checks all seven words. */
static __attribute__((noinline)) void chan_stream_tx(struct chan *c, unsigned batch, int v1)
{
	struct chan_msg m[8];
	uint64_t i;
	unsigned b;
	int k;

	memset(m, 0, sizeof(m));
	for (i = 0; i < TURN_STREAM_MSGS; i += batch) {
		for (b = 0; b < batch; b++) {
			m[b].hdr.type = CHAN_T_ONEWAY;
			for (k = 0; k < CHAN_PAYLOAD_WORDS; k++)
				m[b].w[k] = i + b + k;
		}
		if (v1 == PF_SEND)
			pf_send(c, m);
		else if (v1 && batch == 1)
			v1_send(c, m);
		else if (v1)
			v1_send_batch(c, m, batch);
		else if (batch == 1)
			chan_send(c, m);
		else
			chan_send_batch(c, m, batch);
	}
}

static __attribute__((noinline)) double chan_stream_rx(struct chan *c, uint64_t *bad)
{
	struct chan_msg m;
	uint64_t i, t0 = 0, sum;
	int k;

	for (i = 0; i < TURN_STREAM_MSGS; i++) {
		while (chan_try_recv(c, &m) != 0)
			ipc_cpu_relax();
		if (i == 0)
			t0 = bench_tsc();
		for (sum = 0, k = 0; k < CHAN_PAYLOAD_WORDS; k++)
			sum += m.w[k];
		*bad += (m.w[0] != i) | (sum != 7 * i + 21);
	}
	return (double)(TURN_STREAM_MSGS - 1) / ((double)(bench_tscp() - t0) / bench_tsc_ghz) * 1e3;
}

/*
 * The same stream received in bursts of up to TURN_BURST messages
 * (chan_try_recv_burst), each burst checked as chan_stream_rx checks one
 * message.  Timed from the end of the first burst, so the messages of that
 * burst are not counted.  With group_wait, a receiver that has caught up
 * (a burst shorter than asked for, or none) waits for the slot half a ring
 * ahead (wait_k) rather than the next slot (chan_rx_wait_group), then
 * takes what is there in bursts.
 */
static __attribute__((noinline)) double chan_stream_rx_burst(struct chan *c, uint64_t *bad,
								 bool group_wait)
{
	struct chan_msg m[TURN_BURST];
	uint64_t i = 0, first = 0, t0 = 0, sum;
	int k, n, j;

	while (i < TURN_STREAM_MSGS) {
		uint64_t left = TURN_STREAM_MSGS - i;

		unsigned want = left < burst_max ? (unsigned)left : burst_max;

		n = chan_try_recv_burst(c, m, want);
		if (n <= 0) {   /* empty, or a bad slot (none in the bench) */
			if (group_wait)
				chan_rx_wait_group(c, wait_group(want));
			else
				ipc_cpu_relax();
			continue;
		}
		if (i == 0) {
			t0 = bench_tsc();
			first = (uint64_t)n;
		}
		for (j = 0; j < n; j++, i++) {
			for (sum = 0, k = 0; k < CHAN_PAYLOAD_WORDS; k++)
				sum += m[j].w[k];
			*bad += (m[j].w[0] != i) | (sum != 7 * i + 21);
		}
		if (group_wait && (unsigned)n < want && i < TURN_STREAM_MSGS)
			chan_rx_wait_group(c, wait_group(TURN_STREAM_MSGS - i));
	}
	return (double)(TURN_STREAM_MSGS - first) / ((double)(bench_tscp() - t0) / bench_tsc_ghz) * 1e3;
}

static void plain_stream_tx(struct pend *e)
{
	uint64_t w[7], i;
	int k;

	for (i = 0; i < TURN_STREAM_MSGS; i++) {
		for (k = 0; k < 7; k++)
			w[k] = i + k;
		pring_send(e, w);
	}
}

static double plain_stream_rx(struct pend *e, uint64_t *bad)
{
	uint64_t w[7], i, t0 = 0, sum;
	int k;

	for (i = 0; i < TURN_STREAM_MSGS; i++) {
		pring_recv(e, w);
		if (i == 0)
			t0 = bench_tsc();
		for (sum = 0, k = 0; k < 7; k++)
			sum += w[k];
		*bad += (w[0] != i) | (sum != 7 * i + 21);
	}
	return (double)(TURN_STREAM_MSGS - 1) / ((double)(bench_tscp() - t0) / bench_tsc_ghz) * 1e3;
}

static void turns_attach(struct turns *t);

/* A Fisher-Yates shuffle of v[0..n) from seed x (both threads compute alike). */
static void turn_shuffle(int *v, int n, uint64_t x)
{
	int i;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		int j, tmp;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		j = (int)(x % (uint64_t)(i + 1));
		tmp = v[i]; v[i] = v[j]; v[j] = tmp;
	}
}

/* The order of turn n. */
static void turn_order(int *order, unsigned n)
{
	turn_shuffle(order, T_COUNT, 0x9E3779B97F4A7C15ull * (n + 1));
}

static void turns_a(void *arg)
{
	struct turns *t = arg;
	int n, i;

	async_rt_init(&t->rt, ASYNC_DEFAULT_STACK, 4);
	async_set_idle(&t->rt, achan_idle, &t->ac);
	achan_init(&t->ac, &t->ra, t->calls, 1);
	floor_a(TURN_RTT_ITERS * 10);   /* warm-up */
	for (n = 0; n < t->nturns; n++) {
		turn_order(t->order[n], n);
		/* New places for the rings, while B waits between the barriers. */
		turn_barrier(0);
		if (!t->fixed_mem) {
			turn_shuffle(t->area, TURN_AREAS, 0xD1B54A32D192ED03ull * (n + 7));
			turns_attach(t);
		}
		turn_barrier(0);
		for (i = 0; i < T_COUNT; i++) {
			int c = t->order[n][i];

			turn_barrier(0);
			switch (c) {
			case T_FLOOR:     t->res[n][c] = floor_a(TURN_RTT_ITERS); break;
			case T_CHAN_RTT:  t->res[n][c] = chan_rtt_a(&t->ra, TURN_RTT_ITERS, false); break;
			case T_V1_RTT:    t->res[n][c] = chan_rtt_a(&t->v1ra, TURN_RTT_ITERS, true); break;
			case T_NOPF_RTT:  t->res[n][c] = chan_rtt_a(&t->nra, TURN_RTT_ITERS, PF_SEND); break;
			case T_PLAIN_RTT: t->res[n][c] = plain_rtt_a(t, TURN_RTT_ITERS); break;
			case T_INPL_RTT:  t->res[n][c] = inpl_rtt_a(t, TURN_RTT_ITERS); break;
			case T_MINB_RTT:  t->res[n][c] = chan_rtt_a(&t->xra, TURN_RTT_ITERS, false); break;
			case T_MINA_RTT:  t->res[n][c] = min_rtt_a(&t->yra, TURN_RTT_ITERS); break;
			case T_ACALL_RTT: t->res[n][c] = acall_rtt_a(t); break;
			case T_CHAN_64:   chan_stream_tx(&t->s64a, 1, false); break;
			case T_PLAIN_64:  plain_stream_tx(&t->p64tx); break;
			case T_CHAN_512:  chan_stream_tx(&t->s512a, 1, false); break;
			case T_PLAIN_512: plain_stream_tx(&t->p512tx); break;
			case T_CHAN_512_B8: chan_stream_tx(&t->s512a, 8, false); break;
			case T_V1_64:     chan_stream_tx(&t->v164a, 1, true); break;
			case T_V1_512:    chan_stream_tx(&t->v1512a, 1, true); break;
			case T_LAZY_64:   chan_stream_tx(&t->l64a, 1, false); break;
			case T_LAZY_512:  chan_stream_tx(&t->l512a, 1, false); break;
			case T_NOPF_64:   chan_stream_tx(&t->n64a, 1, PF_SEND); break;
			case T_NOPF_512:  chan_stream_tx(&t->n512a, 1, PF_SEND); break;
			case T_LAZY8_64:  chan_stream_tx(&t->m64a, 1, false); break;
			case T_LAZY8_512: chan_stream_tx(&t->m512a, 1, false); break;
			case T_GRP_RTT:   t->res[n][c] = chan_rtt_a(&t->gra, TURN_RTT_ITERS, false); break;
			case T_GRP_64:    chan_stream_tx(&t->g64a, 1, false); break;
			case T_GRP_512:   chan_stream_tx(&t->g512a, 1, false); break;
			case T_GTX_64:    chan_stream_tx(&t->e64a, 1, false); break;
			case T_GTX_512:   chan_stream_tx(&t->e512a, 1, false); break;
			case T_LZ_RTT:    t->res[n][c] = chan_rtt_a(&t->lra, TURN_RTT_ITERS, false); break;
			case T_LZ_512_B8: chan_stream_tx(&t->m512a, 8, false); break;
			case T_BURST_64:  chan_stream_tx(&t->b64a, 1, false); break;
			case T_BURST_512: chan_stream_tx(&t->b512a, 1, false); break;
			case T_BURSTP_64: chan_stream_tx(&t->q64a, 1, false); break;
			case T_BURSTP_512: chan_stream_tx(&t->q512a, 1, false); break;
			}
		}
	}
	turn_barrier(0);
	async_rt_fini(&t->rt);
}

static void turns_b(void *arg)
{
	struct turns *t = arg;
	uint64_t bad = 0;
	int n, i, order[T_COUNT];

	floor_b(TURN_RTT_ITERS * 10);
	for (n = 0; n < t->nturns; n++) {
		turn_order(order, n);
		turn_barrier(1);   /* A moves the rings (turns_a) */
		turn_barrier(1);
		for (i = 0; i < T_COUNT; i++) {
			int c = order[i];

			turn_barrier(1);
			switch (c) {
			case T_FLOOR:     floor_b(TURN_RTT_ITERS); break;
			case T_CHAN_RTT:
			case T_ACALL_RTT: chan_rtt_b(&t->rb, TURN_RTT_ITERS, false); break;
			case T_V1_RTT:    chan_rtt_b(&t->v1rb, TURN_RTT_ITERS, true); break;
			case T_NOPF_RTT:  chan_rtt_b(&t->nrb, TURN_RTT_ITERS, PF_SEND); break;
			case T_PLAIN_RTT: plain_rtt_b(t, TURN_RTT_ITERS); break;
			case T_INPL_RTT:  inpl_rtt_b(t, TURN_RTT_ITERS); break;
			case T_MINB_RTT:  min_rtt_b(&t->xrb, TURN_RTT_ITERS); break;
			case T_MINA_RTT:  chan_rtt_b(&t->yrb, TURN_RTT_ITERS, false); break;
			case T_CHAN_64:   t->res[n][c] = chan_stream_rx(&t->s64b, &bad); break;
			case T_PLAIN_64:  t->res[n][c] = plain_stream_rx(&t->p64rx, &bad); break;
			case T_CHAN_512:
			case T_CHAN_512_B8: t->res[n][c] = chan_stream_rx(&t->s512b, &bad); break;
			case T_PLAIN_512: t->res[n][c] = plain_stream_rx(&t->p512rx, &bad); break;
			case T_V1_64:     t->res[n][c] = chan_stream_rx(&t->v164b, &bad); break;
			case T_V1_512:    t->res[n][c] = chan_stream_rx(&t->v1512b, &bad); break;
			case T_LAZY_64:   t->res[n][c] = chan_stream_rx(&t->l64b, &bad); break;
			case T_LAZY_512:  t->res[n][c] = chan_stream_rx(&t->l512b, &bad); break;
			case T_NOPF_64:   t->res[n][c] = chan_stream_rx(&t->n64b, &bad); break;
			case T_NOPF_512:  t->res[n][c] = chan_stream_rx(&t->n512b, &bad); break;
			case T_LAZY8_64:  t->res[n][c] = chan_stream_rx(&t->m64b, &bad); break;
			case T_LAZY8_512: t->res[n][c] = chan_stream_rx(&t->m512b, &bad); break;
			case T_GRP_RTT:   chan_rtt_b(&t->grb, TURN_RTT_ITERS, false); break;
			case T_GRP_64:    t->res[n][c] = chan_stream_rx(&t->g64b, &bad); break;
			case T_GRP_512:   t->res[n][c] = chan_stream_rx(&t->g512b, &bad); break;
			case T_GTX_64:    t->res[n][c] = chan_stream_rx(&t->e64b, &bad); break;
			case T_GTX_512:   t->res[n][c] = chan_stream_rx(&t->e512b, &bad); break;
			case T_LZ_RTT:    chan_rtt_b(&t->lrb, TURN_RTT_ITERS, false); break;
			case T_LZ_512_B8: t->res[n][c] = chan_stream_rx(&t->m512b, &bad); break;
			case T_BURST_64:  t->res[n][c] = chan_stream_rx_burst(&t->b64b, &bad, false); break;
			case T_BURST_512: t->res[n][c] = chan_stream_rx_burst(&t->b512b, &bad, false); break;
			case T_BURSTP_64: t->res[n][c] = chan_stream_rx_burst(&t->q64b, &bad, true); break;
			case T_BURSTP_512: t->res[n][c] = chan_stream_rx_burst(&t->q512b, &bad, true); break;
			}
		}
	}
	turn_barrier(1);
	t->bad = bad;
}

/* The pool area of contender i this turn, zeroed, for `bytes` of rings. */
static void *turn_area(struct turns *t, int i, size_t bytes)
{
	void *m = t->mem[t->area[i]];

	if (bytes > TURN_AREA_BYTES)
		abort();
	memset(m, 0, bytes);
	return m;
}

static void turn_chan(struct turns *t, int i, struct chan *a, struct chan *b, uint32_t slots)
{
	size_t bytes = chan_mem_size(slots);
	void *m = turn_area(t, i, bytes);

	if (chan_mem_init(m, bytes) || chan_attach(a, m, bytes, 0, CHAN_ACCEPT_ALL) ||
	    chan_attach(b, m, bytes, 1, CHAN_ACCEPT_ALL))
		abort();
}

static void turn_plain(struct turns *t, int i, struct pend *tx, struct pend *rx, uint32_t slots)
{
	struct pslot *s = turn_area(t, i, slots * sizeof(struct pslot));

	tx->slots = rx->slots = s;
	tx->mask = rx->mask = slots - 1;
	tx->pos = rx->pos = 0;
}

static const char *const regime_name[3] = { "fast", "slow", "disturbed" };

static int turn_regime(double floor, double floor_min)
{
	return floor <= 1.5 * floor_min ? 0 : floor <= 15 * floor_min ? 1 : 2;
}

static int turn_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/*
 * Attaches every contender to its area of the pool (t->area[] maps the
 * contender's index to an area), from scratch: fresh rings, positions 0,
 * each contender's settings.  Called before the first turn and, unless
 * LXDS_BENCH_FIXED_MEM is set, at the start of every turn with a new
 * permutation, so that no contender keeps the memory that happens to sit
 * best in the caches (where a ring lands moved one 512-slot contender
 * between 60 and 85 M/s against an identical one, docs/ipc-async.md).
 */
static void turns_attach(struct turns *t)
{
	turn_chan(t, 0, &t->ra, &t->rb, 64);
	turn_chan(t, 1, &t->s64a, &t->s64b, 64);
	turn_chan(t, 2, &t->s512a, &t->s512b, 512);
	/* The plain ring's round trip: one 64-slot ring each way. */
	{
		struct pslot *s = turn_area(t, 3, 2 * 64 * sizeof(struct pslot));

		t->pa_tx.slots = t->pb_rx.slots = s;
		t->pb_tx.slots = t->pa_rx.slots = s + 64;
		t->pa_tx.mask = t->pa_rx.mask = t->pb_tx.mask = t->pb_rx.mask = 63;
		t->pa_tx.pos = t->pa_rx.pos = t->pb_tx.pos = t->pb_rx.pos = 0;
	}
	turn_plain(t, 4, &t->p64tx, &t->p64rx, 64);
	turn_plain(t, 22, &t->ia, &t->ib, 64);
	turn_chan(t, 23, &t->xra, &t->xrb, 64);
	turn_chan(t, 24, &t->yra, &t->yrb, 64);
	turn_chan(t, 25, &t->b64a, &t->b64b, 64);
	turn_chan(t, 26, &t->b512a, &t->b512b, 512);
	turn_chan(t, 27, &t->q64a, &t->q64b, 64);
	turn_chan(t, 28, &t->q512a, &t->q512b, 512);
	turn_plain(t, 5, &t->p512tx, &t->p512rx, 512);
	turn_chan(t, 6, &t->v1ra, &t->v1rb, 64);
	turn_chan(t, 7, &t->v164a, &t->v164b, 64);
	turn_chan(t, 8, &t->v1512a, &t->v1512b, 512);
	turn_chan(t, 9, &t->l64a, &t->l64b, 64);
	turn_chan(t, 10, &t->l512a, &t->l512b, 512);
	turn_chan(t, 11, &t->nra, &t->nrb, 64);
	turn_chan(t, 12, &t->n64a, &t->n64b, 64);
	turn_chan(t, 13, &t->n512a, &t->n512b, 512);
	turn_chan(t, 14, &t->m64a, &t->m64b, 64);
	turn_chan(t, 15, &t->m512a, &t->m512b, 512);
	turn_chan(t, 16, &t->gra, &t->grb, 64);
	turn_chan(t, 17, &t->g64a, &t->g64b, 64);
	turn_chan(t, 18, &t->g512a, &t->g512b, 512);
	turn_chan(t, 19, &t->e64a, &t->e64b, 64);
	turn_chan(t, 20, &t->e512a, &t->e512b, 512);
	/* The sender's look-ahead before this round (a 16-slot probe), and
	 * the /tmp model's policy (no probe back-off, a blocked sender takes
	 * the first free slot, the receiver frees 8 at a time). */
	turn_chan(t, 21, &t->lra, &t->lrb, 64);
	chan_set_rx_lazy(&t->lra, 8);
	chan_set_rx_lazy(&t->lrb, 8);
	chan_set_tx_ahead(&t->gra, 16);
	chan_set_tx_ahead(&t->grb, 16);
	chan_set_tx_ahead(&t->g64a, 16);
	chan_set_tx_ahead(&t->g512a, 16);
	chan_set_tx_grouped(&t->e64a, true);
	chan_set_tx_grouped(&t->e512a, true);
	chan_set_rx_lazy(&t->e64b, 8);
	chan_set_rx_lazy(&t->e512b, 8);
	chan_set_rx_lazy(&t->m64b, 8);
	chan_set_rx_lazy(&t->m512b, 8);
	if (t->ahead >= 0) {   /* LXDS_BENCH_AHEAD: experiments with the sender's look-ahead */
		chan_set_tx_ahead(&t->ra, (uint32_t)t->ahead);
		chan_set_tx_ahead(&t->rb, (uint32_t)t->ahead);
		chan_set_tx_ahead(&t->s64a, (uint32_t)t->ahead);
		chan_set_tx_ahead(&t->s512a, (uint32_t)t->ahead);
		chan_set_tx_ahead(&t->l64a, (uint32_t)t->ahead);
		chan_set_tx_ahead(&t->l512a, (uint32_t)t->ahead);
	}
	chan_set_rx_lazy(&t->l64b, 16);
	chan_set_rx_lazy(&t->l512b, 32);
}

/* The stream's knobs, for turns and sweeps alike (LXDS_BENCH_WAIT_K, _BURST,
 * _STREAM; docs/ipc-async.md "Reproduce"). */
static void turns_stream_env(void)
{
	const char *env = getenv("LXDS_BENCH_WAIT_K");

	if (env && atoi(env) >= 1)
		wait_k = (unsigned)atoi(env);
	env = getenv("LXDS_BENCH_BURST");
	if (env && atoi(env) >= 1 && atoi(env) <= TURN_BURST)
		burst_max = (unsigned)atoi(env);
	env = getenv("LXDS_BENCH_STREAM");
	if (env && atol(env) >= 1000)
		stream_msgs = (uint64_t)atol(env) / 8 * 8;   /* whole batches of 8 */
}

void bench_turns_run(void)
{
	struct turns *t = calloc(1, sizeof(*t));
	const char *env = getenv("LXDS_BENCH_TURNS");
	double floor_min = 1e30, v[TURNS_MAX];
	int n, c, regime;
	char name[96], note[48], grp[40];

	if (!t)
		abort();
	t->nturns = env ? atoi(env) : TURNS_DEFAULT;
	turns_stream_env();
	if (t->nturns < 1 || t->nturns > TURNS_MAX)
		t->nturns = TURNS_DEFAULT;
	for (n = 0; n < TURN_AREAS; n++) {
		t->mem[n] = aligned_alloc(IPC_PAGE_SIZE, TURN_AREA_BYTES);
		if (!t->mem[n])
			abort();
		t->area[n] = n;
	}
	env = getenv("LXDS_BENCH_AHEAD");
	t->ahead = env ? atoi(env) : -1;
	t->fixed_mem = getenv("LXDS_BENCH_FIXED_MEM") != NULL;
	turns_attach(t);

	printf("(t) side by side: %d turns of %llu messages per stream, contenders in a new "
	       "random order each turn\n", t->nturns, (unsigned long long)stream_msgs);
	bench_pair(turns_a, turns_b, t);
	if (t->bad) {
		fprintf(stderr, "bench: %llu messages arrived wrong in the turns\n",
			(unsigned long long)t->bad);
		exit(1);
	}
	for (n = 0; n < t->nturns; n++)
		if (t->res[n][T_FLOOR] < floor_min)
			floor_min = t->res[n][T_FLOOR];
	/* The regimes are relative to the run's lowest floor: say so when the
	 * whole run missed the near placement (floor 110-200 ticks here). */
	if (floor_min > TURN_NEAR_FLOOR)
		printf("  note: lowest floor %.0f ticks > %d: no turn had the vCPUs near each "
		       "other; \"fast\" below is this run's best placement only\n",
		       floor_min, TURN_NEAR_FLOOR);
	for (regime = 0; regime < 3; regime++) {
		int cnt = 0;
		double fl[TURNS_MAX];

		for (n = 0; n < t->nturns; n++)
			if (turn_regime(t->res[n][T_FLOOR], floor_min) == regime)
				fl[cnt++] = t->res[n][T_FLOOR];
		if (cnt == 0)
			continue;
		qsort(fl, cnt, sizeof(double), turn_cmp);
		printf("  regime %s: %d of %d turns, floor %.0f-%.0f ticks\n",
		       regime_name[regime], cnt, t->nturns, fl[0], fl[cnt - 1]);
		for (c = 0; c < T_COUNT; c++) {
			int k = 0;

			for (n = 0; n < t->nturns; n++)
				if (turn_regime(t->res[n][T_FLOOR], floor_min) == regime)
					v[k++] = t->res[n][c];
			snprintf(name, sizeof(name), "%s [%s, %d turns]", turn_name[c],
				 regime_name[regime], cnt);
			if (turn_is_rtt(c)) {
				double r[TURNS_MAX];
				int j = 0;

				for (n = 0; n < t->nturns; n++)
					if (turn_regime(t->res[n][T_FLOOR], floor_min) == regime)
						r[j++] = t->res[n][c] / t->res[n][T_FLOOR];
				snprintf(note, sizeof(note), "(%.2f x floor)", bench_median(r, j));
				if (c == T_CHAN_RTT) {   /* and against the plain ring, turn by turn */
					double fl = bench_median(r, j);

					for (j = 0, n = 0; n < t->nturns; n++)
						if (turn_regime(t->res[n][T_FLOOR], floor_min) == regime)
							r[j++] = t->res[n][c] / t->res[n][T_PLAIN_RTT];
					snprintf(note, sizeof(note), "(%.2f x floor, %.2f x plain ring)",
						 fl, bench_median(r, j));
				}
				snprintf(grp, sizeof(grp), "turns: round trip (%s)", regime_name[regime]);
				bench_record(grp,
					     name, bench_median(v, k), 0, c == T_FLOOR ? "" : note);
			} else {
				/* Issue 17's target: the channel at least the plain
				 * ring's rate, as the median of per-turn ratios. */
				int plain = c == T_CHAN_64 || c == T_BURST_64 || c == T_BURSTP_64 ? T_PLAIN_64 :
					    c == T_CHAN_512 || c == T_BURST_512 || c == T_BURSTP_512 ?
					    T_PLAIN_512 : -1;

				note[0] = '\0';
				if (plain >= 0) {
					double r[TURNS_MAX];
					int j = 0;

					for (n = 0; n < t->nturns; n++)
						if (turn_regime(t->res[n][T_FLOOR], floor_min) == regime)
							r[j++] = t->res[n][c] / t->res[n][plain];
					snprintf(note, sizeof(note), "%.2f x plain ring (>= 1)",
						 bench_median(r, j));
				}
				snprintf(grp, sizeof(grp), "turns: one-way (%s)", regime_name[regime]);
				bench_record(grp, name, 0, bench_median(v, k), note);
			}
		}
	}
	for (n = 0; n < TURN_AREAS; n++)
		free(t->mem[n]);
	free(t);
}

/* --- sweep: ring size x the receiver's freeing, side by side (issue 17) --- */

/* LXDS_BENCH_SWEEP=ends: one end of the lxds channel against a minimal
 * other end on the same slots, to tell which end costs.  Columns: the plain
 * ring; the lxds channel; the lxds channel received in bursts
 * (chan_stream_rx_burst; until the seventh round this column was the sender
 * with the header load of before chan_fill's fix, fifth round); lxds sender
 * -> minimal receiver; minimal sender -> lxds receiver; minimal both, on
 * lxds slots. */
static __attribute__((noinline)) void hyb_plain_tx(struct chan *c)
{
	uint64_t i, w[CHAN_PAYLOAD_WORDS];
	int k;

	for (i = 0; i < TURN_STREAM_MSGS; i++) {
		for (k = 0; k < CHAN_PAYLOAD_WORDS; k++)
			w[k] = i + k;
		min_send(&c->tx, CHAN_T_ONEWAY, w);
	}
}

static __attribute__((noinline)) double hyb_plain_rx(struct chan *c, uint64_t *bad)
{
	uint64_t i, t0 = 0, sum, w[CHAN_PAYLOAD_WORDS];
	int k;

	for (i = 0; i < TURN_STREAM_MSGS; i++) {
		min_recv(&c->rx, w);
		if (i == 0)
			t0 = bench_tsc();
		for (sum = 0, k = 0; k < CHAN_PAYLOAD_WORDS; k++)
			sum += w[k];
		*bad += (w[0] != i) | (sum != 7 * i + 21);
	}
	return (double)(TURN_STREAM_MSGS - 1) / ((double)(bench_tscp() - t0) / bench_tsc_ghz) * 1e3;
}

/*
 * `ipc-async-bench DIR sweep` (not part of `make bench`): one-way streams
 * at every ring size below, the plain ring and the lxds channel with each
 * rx.lazy, all in one run, in a new order and on newly shuffled memory
 * every turn, each turn classified by its own floor as in the turns above.
 * It prints one line per regime and ring size (medians, M msgs/s).
 */
#define SW_SIZES       6
#define SW_LAZIES      5
#define SW_PER_SIZE    (SW_LAZIES + 1)              /* the plain ring, then each lazy */
#define SW_N           (1 + SW_SIZES * SW_PER_SIZE)   /* contender 0 is the floor */
#define SW_AREA_BYTES  (2 * 1024 * 64)

static const uint32_t sw_size[SW_SIZES] = { 32, 64, 128, 256, 512, 1024 };
static const uint32_t sw_lazy[SW_LAZIES] = { 1, 2, 4, 8, 16 };
/* LXDS_BENCH_SWEEP=ahead: the sender's look-ahead instead (65536 = half the ring) */
static const uint32_t sw_ahead[SW_LAZIES] = { 0, 8, 32, 128, 65536 };
static bool sw_by_ahead, sw_ends;
static bool sw_group_wait;   /* LXDS_BENCH_BURST_WAIT: the burst column waits for groups */

struct sweep {
	int nturns;
	struct chan a[SW_N], b[SW_N];
	struct pend tx[SW_N], rx[SW_N];
	void *mem[SW_N];
	int area[SW_N];
	uint64_t bad;
	double res[TURNS_MAX][SW_N];
};

static uint32_t sw_slots(int c)  { return sw_size[(c - 1) / SW_PER_SIZE]; }
static bool sw_is_plain(int c)   { return (c - 1) % SW_PER_SIZE == 0; }
static uint32_t sw_lazy_of(int c) { return sw_lazy[(c - 1) % SW_PER_SIZE - 1]; }

static void sweep_attach(struct sweep *sw)
{
	int c;

	for (c = 1; c < SW_N; c++) {
		uint32_t slots = sw_slots(c);
		void *m = sw->mem[sw->area[c]];
		size_t bytes = sw_is_plain(c) ? slots * sizeof(struct pslot) : chan_mem_size(slots);

		memset(m, 0, bytes);
		if (sw_is_plain(c)) {
			sw->tx[c].slots = sw->rx[c].slots = m;
			sw->tx[c].mask = sw->rx[c].mask = slots - 1;
			sw->tx[c].pos = sw->rx[c].pos = 0;
			continue;
		}
		if (chan_mem_init(m, bytes) || chan_attach(&sw->a[c], m, bytes, 0, CHAN_ACCEPT_ALL) ||
		    chan_attach(&sw->b[c], m, bytes, 1, CHAN_ACCEPT_ALL))
			abort();
		if (sw_by_ahead)
			chan_set_tx_ahead(&sw->a[c], sw_ahead[(c - 1) % SW_PER_SIZE - 1]);
		else if (!sw_ends)
			chan_set_rx_lazy(&sw->b[c], sw_lazy_of(c));
	}
}

static void sweep_a(void *arg)
{
	struct sweep *sw = arg;
	int n, i, order[SW_N];

	floor_a(TURN_RTT_ITERS * 10);
	for (n = 0; n < sw->nturns; n++) {
		turn_barrier(0);
		turn_shuffle(sw->area, SW_N, 0xD1B54A32D192ED03ull * (n + 7));
		sweep_attach(sw);
		turn_barrier(0);
		turn_shuffle(order, SW_N, 0x9E3779B97F4A7C15ull * (n + 1));
		for (i = 0; i < SW_N; i++) {
			int c = order[i];

			turn_barrier(0);
			if (c == 0)
				sw->res[n][0] = floor_a(TURN_RTT_ITERS);
			else if (sw_is_plain(c))
				plain_stream_tx(&sw->tx[c]);
			else if (sw_ends && (c - 1) % SW_PER_SIZE >= 4)
				hyb_plain_tx(&sw->a[c]);
			else
				chan_stream_tx(&sw->a[c], 1, false);
		}
	}
	turn_barrier(0);
}

static void sweep_b(void *arg)
{
	struct sweep *sw = arg;
	uint64_t bad = 0;
	int n, i, order[SW_N];

	floor_b(TURN_RTT_ITERS * 10);
	for (n = 0; n < sw->nturns; n++) {
		turn_barrier(1);
		turn_barrier(1);
		turn_shuffle(order, SW_N, 0x9E3779B97F4A7C15ull * (n + 1));
		for (i = 0; i < SW_N; i++) {
			int c = order[i];

			turn_barrier(1);
			if (c == 0)
				floor_b(TURN_RTT_ITERS);
			else if (sw_is_plain(c))
				sw->res[n][c] = plain_stream_rx(&sw->rx[c], &bad);
			else if (sw_ends && ((c - 1) % SW_PER_SIZE == 3 || (c - 1) % SW_PER_SIZE == 5))
				sw->res[n][c] = hyb_plain_rx(&sw->b[c], &bad);
			else if (sw_ends && (c - 1) % SW_PER_SIZE == 2)
				sw->res[n][c] = chan_stream_rx_burst(&sw->b[c], &bad, sw_group_wait);
			else
				sw->res[n][c] = chan_stream_rx(&sw->b[c], &bad);
		}
	}
	turn_barrier(1);
	sw->bad = bad;
}

void bench_sweep_run(void)
{
	struct sweep *sw = calloc(1, sizeof(*sw));
	const char *env = getenv("LXDS_BENCH_TURNS");
	double floor_min = 1e30, v[TURNS_MAX];
	int n, c, s, j, regime;

	if (!sw)
		abort();
	sw->nturns = env ? atoi(env) : 101;
	env = getenv("LXDS_BENCH_SWEEP");
	sw_by_ahead = env && strcmp(env, "ahead") == 0;
	sw_ends = env && strcmp(env, "ends") == 0;
	sw_group_wait = getenv("LXDS_BENCH_BURST_WAIT") != NULL;
	if (sw->nturns < 1 || sw->nturns > TURNS_MAX)
		sw->nturns = 101;
	turns_stream_env();
	for (c = 0; c < SW_N; c++) {
		sw->mem[c] = aligned_alloc(IPC_PAGE_SIZE, SW_AREA_BYTES);
		if (!sw->mem[c])
			abort();
	}
	printf("(s) sweep: %d turns of %llu messages per stream, ring size x %s, new order "
	       "and new memory each turn\n", sw->nturns, (unsigned long long)stream_msgs,
	       sw_ends ? "which end" : sw_by_ahead ? "tx.ahead" : "rx.lazy");
	bench_pair(sweep_a, sweep_b, sw);
	if (sw->bad) {
		fprintf(stderr, "bench: %llu messages arrived wrong in the sweep\n",
			(unsigned long long)sw->bad);
		exit(1);
	}
	for (n = 0; n < sw->nturns; n++)
		if (sw->res[n][0] < floor_min)
			floor_min = sw->res[n][0];
	for (regime = 0; regime < 3; regime++) {
		int cnt = 0;

		for (n = 0; n < sw->nturns; n++)
			if (turn_regime(sw->res[n][0], floor_min) == regime)
				v[cnt++] = sw->res[n][0];
		if (cnt == 0)
			continue;
		printf("  regime %s: %d of %d turns, floor median %.0f ticks; M msgs/s:\n",
		       regime_name[regime], cnt, sw->nturns, bench_median(v, cnt));
		printf("    slots   plain");
		if (sw_ends)
			printf("    lxds  lxds>brst lxds>min  min>lxds  min>min");
		else for (j = 0; j < SW_LAZIES; j++)
			if (sw_by_ahead)
				printf(sw_ahead[j] >= 65536 ? "  ahead/2" : "  ahd %-4u", sw_ahead[j]);
			else
				printf("  lazy %-2u", sw_lazy[j]);
		printf("\n");
		for (s = 0; s < SW_SIZES; s++) {
			printf("    %5u", sw_size[s]);
			for (j = 0; j < SW_PER_SIZE; j++) {
				int k = 0;

				c = 1 + s * SW_PER_SIZE + j;
				for (n = 0; n < sw->nturns; n++)
					if (turn_regime(sw->res[n][0], floor_min) == regime)
						v[k++] = sw->res[n][c];
				printf(j == 0 ? " %7.1f" : " %8.1f", bench_median(v, k));
			}
			printf("\n");
		}
	}
	for (c = 0; c < SW_N; c++)
		free(sw->mem[c]);
	free(sw);
}
