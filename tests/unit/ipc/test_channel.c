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

/*
 * Burst receive: up to max (and at most half the ring) messages per call,
 * in order, each freed as chan_try_recv would free it; rx.pos advanced once.
 */
static void test_burst_recv(void **state)
{
	struct pair *p = pair_new(SLOTS);
	uint32_t slots = (uint32_t)p->a.tx.mask + 1, i;
	struct chan_msg *ring = p->b.rx.slots, m, out[64];
	uint64_t sent = 0, got = 0;
	int ret, k;

	(void)state;
	assert_int_equal(chan_try_recv_burst(&p->b, out, 16), IPC_EAGAIN);
	for (i = 0; i < 5; i++, sent++) {
		m = msg_make(CHAN_T_ONEWAY, (uint32_t)sent, sent);
		assert_int_equal(chan_try_send(&p->a, &m), 0);
	}
	assert_int_equal(chan_try_recv_burst(&p->b, out, 0), IPC_EAGAIN);  /* max 0: nothing */
	assert_int_equal(p->b.rx.pos, 0);
	assert_int_equal(chan_try_recv_burst(&p->b, out, 3), 3);
	assert_int_equal(chan_try_recv_burst(&p->b, out + 3, 16), 2);
	for (i = 0; i < 5; i++, got++)
		msg_check(&out[i], CHAN_T_ONEWAY, (uint32_t)got, got);
	assert_int_equal(p->b.rx.pos, 5);
	assert_int_equal(p->b.rx.freed, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(ring[i].hdr.word, 0);   /* eager: every slot handed back */
	assert_int_equal(chan_try_recv_burst(&p->b, out, 16), IPC_EAGAIN);

	/* A full ring: one call takes at most half of it. */
	while (chan_try_send(&p->a, (m = msg_make(CHAN_T_ONEWAY, (uint32_t)sent, sent), &m)) == 0)
		sent++;
	assert_int_equal(sent - got, slots);
	assert_int_equal(chan_try_recv_burst(&p->b, out, 64), slots / 2);
	for (i = 0; i < slots / 2; i++, got++)
		msg_check(&out[i], CHAN_T_ONEWAY, (uint32_t)got, got);

	/* Many laps with bursts of every size, the sender refilling between. */
	for (k = 0; k < 400; k++) {
		unsigned max = (unsigned)(k % 19) + 1;

		while (sent - got < slots && (k & 1) == 0) {
			m = msg_make(CHAN_T_ONEWAY, (uint32_t)sent, sent);
			if (chan_try_send(&p->a, &m) != 0)
				break;
			sent++;
		}
		ret = chan_try_recv_burst(&p->b, out, max);
		if (ret == IPC_EAGAIN) {
			assert_int_equal(sent, got);
			continue;
		}
		assert_true(ret >= 1 && (unsigned)ret <= max && (uint32_t)ret <= slots / 2);
		for (i = 0; i < (uint32_t)ret; i++, got++)
			msg_check(&out[i], CHAN_T_ONEWAY, (uint32_t)got, got);
		assert_int_equal(p->b.rx.pos, got);
		assert_int_equal(p->b.rx.freed, got);
	}
	assert_true(got > 4 * slots);
	assert_int_equal(p->b.rx.rejected, 0);
	pair_free(p);
}

/*
 * A bad slot in a burst: the good ones before it are returned, the bad one
 * is left alone; the next call reports it exactly as chan_try_recv does
 * (IPC_EBADMSG, consumed, counted, its copy in out[0]); the ones after it
 * still get through.  Each kind of garbage of test_hostile_garbage_rejected.
 */
static void test_burst_bad_slot(void **state)
{
	static const uint16_t bad_status[4] = { 0x1234, CHAN_SLOT_READY, CHAN_SLOT_READY,
						CHAN_SLOT_READY };
	static const uint16_t bad_type[4] = { CHAN_T_REPLY, 0xffff, 0, CHAN_T_LIMIT - 1 };
	uint32_t lazy, kind, i;

	(void)state;
	for (lazy = 1; lazy <= 8; lazy *= 8) {
		for (kind = 0; kind < 4; kind++) {
			struct pair *p = pair_new(SLOTS);
			struct chan_msg *ring = p->b.rx.slots, m, out[16];

			chan_set_rx_lazy(&p->b, lazy);
			for (i = 0; i < 5; i++) {
				m = msg_make(CHAN_T_ONEWAY, i, i);
				assert_int_equal(chan_try_send(&p->a, &m), 0);
			}
			/* The peer turns slot 2 into garbage. */
			ring[2].hdr.status = bad_status[kind];
			ring[2].hdr.type = bad_type[kind];
			assert_int_equal(chan_try_recv_burst(&p->b, out, 16), 2);
			msg_check(&out[0], CHAN_T_ONEWAY, 0, 0);
			msg_check(&out[1], CHAN_T_ONEWAY, 1, 1);
			assert_int_equal(p->b.rx.pos, 2);
			assert_int_equal(p->b.rx.rejected, 0);
			assert_int_equal(ring[2].hdr.status, bad_status[kind]);  /* untouched */
			assert_int_equal(chan_try_recv_burst(&p->b, out, 16), IPC_EBADMSG);
			assert_int_equal(out[0].hdr.status, bad_status[kind]);   /* the copy */
			assert_int_equal(out[0].hdr.type, bad_type[kind]);
			assert_int_equal(out[0].w[0], 2000);
			assert_int_equal(p->b.rx.pos, 3);
			assert_int_equal(p->b.rx.rejected, 1);
			assert_int_equal(chan_try_recv_burst(&p->b, out, 16), 2);
			msg_check(&out[0], CHAN_T_ONEWAY, 3, 3);
			msg_check(&out[1], CHAN_T_ONEWAY, 4, 4);
			assert_true(p->b.rx.pos - p->b.rx.freed < p->b.rx.lazy);
			assert_int_equal(chan_try_recv_burst(&p->b, out, 16), IPC_EAGAIN);
			assert_int_equal(p->b.rx.freed, p->b.rx.pos);   /* empty: all handed back */
			for (i = 0; i < 5; i++)
				assert_int_equal(ring[i].hdr.word, 0);
			pair_free(p);
		}
	}
}

/*
 * A burst gives exactly what chan_try_recv gives, message for message, on
 * random rings (hostile garbage mixed with valid-looking slots), eager and
 * lazy, any max; and leaves the ring and the counters the same.
 */
static void test_burst_matches_recv(void **state)
{
	uint32_t seed, i, slots;

	(void)state;
	for (seed = 1; seed <= 300; seed++) {
		struct pair *p = pair_new(SLOTS), *q = pair_new(SLOTS);
		struct chan_msg *rp = p->b.rx.slots, *rq = q->b.rx.slots, one, out[24];
		uint32_t lazy = 1u << (seed % 5), accept = seed % 3 ? CHAN_ACCEPT_ALL :
							   CHAN_ACCEPT(CHAN_T_REPLY);
		unsigned max = seed % 23;   /* 0 included */
		int ret, n, calls;

		slots = (uint32_t)p->b.rx.mask + 1;
		srand(seed);
		for (i = 0; i < slots; i++) {
			unsigned char *b = (unsigned char *)&rp[i];
			unsigned j, r = (unsigned)rand() % 8;

			for (j = 0; j < CHAN_SLOT_SIZE; j++)
				b[j] = (unsigned char)rand();
			/* Mostly plausible headers, so that bursts get long. */
			if (r < 5) {
				rp[i].hdr.status = CHAN_SLOT_READY;
				rp[i].hdr.type = (uint16_t)(1 + (unsigned)rand() % 3);
			} else if (r == 5) {
				rp[i].hdr.status = CHAN_SLOT_FREE;
			}
		}
		memcpy(rq, rp, slots * CHAN_SLOT_SIZE);
		assert_int_equal(chan_attach(&p->b, p->mem, p->bytes, 1, accept), 0);
		assert_int_equal(chan_attach(&q->b, q->mem, q->bytes, 1, accept), 0);
		chan_set_rx_lazy(&p->b, lazy);
		chan_set_rx_lazy(&q->b, lazy);
		/* q by bursts; p one message at a time must give the same. */
		for (calls = 0; calls <= (int)slots + 1; calls++) {
			ret = chan_try_recv_burst(&q->b, out, max);
			assert_true(q->b.rx.pos - q->b.rx.freed < q->b.rx.lazy);
			if (ret == IPC_EAGAIN) {
				if (max > 0)
					assert_int_equal(chan_try_recv(&p->b, &one), IPC_EAGAIN);
				break;
			}
			if (ret == IPC_EBADMSG) {
				assert_int_equal(chan_try_recv(&p->b, &one), IPC_EBADMSG);
				assert_memory_equal(&one, &out[0], sizeof(one));
				continue;
			}
			assert_true(ret >= 1 && (unsigned)ret <= max);
			for (n = 0; n < ret; n++) {
				assert_int_equal(chan_try_recv(&p->b, &one), 0);
				assert_memory_equal(&one, &out[n], sizeof(one));
				assert_true(chan_hdr_valid(&q->b.rx, out[n].hdr));
			}
		}
		assert_true(calls <= (int)slots + 1);   /* always ends at "empty" */
		assert_int_equal(q->b.rx.pos, p->b.rx.pos);
		assert_int_equal(q->b.rx.rejected, p->b.rx.rejected);
		chan_rx_release(&p->b);
		chan_rx_release(&q->b);
		assert_memory_equal(rp, rq, slots * CHAN_SLOT_SIZE);
		pair_free(p);
		pair_free(q);
	}
}

/*
 * Lazy freeing with bursts over many laps: a burst never wraps onto a slot
 * held from an earlier call (it would hand out a message a second time),
 * at most lazy - 1 are held between calls, and the sender gets them all back.
 */
static void test_burst_lazy(void **state)
{
	uint32_t lazy;

	(void)state;
	for (lazy = 2; lazy <= 16; lazy *= 2) {
		struct pair *p = pair_new(SLOTS);
		uint32_t slots = (uint32_t)p->a.tx.mask + 1;
		struct chan_msg m, out[40];
		uint64_t sent = 0, got = 0;
		int k, ret, i;

		chan_set_rx_lazy(&p->b, lazy);
		assert_int_equal(p->b.rx.lazy, lazy);
		for (k = 0; k < 600; k++) {
			for (i = 0; i < k % 37; i++) {
				m = msg_make(CHAN_T_ONEWAY, (uint32_t)sent, sent);
				if (chan_try_send(&p->a, &m) != 0)
					break;
				sent++;
			}
			assert_true(sent - got <= slots);
			ret = chan_try_recv_burst(&p->b, out, 40);
			if (ret == IPC_EAGAIN) {
				assert_int_equal(sent, got);
				assert_int_equal(p->b.rx.freed, p->b.rx.pos);
				continue;
			}
			assert_true(ret >= 1 && (uint32_t)ret <= slots / 2);
			for (i = 0; i < ret; i++, got++)
				msg_check(&out[i], CHAN_T_ONEWAY, (uint32_t)got, got);
			assert_true(p->b.rx.pos - p->b.rx.freed < lazy);
		}
		assert_true(got > 10 * slots);
		pair_free(p);
	}
}

/*
 * chan_rx_wait_group returns once the last slot of the group is written,
 * or, after CHAN_RX_PATIENCE pauses, once the next slot is; k is clamped to
 * 1 .. half the ring.  (Neither written: it waits, so not tested here.)
 */
static void test_rx_wait_group(void **state)
{
	struct pair *p = pair_new(SLOTS);
	uint32_t slots = (uint32_t)p->a.tx.mask + 1, i;
	struct chan_msg m, out[16];

	(void)state;
	/* One message only: the group of 8 never fills, patience lets it go. */
	m = msg_make(CHAN_T_ONEWAY, 0, 0);
	assert_int_equal(chan_try_send(&p->a, &m), 0);
	chan_rx_wait_group(&p->b, 8);
	assert_int_equal(chan_try_recv_burst(&p->b, out, 8), 1);
	msg_check(&out[0], CHAN_T_ONEWAY, 0, 0);
	/* A whole group: returns at once; k = 0 means 1, k past half the ring
	 * means half (the last slot of that group is written). */
	for (i = 1; i <= slots / 2; i++) {
		m = msg_make(CHAN_T_ONEWAY, i, i);
		assert_int_equal(chan_try_send(&p->a, &m), 0);
	}
	chan_rx_wait_group(&p->b, 0);
	chan_rx_wait_group(&p->b, 8);
	chan_rx_wait_group(&p->b, 1000);
	assert_int_equal(chan_try_recv_burst(&p->b, out, 16), 16);
	for (i = 0; i < 16; i++)
		msg_check(&out[i], CHAN_T_ONEWAY, i + 1, i + 1);
	/* Garbage in the far slot ends the wait too; the burst sorts it out. */
	p->b.rx.slots[(p->b.rx.pos + 3) & p->b.rx.mask].hdr.status = 0x1234;
	chan_rx_wait_group(&p->b, 4);
	assert_int_equal(chan_try_recv_burst(&p->b, out, 4), IPC_EAGAIN);
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
		cmocka_unit_test(test_burst_recv),
		cmocka_unit_test(test_burst_bad_slot),
		cmocka_unit_test(test_burst_matches_recv),
		cmocka_unit_test(test_burst_lazy),
		cmocka_unit_test(test_rx_wait_group),
	};

	return cmocka_run_group_tests_name("ipc_channel", tests, NULL, NULL);
}
