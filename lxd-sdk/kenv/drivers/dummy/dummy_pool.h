/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet pool of an isolated dummy driver, as both sides see it
 * (docs/lxd-dummy.md): Linux's dummy_glue allocates it and grants it to the
 * domain before the domain starts; dummy_lxd.c in the domain maps it.
 *
 * 512 KiB in 2 KiB slots.  Slots 0..DUMMY_POOL_DATA_SLOTS-1 carry one
 * packet each (Linux copies it in, the domain's driver reads it); then
 * 16 KiB of transmit ring, through which Linux hands the domain its packets
 * without a channel message, and the last slot holds the completion ring,
 * through which the domain gives slots back without a message.
 *
 * The transmit ring (struct dummy_txring), Linux's to write, the domain's
 * to read:
 *
 *   entry i % ENTRIES is the one-slot one-way dummy_lxd_xmit message Linux
 *   would have sent on the channel (w[0] the glue's slot header, w[1..6]
 *   its words, glue_frame_oneway1's layout), and seq = i + 1, stored last
 *   (a release).  The domain reads entries in order, each only once its seq
 *   says so, copies it out, and hands it to the generated dispatch exactly
 *   as a message from the channel (every word checked there, and only
 *   dummy_lxd_xmit accepted from this ring).  Linux publishes entry i only
 *   for a pool slot it took (or a refused forgery of the test), so an
 *   honest domain has at most DG_INFLIGHT (160) entries unread and the
 *   ring (256) never laps it; Linux never reads the ring, and a domain
 *   that gives slots back before reading their entries only loses its own
 *   packets.  No doorbell: the domain polls the ring at the end of each
 *   pass of its dispatcher, as it polls the channel.
 *
 * The completion ring (struct dummy_cring):
 *
 *   the domain writes a finished slot's number at slot[prod % ENTRIES],
 *   then prod + 1 (its own count, kept privately too); Linux reads prod
 *   when it wants slots, takes every number since its own consumer index
 *   (private, never in the pool) and checks each as it checks a
 *   dummy_slots_done message's: in range and in flight by Linux's own
 *   record, else refused and counted.  A prod more than ENTRIES ahead is
 *   refused whole.  Nothing else in the ring is trusted.
 *
 *   An honest domain never has more than DG_INFLIGHT (160) numbers unread
 *   (a slot is sent again only after Linux read it back), so the ring
 *   (256) never overflows and the domain never reads Linux's index.
 *
 *   want: Linux sets it (and a full barrier) before a sender sleeps for a
 *   slot; the domain, after writing a number (and a full barrier), sees it,
 *   clears it and rings: a one-way dummy_slots_done with no slots, on which
 *   Linux reads the ring.  A domain that does not ring costs a waiting
 *   sender at most Linux's 200 ms watchdog, which reads the ring too.
 *
 * prod, and want with cons, sit on cache lines of their own: one is
 * written by the domain's core, the other by Linux's.
 */
#ifndef LXDS_DUMMY_POOL_H
#define LXDS_DUMMY_POOL_H

#include <linux/types.h>

#define DUMMY_POOL_ORDER       7u                                 /* 128 pages */
#define DUMMY_POOL_BYTES       (4096u << DUMMY_POOL_ORDER)        /* 512 KiB */
#define DUMMY_SLOT_BYTES       2048u
#define DUMMY_POOL_SLOTS       (DUMMY_POOL_BYTES / DUMMY_SLOT_BYTES)   /* 256 */
#define DUMMY_TXR_ENTRIES      256u
#define DUMMY_TXR_BYTES        (DUMMY_TXR_ENTRIES * 64u)          /* 16 KiB: 8 slots */
#define DUMMY_POOL_DATA_SLOTS  (DUMMY_POOL_SLOTS - 1u - DUMMY_TXR_BYTES / DUMMY_SLOT_BYTES) /* 247 */
#define DUMMY_TXR_OFFSET       (DUMMY_POOL_DATA_SLOTS * DUMMY_SLOT_BYTES)
#define DUMMY_CRING_OFFSET     (DUMMY_TXR_OFFSET + DUMMY_TXR_BYTES)
#define DUMMY_CRING_ENTRIES    256u

/* One transmit entry: a cache line. */
struct dummy_txd {
	u64 seq;                           /* the entry's index + 1, stored last */
	u64 w[7];                          /* a one-slot glue message (w[0]: its header) */
};

struct dummy_txring {
	struct dummy_txd e[DUMMY_TXR_ENTRIES];
};

struct dummy_cring {
	u32 prod;                          /* the domain's: numbers written */
	u8 pad0[60];
	u32 want;                          /* Linux's: a sender waits for a slot */
	u32 cons;                          /* Linux's: numbers read (for the domain
					    * to see; Linux keeps its own) */
	u8 pad1[56];
	u32 slot[DUMMY_CRING_ENTRIES];     /* slot numbers given back */
};

_Static_assert(sizeof(struct dummy_txring) == DUMMY_TXR_BYTES, "transmit ring size");
_Static_assert(DUMMY_CRING_OFFSET + DUMMY_SLOT_BYTES == DUMMY_POOL_BYTES, "pool layout");
_Static_assert(sizeof(struct dummy_cring) <= DUMMY_SLOT_BYTES, "completion ring size");

#endif
