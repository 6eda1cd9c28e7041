/*
 * Stress test: two threads pinned to different cores stream sequence
 * numbers at each other through one channel, in both directions at once,
 * over a small ring so it wraps and fills constantly.  Every message must
 * arrive exactly once and in order.  The receivers free slots lazily (up
 * to rx.lazy held), so this also checks that a held slot is never reused
 * early and that lazy freeing never stalls or loses anything, down to the
 * smallest rings (2 slots: lazy 1; 4 slots: lazy 2).
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
#define CHAN_STRESS_LAZY 8   /* lazy runs: hold up to 8 consumed slots */

struct side {
	struct chan ch;
	int cpu;
	bool batched;
	uint64_t msgs;        /* to send and to receive */
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
	while (sent < s->msgs || s->received < s->msgs) {
		n = 0;
		for (i = 0; i < (s->batched ? 8u : 1u) && sent + i < s->msgs; i++) {
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

static void run_pair(bool batched, bool lazy, uint32_t slots, uint64_t msgs)
{
	size_t bytes = (size_t)slots * 2 * CHAN_SLOT_SIZE;
	void *mem = aligned_alloc(IPC_PAGE_SIZE, chan_mem_size(slots));
	struct side a = { .cpu = 0, .batched = batched, .msgs = msgs },
		    b = { .cpu = 1, .batched = batched, .msgs = msgs };
	pthread_t ta, tb;

	assert_non_null(mem);
	assert_int_equal(chan_mem_init(mem, bytes), 0);
	assert_int_equal(chan_attach(&a.ch, mem, bytes, 0, CHAN_ACCEPT_ALL), 0);
	assert_int_equal(chan_attach(&b.ch, mem, bytes, 1, CHAN_ACCEPT_ALL), 0);
	if (lazy) {
		chan_set_rx_lazy(&a.ch, CHAN_STRESS_LAZY);
		chan_set_rx_lazy(&b.ch, CHAN_STRESS_LAZY);
		assert_true(a.ch.rx.lazy == (slots / 2 < CHAN_STRESS_LAZY ? slots / 2 : CHAN_STRESS_LAZY));
	}
	assert_int_equal(pthread_create(&ta, NULL, side_run, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, side_run, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	if (a.errors || b.errors)
		fprintf(stderr, "first bad seq: a=%lu b=%lu\n", (unsigned long)a.first_bad,
			(unsigned long)b.first_bad);
	assert_int_equal(a.errors, 0);
	assert_int_equal(b.errors, 0);
	assert_int_equal(a.received, msgs);
	assert_int_equal(b.received, msgs);
	assert_int_equal(a.ch.rx.rejected + b.ch.rx.rejected, 0);
	free(mem);
}

static void test_stress_single(void **state)
{
	(void)state;
	run_pair(false, false, STRESS_SLOTS, STRESS_MSGS);
}

static void test_stress_batched(void **state)
{
	(void)state;
	run_pair(true, false, STRESS_SLOTS, STRESS_MSGS);
}

static void test_stress_lazy(void **state)
{
	(void)state;
	run_pair(false, true, STRESS_SLOTS, STRESS_MSGS);
	run_pair(true, true, STRESS_SLOTS, STRESS_MSGS);
}

static void test_stress_tiny_rings(void **state)
{
	(void)state;
	run_pair(false, false, 2, STRESS_MSGS / 4);
	run_pair(true, true, 2, STRESS_MSGS / 4);
	run_pair(false, true, 4, STRESS_MSGS / 4);
	run_pair(true, true, 4, STRESS_MSGS / 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_single),
		cmocka_unit_test(test_stress_batched),
		cmocka_unit_test(test_stress_lazy),
		cmocka_unit_test(test_stress_tiny_rings),
	};

	return cmocka_run_group_tests_name("ipc_stress", tests, NULL, NULL);
}
