/*
 * The portable glue runtime (lxd-sdk/glue/glue_core.c) on its own: framing
 * into slots and reassembly (with every way a peer can break a multi-slot
 * message), the word reader's range checks, the reference table, buffer pools.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/glue.h>

static struct glue_ctx ctx;

static int no_dispatch(struct glue_ctx *c, const struct glue_msg *req, struct glue_msg *reply)
{
	(void)c;
	(void)req;
	(void)reply;
	return GLUE_ENOSYS;
}

static int setup(void **state)
{
	(void)state;
	glue_ctx_init(&ctx, "test", no_dispatch);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	glue_ctx_release(&ctx);
	return 0;
}

static void make_msg(union glue_msg_full *f, uint16_t rpc, uint32_t tag, uint32_t nwords)
{
	uint32_t i;

	glue_msg_init(&f->m, GLUE_MAX_WORDS);
	f->m.rpc = rpc;
	f->m.kind = CHAN_T_REQUEST;
	f->m.tag = tag;
	f->m.nwords = nwords;
	for (i = 0; i < nwords; i++)
		f->m.w[i] = 0x1000ull * rpc + i;
}

/* --- framing and reassembly --------------------------------------------------- */

static void test_frame_roundtrip_sizes(void **state)
{
	static const uint32_t sizes[] = { 0, 1, 6, 7, 12, 13, 100, GLUE_MAX_WORDS };
	struct chan_msg slots[GLUE_MAX_SLOTS];
	static union glue_msg_full in;
	static struct glue_rx rx;
	unsigned k;

	(void)state;
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int n, i;
		enum glue_rx_result res = GLUE_RX_MORE;

		make_msg(&in, 9, 0x10002, sizes[k]);
		n = glue_frame(&in.m, slots);
		assert_int_equal(n, sizes[k] ? (int)((sizes[k] + 5) / 6) : 1);
		memset(&rx, 0, sizeof(rx));
		glue_msg_init(&rx.msg.m, GLUE_MAX_WORDS);
		for (i = 0; i < n; i++) {
			res = glue_rx_feed(&ctx, &rx, &slots[i]);
			assert_int_equal(res, i == n - 1 ? GLUE_RX_DONE : GLUE_RX_MORE);
		}
		assert_int_equal(rx.msg.m.nwords, sizes[k]);
		assert_int_equal(rx.msg.m.rpc, 9);
		assert_int_equal(rx.msg.m.tag, 0x10002);
		assert_memory_equal(rx.msg.m.w, in.m.w, sizes[k] * 8);
	}
}

/* glue_frame_oneway1 with the words written in place gives the very slot
 * glue_frame_one frames from the same one-way message, for 0..6 words. */
static void test_frame_in_place_same_slot(void **state)
{
	static union glue_msg_full in;
	struct chan_msg want, got;
	uint32_t n, i;

	(void)state;
	for (n = 0; n <= GLUE_SLOT_WORDS; n++) {
		make_msg(&in, 0x1234, 0, n);
		in.m.kind = CHAN_T_ONEWAY;
		memset(&want, 0x5a, sizeof(want));
		glue_frame_one(&in.m, 0, 1, &want);
		memset(&got, 0xa5, sizeof(got));    /* leftovers must be overwritten */
		glue_frame_oneway1(&got, 0x1234, n);
		for (i = 0; i < n; i++)
			got.w[1 + i] = in.m.w[i];
		assert_memory_equal(&got, &want, sizeof(got));
	}
}

static void test_frame_refuses_oversize(void **state)
{
	struct chan_msg slots[GLUE_MAX_SLOTS];
	GLUE_MSG_BUF(4) small;

	(void)state;
	glue_msg_init(&small.m, 4);
	small.m.nwords = 5;                  /* more than the buffer holds */
	assert_int_equal(glue_frame(&small.m, slots), GLUE_E2BIG);
}

/* Feeds n slots, returns the result of the last. */
static enum glue_rx_result feed(struct glue_rx *rx, const struct chan_msg *s, unsigned n)
{
	enum glue_rx_result r = GLUE_RX_MORE;
	unsigned i;

	for (i = 0; i < n; i++)
		r = glue_rx_feed(&ctx, rx, &s[i]);
	return r;
}

static void test_truncated_message_reported(void **state)
{
	struct chan_msg a[GLUE_MAX_SLOTS], b[GLUE_MAX_SLOTS];
	static union glue_msg_full m1, m2;
	static struct glue_rx rx;

	(void)state;
	make_msg(&m1, 3, 0x20001, 15);        /* three slots */
	make_msg(&m2, 4, 0x20002, 2);         /* one slot */
	assert_int_equal(glue_frame(&m1.m, a), 3);
	assert_int_equal(glue_frame(&m2.m, b), 1);
	memset(&rx, 0, sizeof(rx));
	glue_msg_init(&rx.msg.m, GLUE_MAX_WORDS);
	assert_int_equal(feed(&rx, a, 2), GLUE_RX_MORE);
	/* a new message before the third slot: the first is cut short */
	assert_int_equal(glue_rx_feed(&ctx, &rx, &b[0]), GLUE_RX_TRUNCATED);
	assert_int_equal(rx.msg.m.tag, 0x20001);   /* names the broken one */
	assert_int_equal(glue_rx_feed(&ctx, &rx, &b[0]), GLUE_RX_DONE);
	assert_int_equal(rx.msg.m.rpc, 4);
	/* the orphaned third slot is refused on its own */
	assert_int_equal(glue_rx_feed(&ctx, &rx, &a[2]), GLUE_RX_BAD);
}

static void test_broken_continuations_refused(void **state)
{
	struct chan_msg s[GLUE_MAX_SLOTS], bad;
	static union glue_msg_full m;
	static struct glue_rx rx;
	struct {
		const char *what;
		unsigned at;                  /* which slot is altered */
		uint64_t xor_w0;              /* applied to its slot header */
		uint32_t tag, type;           /* 0: unchanged */
	} cases[] = {
		{ "sequence skips", 1, 3ull << 16, 0, 0 },
		{ "other rpc id", 1, 1, 0, 0 },
		{ "other slot count", 1, 1ull << 24, 0, 0 },
		{ "other word count", 1, 1ull << 32, 0, 0 },
		{ "other tag", 1, 0, 0x999, 0 },
		{ "other kind", 1, 0, 0, CHAN_T_ONEWAY },
		{ "bad magic", 0, 1ull << 56, 0, 0 },
		{ "reserved bits", 0, 1ull << 48, 0, 0 },
		{ "zero slots", 0, 3ull << 24, 0, 0 },          /* 3 ^ 3 = 0 */
		{ "words beyond the slots", 0, 0x100ull << 32, 0, 0 },
		{ "words too few for the slots", 0, 15ull << 32, 0, 0 },   /* 15 ^ 15 = 0 */
	};
	unsigned k;

	(void)state;
	make_msg(&m, 5, 0x30001, 15);
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		enum glue_rx_result r;

		assert_int_equal(glue_frame(&m.m, s), 3);
		bad = s[cases[k].at];
		bad.w[0] ^= cases[k].xor_w0;
		if (cases[k].tag)
			bad.hdr.tag = cases[k].tag;
		if (cases[k].type)
			bad.hdr.type = (uint16_t)cases[k].type;
		memset(&rx, 0, sizeof(rx));
		glue_msg_init(&rx.msg.m, GLUE_MAX_WORDS);
		if (cases[k].at == 1)
			assert_int_equal(glue_rx_feed(&ctx, &rx, &s[0]), GLUE_RX_MORE);
		r = glue_rx_feed(&ctx, &rx, &bad);
		if (r != GLUE_RX_BAD)
			print_error("case '%s' not refused (%d)\n", cases[k].what, r);
		assert_int_equal(r, GLUE_RX_BAD);
		/* the receiver is idle again: a good message goes through */
		assert_int_equal(feed(&rx, s, 3), GLUE_RX_DONE);
	}
}

/* --- the reader --------------------------------------------------------------------- */

static void test_reader_ranges(void **state)
{
	static union glue_msg_full m;
	struct glue_rd r;
	char buf[8];

	(void)state;
	glue_msg_init(&m.m, GLUE_MAX_WORDS);
	m.m.nwords = 3;
	m.m.w[0] = 0xff;
	m.m.w[1] = (uint64_t)-129;
	m.m.w[2] = 2;
	glue_rd_init(&r, &ctx, &m.m, "ranges");
	assert_int_equal(glue_get_u(&r, 8, "u8"), 0xff);
	assert_int_equal(glue_get_s(&r, 8, "s8"), 0);     /* -129 does not fit */
	assert_int_equal(r.err, GLUE_ERANGE);
	glue_rd_init(&r, &ctx, &m.m, "bool");
	r.pos = 2;
	assert_false(glue_get_bool(&r, "b"));
	assert_int_equal(r.err, GLUE_ERANGE);
	glue_rd_init(&r, &ctx, &m.m, "short");
	r.pos = 3;
	glue_get(&r, "past the end");
	assert_int_equal(r.err, GLUE_EBADMSG);
	/* strings: length must be below the buffer, bytes must be there */
	m.m.nwords = 2;
	m.m.w[0] = 8;
	glue_rd_init(&r, &ctx, &m.m, "str");
	assert_null(glue_get_str(&r, buf, sizeof(buf), "s"));
	assert_int_equal(r.err, GLUE_E2BIG);
	m.m.w[0] = 7;
	m.m.nwords = 1;
	glue_rd_init(&r, &ctx, &m.m, "str");
	assert_null(glue_get_str(&r, buf, sizeof(buf), "s"));
	assert_int_equal(r.err, GLUE_EBADMSG);
	/* trailing words */
	m.m.nwords = 2;
	glue_rd_init(&r, &ctx, &m.m, "trailing");
	glue_get(&r, "one");
	assert_int_equal(glue_rd_end(&r), GLUE_EBADMSG);
}

/* --- references ---------------------------------------------------------------------- */

static void test_references(void **state)
{
	static union glue_msg_full m;
	int obj_a, obj_b, err = 0;
	uint64_t wa, wb, peer_word = (1ull << 32) | 17;
	struct glue_rd r;
	void *copy, *again;
	uint32_t before = glue_ref_count(&ctx);

	(void)state;
	glue_msg_init(&m.m, 1);
	wa = glue_ref_export(&ctx, &obj_a, 7, &err);
	assert_int_equal(err, 0);
	assert_true(wa != 0 && !(wa & GLUE_REF_YOURS));
	assert_true(glue_ref_export(&ctx, &obj_a, 7, &err) == wa);     /* stable */
	wb = glue_ref_export(&ctx, &obj_b, 8, &err);
	assert_true(wb != wa);
	assert_true(glue_ref_export(&ctx, &obj_a, 8, &err) == 0);      /* another type */
	assert_int_equal(err, GLUE_EINVAL);
	/* the peer names our objects back (YOURS): checked by type */
	glue_rd_init(&r, &ctx, &m.m, "refs");
	assert_ptr_equal(glue_ref_import(&r, wa | GLUE_REF_YOURS, 7, 0, "a"), &obj_a);
	assert_null(glue_ref_import(&r, wb | GLUE_REF_YOURS, 7, 0, "b"));
	assert_int_equal(r.err, GLUE_EINVAL);
	/* the peer's own reference: allocated once when allowed, then found */
	glue_rd_init(&r, &ctx, &m.m, "refs");
	assert_null(glue_ref_import(&r, peer_word, 9, 0, "no alloc"));
	assert_int_equal(r.err, GLUE_ENOENT);
	glue_rd_init(&r, &ctx, &m.m, "refs");
	copy = glue_ref_import(&r, peer_word, 9, 64, "alloc");
	assert_non_null(copy);
	again = glue_ref_import(&r, peer_word, 9, 64, "again");
	assert_ptr_equal(copy, again);
	/* now we name it back to the peer with its reference */
	assert_true(glue_ref_export(&ctx, copy, 9, &err) == (peer_word | GLUE_REF_YOURS));
	/* dealloc: the reference goes stale, the copy is freed (ASan would see a leak) */
	glue_ref_drop(&ctx, copy, 9);
	glue_ref_drop(&ctx, &obj_a, 7);
	glue_rd_init(&r, &ctx, &m.m, "refs");
	assert_null(glue_ref_import(&r, wa | GLUE_REF_YOURS, 7, 0, "stale"));
	assert_int_equal(r.err, GLUE_ESTALE);
	glue_ref_drop(&ctx, &obj_b, 8);
	assert_int_equal(glue_ref_count(&ctx), before);
}

static void test_reference_table_full(void **state)
{
	static char objs[GLUE_REF_SLOTS + 1];
	uint32_t i;
	int err = 0;

	(void)state;
	for (i = 0; i < GLUE_REF_SLOTS; i++)
		assert_true(glue_ref_export(&ctx, &objs[i], 3, &err) != 0);
	assert_true(glue_ref_export(&ctx, &objs[GLUE_REF_SLOTS], 3, &err) == 0);
	assert_int_equal(err, GLUE_ENOSPC);
	for (i = 0; i < GLUE_REF_SLOTS; i++)
		glue_ref_drop(&ctx, &objs[i], 3);
	assert_int_equal(glue_ref_count(&ctx), 0);
}

/* --- pools -------------------------------------------------------------------------------- */

static void test_pools(void **state)
{
	static uint8_t pool[4096];
	static union glue_msg_full m;
	struct glue_rd r;
	uint64_t off;

	(void)state;
	glue_msg_init(&m.m, 1);
	assert_int_equal(glue_pool_set(&ctx, GLUE_MAX_POOLS, pool, sizeof(pool)), GLUE_EINVAL);
	glue_rd_init(&r, &ctx, &m.m, "pool");
	assert_null(glue_pool_import(&r, 1, 0, 1, "unmapped"));
	assert_int_equal(r.err, GLUE_EINVAL);
	assert_int_equal(glue_pool_set(&ctx, 1, pool, sizeof(pool)), 0);
	assert_int_equal(glue_pool_export(&ctx, 1, pool + 100, 50, &off), 0);
	assert_int_equal(off, 100);
	assert_int_equal(glue_pool_export(&ctx, 1, pool + 4000, 200, &off), GLUE_EFAULT);
	assert_int_equal(glue_pool_export(&ctx, 1, &off, 8, &off), GLUE_EFAULT);
	glue_rd_init(&r, &ctx, &m.m, "pool");
	assert_ptr_equal(glue_pool_import(&r, 1, 4000, 96, "edge"), pool + 4000);
	assert_null(glue_pool_import(&r, 1, 4000, 97, "past"));
	assert_int_equal(r.err, GLUE_EFAULT);
	glue_rd_init(&r, &ctx, &m.m, "pool");
	assert_null(glue_pool_import(&r, 1, 16, ~0ull - 8, "wraps"));
	assert_int_equal(r.err, GLUE_EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_roundtrip_sizes),
		cmocka_unit_test(test_frame_in_place_same_slot),
		cmocka_unit_test(test_frame_refuses_oversize),
		cmocka_unit_test(test_truncated_message_reported),
		cmocka_unit_test(test_broken_continuations_refused),
		cmocka_unit_test(test_reader_ranges),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_reference_table_full),
		cmocka_unit_test(test_pools),
	};

	setenv("GLUE_QUIET", "1", 1);
	return cmocka_run_group_tests(tests, setup, teardown);
}
