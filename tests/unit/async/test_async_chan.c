/*
 * Tests for async calls over channels: many outstanding calls completing
 * out of order, forged and stale reply tags, and a two-core client/server
 * run.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/async_chan.h>

#define NCALLERS 64

struct fixture {
	void *mem;
	struct chan client_ch;   /* side 0: sends requests, receives replies */
	struct chan server_ch;   /* side 1 */
	struct achan client;
	struct achan_call calls[16];
	struct async_rt rt;
};

static struct fixture *fixture_new(uint32_t slots)
{
	struct fixture *f = calloc(1, sizeof(*f));
	size_t bytes = chan_mem_size(slots);

	assert_non_null(f);
	f->mem = aligned_alloc(IPC_PAGE_SIZE, bytes);
	assert_non_null(f->mem);
	/* chan_mem_size rounds up to a page: use exactly 2 * slots lines. */
	bytes = (size_t)slots * 2 * CHAN_SLOT_SIZE;
	assert_int_equal(chan_mem_init(f->mem, bytes), 0);
	assert_int_equal(chan_attach(&f->client_ch, f->mem, bytes, 0, CHAN_ACCEPT(CHAN_T_REPLY)), 0);
	assert_int_equal(chan_attach(&f->server_ch, f->mem, bytes, 1,
				     CHAN_ACCEPT(CHAN_T_REQUEST) | CHAN_ACCEPT(CHAN_T_ONEWAY)), 0);
	assert_int_equal(achan_init(&f->client, &f->client_ch, f->calls, 16), 0);
	assert_int_equal(async_rt_init(&f->rt, ASYNC_DEFAULT_STACK, 256), 0);
	async_set_idle(&f->rt, achan_idle, &f->client);
	return f;
}

static void fixture_free(struct fixture *f)
{
	async_rt_fini(&f->rt);
	free(f->mem);
	free(f);
}

/* Async threads record what they saw; the test body asserts on main's
 * stack (a cmocka failure longjmps, which must not cross stacks). */
struct caller {
	struct achan *ac;
	uint64_t id;
	uint64_t result;
	bool done;
	bool bad;
};

static void caller_run(void *arg)
{
	struct caller *c = arg;
	struct chan_msg req, reply;

	memset(&req, 0, sizeof(req));
	req.w[0] = c->id;
	c->bad = achan_call(c->ac, &req, &reply) != 0 || reply.hdr.type != CHAN_T_REPLY ||
		 reply.hdr.tag != req.hdr.tag;
	c->result = reply.w[0];
	c->done = true;
}

static void reply_to(struct fixture *f, const struct chan_msg *req)
{
	struct chan_msg r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = CHAN_T_REPLY;
	r.hdr.tag = req->hdr.tag;
	r.w[0] = req->w[0] * 10 + 1;
	while (chan_try_send(&f->server_ch, &r) != 0) {
		achan_poll(&f->client);
		async_yield();
	}
}

/* 64 callers, 16 call slots, an 8-slot ring: callers wait for call slots
 * and ring space, and the "server" (main) answers in a scrambled order. */
static void test_out_of_order_completion(void **state)
{
	struct fixture *f = fixture_new(8);
	struct caller c[NCALLERS];
	struct chan_msg pending[NCALLERS], req;
	unsigned npending = 0, answered = 0, i;

	(void)state;
	srand(7);
	DO_FINISH(
		for (i = 0; i < NCALLERS; i++) {
			c[i] = (struct caller){ .ac = &f->client, .id = i };
			assert_int_equal(ASYNC(caller_run, &c[i]), 0);
		}
		while (answered < NCALLERS) {
			while (chan_try_recv(&f->server_ch, &req) == 0)
				pending[npending++] = req;
			/* Answer a random outstanding request, never the oldest
			 * first unless it is the only one. */
			if (npending > 0) {
				unsigned k = npending > 1 ? 1 + (unsigned)rand() % (npending - 1) : 0;

				reply_to(f, &pending[k]);
				pending[k] = pending[--npending];
				answered++;
			}
			async_yield();
		}
	);
	for (i = 0; i < NCALLERS; i++) {
		assert_true(c[i].done);
		assert_false(c[i].bad);
		assert_int_equal(c[i].result, c[i].id * 10 + 1);
	}
	assert_int_equal(f->client.rejected, 0);
	fixture_free(f);
}

static void inject_reply(struct fixture *f, uint32_t tag)
{
	struct chan_msg r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = CHAN_T_REPLY;
	r.hdr.tag = tag;
	r.w[0] = 666;
	chan_send(&f->server_ch, &r);
}

/* Replies with tags that name no outstanding call are dropped. */
static void test_forged_and_stale_tags_rejected(void **state)
{
	struct fixture *f = fixture_new(16);
	struct caller c = { .ac = &f->client, .id = 5 };
	struct chan_msg req, stale;

	(void)state;
	DO_FINISH(
		ASYNC(caller_run, &c);          /* uses call slot 0, generation 1 */
		assert_int_equal(chan_try_recv(&f->server_ch, &req), 0);
		assert_int_equal(req.hdr.tag, 1u << 16 | 0);
		inject_reply(f, 1u << 16 | 9);     /* slot 9: not outstanding */
		inject_reply(f, 2u << 16 | 0);     /* slot 0, wrong generation */
		inject_reply(f, 1u << 16 | 0xfff0); /* index beyond the table */
		inject_reply(f, 0);                /* generation 0 never valid */
		achan_poll(&f->client);
		assert_false(c.done);
		assert_int_equal(f->client.rejected, 4);
		reply_to(f, &req);
	);
	assert_true(c.done);
	assert_false(c.bad);
	assert_int_equal(c.result, 51);
	stale = req;                            /* the same reply again, late */
	reply_to(f, &stale);
	achan_poll(&f->client);
	assert_int_equal(f->client.rejected, 5);
	/* Garbage bytes in the reply ring are dropped by the channel layer. */
	memset(chan_slot(&f->client_ch.rx), 0xa5, CHAN_SLOT_SIZE);
	achan_poll(&f->client);
	assert_int_equal(f->client_ch.rx.rejected, 1);
	fixture_free(f);
}

/* achan_poll (the idle hook) must leave a request at the head of the ring
 * for the dispatch loop's achan_recv_request. */
static void test_requests_left_for_dispatch(void **state)
{
	struct fixture *f = fixture_new(16);
	struct chan_msg m, got;
	struct achan server;
	struct achan_call scalls[1];

	(void)state;
	assert_int_equal(achan_init(&server, &f->server_ch, scalls, 1), 0);
	memset(&m, 0, sizeof(m));
	m.hdr.type = CHAN_T_REQUEST;
	m.hdr.tag = 77;
	m.w[3] = 3;
	chan_send(&f->client_ch, &m);
	assert_int_equal(achan_poll(&server), 0);       /* not a reply: stays */
	assert_int_equal(f->server_ch.rx.pos, 0);
	assert_int_equal(achan_recv_request(&server, &got), 0);
	assert_int_equal(got.hdr.tag, 77);
	assert_int_equal(got.w[3], 3);
	assert_int_equal(achan_recv_request(&server, &got), IPC_EAGAIN);
	fixture_free(f);
}

/* --- two cores ------------------------------------------------------------ */

#define XCORE_CALLERS 16
#define XCORE_CALLS   20000  /* per caller */

struct xcore {
	struct fixture *f;
	uint64_t bad;
	bool stop;
};

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *server_run(void *arg)
{
	struct xcore *x = arg;
	struct chan_msg req, r;

	pin(1);
	memset(&r, 0, sizeof(r));
	while (!__atomic_load_n(&x->stop, __ATOMIC_RELAXED)) {
		if (chan_try_recv(&x->f->server_ch, &req) != 0) {
			ipc_cpu_relax();
			continue;
		}
		r.hdr.type = CHAN_T_REPLY;
		r.hdr.tag = req.hdr.tag;
		r.w[0] = req.w[0] + 1;
		r.w[6] = req.w[6];
		chan_send(&x->f->server_ch, &r);
	}
	return NULL;
}

struct xcaller {
	struct achan *ac;
	uint64_t id;
	uint64_t bad;
};

static void xcaller_run(void *arg)
{
	struct xcaller *c = arg;
	struct chan_msg req, reply;
	uint64_t i;

	memset(&req, 0, sizeof(req));
	for (i = 0; i < XCORE_CALLS; i++) {
		req.w[0] = i;
		req.w[6] = c->id;
		achan_call(c->ac, &req, &reply);
		c->bad += reply.w[0] != i + 1 || reply.w[6] != c->id;
	}
}

static void test_two_cores_many_outstanding(void **state)
{
	struct fixture *f = fixture_new(64);
	struct xcore x = { .f = f };
	struct xcaller c[XCORE_CALLERS];
	pthread_t server;
	unsigned i;

	(void)state;
	pin(0);
	assert_int_equal(pthread_create(&server, NULL, server_run, &x), 0);
	DO_FINISH(
		for (i = 0; i < XCORE_CALLERS; i++) {
			c[i] = (struct xcaller){ .ac = &f->client, .id = i };
			ASYNC(xcaller_run, &c[i]);
		}
	);
	__atomic_store_n(&x.stop, true, __ATOMIC_RELAXED);
	pthread_join(server, NULL);
	for (i = 0; i < XCORE_CALLERS; i++)
		assert_int_equal(c[i].bad, 0);
	assert_int_equal(f->client.rejected, 0);
	assert_int_equal(f->client_ch.tx.pos, (uint64_t)XCORE_CALLERS * XCORE_CALLS);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_order_completion),
		cmocka_unit_test(test_forged_and_stale_tags_rejected),
		cmocka_unit_test(test_requests_left_for_dispatch),
		cmocka_unit_test(test_two_cores_many_outstanding),
	};

	return cmocka_run_group_tests_name("async_chan", tests, NULL, NULL);
}
