/* Unit tests for the channel library: set-up, send/receive, full and empty
 * rings, wrap-around, batches, peek, and a hostile peer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/channel.h>

#define SLOTS 8

struct pair {
	void *mem;
	size_t bytes;
	struct chan a;  /* side 0 */
	struct chan b;  /* side 1 */
};

static struct pair *pair_new(uint32_t slots)
{
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->bytes = chan_mem_size(slots);
	p->mem = aligned_alloc(IPC_PAGE_SIZE, p->bytes);
	assert_non_null(p->mem);
	assert_int_equal(chan_mem_init(p->mem, p->bytes), 0);
	assert_int_equal(chan_attach(&p->a, p->mem, p->bytes, 0, CHAN_ACCEPT_ALL), 0);
	assert_int_equal(chan_attach(&p->b, p->mem, p->bytes, 1, CHAN_ACCEPT_ALL), 0);
	return p;
}

static void pair_free(struct pair *p)
{
	free(p->mem);
	free(p);
}

static struct chan_msg msg_make(uint16_t type, uint32_t tag, uint64_t seed)
{
	struct chan_msg m;
	int i;

	memset(&m, 0, sizeof(m));
	m.hdr.type = type;
	m.hdr.tag = tag;
	for (i = 0; i < CHAN_PAYLOAD_WORDS; i++)
		m.w[i] = seed * 1000 + (uint64_t)i;
	return m;
}

static void msg_check(const struct chan_msg *m, uint16_t type, uint32_t tag, uint64_t seed)
{
	int i;

	assert_int_equal(m->hdr.status, CHAN_SLOT_READY);
	assert_int_equal(m->hdr.type, type);
	assert_int_equal(m->hdr.tag, tag);
	for (i = 0; i < CHAN_PAYLOAD_WORDS; i++)
		assert_int_equal(m->w[i], seed * 1000 + (uint64_t)i);
}

static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct chan_msg), 64);
	assert_int_equal(offsetof(struct chan_msg, w), 8);
	assert_int_equal(_Alignof(struct chan_msg), 64);
	assert_int_equal(chan_mem_size(8), 4096);
	assert_int_equal(chan_mem_size(64), 8192);
}

static void test_attach_rejects_bad_areas(void **state)
{
	struct chan c;
	size_t bytes = chan_mem_size(SLOTS);
	char *mem = aligned_alloc(IPC_PAGE_SIZE, 2 * bytes);

	(void)state;
	assert_int_equal(chan_attach(&c, NULL, bytes, 0, CHAN_ACCEPT_ALL), IPC_EINVAL);
	assert_int_equal(chan_attach(&c, mem + 64, bytes, 0, CHAN_ACCEPT_ALL), IPC_EINVAL);
	assert_int_equal(chan_attach(&c, mem, 3 * 128, 0, CHAN_ACCEPT_ALL), IPC_EINVAL);
	assert_int_equal(chan_attach(&c, mem, 128, 0, CHAN_ACCEPT_ALL), IPC_EINVAL);
	assert_int_equal(chan_attach(&c, mem, 6 * 4096, 0, CHAN_ACCEPT_ALL), IPC_EINVAL);
	assert_int_equal(chan_attach(&c, mem, bytes, 2, CHAN_ACCEPT_ALL), IPC_EINVAL);
	assert_int_equal(chan_mem_init(mem + 4096 / 2, bytes), IPC_EINVAL);
	assert_int_equal(chan_attach(&c, mem, bytes, 1, CHAN_ACCEPT_ALL), 0);
	assert_int_equal(c.tx.mask, 4096 / 128 - 1);
	free(mem);
}

static void test_send_recv_both_directions(void **state)
{
	struct pair *p = pair_new(SLOTS);
	struct chan_msg m = msg_make(CHAN_T_REQUEST, 7, 1), r;

	(void)state;
	assert_int_equal(chan_try_send(&p->a, &m), 0);
	assert_int_equal(chan_try_recv(&p->a, &r), IPC_EAGAIN);  /* not our own message */
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	msg_check(&r, CHAN_T_REQUEST, 7, 1);
	m = msg_make(CHAN_T_REPLY, 7, 2);
	assert_int_equal(chan_try_send(&p->b, &m), 0);
	assert_int_equal(chan_recv(&p->a, &r), 0);
	msg_check(&r, CHAN_T_REPLY, 7, 2);
	pair_free(p);
}

static void test_empty_ring(void **state)
{
	struct pair *p = pair_new(SLOTS);
	struct chan_msg r;
	union chan_hdr h;

	(void)state;
	assert_int_equal(chan_try_recv(&p->b, &r), IPC_EAGAIN);
	assert_int_equal(chan_peek(&p->b, &h), IPC_EAGAIN);
	assert_int_equal(p->b.rx.pos, 0);
	pair_free(p);
}

static void test_full_ring(void **state)
{
	struct pair *p = pair_new(SLOTS);
	uint32_t slots = (uint32_t)p->a.tx.mask + 1, i;
	struct chan_msg m, r;

	(void)state;
	for (i = 0; i < slots; i++) {
		m = msg_make(CHAN_T_ONEWAY, i, i);
		assert_int_equal(chan_try_send(&p->a, &m), 0);
	}
	m = msg_make(CHAN_T_ONEWAY, 99, 99);
	assert_int_equal(chan_try_send(&p->a, &m), IPC_EAGAIN);
	assert_int_equal(chan_try_send(&p->a, &m), IPC_EAGAIN);
	assert_int_equal(chan_try_recv(&p->b, &r), 0);  /* one slot frees... */
	msg_check(&r, CHAN_T_ONEWAY, 0, 0);
	assert_int_equal(chan_try_send(&p->a, &m), 0);  /* ...and is reused */
	assert_int_equal(chan_try_send(&p->a, &m), IPC_EAGAIN);
	for (i = 1; i < slots; i++) {
		assert_int_equal(chan_try_recv(&p->b, &r), 0);
		msg_check(&r, CHAN_T_ONEWAY, i, i);
	}
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	msg_check(&r, CHAN_T_ONEWAY, 99, 99);
	assert_int_equal(chan_try_recv(&p->b, &r), IPC_EAGAIN);
	pair_free(p);
}

/* Many laps around a small ring with varying fill levels. */
static void test_wrap_around(void **state)
{
	struct pair *p = pair_new(SLOTS);
	uint64_t sent = 0, got = 0, lap;
	struct chan_msg m, r;

	(void)state;
	for (lap = 0; lap < 1000; lap++) {
		uint64_t burst = 1 + lap % 64, i;

		for (i = 0; i < burst && chan_try_send(&p->a, (m = msg_make(CHAN_T_ONEWAY,
			(uint32_t)sent, sent), &m)) == 0; i++)
			sent++;
		while (chan_try_recv(&p->b, &r) == 0) {
			msg_check(&r, CHAN_T_ONEWAY, (uint32_t)got, got);
			got++;
		}
		assert_int_equal(got, sent);
	}
	assert_true(sent > 30 * (p->a.tx.mask + 1));
	assert_int_equal(p->a.tx.pos, sent);
	assert_int_equal(p->b.rx.pos, got);
	pair_free(p);
}

static void test_batch_send(void **state)
{
	struct pair *p = pair_new(SLOTS);
	uint32_t slots = (uint32_t)p->a.tx.mask + 1, i;
	struct chan_msg batch[80], r;

	(void)state;
	for (i = 0; i < 80; i++)
		batch[i] = msg_make(CHAN_T_ONEWAY, i, i);
	assert_true(slots < 80);
	/* More than fits: stops at the first full slot and says how many went. */
	assert_int_equal(chan_try_send_batch(&p->a, batch, 80), slots);
	for (i = 0; i < 10; i++)
		assert_int_equal(chan_try_recv(&p->b, &r), 0);
	chan_rx_release(&p->b);
	assert_int_equal(chan_try_send_batch(&p->a, batch + slots, 80 - slots), 10);
	for (i = 10; i < slots + 10; i++) {
		assert_int_equal(chan_try_recv(&p->b, &r), 0);
		msg_check(&r, CHAN_T_ONEWAY, i, i);
	}
	chan_send_batch(&p->a, batch, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(chan_try_recv(&p->b, &r), 0);
		msg_check(&r, CHAN_T_ONEWAY, i, i);
	}
	pair_free(p);
}

static void test_peek_does_not_consume(void **state)
{
	struct pair *p = pair_new(SLOTS);
	struct chan_msg m = msg_make(CHAN_T_REPLY, 0x10002, 3), r;
	union chan_hdr h;

	(void)state;
	chan_send(&p->a, &m);
	assert_int_equal(chan_peek(&p->b, &h), 0);
	assert_int_equal(h.type, CHAN_T_REPLY);
	assert_int_equal(h.tag, 0x10002);
	assert_int_equal(chan_peek(&p->b, &h), 0);
	assert_int_equal(p->b.rx.pos, 0);
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	msg_check(&r, CHAN_T_REPLY, 0x10002, 3);
	assert_int_equal(chan_peek(&p->b, &h), IPC_EAGAIN);
	pair_free(p);
}

static void test_accept_mask(void **state)
{
	struct pair *p = pair_new(SLOTS);
	struct chan_msg m, r;

	(void)state;
	p->b.rx.accept = CHAN_ACCEPT(CHAN_T_REPLY);
	m = msg_make(CHAN_T_REQUEST, 1, 1);
	chan_send(&p->a, &m);
	m = msg_make(CHAN_T_REPLY, 2, 2);
	chan_send(&p->a, &m);
	assert_int_equal(chan_try_recv(&p->b, &r), IPC_EBADMSG);
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	msg_check(&r, CHAN_T_REPLY, 2, 2);
	assert_int_equal(p->b.rx.rejected, 1);
	pair_free(p);
}

/* The peer writes raw bytes instead of using chan_send. */
static void test_hostile_garbage_rejected(void **state)
{
	struct pair *p = pair_new(SLOTS);
	struct chan_msg *ring = p->b.rx.slots, m, r;
	uint32_t slots = (uint32_t)p->b.rx.mask + 1, i;
	int ret;

	(void)state;
	ring[0].hdr.status = 0x1234;              /* not READY */
	ring[0].hdr.type = CHAN_T_REPLY;
	ring[1].hdr.status = CHAN_SLOT_READY;
	ring[1].hdr.type = 0xffff;                /* type out of range */
	ring[2].hdr.status = CHAN_SLOT_READY;
	ring[2].hdr.type = 0;                     /* type 0 is never valid */
	ring[3].hdr.status = CHAN_SLOT_READY;
	ring[3].hdr.type = CHAN_T_LIMIT - 1;      /* in range, not accepted */
	chan_set_rx_lazy(&p->b, 4);   /* bad slots held, then handed back */
	for (i = 0; i < 4; i++)
		assert_int_equal(chan_try_recv(&p->b, &r), IPC_EBADMSG);
	assert_int_equal(p->b.rx.rejected, 4);
	assert_int_equal(chan_try_recv(&p->b, &r), IPC_EAGAIN);  /* empty: frees held slots */
	for (i = 0; i < 4; i++)
		assert_int_equal(ring[i].hdr.word, 0);  /* every bad slot handed back */
	/* An honest message after the garbage still gets through. */
	p->a.tx.pos = 4;
	m = msg_make(CHAN_T_ONEWAY, 5, 5);
	chan_send(&p->a, &m);
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	msg_check(&r, CHAN_T_ONEWAY, 5, 5);

	/* Random bytes everywhere: every outcome is a valid message, a
	 * rejection or "empty", never more than one lap of progress. */
	srand(42);
	for (i = 0; i < slots * CHAN_SLOT_SIZE; i++)
		((unsigned char *)ring)[i] = (unsigned char)rand();
	for (i = 0; i < 4 * slots; i++) {
		ret = chan_try_recv(&p->b, &r);
		assert_true(ret == 0 || ret == IPC_EBADMSG || ret == IPC_EAGAIN);
		if (ret == 0)
			assert_true(chan_hdr_valid(&p->b.rx, r.hdr));
	}
	for (i = 0; i < slots; i++)
		assert_int_equal(ring[i].hdr.status, CHAN_SLOT_FREE);
	pair_free(p);
}

/*
 * Lazy free: consumed slots are held until the receiver finds the ring
 * empty (recv or peek), holds rx.lazy of them, or calls chan_rx_release;
 * never more than rx.lazy - 1 between calls, so the slot at rx.pos is never
 * a held one, and the sender never sees more than slots - (lazy - 1) free.
 */
static void test_lazy_free(void **state)
{
	struct pair *p = pair_new(SLOTS);
	uint32_t slots = (uint32_t)p->a.tx.mask + 1, lazy, i;
	struct chan_msg *ring = p->b.rx.slots, m, r;
	union chan_hdr h;

	(void)state;
	assert_int_equal(p->b.rx.lazy, CHAN_RX_LAZY);  /* eager by default */
	chan_set_rx_lazy(&p->b, 8);
	lazy = p->b.rx.lazy;
	assert_int_equal(lazy, 8);
	for (i = 0; i < slots; i++) {
		m = msg_make(CHAN_T_ONEWAY, i, i);
		assert_int_equal(chan_try_send(&p->a, &m), 0);
	}
	/* lazy - 1 receives: all held. */
	for (i = 0; i + 1 < lazy; i++) {
		assert_int_equal(chan_try_recv(&p->b, &r), 0);
		msg_check(&r, CHAN_T_ONEWAY, i, i);
		assert_int_equal(ring[i].hdr.status, CHAN_SLOT_READY);
		assert_int_equal(p->b.rx.pos - p->b.rx.freed, i + 1);
	}
	assert_int_equal(chan_try_send(&p->a, &m), IPC_EAGAIN);
	/* The lazy-th receive hands the whole group back. */
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	assert_int_equal(p->b.rx.freed, p->b.rx.pos);
	for (i = 0; i < lazy; i++)
		assert_int_equal(ring[i].hdr.word, 0);
	for (i = 0; i < lazy; i++) {
		m = msg_make(CHAN_T_ONEWAY, slots + i, slots + i);
		assert_int_equal(chan_try_send(&p->a, &m), 0);
	}
	assert_int_equal(chan_try_send(&p->a, &m), IPC_EAGAIN);
	/* Drain; peek on the empty ring hands back what is held. */
	for (i = lazy; i < slots + lazy; i++) {
		assert_int_equal(chan_try_recv(&p->b, &r), 0);
		msg_check(&r, CHAN_T_ONEWAY, i, i);
		assert_true(p->b.rx.pos - p->b.rx.freed < lazy);
	}
	m = msg_make(CHAN_T_ONEWAY, 77, 77);
	chan_send(&p->a, &m);
	assert_int_equal(chan_peek(&p->b, &h), 0);
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	msg_check(&r, CHAN_T_ONEWAY, 77, 77);
	assert_true(p->b.rx.pos != p->b.rx.freed);  /* held... */
	assert_int_equal(chan_peek(&p->b, &h), IPC_EAGAIN);  /* ...until peek sees empty */
	assert_int_equal(p->b.rx.pos, p->b.rx.freed);
	for (i = 0; i < slots; i++)
		assert_int_equal(ring[i].hdr.word, 0);
	pair_free(p);
}

/* rx.lazy is clamped to 1 .. slots / 2; 1 frees every slot as it is read. */
static void test_lazy_limits(void **state)
{
	struct pair *p = pair_new(SLOTS), *q;
	struct chan_msg m = msg_make(CHAN_T_ONEWAY, 1, 1), r;
	void *mem;

	(void)state;
	chan_set_rx_lazy(&p->b, 0);
	assert_int_equal(p->b.rx.lazy, 1);
	chan_send(&p->a, &m);
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	assert_int_equal(p->b.rx.slots[0].hdr.word, 0);  /* freed at once */
	chan_set_rx_lazy(&p->b, 1000);
	assert_int_equal(p->b.rx.lazy, (p->b.rx.mask + 1) / 2);
	/* Held slots are handed back when the limit changes. */
	chan_send(&p->a, &m);
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	assert_int_equal(p->b.rx.slots[1].hdr.status, CHAN_SLOT_READY);
	chan_set_rx_lazy(&p->b, 4);
	assert_int_equal(p->b.rx.slots[1].hdr.word, 0);
	pair_free(p);

	/* The smallest ring (2 slots): lazy 1. */
	q = calloc(1, sizeof(*q));
	assert_non_null(q);
	mem = aligned_alloc(IPC_PAGE_SIZE, IPC_PAGE_SIZE);
	assert_non_null(mem);
	assert_int_equal(chan_mem_init(mem, 4 * CHAN_SLOT_SIZE), 0);
	assert_int_equal(chan_attach(&q->a, mem, 4 * CHAN_SLOT_SIZE, 0, CHAN_ACCEPT_ALL), 0);
	assert_int_equal(chan_attach(&q->b, mem, 4 * CHAN_SLOT_SIZE, 1, CHAN_ACCEPT_ALL), 0);
	assert_int_equal(q->b.rx.lazy, 1);
	chan_send(&q->a, &m);
	chan_send(&q->a, &m);
	assert_int_equal(chan_try_send(&q->a, &m), IPC_EAGAIN);
	assert_int_equal(chan_try_recv(&q->b, &r), 0);
	assert_int_equal(chan_try_send(&q->a, &m), 0);
	free(mem);
	free(q);
}

/* A peer scribbling on the ring we send into only makes it look full. */
static void test_hostile_receiver_scribbles_our_ring(void **state)
{
	struct pair *p = pair_new(SLOTS);
	struct chan_msg m = msg_make(CHAN_T_ONEWAY, 1, 1);

	(void)state;
	p->a.tx.slots[0].hdr.status = 0x7777;
	assert_int_equal(chan_try_send(&p->a, &m), IPC_EAGAIN);
	assert_int_equal(p->a.tx.pos, 0);
	pair_free(p);
}

/*
 * The sender's look-ahead (issue 17): when it has to look, it checks the
 * slot at tx.pos and probes tx.ahead further; a FREE probe means every slot
 * in between was handed back (in ring order), so those are written without
 * another look.  A stall still shows at the slot where it looks.
 */
static void test_tx_lookahead(void **state)
{
	struct pair *p = pair_new(SLOTS);
	uint32_t slots = (uint32_t)p->a.tx.mask + 1, ahead, i;
	struct chan_msg m = msg_make(CHAN_T_ONEWAY, 1, 1), r;

	(void)state;
	ahead = p->a.tx.ahead;
	assert_int_equal(ahead, CHAN_TX_AHEAD < slots / 2 ? CHAN_TX_AHEAD : slots / 2);
	assert_int_equal(chan_try_send(&p->a, &m), 0);
	assert_int_equal(p->a.tx.avail, ahead + 1);   /* slots 0 .. ahead seen free */
	/* Inside the window nothing is read: a slot the peer scribbled on is
	 * overwritten (only the peer's own ring contents suffer)... */
	p->a.tx.slots[1].hdr.status = 0x7777;
	assert_int_equal(chan_try_send(&p->a, &m), 0);
	assert_int_equal(p->a.tx.slots[1].hdr.status, CHAN_SLOT_READY);
	/* ...but where the sender looks, it still counts as full. */
	p->a.tx.slots[ahead + 1].hdr.status = 0x7777;
	for (i = 2; i <= ahead; i++)
		assert_int_equal(chan_try_send(&p->a, &m), 0);
	assert_int_equal(chan_try_send(&p->a, &m), IPC_EAGAIN);
	assert_int_equal(p->a.tx.pos, ahead + 1);
	p->a.tx.slots[ahead + 1].hdr.word = 0;
	/* A probe that finds the slot ahead still in use grants one slot. */
	for (i = 0; i < ahead + 1; i++)
		assert_int_equal(chan_try_recv(&p->b, &r), 0);
	while (chan_try_send(&p->a, &m) == 0)
		;
	assert_int_equal(p->a.tx.pos, slots + ahead + 1);   /* full again */
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	assert_int_equal(chan_try_send(&p->a, &m), 0);
	assert_int_equal(p->a.tx.avail, p->a.tx.pos);
	assert_int_equal(chan_try_send(&p->a, &m), IPC_EAGAIN);
	/* ahead 0: every slot is checked just before it is written. */
	chan_set_tx_ahead(&p->a, 0);
	while (chan_try_recv(&p->b, &r) == 0)
		;
	assert_int_equal(chan_try_send(&p->a, &m), 0);
	assert_int_equal(p->a.tx.avail, p->a.tx.pos);   /* nothing known ahead */
	p->a.tx.slots[p->a.tx.pos & p->a.tx.mask].hdr.status = 0x7777;
	assert_int_equal(chan_try_send(&p->a, &m), IPC_EAGAIN);
	chan_set_tx_ahead(&p->a, 100000);
	assert_int_equal(p->a.tx.ahead, slots / 2);
	pair_free(p);
}

/*
 * A blocked chan_send waits for a group of free slots, but settles for the
 * one slot at pos when the receiver frees no more (it may be waiting for
 * us): it must not hang.  Single-threaded, so the group never comes.
 */
static void test_send_full_ring_takes_one_slot(void **state)
{
	struct pair *p = pair_new(SLOTS);
	uint32_t slots = (uint32_t)p->a.tx.mask + 1, i;
	struct chan_msg m = msg_make(CHAN_T_ONEWAY, 1, 1), r;

	(void)state;
	for (i = 0; i < slots; i++)
		chan_send(&p->a, &m);
	assert_int_equal(chan_try_send(&p->a, &m), IPC_EAGAIN);
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	chan_send(&p->a, &m);                 /* returns: the one free slot */
	assert_int_equal(p->a.tx.pos, slots + 1);
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	assert_int_equal(chan_try_recv(&p->b, &r), 0);
	chan_send_batch(&p->a, (struct chan_msg[2]){ m, m }, 2);
	assert_int_equal(p->a.tx.pos, slots + 3);
	pair_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_attach_rejects_bad_areas),
		cmocka_unit_test(test_send_recv_both_directions),
		cmocka_unit_test(test_empty_ring),
		cmocka_unit_test(test_full_ring),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_batch_send),
		cmocka_unit_test(test_peek_does_not_consume),
		cmocka_unit_test(test_accept_mask),
		cmocka_unit_test(test_hostile_garbage_rejected),
		cmocka_unit_test(test_hostile_receiver_scribbles_our_ring),
		cmocka_unit_test(test_lazy_free),
		cmocka_unit_test(test_lazy_limits),
		cmocka_unit_test(test_tx_lookahead),
		cmocka_unit_test(test_send_full_ring_takes_one_slot),
	};

	return cmocka_run_group_tests_name("ipc_channel", tests, NULL, NULL);
}
