/*
 * Stress test: two threads pinned to different cores stream sequence
 * numbers at each other through one channel, in both directions at once,
 * over a small ring so it wraps and fills constantly.  Every message must
 * arrive exactly once and in order.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/channel.h>

#define STRESS_MSGS  (2u * 1000 * 1000)  /* per direction */
#define STRESS_SLOTS 64

struct side {
	struct chan ch;
	int cpu;
	bool batched;
	uint64_t received;
	uint64_t errors;      /* lost, duplicated, reordered or corrupted */
	uint64_t first_bad;   /* first unexpected sequence number, for the report */
};

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Fine if it fails (one CPU): the test is still correct, just slower. */
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void check(struct side *s, const struct chan_msg *m)
{
	uint64_t want = s->received;
	bool ok = m->hdr.type == CHAN_T_ONEWAY && m->hdr.tag == (uint32_t)want &&
		  m->w[0] == want && m->w[6] == ~want;

	if (!ok && s->errors++ == 0)
		s->first_bad = m->w[0];
	s->received++;
}

/* Interleaves sending and receiving so neither side can deadlock on a full
 * ring while the other is also sending. */
static void *side_run(void *arg)
{
	struct side *s = arg;
	struct chan_msg out[8], in;
	uint64_t sent = 0;
	unsigned i, n;

	pin(s->cpu);
	memset(out, 0, sizeof(out));
	while (sent < STRESS_MSGS || s->received < STRESS_MSGS) {
		n = 0;
		for (i = 0; i < (s->batched ? 8u : 1u) && sent + i < STRESS_MSGS; i++) {
			out[i].hdr.type = CHAN_T_ONEWAY;
			out[i].hdr.tag = (uint32_t)(sent + i);
			out[i].w[0] = sent + i;
			out[i].w[6] = ~(sent + i);
			n++;
		}
		sent += s->batched ? chan_try_send_batch(&s->ch, out, n)
				   : (n && chan_try_send(&s->ch, out) == 0);
		while (chan_try_recv(&s->ch, &in) == 0)
			check(s, &in);
	}
	return NULL;
}

static void run_pair(bool batched)
{
	size_t bytes = chan_mem_size(STRESS_SLOTS);
	void *mem = aligned_alloc(IPC_PAGE_SIZE, bytes);
	struct side a = { .cpu = 0, .batched = batched }, b = { .cpu = 1, .batched = batched };
	pthread_t ta, tb;

	assert_non_null(mem);
	assert_int_equal(chan_mem_init(mem, bytes), 0);
	assert_int_equal(chan_attach(&a.ch, mem, bytes, 0, CHAN_ACCEPT_ALL), 0);
	assert_int_equal(chan_attach(&b.ch, mem, bytes, 1, CHAN_ACCEPT_ALL), 0);
	assert_int_equal(pthread_create(&ta, NULL, side_run, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, side_run, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	if (a.errors || b.errors)
		fprintf(stderr, "first bad seq: a=%lu b=%lu\n", (unsigned long)a.first_bad,
			(unsigned long)b.first_bad);
	assert_int_equal(a.errors, 0);
	assert_int_equal(b.errors, 0);
	assert_int_equal(a.received, STRESS_MSGS);
	assert_int_equal(b.received, STRESS_MSGS);
	assert_int_equal(a.ch.rx.rejected + b.ch.rx.rejected, 0);
	free(mem);
}

static void test_stress_single(void **state)
{
	(void)state;
	run_pair(false);
}

static void test_stress_batched(void **state)
{
	(void)state;
	run_pair(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_single),
		cmocka_unit_test(test_stress_batched),
	};

	return cmocka_run_group_tests_name("ipc_stress", tests, NULL, NULL);
}
