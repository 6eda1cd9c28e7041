/*
 * Cross-core benchmarks: (a) round trips through the kernel's pipe, eventfd
 * and futex; (b) one-way throughput of Concurrency Kit's ck_ring, and
 * calls/s with N outstanding async requests.  The channel itself, the
 * floor and the plain ring run side by side in bench_turns.c.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <ck_ring.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <lxds/async_chan.h>
#include <lxds/channel.h>

#define RTT_ITERS      200000
#define SYSCALL_ITERS  20000
#define STREAM_MSGS    (20u * 1000 * 1000)
#define ASYNC_CALLS    (2u * 1000 * 1000)

/* --- (a) round trips ------------------------------------------------------ */

struct rtt {
	int iters;
	double samples[BENCH_REPEATS];
	int p1[2], p2[2];        /* pipe: a->b, b->a */
	int e1, e2;              /* eventfd: a->b, b->a */
};

/* The floor: one cache line bounced between the two cores. */
static struct {
	volatile uint64_t v;
	char pad[56];   /* alone in its line: nothing else may bounce with it */
} floor_line __attribute__((aligned(64)));

static double floor_a_once(int iters)
{
	static uint64_t seq;
	uint64_t t0 = bench_tsc();
	int i;

	for (i = 0; i < iters; i++) {
		floor_line.v = ++seq;
		while (floor_line.v != seq + 1)
			ipc_cpu_relax();
		seq++;
	}
	return (double)(bench_tscp() - t0) / iters;
}

static void floor_b_once(int iters)
{
	static uint64_t seq = 1;
	int i;

	for (i = 0; i < iters; i++, seq += 2) {
		while (floor_line.v != seq)
			ipc_cpu_relax();
		floor_line.v = seq + 1;
	}
}

/* Floor alone, for the end-of-run drift check. */
static void floor_a(void *arg)
{
	struct rtt *r = arg;
	int rep;

	for (rep = 0; rep < BENCH_REPEATS; rep++)
		r->samples[rep] = floor_a_once(r->iters);
}

static void floor_b(void *arg)
{
	struct rtt *r = arg;

	floor_b_once(r->iters * BENCH_REPEATS);
}

/* write/read of one small token through a pair of file descriptors */
static void fd_rtt_a(struct rtt *r, int out, int in, size_t len)
{
	uint64_t tok = 1;
	int rep, i;

	for (rep = 0; rep < BENCH_REPEATS; rep++) {
		uint64_t t0 = bench_tsc();

		for (i = 0; i < r->iters; i++)
			if (write(out, &tok, len) != (ssize_t)len || read(in, &tok, len) != (ssize_t)len)
				abort();
		r->samples[rep] = (double)(bench_tscp() - t0) / r->iters;
	}
}

static void fd_rtt_b(struct rtt *r, int out, int in, size_t len)
{
	uint64_t tok = 1;
	int n = r->iters * BENCH_REPEATS, i;

	for (i = 0; i < n; i++)
		if (read(in, &tok, len) != (ssize_t)len || write(out, &tok, len) != (ssize_t)len)
			abort();
}

static void pipe_a(void *arg) { struct rtt *r = arg; fd_rtt_a(r, r->p1[1], r->p2[0], 1); }
static void pipe_b(void *arg) { struct rtt *r = arg; fd_rtt_b(r, r->p2[1], r->p1[0], 1); }
static void efd_a(void *arg) { struct rtt *r = arg; fd_rtt_a(r, r->e1, r->e2, 8); }
static void efd_b(void *arg) { struct rtt *r = arg; fd_rtt_b(r, r->e2, r->e1, 8); }

/* futex: 1 = "b's turn", 0 = "a's turn"; each side sleeps until its turn. */
static int futex_word;

static void futex_wait(int *w, int val)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(int *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void futex_a(void *arg)
{
	struct rtt *r = arg;
	int rep, i;

	for (rep = 0; rep < BENCH_REPEATS; rep++) {
		uint64_t t0 = bench_tsc();

		for (i = 0; i < r->iters; i++) {
			__atomic_store_n(&futex_word, 1, __ATOMIC_RELEASE);
			futex_wake(&futex_word);
			while (__atomic_load_n(&futex_word, __ATOMIC_ACQUIRE) == 1)
				futex_wait(&futex_word, 1);
		}
		r->samples[rep] = (double)(bench_tscp() - t0) / r->iters;
	}
}

static void futex_b(void *arg)
{
	struct rtt *r = arg;
	int n = r->iters * BENCH_REPEATS, i;

	for (i = 0; i < n; i++) {
		while (__atomic_load_n(&futex_word, __ATOMIC_ACQUIRE) == 0)
			futex_wait(&futex_word, 0);
		__atomic_store_n(&futex_word, 0, __ATOMIC_RELEASE);
		futex_wake(&futex_word);
	}
}

static void chan_pair_init(struct chan *a, struct chan *b, void **mem, uint32_t slots)
{
	size_t bytes = (size_t)slots * 2 * CHAN_SLOT_SIZE;

	*mem = aligned_alloc(IPC_PAGE_SIZE, chan_mem_size(slots));
	if (!*mem || chan_mem_init(*mem, bytes) || chan_attach(a, *mem, bytes, 0, CHAN_ACCEPT_ALL) ||
	    chan_attach(b, *mem, bytes, 1, CHAN_ACCEPT_ALL))
		abort();
}

static double rtt_run(void (*a)(void *), void (*b)(void *), int iters)
{
	static struct rtt r;

	r.iters = iters;
	bench_pair(a, b, &r);
	return bench_median(r.samples, BENCH_REPEATS);
}

static void bench_rtt(void)
{
	struct rtt *rr;

	/* The floor, the channel and an async call are measured side by side
	 * in bench_turns.c (permuted order, per-regime medians): a fixed order
	 * here favoured whatever ran right after the floor (issue 17). */
	printf("(a) round trip through the kernel, two threads on CPUs 0 and 1\n");
	rr = calloc(1, sizeof(*rr));
	if (pipe(rr->p1) || pipe(rr->p2))
		abort();
	rr->iters = SYSCALL_ITERS;
	bench_pair(pipe_a, pipe_b, rr);
	bench_record("round trip", "Linux pipe", bench_median(rr->samples, BENCH_REPEATS), 0, "");
	rr->e1 = eventfd(0, 0);
	rr->e2 = eventfd(0, 0);
	bench_pair(efd_a, efd_b, rr);
	bench_record("round trip", "Linux eventfd", bench_median(rr->samples, BENCH_REPEATS), 0, "");
	bench_pair(futex_a, futex_b, rr);
	bench_record("round trip", "Linux futex", bench_median(rr->samples, BENCH_REPEATS), 0, "");
	close(rr->p1[0]); close(rr->p1[1]); close(rr->p2[0]); close(rr->p2[1]);
	close(rr->e1); close(rr->e2);
	free(rr);
}

/* --- (b) throughput ---------------------------------------------------------- */

struct stream {
	struct chan a, b;
	void *mem;
	unsigned batch;
	uint64_t cycles;           /* receiver: first start to last message */
	uint64_t bad;
	struct ck_ring ring;
	struct ck_ring_buffer *ck_buf;
};

static void ck_send(void *arg)
{
	struct stream *s = arg;
	uintptr_t i;

	for (i = 1; i <= STREAM_MSGS; i++)
		while (!ck_ring_enqueue_spsc(&s->ring, s->ck_buf, (void *)i))
			ipc_cpu_relax();
}

static void ck_recv(void *arg)
{
	struct stream *s = arg;
	uint64_t i, bad = 0, t0 = bench_tsc();
	void *p;

	for (i = 1; i <= STREAM_MSGS; i++) {
		while (!ck_ring_dequeue_spsc(&s->ring, s->ck_buf, &p))
			ipc_cpu_relax();
		bad += (uintptr_t)p != i;
	}
	s->cycles = bench_tscp() - t0;
	s->bad = bad;
}

static double mops(uint64_t n, double cycles)
{
	return n / (cycles / bench_tsc_ghz) * 1e3;
}

/* Best-of-3 rate: a throughput run is long, and an interruption only ever
 * slows it down. */
static double stream_run(void (*tx)(void *), void (*rx)(void *), struct stream *s)
{
	double best = 0, v;
	int rep;

	for (rep = 0; rep < 3; rep++) {
		bench_pair(tx, rx, s);
		if (s->bad)
			abort();
		v = mops(STREAM_MSGS, (double)s->cycles);
		if (v > best)
			best = v;
	}
	return best;
}

static void bench_stream_ck(unsigned size)
{
	struct stream *s = calloc(1, sizeof(*s));
	char name[64];

	s->ck_buf = aligned_alloc(64, size * sizeof(*s->ck_buf));
	ck_ring_init(&s->ring, size);
	snprintf(name, sizeof(name), "ck_ring spsc, %u pointers", size);
	bench_record("one-way", name, 0, stream_run(ck_send, ck_recv, s), "(paper machine: 215 M/s)");
	free(s->ck_buf);
	free(s);
}

/* calls/s with N async threads each calling through one channel */
struct acalls {
	struct chan client_ch, server_ch;
	void *mem;
	struct achan ac;
	struct achan_call calls[64];
	unsigned nthreads;
	uint64_t cycles;
	int stop;
};

static void acall_thread(void *arg)
{
	struct acalls *x = arg;
	struct chan_msg req, reply;
	uint64_t i, n = ASYNC_CALLS / x->nthreads;

	memset(&req, 0, sizeof(req));
	for (i = 0; i < n; i++) {
		req.w[0] = i;
		achan_call(&x->ac, &req, &reply);
	}
}

static void acall_client(void *arg)
{
	struct acalls *x = arg;
	struct async_rt rt;
	uint64_t t0;
	unsigned i;

	async_rt_init(&rt, ASYNC_DEFAULT_STACK, 256);
	async_set_idle(&rt, achan_idle, &x->ac);
	t0 = bench_tsc();
	DO_FINISH(
		for (i = 0; i < x->nthreads; i++)
			ASYNC(acall_thread, x);
	);
	x->cycles = bench_tscp() - t0;
	async_rt_fini(&rt);
	__atomic_store_n(&x->stop, 1, __ATOMIC_RELAXED);
}

static void acall_server(void *arg)
{
	struct acalls *x = arg;
	struct chan_msg m;

	while (!__atomic_load_n(&x->stop, __ATOMIC_RELAXED)) {
		if (chan_try_recv(&x->server_ch, &m) != 0) {
			ipc_cpu_relax();
			continue;
		}
		m.hdr.type = CHAN_T_REPLY;
		chan_send(&x->server_ch, &m);
	}
}

static void bench_async_calls(unsigned nthreads)
{
	struct acalls *x = calloc(1, sizeof(*x));
	char name[64];

	chan_pair_init(&x->client_ch, &x->server_ch, &x->mem, 64);
	x->client_ch.rx.accept = CHAN_ACCEPT(CHAN_T_REPLY);
	achan_init(&x->ac, &x->client_ch, x->calls, 64);
	x->nthreads = nthreads;
	bench_pair(acall_client, acall_server, x);
	snprintf(name, sizeof(name), "async calls, %u outstanding", nthreads);
	bench_record("async calls", name, (double)x->cycles / ASYNC_CALLS,
		     mops(ASYNC_CALLS, (double)x->cycles), "");
	free(x->mem);
	free(x);
}

/* Cross-core latency drifts with where the host puts the vCPUs: measure
 * the floor again at the end so drift during the run shows. */
void bench_ipc_floor_again(void)
{
	bench_record("round trip", "floor again (end of run)",
		     rtt_run(floor_a, floor_b, RTT_ITERS), 0, "");
}

void bench_ipc_run(const char *only)
{
	if (bench_want(only, "rtt"))
		bench_rtt();
	if (bench_want(only, "stream")) {
		/* The lxds channel and the plain ring: bench_turns.c. */
		printf("(b) one-way throughput, ck_ring (pointers, shared indices)\n");
		bench_stream_ck(1024);
	}
	if (bench_want(only, "calls")) {
		printf("(b) request/reply throughput with N outstanding async calls\n");
		bench_async_calls(1);
		bench_async_calls(4);
		bench_async_calls(16);
		bench_async_calls(64);
	}
}
