/*
 * Cross-core message channels.
 *
 * A channel is two single-producer/single-consumer rings, one per direction,
 * laid out in a caller-supplied, page-aligned shared area:
 *
 *     shared area:  [ ring 0: side 0 -> side 1 ][ ring 1: side 1 -> side 0 ]
 *     each ring:    N slots (N a power of two) of one 64-byte cache line
 *
 * There is no shared head or tail index.  Each side keeps its own position
 * (struct chan, in private memory) and every slot carries its own status, so
 * the only lines that travel between cores are the message lines themselves,
 * and neither side ever has to trust an index written by the other.
 *
 * Message layout (one cache line, little-endian):
 *
 *     byte  0..1   status  CHAN_SLOT_FREE (0) or CHAN_SLOT_READY
 *     byte  2..3   type    enum chan_type
 *     byte  4..7   tag     chosen by the requester, echoed in the reply
 *     byte  8..63  w[0..6] payload words
 *
 * status/type/tag form one 8-byte header word, written by the sender with a
 * single store after the payload: that store is what publishes the message.
 * The receiver copies the line to private memory and validates only its
 * private copy.  It hands the slot back by writing the header to zero
 * (FREE): by default at once; with chan_set_rx_lazy(c, n > 1), lazily: when
 * it next finds the ring empty, or once it holds n consumed slots, or on
 * chan_rx_release().  Lazy freeing takes the FREE store (a write to a line
 * the sender will need again) off the critical path of a ping-pong: the
 * reply is published before the free, which happens while the receiver
 * waits anyway.
 *
 * The fast path is inline below; set-up lives in ipc/channel.c.
 */
#ifndef LXDS_CHANNEL_H
#define LXDS_CHANNEL_H

#include <lxds/ipc_port.h>

#define CHAN_SLOT_SIZE      64
#define CHAN_PAYLOAD_WORDS  7

/* A non-trivial pattern, so that stray bytes rarely look like a message. */
#define CHAN_SLOT_FREE      0x0000u
#define CHAN_SLOT_READY     0xC5A1u

enum chan_type {
	CHAN_T_REQUEST = 1,  /* expects a CHAN_T_REPLY with the same tag */
	CHAN_T_REPLY   = 2,
	CHAN_T_ONEWAY  = 3,  /* no reply */
	CHAN_T_LIMIT   = 16  /* receivers accept types below this only */
};
#define CHAN_ACCEPT(t)      (1u << (t))
#define CHAN_ACCEPT_ALL     (CHAN_ACCEPT(CHAN_T_REQUEST) | CHAN_ACCEPT(CHAN_T_REPLY) | \
			     CHAN_ACCEPT(CHAN_T_ONEWAY))

union chan_hdr {
	struct {
		uint16_t status;
		uint16_t type;
		uint32_t tag;
	};
	uint64_t word;
};

struct chan_msg {
	union chan_hdr hdr;
	uint64_t w[CHAN_PAYLOAD_WORDS];
} IPC_ALIGNED(CHAN_SLOT_SIZE);

_Static_assert(sizeof(struct chan_msg) == CHAN_SLOT_SIZE, "a message is one cache line");
_Static_assert(sizeof(union chan_hdr) == 8, "the header is published with one store");

/* One side's private view of one ring.  Aligned so that a side whose sender
 * and receiver run on different threads does not false-share. */
struct chan_ring {
	/* first line: everything either end touches per message */
	struct chan_msg *slots;   /* in the shared area */
	uint64_t pos;             /* messages passed through this end so far */
	uint64_t mask;            /* slots - 1 */
	uint32_t accept;          /* receiving end: CHAN_ACCEPT() bits of valid types */
	uint32_t lazy;            /* receiving end: most consumed slots held unfreed
				     (1 = free at once; at most slots / 2) */
	uint64_t freed;           /* receiving end: slots before this position are
				     handed back; freed <= pos, pos - freed < lazy
				     between calls */
	uint64_t avail;           /* sending end: slots before this position were
				     seen free (avail - pos <= slots when ahead) */
	uint64_t probe_at;        /* sending end: no look-ahead probe before pos
				     reaches this (after a probe found the slot
				     ahead still in use) */
	uint32_t ahead;           /* sending end: how far past pos a probe looks
				     (0 .. slots / 2; 0 = never look ahead) */
	uint32_t backoff;         /* sending end: sends without a probe after one
				     found the slots ahead in use (half the
				     shorter probe's distance, >= 1; 0 in grouped
				     mode: probe at every look) */
	/* second line: counters and the blocked sender's policy */
	uint64_t rejected;        /* receiving end: invalid messages dropped */
	uint32_t patience;        /* sending end: pauses a blocked sender waits
				     for the slot ahead before it takes the slot
				     at pos alone (CHAN_TX_PATIENCE; 0 in grouped
				     mode: whichever comes first) */
} IPC_ALIGNED(IPC_CACHELINE);

_Static_assert(__builtin_offsetof(struct chan_ring, rejected) == IPC_CACHELINE,
	       "the per-message fields of a ring end fit its first cache line");

/* Default for tx.ahead: how many slots past the next one the sender probes
 * when it has to look at the ring (clamped to slots / 2, so by default half
 * the ring: one look per half ring when the receiver keeps up). */
#define CHAN_TX_AHEAD  65536

/* The second, shorter probe when the one tx.ahead away finds a slot still
 * in use (only when tx.ahead is longer). */
#define CHAN_TX_NEAR  16

/* Default for rx.lazy: eager.  Lazy freeing is opt-in (chan_set_rx_lazy):
 * on the benchmark VM it did not shorten round trips measurably and it
 * halved batched streaming (docs/ipc-async.md). */
#define CHAN_RX_LAZY  1

struct chan {
	struct chan_ring tx;
	struct chan_ring rx;
};

/* Bytes of shared memory for a channel with `slots` slots per direction. */
size_t chan_mem_size(uint32_t slots);

/* Creator only, once, before either side attaches: marks every slot free. */
int chan_mem_init(void *mem, size_t bytes);

/*
 * Attaches side 0 or 1 to a shared area of `bytes` (page-aligned address, and
 * 2 * slots * 64 bytes with slots a power of two >= 2).  `accept` is the set
 * of CHAN_ACCEPT() types this side is willing to receive.
 */
int chan_attach(struct chan *c, void *mem, size_t bytes, int side, uint32_t accept);

/*
 * Sets how many consumed slots the receiving end may hold before handing
 * them back (clamped to 1 .. slots / 2; 1 = free each slot as it is read).
 * Hands back any held now.
 */
void chan_set_rx_lazy(struct chan *c, uint32_t lazy);

/*
 * Sets how far ahead the sender probes when it looks at the ring (clamped
 * to 0 .. slots / 2; 0 = check every slot just before writing it).
 */
void chan_set_tx_ahead(struct chan *c, uint32_t ahead);

/*
 * The /tmp model's sender policy (docs/ipc-async.md, chan3 round): the
 * sender probes at every look, never backing off, and a blocked sender
 * takes whichever comes first, the slot ahead or the slot at pos.
 * Measured no better than the default (worse at 64 slots with the vCPUs
 * far apart), so it is used only by the benchmark.
 */
void chan_set_tx_grouped(struct chan *c, bool grouped);

/* --- fast path ------------------------------------------------------------ */

/* The payload copies below, unrolled: seven loads and stores instead of a
 * loop of four instructions a word (gcc -O2, the guest kernel's flags, kept
 * the loop). */
#define CHAN_COPY_UNROLLED _Pragma("GCC unroll 7")

IPC_INLINE struct chan_msg *chan_slot(const struct chan_ring *r)
{
	return &r->slots[r->pos & r->mask];
}

IPC_INLINE uint16_t chan_hdr_status(uint64_t word)
{
	union chan_hdr h = { .word = word };
	return h.status;
}

/* Writes one message into a slot known to be free, then publishes it. */
IPC_INLINE void chan_fill(struct chan_msg *s, const struct chan_msg *m)
{
	union chan_hdr h;
	int i;

	/* The header is read field by field, not as one word: callers set
	 * type and tag with narrow stores just before sending, and a wide
	 * load of narrow stores still in the store buffer cannot be
	 * forwarded (a stall of the sender on every message). */
	h.word = (uint64_t)CHAN_SLOT_READY | (uint64_t)m->hdr.type << 16 |
		 (uint64_t)m->hdr.tag << 32;
	CHAN_COPY_UNROLLED
	for (i = 0; i < CHAN_PAYLOAD_WORDS; i++)
		s->w[i] = m->w[i];
	/* Release: TSO makes the payload stores above visible before this one. */
	ipc_store_release64(&s->hdr.word, h.word);
}

/*
 * Is the slot at tx.pos known to be free?  Otherwise looks: the slot at pos
 * must be FREE (else IPC_EAGAIN), and then the slot `ahead` further on is
 * probed too (half the ring by default); if that one is FREE as well, every
 * slot in between is free.  If it is not, a second probe looks
 * CHAN_TX_NEAR (16) ahead, and only if both fail is the one slot at pos
 * granted, with no probe for tx.backoff sends.
 *
 * Why that holds: a slot's status is FREE only once the receiver has handed
 * back the message last written there (or none was), and the receiver
 * hands slots back strictly in ring order, each FREE store after the loads
 * of that slot's payload, and TSO makes its stores visible in program
 * order.  So seeing FREE at pos + k (k < slots) means the messages in
 * pos .. pos + k - 1 (one lap earlier) were read and handed back too.
 *
 * Why it matters (issue 17, docs/ipc-async.md): loading a slot's status
 * right before writing the slot costs a second transfer of the line (the
 * load brings it over shared, the store must then take it back exclusive
 * from the receiver), on every message; a probe ahead pays that once
 * every `ahead` messages and lets the other stores go straight out.  Half
 * the ring rather than 16 (chan3 round): in the far vCPU placement a look
 * costs ~500 ticks, and one per 17 messages capped a 512-slot stream at
 * ~66-69 M/s; one per half ring gave 81-104 (docs/ipc-async.md).
 *
 * What it trusts: only a status word, as before; no index, no count.  An
 * honest receiver never frees out of order; a hostile one that writes FREE
 * into slots it has not read only makes us overwrite its own messages.
 * The slot at pos is always checked when we look, so a ring the peer
 * scribbled on before we reach it still reads as full.
 */
IPC_INLINE bool chan_tx_room(struct chan_ring *r)
{
	uint64_t look;

	if (r->avail - r->pos - 1 <= r->mask)   /* pos < avail <= pos + slots */
		return true;
	/* Acquire: our payload stores must not be moved above this check, or
	 * they could overwrite a message the peer is still reading. */
	if (chan_hdr_status(ipc_load_acquire64(&chan_slot(r)->hdr.word)) != CHAN_SLOT_FREE)
		return false;
	r->avail = r->pos + 1;
	if (r->ahead && r->pos >= r->probe_at) {
		look = r->pos + r->ahead;
		if (chan_hdr_status(ipc_load_acquire64(&r->slots[look & r->mask].hdr.word)) ==
		    CHAN_SLOT_FREE) {
			r->avail = look + 1;
			return true;
		}
		/* The far probe (half the ring by default) failed: the
		 * receiver is less than that behind.  Try a short group. */
		if (r->ahead > CHAN_TX_NEAR) {
			look = r->pos + CHAN_TX_NEAR;
			if (chan_hdr_status(ipc_load_acquire64(&r->slots[look & r->mask].hdr.word)) ==
			    CHAN_SLOT_FREE) {
				r->avail = look + 1;
				return true;
			}
		}
		/* A (nearly) full ring: don't pull those lines on every send
		 * (grouped mode, backoff 0: do, see chan_set_tx_grouped). */
		r->probe_at = r->pos + r->backoff;
	}
	return true;
}

/* How many pauses a blocked sender waits for a whole group (the slot
 * tx.ahead past pos) before it settles for the single slot at pos. */
#define CHAN_TX_PATIENCE  256

/*
 * Waits until chan_try_send can send (used by chan_send, chan_send_batch).
 *
 * A sender that has caught up with the receiver from behind (a full ring)
 * and polls the slot at pos reads the very line the receiver is about to
 * hand back, and once it gets it, writes it right behind the receiver:
 * every message then costs extra line transfers on both sides, and the
 * state is stable, because the sender stays exactly one slot behind
 * (docs/ipc-async.md, issue 17).  So a blocked sender polls the slot
 * tx.ahead further on instead, which the receiver reaches only once per
 * group, and then writes the whole group; after CHAN_TX_PATIENCE pauses it
 * also accepts the slot at pos alone, so a receiver that stops after
 * freeing a few slots (e.g. because it waits for us) still lets us on.
 */
IPC_INLINE void chan_tx_wait(struct chan *c)
{
	struct chan_ring *r = &c->tx;
	const volatile uint64_t *near = &chan_slot(r)->hdr.word;
	const volatile uint64_t *far = &r->slots[(r->pos + r->ahead) & r->mask].hdr.word;
	unsigned spins = 0;

	for (;;) {
		ipc_cpu_relax();
		if (r->ahead && chan_hdr_status(ipc_load_acquire64(far)) == CHAN_SLOT_FREE)
			break;
		if ((r->ahead == 0 || spins++ >= r->patience) &&
		    chan_hdr_status(ipc_load_acquire64(near)) == CHAN_SLOT_FREE)
			break;
	}
	r->probe_at = 0;   /* the next look may probe ahead again */
}

/*
 * Sends m (its type and tag as set by the caller; status is ignored).
 * Returns 0, or IPC_EAGAIN when the peer has not yet freed the next slot.
 * A slot whose status is anything but FREE counts as full when the sender
 * looks (chan_tx_room), so a peer that scribbles on our sending ring only
 * stalls itself, or loses its own messages.
 */
IPC_INLINE int chan_try_send(struct chan *c, const struct chan_msg *m)
{
	if (!chan_tx_room(&c->tx))
		return IPC_EAGAIN;
	chan_fill(chan_slot(&c->tx), m);
	c->tx.pos++;
	return 0;
}

IPC_INLINE void chan_send(struct chan *c, const struct chan_msg *m)
{
	while (chan_try_send(c, m) != 0)
		chan_tx_wait(c);
}

/*
 * Sends as many of m[0..n) as there are free slots, in order, without
 * waiting.  Returns how many were sent.
 */
IPC_INLINE unsigned chan_try_send_batch(struct chan *c, const struct chan_msg *m, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (chan_try_send(c, &m[i]) != 0)
			break;
	return i;
}

/* Sends all of m[0..n), waiting for the peer where the ring is full. */
IPC_INLINE void chan_send_batch(struct chan *c, const struct chan_msg *m, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		done += chan_try_send_batch(c, m + done, n - done);
		if (done < n)
			chan_tx_wait(c);
	}
}

/* True if a received header h is acceptable to a ring with these accept
 * bits.  A macro, so that `accept` is evaluated only after the status and
 * type checks, where chan_try_recv always loaded it (an inline function
 * taking it by value moved the load and added an instruction there). */
#define CHAN_HDR_OK(accept, h) \
	((h).status == CHAN_SLOT_READY && (h).type < CHAN_T_LIMIT && \
	 ((accept) & CHAN_ACCEPT((h).type)) != 0)

/* True if the header of a received message is acceptable for this ring. */
IPC_INLINE bool chan_hdr_valid(const struct chan_ring *r, union chan_hdr h)
{
	return CHAN_HDR_OK(r->accept, h);
}

/*
 * Hands every consumed slot still held back to the sender.
 *
 * Release: each slot's payload was copied out by an earlier chan_try_recv;
 * those loads are older than the FREE store below, and TSO never moves a
 * store ahead of an older load, so the sender cannot overwrite a slot we are
 * still reading.  The barrier in ipc_store_release64 stops the compiler.
 * Only the header word is written, and only with zero: whatever a hostile
 * peer left in the slot is never read again.
 */
IPC_INLINE void chan_rx_release(struct chan *c)
{
	struct chan_ring *r = &c->rx;

	while (r->freed != r->pos) {
		ipc_store_release64(&r->slots[r->freed & r->mask].hdr.word, 0);
		r->freed++;
	}
}

/*
 * Copies the next message into private memory.  Returns 0 with *out
 * filled, IPC_EAGAIN if the ring is empty, or IPC_EBADMSG if the slot held
 * something invalid (it is consumed and counted in rx.rejected; *out holds
 * the copy, for diagnostics only).
 *
 * The header is read once; validation looks only at the private copy, so the
 * peer changing the slot mid-read cannot make us act on unchecked values.
 *
 * The slot is handed back at once (rx.lazy == 1), or lazily (see the top
 * of this file): when a later call finds the ring empty, or once rx.lazy
 * slots are held.  Since pos - freed < lazy <= slots / 2, the slot at pos
 * is never one we hold.
 */
IPC_INLINE int chan_try_recv(struct chan *c, struct chan_msg *out)
{
	struct chan_ring *r = &c->rx;
	/* pos in a local: the stores to *out and to the slot may alias *r as
	 * far as the compiler knows, and would make it reload pos after them. */
	const uint64_t pos = r->pos;
	struct chan_msg *s = &r->slots[pos & r->mask];
	union chan_hdr h;
	int i;

	/* Acquire: the payload loads below stay after this load (TSO keeps
	 * load-load order; the barrier keeps the compiler from hoisting). */
	h.word = ipc_load_acquire64(&s->hdr.word);
	if (h.status == CHAN_SLOT_FREE) {
		/* Nothing to do but wait: a good moment to free held slots. */
		if (r->freed != r->pos)
			chan_rx_release(c);
		return IPC_EAGAIN;
	}
	CHAN_COPY_UNROLLED
	for (i = 0; i < CHAN_PAYLOAD_WORDS; i++)
		out->w[i] = s->w[i];
	out->hdr = h;
	r->pos = pos + 1;
	if (r->lazy <= 1) {
		/* Eager (the default): free now, as the slot was just read.
		 * Release: the payload loads above are older than this store,
		 * and TSO never moves a store ahead of an older load. */
		ipc_store_release64(&s->hdr.word, 0);
		r->freed = pos + 1;
	} else if (pos + 1 - r->freed >= r->lazy) {
		chan_rx_release(c);
	}
	if (IPC_UNLIKELY(!chan_hdr_valid(r, h))) {
		r->rejected++;
		return IPC_EBADMSG;
	}
	return 0;
}

/*
 * Receives up to `max` messages in one call (at most half the ring): a
 * burst.  Returns n >= 1 with out[0..n) holding n valid messages, in ring
 * order; IPC_EAGAIN if the ring is empty; or IPC_EBADMSG if the *first*
 * slot held something invalid (consumed, counted in rx.rejected, out[0]
 * holding the copy: what chan_try_recv returns for that slot, because it
 * is chan_try_recv that handles it).  A bad slot after good ones is not
 * touched: the call returns the good ones and the next call reports it.
 * max == 0 receives nothing and returns IPC_EAGAIN.
 *
 * Every message gets exactly chan_try_recv's treatment: its header is
 * loaded once into a register, validated there (chan_hdr_valid), the
 * payload is copied into the caller's private array, and only the private
 * copy is returned; nothing the peer wrote is read twice, and no index or
 * count comes from the peer (the burst ends at the first slot not READY,
 * at `max`, or at half the ring).  What it saves per message (issue 17,
 * docs/ipc-async.md, seventh round) is the bookkeeping of one call:
 * pos, mask, slots, accept and the freeing mode are loaded once, rx.pos and
 * rx.freed stored once per burst.
 *
 * Freeing is chan_try_recv's: eager (rx.lazy == 1), each slot's FREE store
 * right after its payload loads; lazy, the burst's slots join the held ones
 * and all are handed back once rx.lazy are held.  Why half the ring: with
 * up to lazy - 1 <= slots / 2 - 1 slots held from earlier calls, a burst of
 * slots / 2 never wraps around onto a held slot (still READY with a message
 * already received, which would come back a second time).
 */
IPC_INLINE int chan_try_recv_burst(struct chan *c, struct chan_msg *out, unsigned max)
{
	struct chan_ring *r = &c->rx;
	/* Everything in locals: the stores to out[] and to the slots may alias
	 * *r as far as the compiler knows. */
	const uint64_t pos = r->pos, mask = r->mask, half = (mask + 1) / 2;
	struct chan_msg *const slots = r->slots;
	const uint32_t accept = r->accept;
	const bool eager = r->lazy <= 1;
	unsigned n;
	int i;

	if (max > half)
		max = (unsigned)half;
	for (n = 0; n < max; n++) {
		struct chan_msg *s = &slots[(pos + n) & mask];
		union chan_hdr h;

		/* Acquire, as in chan_try_recv: the payload loads stay after it. */
		h.word = ipc_load_acquire64(&s->hdr.word);
		if (h.status == CHAN_SLOT_FREE)
			break;
		if (IPC_UNLIKELY(!CHAN_HDR_OK(accept, h))) {
			if (n > 0)
				break;   /* the next call reports it */
			/* The first slot is bad: chan_try_recv consumes, counts
			 * and reports it (it loads the header afresh, and acts
			 * on whatever it finds there now). */
			i = chan_try_recv(c, out);
			return i == 0 ? 1 : i;
		}
		CHAN_COPY_UNROLLED
		for (i = 0; i < CHAN_PAYLOAD_WORDS; i++)
			out[n].w[i] = s->w[i];
		out[n].hdr = h;
		/* Release, as in chan_try_recv: the payload loads above are
		 * older than this store, and TSO keeps that order. */
		if (eager)
			ipc_store_release64(&s->hdr.word, 0);
	}
	if (n == 0) {
		/* Empty (or max == 0): a good moment to free held slots. */
		if (r->freed != pos)
			chan_rx_release(c);
		return IPC_EAGAIN;
	}
	r->pos = pos + n;
	if (eager)
		r->freed = pos + n;
	else if (pos + n - r->freed >= r->lazy)
		chan_rx_release(c);
	return (int)n;
}

/* How many pauses chan_rx_wait_group waits for a whole group before it
 * settles for the next slot. */
#define CHAN_RX_PATIENCE  256

/*
 * Waits until a burst of `k` (1 .. half the ring) is likely ready: polls the
 * slot k - 1 past rx.pos rather than the slot at rx.pos, so that a receiver
 * that has caught up with its sender does not pull the line the sender is
 * about to write on every message (the receiving twin of chan_tx_wait).
 * After CHAN_RX_PATIENCE pauses it also returns as soon as the slot at
 * rx.pos is written, so a sender that stops short of a group is still
 * heard.  Meant for a streaming burst receiver that has caught up with its
 * sender (its last burst was shorter than asked for): with k = half the
 * ring, sender and receiver work on different halves instead of pulling
 * the same line back and forth, which in the benchmark lifted 512- and
 * 1 024-slot streams from ~46-75 to ~100-120 M/s (docs/ipc-async.md,
 * seventh round).  The price is latency: a message that is not followed by
 * k - 1 others waits up to CHAN_RX_PATIENCE pauses, so a request/reply
 * loop should not use it.  Only status words are read, as snapshots, and nothing is
 * trusted: the burst that follows validates every slot, and ends early at
 * one not yet written.
 */
IPC_INLINE void chan_rx_wait_group(struct chan *c, unsigned k)
{
	struct chan_ring *r = &c->rx;
	uint64_t half = (r->mask + 1) / 2;
	const volatile uint64_t *near = &chan_slot(r)->hdr.word;
	const volatile uint64_t *far;
	unsigned spins = 0;

	if (k < 1)
		k = 1;
	if (k > half)
		k = (unsigned)half;
	far = &r->slots[(r->pos + k - 1) & r->mask].hdr.word;
	for (;;) {
		if (chan_hdr_status(ipc_load_acquire64(far)) != CHAN_SLOT_FREE)
			return;
		if (spins++ >= CHAN_RX_PATIENCE &&
		    chan_hdr_status(ipc_load_acquire64(near)) != CHAN_SLOT_FREE)
			return;
		ipc_cpu_relax();
	}
}

/* Waits for the next message; returns 0 or IPC_EBADMSG as chan_try_recv. */
IPC_INLINE int chan_recv(struct chan *c, struct chan_msg *out)
{
	int ret;

	while ((ret = chan_try_recv(c, out)) == IPC_EAGAIN)
		ipc_cpu_relax();
	return ret;
}

/*
 * Looks at the header of the next message without consuming it, so the
 * async layer can decide where it goes (a waiting caller, or a request for
 * the dispatch loop).  Returns 0 with *h filled, or IPC_EAGAIN if empty.
 * The header is a snapshot: the peer may change the slot before it is
 * received, so chan_try_recv's copy is what must be trusted.
 */
IPC_INLINE int chan_peek(struct chan *c, union chan_hdr *h)
{
	h->word = ipc_load_acquire64(&chan_slot(&c->rx)->hdr.word);
	if (h->status != CHAN_SLOT_FREE)
		return 0;
	/* Empty: hand back held slots, as chan_try_recv does (pollers that
	 * only peek, like the async idle hook, must not starve the sender). */
	if (c->rx.freed != c->rx.pos)
		chan_rx_release(c);
	return IPC_EAGAIN;
}

#endif
