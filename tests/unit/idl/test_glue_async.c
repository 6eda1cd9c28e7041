/*
 * tmod.idl's generated code with the domain side on the async runtime
 * (lxd-sdk/glue/glue_async.c, the LXD's backend) and the Linux side on host
 * threads: one OS thread plays the domain's core; every request runs in its
 * own async thread there, and the domain's calls into Linux park only that
 * thread.  Nested calls, many concurrent callers, callbacks both ways,
 * multi-slot messages, one-way messages, the pool, hostile input, a dead peer.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <lxds/glue_async.h>
#include <lxds/glue_host.h>

#include "tmod_test.h"

#define POOL_SIZE  (64 * 1024)
#define RING_SLOTS 64

static struct glue_ctx linux_ctx, domain_ctx;
static struct chan linux_ch, domain_ch;
static void *chan_mem;
static uint8_t *pool;                 /* one mapping is enough here */
static struct async_rt domain_rt;
static pthread_t domain_cpu;

/* Nothing on the ring: spin a little, then let the host's other threads run. */
static void domain_relax(void)
{
	static __thread unsigned idle;
	struct timespec ts = { 0, 20000 };

	if (++idle % 64 == 0)
		nanosleep(&ts, NULL);
	else
		ipc_cpu_relax();
}

/* The idle hook, and the most inline runs one call of it made. */
static uint64_t idle_most_inline;

static void domain_idle(void *arg)
{
	uint64_t before = glue_async_framed_inline(&domain_ctx), ran;

	glue_async_idle(arg);
	ran = glue_async_framed_inline(&domain_ctx) - before;
	if (ran > idle_most_inline)
		idle_most_inline = ran;
}

static void *domain_cpu_main(void *arg)
{
	(void)arg;
	if (async_rt_init(&domain_rt, ASYNC_DEFAULT_STACK, 512) != 0)
		return (void *)1;
	async_set_idle(&domain_rt, domain_idle, &domain_ctx);
	glue_async_serve(&domain_ctx);   /* until glue_async_stop */
	async_rt_fini(&domain_rt);       /* every request thread has finished */
	return NULL;
}

static int group_setup(void **state)
{
	size_t bytes = chan_mem_size(RING_SLOTS);

	(void)state;
	chan_mem = aligned_alloc(4096, bytes);
	pool = aligned_alloc(4096, POOL_SIZE);
	if (!chan_mem || !pool || chan_mem_init(chan_mem, bytes) != 0)
		return -1;
	if (chan_attach(&linux_ch, chan_mem, bytes, 0, CHAN_ACCEPT_ALL) != 0 ||
	    chan_attach(&domain_ch, chan_mem, bytes, 1, CHAN_ACCEPT_ALL) != 0)
		return -1;
	glue_ctx_init(&linux_ctx, "linux", tmod_linux_dispatch);
	glue_ctx_init(&domain_ctx, "domain", tmod_domain_dispatch);
	glue_pool_set(&linux_ctx, tmod_POOL_tpool, pool, POOL_SIZE);
	glue_pool_set(&domain_ctx, tmod_POOL_tpool, pool, POOL_SIZE);
	tmod_linux_ctx = &linux_ctx;
	tmod_domain_ctx = &domain_ctx;
	if (glue_host_start(&linux_ctx, &linux_ch, 4) != 0 ||
	    glue_async_start(&domain_ctx, &domain_ch, domain_relax) != 0)
		return -1;
	return pthread_create(&domain_cpu, NULL, domain_cpu_main, NULL) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	void *r;

	(void)state;
	glue_async_stop(&domain_ctx);
	pthread_join(domain_cpu, &r);
	glue_async_free(&domain_ctx);
	glue_host_stop(&linux_ctx);
	tmod_linux_release(&linux_ctx);
	tmod_domain_release(&domain_ctx);
	free(pool);
	free(chan_mem);
	return r == NULL ? 0 : -1;
}

static int raw_call(uint16_t rpc, const uint64_t *w, unsigned n)
{
	static union glue_msg_full req, reply;

	glue_msg_init(&req.m, GLUE_MAX_WORDS);
	glue_msg_init(&reply.m, GLUE_MAX_WORDS);
	glue_wr_init(&(struct glue_wr){ 0 }, &req.m, rpc, CHAN_T_REQUEST);
	req.m.nwords = n;
	memcpy(req.m.w, w, n * sizeof(uint64_t));
	return glue_call(&linux_ctx, &req.m, &reply.m);
}

static void test_async_init_nested(void **state)
{
	(void)state;
	assert_int_equal(drv_init(), 0);
	assert_non_null(tkernel.registered);
	assert_true(tkernel.setup_seen_in_alloc);
	assert_ptr_equal(tdriver.dev, tdriver.setup_dev);
	assert_int_equal(tdriver.opened, 1);
	assert_int_equal(tkernel.carrier_on, 1);
	assert_true(tdriver.dev->up);
	assert_string_equal(tkernel.registered->kind, "tkind");
}

static void test_async_domain_calls_linux(void **state)
{
	(void)state;
	assert_int_equal(drv_selftest(), 0);
	assert_string_equal(tkernel.last_log, "from the domain");
}

static void test_async_xmit_oneway_pool(void **state)
{
	struct tdev *kdev = tkernel.registered;
	uint64_t expect = 0;
	int i, j, before = tkernel.consumed;

	(void)state;
	for (i = 0; i < 40; i++) {
		struct tbuf *b = calloc(1, sizeof(*b));

		b->len = 64 + (unsigned)i;
		b->data = pool + (size_t)i * 256;
		b->proto = 0x0800;
		for (j = 0; j < (int)b->len; j++) {
			b->data[j] = (uint8_t)(3 * i + j);
			expect += (uint8_t)(3 * i + j);
		}
		assert_int_equal(kdev->ops->xmit(b, kdev), 0);
	}
	for (i = 0; i < 20000 && __atomic_load_n(&tkernel.consumed, __ATOMIC_ACQUIRE) < before + 40; i++)
		usleep(100);
	assert_int_equal(tkernel.consumed, before + 40);
	assert_true(tdriver.xmit_sum == expect);
}

static void test_async_callbacks_both_ways(void **state)
{
	struct tdev *kdev = tkernel.registered;
	struct tstats st = { 0 };
	char buf[32];
	long long pos = 0;

	(void)state;
	assert_int_equal(drv_register_cb(linux_notify), 0);
	assert_int_equal(drv_fire(8), 16);
	assert_string_equal(tkernel.last_what, "fired");
	kdev->ops->get_stats(kdev, &st);
	assert_int_equal(st.packets, 40);
	assert_int_equal(kdev->ops->read(kdev, buf, sizeof(buf), &pos), 22);
	assert_memory_equal(buf, "hello from the domain\n", 22);
}

static void test_async_oneway_kicks(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		drv_kick(3);
	for (i = 0; i < 20000 && __atomic_load_n(&tdriver.kicks, __ATOMIC_ACQUIRE) < 300; i++)
		usleep(100);
	assert_int_equal(tdriver.kicks, 300);
}

/* On the domain's core (drv_kick's hook, an async thread): n tnote slots
 * framed in place and sent with glue_async_send_framed, three rings' worth,
 * so most sends find the ring full and wait for Linux to drain it; then a
 * slot that is not one-way, which it must refuse. */
static int framed_errors, framed_einval;

static void framed_burst(uint32_t n)
{
	struct chan_msg slot;
	uint32_t i;

	for (i = 0; i < n; i++) {
		glue_frame_oneway1(&slot, tmod_RPC_tnote, tmod_W_tnote_NWORDS);
		slot.w[1 + tmod_W_tnote_v] = i;
		if (glue_async_send_framed(&domain_ctx, &slot) != 0)
			framed_errors++;
	}
	slot.hdr.type = CHAN_T_REQUEST;
	framed_einval = glue_async_send_framed(&domain_ctx, &slot);
}

static void test_async_send_framed_fills_the_ring(void **state)
{
	const uint32_t n = 3 * RING_SLOTS;
	uint64_t kicks = tdriver.kicks;
	int i;

	(void)state;
	tdriver.kick_hook = framed_burst;
	drv_kick(n);
	for (i = 0; i < 20000 && (__atomic_load_n(&tdriver.kicks, __ATOMIC_ACQUIRE) < kicks + n ||
				  __atomic_load_n(&tkernel.notes, __ATOMIC_ACQUIRE) < n); i++)
		usleep(100);
	tdriver.kick_hook = NULL;
	assert_int_equal(framed_errors, 0);
	assert_int_equal(framed_einval, GLUE_EINVAL);
	assert_int_equal(tkernel.notes, n);
	assert_int_equal(tkernel.notes_sum, (uint64_t)n * (n - 1) / 2);   /* every word intact */
	assert_int_equal(drv_ping(7), 8);          /* the channel still works both ways */
}

/* drv_kick taken framed (glue_async_set_framed_oneway): the stub's one slot
 * goes straight into a job, whose thread gives the words to framed_kick
 * instead of the generated reader; framed_kick may block (its hook calls
 * Linux); a word it would refuse, or a slot of another shape, goes to the
 * generated reader, which refuses it. */
static uint64_t framed_kicks, framed_linux_bad;

static bool framed_kick(const uint64_t *w)
{
	uint64_t v = w[tmod_W_drv_kick_v];

	if (v >> 32)
		return false;
	framed_kicks++;
	domain_drv_kick((uint32_t)v);
	return true;
}

static void framed_install(uint32_t on)   /* a kick_hook: on the domain's core */
{
	assert_int_equal(glue_async_set_framed_oneway(&domain_ctx, tmod_RPC_drv_kick,
						      tmod_W_drv_kick_NWORDS,
						      on ? framed_kick : NULL), 0);
}

static void framed_calls_linux(uint32_t v)  /* blocks this job's thread only */
{
	if (tlinux_add(v) != v + 1000)
		framed_linux_bad++;
}

static void kicks_reach(uint64_t n)
{
	int i;

	for (i = 0; i < 20000 && __atomic_load_n(&tdriver.kicks, __ATOMIC_ACQUIRE) < n; i++)
		usleep(100);
	assert_int_equal(__atomic_load_n(&tdriver.kicks, __ATOMIC_ACQUIRE), n);
}

static void test_async_framed_oneway_taken_straight(void **state)
{
	struct chan_msg slot;
	uint64_t kicks = tdriver.kicks, rej, taken;
	int i;

	(void)state;
	assert_int_equal(glue_async_set_framed_oneway(&domain_ctx, tmod_RPC_drv_kick, 0, framed_kick),
			 GLUE_EINVAL);
	assert_int_equal(glue_async_set_framed_oneway(&domain_ctx, tmod_RPC_drv_kick,
						      GLUE_SLOT_WORDS + 1, framed_kick), GLUE_EINVAL);
	tdriver.kick_hook = framed_install;
	drv_kick(1);
	kicks_reach(kicks += 1);
	taken = glue_async_framed(&domain_ctx);
	/* 20 whose reader calls Linux (fewer than GLUE_ASYNC_JOBS: a job
	 * blocked on a call needs its reply read, and a new request at the
	 * ring's head waits for a free job; docs/idl.md "Limits"), then 30
	 * that do not block */
	tdriver.kick_hook = framed_calls_linux;
	for (i = 0; i < 20; i++)
		drv_kick(2);
	kicks_reach(kicks += 40);
	tdriver.kick_hook = NULL;
	for (i = 0; i < 30; i++)
		drv_kick(2);
	kicks_reach(kicks += 60);
	assert_int_equal(framed_kicks, 50);
	assert_int_equal(glue_async_framed(&domain_ctx), taken + 50);
	assert_int_equal(framed_linux_bad, 0);
	tdriver.kick_hook = NULL;

	/* a word out of range, then a slot with a word too many: the
	 * generated reader refuses both, nothing is kicked */
	rej = domain_ctx.rejected;
	glue_frame_oneway1(&slot, tmod_RPC_drv_kick, tmod_W_drv_kick_NWORDS);
	slot.w[1 + tmod_W_drv_kick_v] = 1ull << 40 | 5;
	glue_host_send_raw(&linux_ctx, &slot, 1);
	glue_frame_oneway1(&slot, tmod_RPC_drv_kick, tmod_W_drv_kick_NWORDS + 1);
	slot.w[1 + tmod_W_drv_kick_v] = 5;
	glue_host_send_raw(&linux_ctx, &slot, 1);
	assert_int_equal(drv_ping(1), 2);         /* both handled before this reply */
	assert_int_equal(tdriver.kicks, kicks);
	assert_int_equal(framed_kicks, 50);
	assert_int_equal(domain_ctx.rejected, rej + 2);

	/* off again: the generated reader takes drv_kick */
	tdriver.kick_hook = framed_install;
	drv_kick(0);                              /* taken framed: the 51st */
	assert_int_equal(drv_ping(1), 2);         /* the kick (it does not block) ran first */
	tdriver.kick_hook = NULL;
	drv_kick(3);
	kicks_reach(kicks += 3);
	assert_int_equal(framed_kicks, 51);
	assert_int_equal(glue_async_framed(&domain_ctx), taken + 51);
}

/* The same rpc served inline (glue_async_set_framed_inline): a kick that
 * arrives while the domain idles runs in the idle hook's own poll, with no
 * job or thread.  A burst of framed sends three rings long waits for room
 * there by spinning (kicks found by a poll inside that wait go to jobs); a
 * call into Linux is refused (GLUE_EDEADLK: nothing can wait for the reply
 * there) and the domain goes on.  Words the reader refuses still reach the
 * generated reader (in a job), which refuses them. */
static uint64_t inline_seen, inline_sends_bad, inline_calls_bad;

static bool inline_kick(const uint64_t *w)
{
	if (!framed_kick(w))
		return false;
	if (async_in_idle())
		inline_seen++;
	return true;
}

static void inline_install(uint32_t on)   /* a kick_hook: on the domain's core */
{
	assert_int_equal(glue_async_set_framed_oneway(&domain_ctx, tmod_RPC_drv_kick,
						      tmod_W_drv_kick_NWORDS,
						      on ? inline_kick : NULL), 0);
	assert_int_equal(glue_async_set_framed_inline(&domain_ctx, on), 0);
}

static void inline_mixed(uint32_t v)
{
	if (v == 1) {
		uint64_t rej = domain_ctx.rejected;

		/* the generated stub returns 0 when its call failed */
		if (tlinux_add(v) != 0 || domain_ctx.rejected != rej + 1)
			inline_calls_bad++;
	} else if (v == 2) {
		framed_burst(3 * RING_SLOTS);
		if (framed_errors)
			inline_sends_bad++;
	}
}

static void test_async_framed_inline_in_the_idle_hook(void **state)
{
	struct chan_msg slot;
	uint64_t kicks, rej, took, inl, notes;
	int i;

	(void)state;
	assert_int_equal(glue_async_set_framed_inline(&domain_ctx, true), GLUE_EINVAL); /* no reader */
	kicks = tdriver.kicks;
	tdriver.kick_hook = inline_install;
	drv_kick(1);
	kicks_reach(kicks += 1);
	took = glue_async_framed(&domain_ctx);
	inl = glue_async_framed_inline(&domain_ctx);
	framed_kicks = 0;
	framed_linux_bad = 0;

	/* one at a time, the domain idle before each: every one inline */
	tdriver.kick_hook = NULL;
	for (i = 0; i < 10; i++) {
		drv_kick(3);
		kicks_reach(kicks += 3);
	}
	assert_int_equal(glue_async_framed_inline(&domain_ctx), inl + 10);
	assert_int_equal(inline_seen, 10);

	/* 200 back to back: the hook takes at most 32 slots a call (its other
	 * work runs between), and serves them all */
	for (i = 0; i < 200; i++)
		drv_kick(3);
	kicks_reach(kicks += 600);
	assert_true(idle_most_inline >= 1);
	assert_true(idle_most_inline <= 32);

	/* calls into Linux from the hook: refused, the domain goes on */
	tdriver.kick_hook = inline_mixed;
	drv_kick(1);
	kicks_reach(kicks += 1);
	assert_int_equal(inline_calls_bad, 0);
	assert_int_equal(drv_ping(5), 6);
	assert_int_equal(drv_echo(5), 1006);      /* the same call from a thread works */

	/* sends that fill the ring towards Linux, from the hook */
	notes = tkernel.notes;
	drv_kick(2);
	kicks_reach(kicks += 2);
	for (i = 0; i < 20000 && __atomic_load_n(&tkernel.notes, __ATOMIC_ACQUIRE) < notes + 3 * RING_SLOTS; i++)
		usleep(100);
	assert_int_equal(tkernel.notes, notes + 3 * RING_SLOTS);
	assert_int_equal(inline_sends_bad, 0);
	assert_int_equal(glue_async_framed(&domain_ctx), took + 212);
	assert_true(glue_async_framed_inline(&domain_ctx) > inl + 10);
	assert_true(inline_seen > 10);

	/* a word out of range: refused inline, then by the generated reader */
	tdriver.kick_hook = NULL;
	rej = domain_ctx.rejected;
	glue_frame_oneway1(&slot, tmod_RPC_drv_kick, tmod_W_drv_kick_NWORDS);
	slot.w[1 + tmod_W_drv_kick_v] = 1ull << 40 | 5;
	glue_host_send_raw(&linux_ctx, &slot, 1);
	assert_int_equal(drv_ping(1), 2);
	assert_int_equal(domain_ctx.rejected, rej + 1);
	assert_int_equal(tdriver.kicks, kicks);
	assert_int_equal(framed_kicks, 212);

	/* off: back to the generated reader */
	tdriver.kick_hook = inline_install;
	drv_kick(0);                              /* still inline: the 213th */
	assert_int_equal(drv_ping(1), 2);
	tdriver.kick_hook = NULL;
	drv_kick(3);
	kicks_reach(kicks += 3);
	assert_int_equal(framed_kicks, 213);
	assert_int_equal(glue_async_framed(&domain_ctx), took + 213);
	assert_int_equal(glue_async_framed_inline(&domain_ctx) - inl, inline_seen);
}

#define CALLERS    8
#define ITERATIONS 200

static void *linux_caller(void *arg)
{
	uintptr_t id = (uintptr_t)arg, bad = 0;
	uint32_t i;

	for (i = 0; i < ITERATIONS; i++) {
		uint32_t x = (uint32_t)(id * 100000 + i);

		if (drv_ping(x) != x + 1)
			bad++;
		if (drv_echo(x) != x + 1001)     /* the domain calls back into Linux */
			bad++;
		if ((i & 15) == 0 && drv_selftest() != 0)
			bad++;
	}
	return (void *)bad;
}

static void test_async_concurrent_nested(void **state)
{
	pthread_t t[CALLERS];
	uintptr_t i, bad = 0;

	(void)state;
	for (i = 0; i < CALLERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, linux_caller, (void *)i), 0);
	for (i = 0; i < CALLERS; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad += (uintptr_t)r;
	}
	assert_int_equal(bad, 0);
}

static void test_async_hostile_and_truncated(void **state)
{
	static union glue_msg_full m;
	struct chan_msg slots[GLUE_MAX_SLOTS];
	uint64_t w[4] = { 0 };
	uint64_t rej = domain_ctx.rejected;

	(void)state;
	assert_int_equal(raw_call(999, w, 0), GLUE_ENOSYS);
	w[0] = GLUE_REF_YOURS | 1000;
	assert_int_equal(raw_call(tmod_RPC_tdev_ops_open, w, 2), GLUE_ESTALE);
	w[0] = 1;
	w[1] = 301;
	assert_int_equal(raw_call(tmod_RPC_drv_fill, w, 2), GLUE_E2BIG);
	assert_int_equal(raw_call(tmod_RPC_drv_ping, w, 0), GLUE_EBADMSG);
	/* a multi-slot request cut short, then a good one */
	glue_msg_init(&m.m, GLUE_MAX_WORDS);
	m.m.rpc = tmod_RPC_drv_ping;
	m.m.kind = CHAN_T_REQUEST;
	m.m.tag = 0x5555;
	m.m.nwords = 13;
	assert_int_equal(glue_frame(&m.m, slots), 3);
	glue_host_send_raw(&linux_ctx, slots, 2);
	assert_int_equal(drv_ping(41), 42);
	assert_true(domain_ctx.rejected >= rej + 5);
}

static void test_async_exit(void **state)
{
	(void)state;
	drv_exit();
	assert_null(tkernel.registered);
	assert_null(tdriver.dev);
}

/* Linux is declared dead to the domain: its calls fail fast, it still serves. */
static void test_async_dead_peer(void **state)
{
	(void)state;
	glue_async_peer_dead(&domain_ctx);
	assert_int_equal(drv_echo(5), 1);          /* tlinux_add failed: returned 0 */
	assert_int_equal(drv_ping(5), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_async_init_nested),
		cmocka_unit_test(test_async_domain_calls_linux),
		cmocka_unit_test(test_async_xmit_oneway_pool),
		cmocka_unit_test(test_async_callbacks_both_ways),
		cmocka_unit_test(test_async_oneway_kicks),
		cmocka_unit_test(test_async_send_framed_fills_the_ring),
		cmocka_unit_test(test_async_framed_oneway_taken_straight),
		cmocka_unit_test(test_async_framed_inline_in_the_idle_hook),
		cmocka_unit_test(test_async_concurrent_nested),
		cmocka_unit_test(test_async_hostile_and_truncated),
		cmocka_unit_test(test_async_exit),
		cmocka_unit_test(test_async_dead_peer),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
