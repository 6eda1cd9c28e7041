/*
 * The generated code of tmod.idl, run between two threads over a real
 * channel (host backend): references and private copies, nested projections,
 * an ops table turned into trampolines, callbacks both ways, nested calls,
 * multi-slot messages, one-way rpcs, the shared buffer pool, many concurrent
 * callers, and a hostile peer's malformed requests.
 */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <lxds/glue_host.h>

#include "tmod_test.h"

#define POOL_SIZE  (64 * 1024)
#define RING_SLOTS 64

static struct glue_ctx linux_ctx, domain_ctx;
static struct chan linux_ch, domain_ch;
static void *chan_mem;
static uint8_t *pool_linux, *pool_domain;   /* two mappings of one pool */

static int (*saved_open)(struct tdev *);   /* a trampoline, kept past release */

static int setup_pool(void)
{
	int fd = memfd_create("tmod-pool", 0);

	if (fd < 0 || ftruncate(fd, POOL_SIZE) != 0)
		return -1;
	pool_linux = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pool_domain = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (pool_linux == MAP_FAILED || pool_domain == MAP_FAILED)
		return -1;
	glue_pool_set(&linux_ctx, tmod_POOL_tpool, pool_linux, POOL_SIZE);
	glue_pool_set(&domain_ctx, tmod_POOL_tpool, pool_domain, POOL_SIZE);
	return 0;
}

static int group_setup(void **state)
{
	size_t bytes = chan_mem_size(RING_SLOTS);

	(void)state;
	chan_mem = aligned_alloc(4096, bytes);
	if (!chan_mem || chan_mem_init(chan_mem, bytes) != 0)
		return -1;
	if (chan_attach(&linux_ch, chan_mem, bytes, 0, CHAN_ACCEPT_ALL) != 0 ||
	    chan_attach(&domain_ch, chan_mem, bytes, 1, CHAN_ACCEPT_ALL) != 0)
		return -1;
	glue_ctx_init(&linux_ctx, "linux", tmod_linux_dispatch);
	glue_ctx_init(&domain_ctx, "domain", tmod_domain_dispatch);
	if (setup_pool() != 0)
		return -1;
	tmod_linux_ctx = &linux_ctx;
	tmod_domain_ctx = &domain_ctx;
	if (glue_host_start(&linux_ctx, &linux_ch, 4) != 0 ||
	    glue_host_start(&domain_ctx, &domain_ch, 4) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	glue_host_stop(&linux_ctx);
	glue_host_stop(&domain_ctx);
	tmod_linux_release(&linux_ctx);
	tmod_domain_release(&domain_ctx);
	munmap(pool_linux, POOL_SIZE);
	munmap(pool_domain, POOL_SIZE);
	free(chan_mem);
	return 0;
}

/* A hand-made request, as a hostile or buggy peer would send it. */
static int raw_call(struct glue_ctx *from, uint16_t rpc, uint16_t kind, const uint64_t *w,
		    unsigned n)
{
	static union glue_msg_full req, reply;   /* callers are serialised by cmocka */

	glue_msg_init(&req.m, GLUE_MAX_WORDS);
	glue_msg_init(&reply.m, GLUE_MAX_WORDS);
	glue_wr_init(&(struct glue_wr){ 0 }, &req.m, rpc, kind);
	req.m.nwords = n;
	memcpy(req.m.w, w, n * sizeof(uint64_t));
	if (kind == CHAN_T_ONEWAY)
		return glue_send(from, &req.m);
	return glue_call(from, &req.m, &reply.m);
}

static void wait_for(int *counter, int value)
{
	int i;

	for (i = 0; i < 20000 && __atomic_load_n(counter, __ATOMIC_ACQUIRE) < value; i++)
		usleep(100);
}

/* --- the driver's life cycle --------------------------------------------------- */

static void test_init_nested_calls(void **state)
{
	struct tdev *kdev;

	(void)state;
	/* Linux -> drv_init -> talloc_dev -> setup() callback -> ... -> tregister
	 * -> ops->open trampoline -> drv_open -> tcarrier_on: five levels. */
	assert_int_equal(drv_init(), 0);
	kdev = tkernel.registered;
	assert_non_null(kdev);
	assert_true(tkernel.setup_seen_in_alloc);
	assert_ptr_equal(tdriver.dev, tdriver.setup_dev);
	assert_int_equal(tdriver.opened, 1);
	assert_int_equal(tkernel.carrier_on, 1);
	/* [out] fields of setup's projection reached Linux's own copy */
	assert_int_equal(kdev->mtu, 1500);
	assert_int_equal(kdev->flags, 0x11);
	assert_memory_equal(kdev->addr, ((uint8_t[]){ 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 }), 6);
	assert_int_equal(kdev->s8v, -5);
	assert_int_equal(kdev->s16v, -300);
	assert_int_equal(kdev->u16v, 60000);
	assert_true(kdev->s64v == -(1ll << 40));
	assert_int_equal(kdev->stats.packets, 11);
	assert_int_equal(kdev->stats.errors, 7);
	assert_string_equal(kdev->kind, "tkind");
	assert_string_equal(kdev->name, "tdev0");
	assert_null(kdev->priv);
	/* the ops table is Linux's private copy, full of trampolines */
	assert_non_null(kdev->ops);
	assert_ptr_not_equal(kdev->ops, &tdriver_ops);
	assert_ptr_not_equal(kdev->ops->open, tdriver_ops.open);
	saved_open = kdev->ops->open;
	assert_non_null(kdev->ops->xmit);
	/* tcarrier_on's [out] field came back to the domain's copy */
	assert_true(tdriver.dev->up);
	assert_true(kdev->up);
	/* the domain's copy got setup's [in] name */
	assert_string_equal(tdriver.dev->name, "tdev0");
}

static void test_ops_xmit_through_pool(void **state)
{
	struct tdev *kdev = tkernel.registered;
	uint64_t expect = 0;
	uint32_t refs_before;
	int i, j;

	(void)state;
	refs_before = glue_ref_count(&domain_ctx);
	for (i = 0; i < 50; i++) {
		struct tbuf *b = calloc(1, sizeof(*b));

		b->len = 100 + (unsigned)i;
		b->data = pool_linux + (size_t)i * 512;
		b->proto = 0x0800;
		b->id = i;
		for (j = 0; j < (int)b->len; j++) {
			b->data[j] = (uint8_t)(i + j);
			expect += (uint8_t)(i + j);
		}
		assert_int_equal(kdev->ops->xmit(b, kdev), 0);
	}
	wait_for(&tkernel.consumed, 50);
	assert_int_equal(tkernel.consumed, 50);
	assert_int_equal(tdriver.xmits, 50);
	assert_true(tdriver.xmit_sum == expect);
	/* every tbuf's private copy in the domain was dealloc'ed by tconsume */
	assert_int_equal(glue_ref_count(&domain_ctx), refs_before);
}

static void test_ops_get_stats_out_projection(void **state)
{
	struct tdev *kdev = tkernel.registered;
	struct tstats st = { 0 };

	(void)state;
	kdev->ops->get_stats(kdev, &st);
	assert_int_equal(st.packets, 50);
	assert_int_equal(st.bytes, 50 * 100 + 49 * 50 / 2);
	assert_int_equal(st.errors, 0);
}

static void test_ops_read_user_array(void **state)
{
	struct tdev *kdev = tkernel.registered;
	char buf[64];
	long long pos = 0;
	long n;

	(void)state;
	memset(buf, 'X', sizeof(buf));
	n = kdev->ops->read(kdev, buf, 5, &pos);
	assert_int_equal(n, 5);
	assert_int_equal(pos, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(buf[5], 'X');       /* nothing past what was read */
	n = kdev->ops->read(kdev, buf, sizeof(buf), &pos);
	assert_int_equal(n, 17);
	assert_memory_equal(buf, " from the domain\n", 17);
	assert_int_equal(pos, 22);
	assert_int_equal(kdev->ops->read(kdev, buf, sizeof(buf), &pos), 0);
	/* a count over the bound (512) is clamped: a short read */
	pos = 0;
	{
		char *big = malloc(100000);

		assert_int_equal(kdev->ops->read(kdev, big, 100000, &pos), 22);
		free(big);
	}
}

/* --- domain -> Linux: multi-slot requests, strings, arrays, bulk ------------- */

static void test_domain_calls_multislot(void **state)
{
	uint8_t data[256];
	char longmsg[200];
	uint64_t psum = 0;
	int i;

	(void)state;
	for (i = 0; i < 256; i++)
		data[i] = (uint8_t)(i * 7);
	/* 256 bytes = 32 words + 1: six slots */
	assert_true(tsum(256, data) == linux_tsum(256, data));
	assert_true(tsum(0, NULL) == 0);
	/* nine scalars at their extremes: two slots */
	assert_int_equal(tscalars(0xff, 0xffff, 0xffffffffu, ~0ull, -128, -32768, -2147483647 - 1,
				  -(1ll << 62), true), 42);
	assert_int_equal(tlog("hello, linux", 3), 12);
	assert_string_equal(tkernel.last_log, "hello, linux");
	assert_int_equal(tkernel.last_level, 3);
	assert_int_equal(tlog(NULL, 1), -1);
	memset(longmsg, 'a', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	assert_int_equal(tlog(longmsg, 1), GLUE_E2BIG);   /* over string<128>: not sent */
	/* bulk: the domain names its mapping; Linux reads through its own */
	for (i = 0; i < 1000; i++) {
		pool_domain[40000 + i] = (uint8_t)i;
		psum += (uint8_t)i;
	}
	assert_true(tpool_sum(1000, pool_domain + 40000) == psum);
	assert_true(tpool_sum(16, data) == 0);                 /* not in the pool: refused */
	assert_true(tpool_sum(100, pool_domain + POOL_SIZE - 50) == 0);  /* runs past the end */
}

static void test_value_projection_out(void **state)
{
	struct tstats st = { 0 };

	(void)state;
	assert_int_equal(drv_selftest(), 0);     /* the same, from a domain handler */
	assert_int_equal(tstats_get(tdriver.dev, &st), 0);
	assert_int_equal(st.packets, 1500);
	assert_int_equal(st.bytes, 0x11);
	assert_int_equal(st.errors, -3);
}

static void test_out_array_length_return(void **state)
{
	uint8_t out[400];
	int i;

	(void)state;
	memset(out, 0xee, sizeof(out));
	assert_int_equal(drv_fill(7, 10, out), 9);
	for (i = 0; i < 9; i++)
		assert_int_equal(out[i], 7 + i);
	assert_int_equal(out[9], 0xee);          /* only length(return) elements come back */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(drv_fill(1, 400, out), 299);   /* count clamped to the bound 300 */
	assert_int_equal(out[298], (uint8_t)(1 + 298));
	assert_int_equal(out[299], 0xee);
}

static void test_callbacks_both_directions(void **state)
{
	(void)state;
	/* Linux hands the domain a function pointer; the domain calls it. */
	assert_int_equal(drv_register_cb(linux_notify), 0);
	assert_int_equal(drv_fire(21), 42);
	assert_int_equal(tkernel.notified, 1);
	assert_int_equal(tkernel.last_code, 21);
	assert_string_equal(tkernel.last_what, "fired");
	/* again: the same trampoline slot is reused */
	assert_int_equal(drv_register_cb(linux_notify), 0);
	assert_int_equal(drv_fire(5), 10);
	assert_int_equal(tkernel.notified, 2);
}

static void test_opaque_pointers(void **state)
{
	uint64_t w[1] = { 0 };

	(void)state;
	assert_int_equal(drv_keep(&tkernel), 1);           /* back to Linux as itself */
	assert_ptr_not_equal(tdriver.cookie, &tkernel);    /* the domain held a token */
	assert_int_equal(drv_keep(&tkernel), 1);           /* the same token again */
	assert_int_equal(raw_call(&linux_ctx, tmod_RPC_drv_keep, CHAN_T_REQUEST, w, 1),
			 GLUE_EINVAL);                     /* NULL is not [nullable] */
}

static void test_oneway_calls(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		drv_kick(2);
	for (i = 0; i < 20000 && __atomic_load_n(&tdriver.kicks, __ATOMIC_ACQUIRE) < 200; i++)
		usleep(100);
	assert_int_equal(tdriver.kicks, 200);

	/* A request written by hand at idlc's word positions (tmod_W_drv_kick_*,
	 * what a packet path uses instead of the stub) is the stub's request. */
	uint64_t w[tmod_W_drv_kick_NWORDS];

	w[tmod_W_drv_kick_v] = 7;
	assert_int_equal(raw_call(&linux_ctx, tmod_RPC_drv_kick, CHAN_T_ONEWAY, w,
				  tmod_W_drv_kick_NWORDS), 0);
	for (i = 0; i < 20000 && __atomic_load_n(&tdriver.kicks, __ATOMIC_ACQUIRE) < 207; i++)
		usleep(100);
	assert_int_equal(tdriver.kicks, 207);
}

/* --- many callers at once ------------------------------------------------------------ */

#define CALLERS    8
#define ITERATIONS 250

static void *linux_caller(void *arg)
{
	uintptr_t id = (uintptr_t)arg, bad = 0;
	uint32_t i;

	for (i = 0; i < ITERATIONS; i++) {
		uint32_t x = (uint32_t)(id * 100000 + i);

		if (drv_ping(x) != x + 1)
			bad++;
		if ((i & 3) == 0 && drv_echo(x) != x + 1001)   /* nested call back into Linux */
			bad++;
	}
	return (void *)bad;
}

static void *domain_caller(void *arg)
{
	uintptr_t bad = 0;
	uint8_t data[200];
	int i;

	(void)arg;
	for (i = 0; i < 200; i++)
		data[i] = (uint8_t)i;
	for (i = 0; i < ITERATIONS; i++) {
		if (tsum(200, data) != linux_tsum(200, data))
			bad++;
		if (tlinux_add((uint32_t)i) != (uint32_t)i + 1000)
			bad++;
	}
	return (void *)bad;
}

static void test_concurrent_callers_both_ways(void **state)
{
	pthread_t t[CALLERS + 2];
	uintptr_t i, bad = 0;

	(void)state;
	for (i = 0; i < CALLERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, linux_caller, (void *)i), 0);
	for (i = CALLERS; i < CALLERS + 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, domain_caller, NULL), 0);
	for (i = 0; i < CALLERS + 2; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad += (uintptr_t)r;
	}
	assert_int_equal(bad, 0);
}

/* --- a hostile peer --------------------------------------------------------------------- */

static uint64_t own_ref_of(struct glue_ctx *ctx, const void *p, uint16_t type)
{
	int err = 0;

	return glue_ref_export(ctx, p, type, &err);
}

static void test_hostile_requests_to_linux(void **state)
{
	uint64_t w[40] = { 0 };
	uint64_t dev_ref = own_ref_of(&domain_ctx, tdriver.dev, tmod_TYPE_tdev);
	uint64_t ops_ref = own_ref_of(&domain_ctx, &tdriver_ops, tmod_TYPE_tdev_ops);
	uint64_t rejected = linux_ctx.rejected;

	(void)state;
	assert_true(dev_ref & GLUE_REF_YOURS);       /* the domain knows Linux's reference */
	assert_int_equal(raw_call(&domain_ctx, 999, CHAN_T_REQUEST, w, 0), GLUE_ENOSYS);
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_drv_ping, CHAN_T_REQUEST, w, 1),
			 GLUE_ENOSYS);                /* runs on the domain side, not here */
	/* references: out of range, unknown, wrong type */
	w[0] = GLUE_REF_YOURS | 5000;
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tregister, CHAN_T_REQUEST, w, 1), GLUE_ENOENT);
	w[0] = GLUE_REF_YOURS | (7ull << 32) | 900;
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tregister, CHAN_T_REQUEST, w, 1), GLUE_ESTALE);
	w[0] = ops_ref;                              /* an ops table where a device belongs */
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tregister, CHAN_T_REQUEST, w, 1), GLUE_EINVAL);
	w[0] = 0;                                    /* NULL where a device is required */
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tregister, CHAN_T_REQUEST, w, 1), GLUE_EINVAL);
	w[0] = 77;                                   /* a reference Linux never saw, no alloc */
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tcarrier_on, CHAN_T_REQUEST, w, 1),
			 GLUE_ENOENT);
	/* lengths over their bounds */
	w[0] = 300;                                  /* tsum's array<u8, 256> */
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tsum, CHAN_T_REQUEST, w, 39), GLUE_E2BIG);
	w[0] = 200;                                  /* tlog's string<128> */
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tlog, CHAN_T_REQUEST, w, 30), GLUE_E2BIG);
	/* scalars out of their range */
	memset(w, 0, sizeof(w));
	w[0] = 256;                                  /* a u8 */
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tscalars, CHAN_T_REQUEST, w, 9), GLUE_ERANGE);
	w[0] = 0;
	w[8] = 2;                                    /* a bool */
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tscalars, CHAN_T_REQUEST, w, 9), GLUE_ERANGE);
	w[8] = 0;
	w[4] = 0x80;                                 /* an s8 of +128 */
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tscalars, CHAN_T_REQUEST, w, 9), GLUE_ERANGE);
	/* short and long messages */
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tscalars, CHAN_T_REQUEST, w, 3), GLUE_EBADMSG);
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tlinux_add, CHAN_T_REQUEST, w, 2), GLUE_EBADMSG);
	/* a pool offset outside the pool, and one that wraps */
	w[0] = 64;
	w[1] = POOL_SIZE - 10;
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tpool_sum, CHAN_T_REQUEST, w, 2), GLUE_EFAULT);
	w[0] = 0xffffffffu;
	w[1] = ~0ull - 5;
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tpool_sum, CHAN_T_REQUEST, w, 2), GLUE_EFAULT);
	/* a one-way rpc sent as a request */
	w[0] = 0;
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tconsume, CHAN_T_REQUEST, w, 1), GLUE_EBADMSG);
	assert_true(linux_ctx.rejected >= rejected + 16);
	/* and Linux still serves */
	assert_int_equal(tlinux_add(1), 1001);
}

static void test_hostile_requests_to_domain(void **state)
{
	uint64_t w[8] = { 0 };
	struct tdev *kdev = tkernel.registered;
	uint64_t dev_word = own_ref_of(&linux_ctx, kdev, tmod_TYPE_tdev);

	(void)state;
	/* a call through a function reference that does not exist */
	w[0] = GLUE_REF_YOURS | 1000;
	w[1] = dev_word;
	assert_int_equal(raw_call(&linux_ctx, tmod_RPC_tdev_ops_open, CHAN_T_REQUEST, w, 2),
			 GLUE_ESTALE);
	/* drv_xmit's reference used for open: a function of another type */
	w[0] = own_ref_of(&domain_ctx, (const void *)tdriver_ops.xmit, tmod_TYPE_tdev_ops_xmit) |
	       GLUE_REF_YOURS;
	assert_int_equal(raw_call(&linux_ctx, tmod_RPC_tdev_ops_open, CHAN_T_REQUEST, w, 2),
			 GLUE_EINVAL);
	/* a NULL function */
	w[0] = 0;
	assert_int_equal(raw_call(&linux_ctx, tmod_RPC_tdev_ops_open, CHAN_T_REQUEST, w, 2),
			 GLUE_EINVAL);
	/* an [out] array count over its bound */
	w[0] = 1;
	w[1] = 301;
	assert_int_equal(raw_call(&linux_ctx, tmod_RPC_drv_fill, CHAN_T_REQUEST, w, 2), GLUE_E2BIG);
	/* a request for an rpc Linux runs */
	assert_int_equal(raw_call(&linux_ctx, tmod_RPC_tsum, CHAN_T_REQUEST, w, 1), GLUE_ENOSYS);
	/* a one-way message that is bad gets no reply, only a log line */
	assert_int_equal(raw_call(&linux_ctx, tmod_RPC_drv_kick, CHAN_T_ONEWAY, w, 0), 0);
	assert_int_equal(drv_ping(41), 42);
}

/* A multi-slot request cut short on the live channel: the receiver reports
 * it, answers its tag with an error (nobody waits for it here: dropped and
 * counted), and the next message goes through. */
static void test_truncated_on_the_wire(void **state)
{
	static union glue_msg_full m;
	struct chan_msg slots[GLUE_MAX_SLOTS];
	uint64_t drej = domain_ctx.rejected, lrej = linux_ctx.rejected;
	int i, n;

	(void)state;
	glue_msg_init(&m.m, GLUE_MAX_WORDS);
	m.m.rpc = tmod_RPC_drv_ping;
	m.m.kind = CHAN_T_REQUEST;
	m.m.tag = 0x7777;
	m.m.nwords = 13;                  /* three slots */
	n = glue_frame(&m.m, slots);
	assert_int_equal(n, 3);
	glue_host_send_raw(&linux_ctx, slots, 2);
	assert_int_equal(drv_ping(7), 8);    /* its first slot ends the broken one */
	for (i = 0; i < 2000 && linux_ctx.rejected == lrej; i++)
		usleep(1000);
	assert_true(domain_ctx.rejected > drej);   /* truncated, logged */
	assert_true(linux_ctx.rejected > lrej);    /* the error reply had no waiter */
	assert_int_equal(drv_ping(9), 10);
}

static void test_exit_dealloc_then_stale(void **state)
{
	uint64_t w[1];
	uint32_t lrefs = glue_ref_count(&linux_ctx), drefs = glue_ref_count(&domain_ctx);

	(void)state;
	w[0] = own_ref_of(&domain_ctx, tdriver.dev, tmod_TYPE_tdev);
	drv_exit();                        /* tfree_dev: dealloc on both sides */
	assert_null(tkernel.registered);
	assert_int_equal(glue_ref_count(&linux_ctx), lrefs - 1);
	assert_int_equal(glue_ref_count(&domain_ctx), drefs - 1);
	/* the old reference is stale now */
	assert_int_equal(raw_call(&domain_ctx, tmod_RPC_tregister, CHAN_T_REQUEST, w, 1), GLUE_ESTALE);
}

/* glue_ref_take (a batch of references given back, dummy's completions):
 * each good word is taken once; a word repeated, not YOURS, out of range,
 * of another type or stale is refused, and the rest of the table stays. */
static void test_ref_take_batch(void **state)
{
	static struct glue_ctx c;
	static int a, b, cc, d;
	uint64_t w[8];
	void *out[8];
	int err = 0;

	(void)state;
	glue_ctx_init(&c, "take", tmod_linux_dispatch);
	w[0] = glue_ref_export(&c, &a, 5, &err) | GLUE_REF_YOURS;
	w[1] = w[0];                                            /* twice */
	w[2] = glue_ref_export(&c, &b, 5, &err);                /* not YOURS */
	w[3] = glue_ref_export(&c, &d, 6, &err) | GLUE_REF_YOURS;   /* another type */
	w[4] = GLUE_REF_YOURS | 5000;                           /* past the table */
	w[5] = GLUE_REF_YOURS;                                  /* index 0 */
	w[6] = glue_ref_export(&c, &cc, 5, &err) | GLUE_REF_YOURS;
	w[7] = (w[6] + (1ull << 32)) | GLUE_REF_YOURS;          /* a generation never given */
	assert_int_equal(err, 0);
	assert_int_equal(glue_ref_count(&c), 4);
	assert_int_equal(glue_ref_take(&c, w, 8, 5, out), 2);
	assert_ptr_equal(out[0], &a);
	assert_null(out[1]);
	assert_null(out[2]);
	assert_null(out[3]);
	assert_null(out[4]);
	assert_null(out[5]);
	assert_ptr_equal(out[6], &cc);
	assert_null(out[7]);
	assert_int_equal(glue_ref_count(&c), 2);                /* b and d stay */
	/* the same words again: stale */
	assert_int_equal(glue_ref_take(&c, w, 1, 5, out), 0);
	assert_null(out[0]);
	assert_int_equal(glue_ref_take(&c, &w[6], 1, 5, out), 0);
	/* a fresh export of a reuses an entry under a new generation */
	w[0] = glue_ref_export(&c, &a, 5, &err) | GLUE_REF_YOURS;
	assert_int_equal(glue_ref_take(&c, w, 2, 5, out), 1);
	assert_ptr_equal(out[0], &a);
	assert_null(out[1]);
	/* the entry a just left goes to the next export (b2): a's old word
	 * names a live entry of the right type, with an older generation */
	{
		static int b2;
		uint64_t old = w[0], fresh = glue_ref_export(&c, &b2, 5, &err) | GLUE_REF_YOURS;

		assert_int_equal((uint32_t)old, (uint32_t)fresh);      /* same index */
		assert_int_equal(glue_ref_take(&c, &old, 1, 5, out), 0);
		assert_null(out[0]);
		assert_int_equal(glue_ref_take(&c, &fresh, 1, 5, out), 1);
		assert_ptr_equal(out[0], &b2);
	}
	glue_ctx_release(&c);
}

/* Last: the domain is declared dead; calls fail at once instead of hanging. */
static void test_dead_peer(void **state)
{
	(void)state;
	glue_host_peer_dead(&linux_ctx);
	assert_int_equal(drv_register_cb(linux_notify), GLUE_EPIPE);
	assert_int_equal(drv_ping(1), 0);          /* u32: a failed call returns 0 */
}

/* Before a reload: Linux forgets the old domain; its trampolines go dead
 * (they fail without sending anything) and its tables are empty. */
static void test_release_unbinds(void **state)
{
	struct tdev local = { .mtu = 1 };

	(void)state;
	tmod_linux_release(&linux_ctx);
	assert_int_equal(glue_ref_count(&linux_ctx), 0);
	assert_int_equal(saved_open(&local), GLUE_EPIPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_nested_calls),
		cmocka_unit_test(test_ops_xmit_through_pool),
		cmocka_unit_test(test_ops_get_stats_out_projection),
		cmocka_unit_test(test_ops_read_user_array),
		cmocka_unit_test(test_domain_calls_multislot),
		cmocka_unit_test(test_value_projection_out),
		cmocka_unit_test(test_out_array_length_return),
		cmocka_unit_test(test_callbacks_both_directions),
		cmocka_unit_test(test_opaque_pointers),
		cmocka_unit_test(test_oneway_calls),
		cmocka_unit_test(test_concurrent_callers_both_ways),
		cmocka_unit_test(test_hostile_requests_to_linux),
		cmocka_unit_test(test_hostile_requests_to_domain),
		cmocka_unit_test(test_truncated_on_the_wire),
		cmocka_unit_test(test_exit_dealloc_then_stale),
		cmocka_unit_test(test_ref_take_batch),
		cmocka_unit_test(test_dead_peer),
		cmocka_unit_test(test_release_unbinds),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
