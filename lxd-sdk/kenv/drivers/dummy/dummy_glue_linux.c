// SPDX-License-Identifier: GPL-2.0
/*
 * dummy_glue.ko: Linux's side of drivers/net/dummy.c running, unmodified, in
 * an LXD (issue 12; docs/lxd-dummy.md).  The code idlc generated from
 * lxd-sdk/kenv/drivers/dummy/dummy.idl (dummy_linux.c) serves the domain's
 * calls into Linux over klxd's glue backend; this file adds what a
 * generated stub cannot do:
 *
 *   - the packet pool: 512 KiB of Linux memory granted to the domain before
 *     it starts (so: lxdctl load --no-start, insmod, lxdctl start);
 *   - the packet path.  Linux calls ndo_start_xmit with bottom halves off,
 *     where nothing may sleep.  So the device's ndo_start_xmit is ours: it
 *     copies the head into a pool slot and sends the one-way dummy_lxd_xmit
 *     (one 64-byte slot, its words written here in the generated stub's
 *     order) itself, with klxd_glue's send that never waits
 *     (klxd_glue_try_send_framed); when that cannot go (no pool slot free, the
 *     ring full, packets already queued) it queues the skb and wakes a
 *     sender thread, which may wait.  Once the head is in the slot and the
 *     message sent, Linux frees its skb (consume_skb, as native dummy does
 *     in its xmit): no skb crosses, none waits for the domain.  The domain
 *     runs the driver's own dummy_xmit on a private skb, whose
 *     dev_kfree_skb gives the pool slot back: its number written into the
 *     completion ring in the pool (dummy_pool.h; no message), or, with the
 *     domain's completion_ring=0, in batches of one-way dummy_slots_done
 *     messages (up to 32 slot numbers).  Linux reads the ring when it runs
 *     short of slots (dg_start_xmit, a sender waiting for a slot, a
 *     dummy_slots_done, the watchdog), the messages from dg_start_xmit's
 *     poll or klxd_glue's receive thread.  Up to DG_INFLIGHT slots are in
 *     flight;
 *   - ndo_set_rx_mode (called under a spinlock) crosses from a work item;
 *     ndo_get_stats64 crosses where it may sleep (rtnetlink: rtnl held),
 *     elsewhere (sysfs, /proc/net/dev: under locks) it answers from the
 *     counters the last crossing brought back;
 *   - checks on what the domain asks of Linux (it is not trusted): how many
 *     devices, private sizes and queue counts, address offsets, which
 *     devices it may free, and that a slot given back is one in flight to
 *     it (Linux's own record: out of range, repeated, not in flight is
 *     refused and counted);
 *   - the domain's death: a watchdog notices it (klxd_glue_peer_dead), logs
 *     it, releases rtnl if the domain held it, unregisters its interfaces
 *     and takes every pool slot back.  Senders see their packets dropped
 *     (counted in tx_dropped), never a hang; a domain that keeps its slots
 *     only stops its own traffic (its packets are dropped, no skb waits).
 */
#define pr_fmt(fmt) "dummy_glue: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/skbuff.h>
#include <linux/rtnetlink.h>
#include <linux/kthread.h>
#include <linux/workqueue.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <net/rtnetlink.h>
#include <net/ip.h>
#include <linux/if_arp.h>
#include <asm/msr.h>

#include <lxds/hypercall_abi.h>
#include "klxd.h"
#include "klxd_glue.h"
#include "dummy_common.h"
#include "dummy_pool.h"

static uint domain;
module_param(domain, uint, 0444);
MODULE_PARM_DESC(domain, "id of the dummy LXD, loaded with --no-start (it has a channel)");

static bool fast = true;
static bool dg_backend_up;                /* under dg_stats_lock */
static DEFINE_MUTEX(dg_stats_lock);       /* the backend (its counters, its mode) vs klxd_glue_stop */

static void dg_backend_mode(void);

static int dg_fast_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_bool(val, kp);

	if (!err)
		dg_backend_mode();
	return err;
}

static const struct kernel_param_ops dg_fast_ops = {
	.set = dg_fast_set,
	.get = param_get_bool,
};
module_param_cb(fast, &dg_fast_ops, &fast, 0644);
MODULE_PARM_DESC(fast, "ndo_start_xmit sends itself and takes completions when short of slots (0: every packet through the sender thread, completions through a work item)");

/* tx_ring=1: packets go to the domain through the transmit ring in the
 * pool (dummy_pool.h: one cache line per packet, no lock but dg.lock, no
 * channel message); 0: as one-way dummy_lxd_xmit messages on the channel.
 * The domain reads both. */
static bool tx_ring = true;
module_param(tx_ring, bool, 0644);
MODULE_PARM_DESC(tx_ring, "packets to the domain through the transmit ring in the pool (0: one-way messages on the channel)");

/* A measurement switch (docs/bench-net.md), off unless a benchmark sets it:
 * ndo_start_xmit frees each packet as native dummy does and counts it as
 * dropped, sending nothing to the domain: what Linux's transmit path costs
 * up to this driver, without the crossing. */
static bool bench_null_xmit;
module_param(bench_null_xmit, bool, 0644);
MODULE_PARM_DESC(bench_null_xmit, "measurement only: ndo_start_xmit frees every packet unsent (counted as dropped)");

/* timing=1: the packet path's stages timed for the stats' *_tsc fields
 * (xmit, fast, fast_parts, send, compl): seven rdtsc and their sums per
 * packet, ~40 instructions on the measured core.  A measurement, off by
 * default (those fields then read 0; the counts are kept either way): a
 * static key, so off costs a no-op where each stage would be timed. */
static struct klxd_switch timing = KLXD_SWITCH_INIT;
module_param_cb(timing, &klxd_switch_ops, &timing, 0644);
MODULE_PARM_DESC(timing, "measurement only: time the packet path's stages for the stats (default 0: counts only)");

/* The TSC when stages are timed, else 0 (nothing read). */
static __always_inline u64 dg_now(void)
{
	return klxd_switch_on(&timing) ? rdtsc() : 0;
}

/* *sum += now - t0, when stages are timed. */
static __always_inline void dg_time_add(u64 *sum, u64 t0)
{
	if (klxd_switch_on(&timing))
		*sum += rdtsc() - t0;
}

/* With fast=1 the sender takes the slots back itself when it runs short,
 * so the receive thread, which shares Linux's core with it, only needs to
 * look now and then: each of its naps costs a timer (an emulated APIC
 * write) and two context switches.  The domain's death is noticed by the
 * receive thread's check after a nap, so a long nap delays that too. */
static unsigned int rx_nap_us = 20000;

static int dg_nap_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int err = kstrtouint(val, 0, &v);

	if (err)
		return err;
	if (v < 1000 || v > 100000)
		return -ERANGE;
	WRITE_ONCE(rx_nap_us, v);
	dg_backend_mode();
	return 0;
}

static const struct kernel_param_ops dg_nap_ops = {
	.set = dg_nap_set,
	.get = param_get_uint,
};
module_param_cb(rx_nap_us, &dg_nap_ops, &rx_nap_us, 0644);
MODULE_PARM_DESC(rx_nap_us, "with fast=1, the receive thread's nap while the sender runs, in microseconds (1000..100000; it sleeps up to 5 times that)");

#define DG_POOL_ORDER   DUMMY_POOL_ORDER           /* 128 pages: 512 KiB */
#define DG_POOL_BYTES   (PAGE_SIZE << DG_POOL_ORDER)
#define DG_SLOT_BYTES   DUMMY_SLOT_BYTES
#define DG_SLOTS        DUMMY_POOL_DATA_SLOTS      /* the last 2 KiB: the completion ring */
/* Below klxd_glue's KLXD_GLUE_MAX_JOBS (256): every packet in flight comes
 * back as one queued one-way message, and the backend drops what is over. */
#define DG_INFLIGHT     160u
#define DG_TXQ_MAX      1024u                      /* skbs waiting for the sender */
#define DG_MAX_DEVS     8
#define DG_WATCH_MS     200
#define DG_POLL_BUDGET  32u                        /* ring slots dg_start_xmit reads per poll */
/* dg_start_xmit reads the completions only with this many slots in flight
 * or more (two batches of 32 short of DG_INFLIGHT): the sender does not
 * poll the ring per packet. */
#define DG_POLL_FROM    (DG_INFLIGHT - 64u)

/* One device the domain registered: Linux's net_device keeps pointing at
 * ops, our own copy of the glue's trampolines with four entries replaced. */
struct dg_dev {
	struct net_device_ops ops;
	struct net_device *dev;               /* NULL: free entry */
	bool registered;
	bool ever_registered;                 /* Linux frees it on unregister (needs_free_netdev) */
	const struct net_device_ops *tramp;   /* the glue's table of trampolines */
	struct work_struct rx_mode_work;
	u64 tx_packets, tx_bytes;             /* as the last crossing of ndo_get_stats64 said */
	atomic64_t tx_dropped;                /* dropped here, before the domain saw them */
	/* dev as the domain names it (dummy_lxd_xmit's first word), exported
	 * at its first packet; 0: not yet.  The reference lives until
	 * free_netdev, after the last packet. */
	u64 ref_word;
};

static struct {
	struct glue_ctx ctx;
	struct page *pool_pages;
	void *pool;
	bool pool_attached;                   /* the domain mapped it */
	spinlock_t lock;                      /* slots, free list, devs */
	bool slot_busy[DG_SLOTS];             /* in flight to the domain */
	/* free slots, first in first out (a slot given back is reused last:
	 * a stale number the domain sends again finds it free, not busy) */
	u32 free_slots[DG_SLOTS];
	u32 free_head, nfree;
	u32 inflight;
	struct dummy_txring *txr;             /* in the pool: Linux writes it, never reads it */
	u64 tprod;                            /* transmit entries published or reserved */
	struct dummy_cring *cring;            /* in the pool: the domain writes it */
	u32 ccons;                            /* the ring's numbers read so far */
	/* a wait for a slot timed out: the sender thread drops instead of
	 * waiting until the domain gives a slot back (dummy_slots_done) */
	bool starved;
	wait_queue_head_t slot_wq;
	struct sk_buff_head txq;
	atomic_t slow_pending;                /* skbs queued for the sender or being sent by it */
	struct task_struct *sender;
	bool sender_stopped;
	struct dg_dev devs[DG_MAX_DEVS];
	unsigned int nalloc;                  /* net_devices the domain allocated and did not free */
	struct rtnl_link_ops *link_ops;       /* the glue's copy, once registered */
	/* rtnl held on the domain's behalf: state, under dg.state */
	struct mutex state;
	wait_queue_head_t state_wq;
	bool domain_holds_rtnl;
	bool rtnl_unlock_pending;             /* the domain unlocked while a handler used it */
	unsigned int rtnl_users;              /* handlers running under the domain's rtnl */
	bool gone;                            /* the domain died or was destroyed */
	struct delayed_work watch;
	u64 sent, completed;
	/* setup: the device Linux is setting up through the domain's setup
	 * (ether_setup and dev_addr_mod are allowed on it alone) */
	struct mutex setup_lock;
	struct net_device *in_setup;
	void (*setup_tramp)(struct net_device *);
	/* what the domain asked and was refused (docs/lxd-dummy.md) */
	atomic_t refused;                     /* calls refused by these wrappers */
	atomic_t slots_refused;               /* slot numbers given back and refused */
	atomic_t cring_jumps;                 /* the ring's prod more than the ring ahead */
	/* per-stage counters (TSC: in Bochs, emulated instructions), read
	 * and reset through /sys/module/dummy_glue/parameters/stats; racy
	 * increments, a measurement only (docs/bench-net.md) */
	struct {
		u64 xmit_n, xmit_tsc;         /* dg_start_xmit, whole */
		u64 fast_n, fast_tsc;         /* sent from dg_start_xmit */
		u64 fast_full;                /* tried, ring full: queued instead */
		/* dg_xmit_fast's pieces: the slot, the head copy, the message
		 * (marshalling and send), the skb freed */
		u64 fast_slot_tsc, fast_copy_tsc, fast_msg_tsc, fast_free_tsc;
		u64 slow_n;                   /* queued for the sender thread */
		u64 send_n, send_tsc;         /* the sender thread's dg_send_one */
		u64 wakeups;                  /* the sender thread woke up */
		u64 compl_n, compl_tsc;       /* slots given back (dummy_slots_done) */
		u64 batch_n;                  /* dummy_slots_done messages */
		u64 reap_n, reap_slots;       /* reads of the completion ring, slots back */
		u64 rung;                     /* the domain rang (a dummy_slots_done of no slots) */
		u64 txr_n;                    /* packets through the transmit ring */
	} st;
} dg;

/* fast also decides how klxd_glue receives: with it, completions are
 * handled where they are received (by dg_start_xmit's poll or the receive
 * thread, no work item) and the receive thread leaves the core to the
 * sender; without it, as before this parameter existed. */
static void dg_backend_mode(void)
{
	mutex_lock(&dg_stats_lock);
	if (dg_backend_up)
		klxd_glue_set_bh_oneway(&dg.ctx, fast ? (int)dummy_RPC_dummy_slots_done : -1, -1,
					fast ? READ_ONCE(rx_nap_us) : 0);
	mutex_unlock(&dg_stats_lock);
}

/* A refused call: counted, logged (rate-limited: a domain can flood). */
#define dg_refuse(fmt, ...) do {						\
		atomic_inc(&dg.refused);					\
		pr_warn_ratelimited("domain %u: " fmt "; refused\n", domain, ##__VA_ARGS__); \
	} while (0)

/* --- devices ---------------------------------------------------------------- */

static struct dg_dev *dg_find(const struct net_device *dev)
{
	int i;

	for (i = 0; i < DG_MAX_DEVS; i++)
		if (dg.devs[i].dev == dev)
			return &dg.devs[i];
	return NULL;
}

static struct dg_dev *dg_of(const struct net_device *dev)
{
	return container_of(dev->netdev_ops, struct dg_dev, ops);
}

static void dg_drop(struct dg_dev *d, struct sk_buff *skb)
{
	if (d)
		atomic64_inc(&d->tx_dropped);
	kfree_skb(skb);
}

/* --- the packet path ---------------------------------------------------------- */

static bool dg_xmit_fast(struct sk_buff *skb, struct net_device *dev);
static void dg_reap(void);

/* ndo_start_xmit: bottom halves off, no sleeping.  Sends the packet itself
 * when it can (dg_xmit_fast), else queues it for the sender thread. */
static netdev_tx_t dg_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct dg_dev *d = dg_of(dev);
	u64 t0 = dg_now();

	if (READ_ONCE(dg.gone) || skb_queue_len(&dg.txq) >= DG_TXQ_MAX) {
		dg_drop(d, skb);
		return NETDEV_TX_OK;
	}
	/* dummy_xmit's skb_tx_timestamp: taken here, on Linux's skb, where
	 * the socket that asked for it is */
	skb_tx_timestamp(skb);
	if (unlikely(READ_ONCE(bench_null_xmit))) {
		atomic64_inc(&d->tx_dropped);
		consume_skb(skb);
		return NETDEV_TX_OK;
	}
	dg.st.xmit_n++;
	/* completions (slots back), only when short of slots: the ring in
	 * the pool, then (a domain that sends them as messages) the channel */
	if (READ_ONCE(fast) && READ_ONCE(dg.inflight) >= DG_POLL_FROM) {
		dg_reap();
		if (READ_ONCE(dg.inflight) >= DG_POLL_FROM)
			klxd_glue_poll_nowait(&dg.ctx, DG_POLL_BUDGET);
	}
	/* in order: not while the sender thread has packets to send */
	if (READ_ONCE(fast) && !atomic_read(&dg.slow_pending) && dg_xmit_fast(skb, dev)) {
		dg_time_add(&dg.st.xmit_tsc, t0);
		return NETDEV_TX_OK;
	}
	dg.st.slow_n++;
	atomic_inc(&dg.slow_pending);
	skb_queue_tail(&dg.txq, skb);
	wake_up_process(dg.sender);     /* referenced until the module goes */
	if (unlikely(READ_ONCE(dg.gone)))
		skb_queue_purge(&dg.txq);   /* raced with dg_domain_gone's purge */
	dg_time_add(&dg.st.xmit_tsc, t0);
	return NETDEV_TX_OK;
}

static u32 dg_reap_locked(void);

/* Under dg.lock: a free slot, now in flight, or -1.  Out of slots, it
 * reads the completion ring first. */
static __always_inline int dg_slot_take_locked(void)
{
	u32 slot;

	if (!dg.nfree || dg.inflight >= DG_INFLIGHT)
		dg_reap_locked();
	if (dg.gone || !dg.nfree || dg.inflight >= DG_INFLIGHT)
		return -1;
	slot = dg.free_slots[dg.free_head];
	dg.free_head = (dg.free_head + 1) % DG_SLOTS;
	dg.nfree--;
	dg.slot_busy[slot] = true;
	dg.inflight++;
	dg.sent++;
	return (int)slot;
}

/* Under dg.lock: a slot in flight back on the free list (at its tail). */
static void dg_slot_free_locked(u32 slot)
{
	dg.slot_busy[slot] = false;
	dg.free_slots[(dg.free_head + dg.nfree) % DG_SLOTS] = slot;
	dg.nfree++;
	dg.inflight--;
}

/* Under dg.lock: a slot number the domain gave back; its slot back on the
 * free list if it is one in flight to the domain by Linux's own record
 * (dg.slot_busy), else false: refused. */
static bool dg_give_back_locked(u32 slot)
{
	if (slot >= DG_SLOTS || !dg.slot_busy[slot])
		return false;
	dg_slot_free_locked(slot);
	dg.completed++;
	return true;
}

/* bad of the n numbers given back (where) refused: counted, logged
 * (rate-limited: a domain can flood). */
static void dg_refused_slots(u32 bad, u32 n, const char *where)
{
	atomic_add(bad, &dg.slots_refused);
	pr_warn_ratelimited("domain %u: %u of %u slot numbers given back %s not in flight (out of range, repeated or never sent); refused\n",
			    domain, bad, n, where);
}

/*
 * Under dg.lock: the slot numbers the domain wrote into the completion ring
 * since the last read (dummy_pool.h).  Each is read once and must name a
 * slot in flight to the domain by Linux's own record (dg.slot_busy), as a
 * dummy_slots_done's must; the others are refused and counted.  A prod more
 * than the ring ahead of what Linux read is refused whole (an honest domain
 * has at most DG_INFLIGHT numbers unread).  Returns the slots that came
 * back.
 */
static u32 dg_reap_locked(void)
{
	struct dummy_cring *r = dg.cring;
	u32 prod = READ_ONCE(r->prod), n = prod - dg.ccons, i, done = 0, bad = 0;

	if (!n)
		return 0;
	dg.ccons = prod;
	WRITE_ONCE(r->cons, prod);        /* for the domain to see; never read here */
	if (n > DUMMY_CRING_ENTRIES) {
		atomic_inc(&dg.cring_jumps);
		pr_warn_ratelimited("domain %u: completion ring %u numbers ahead of what Linux read (it holds %u); refused\n",
				    domain, n, DUMMY_CRING_ENTRIES);
		return 0;
	}
	smp_rmb();                        /* the numbers were written before prod */
	for (i = 0; i < n; i++) {
		if (dg_give_back_locked(READ_ONCE(r->slot[(prod - n + i) % DUMMY_CRING_ENTRIES])))
			done++;
		else
			bad++;
	}
	dg.st.reap_n++;
	dg.st.reap_slots += done;
	if (bad)
		dg_refused_slots(bad, n, "in the completion ring");
	if (done)
		WRITE_ONCE(dg.starved, false);
	return done;
}

/* The completion ring read; a sender waiting for a slot woken if it
 * brought some back. */
static void dg_reap(void)
{
	u32 done;

	spin_lock_bh(&dg.lock);
	done = dg_reap_locked();
	spin_unlock_bh(&dg.lock);
	if (done && wq_has_sleeper(&dg.slot_wq))
		wake_up(&dg.slot_wq);
}

static int dg_slot_get(void)
{
	int slot;

	spin_lock_bh(&dg.lock);
	slot = dg_slot_take_locked();
	spin_unlock_bh(&dg.lock);
	return slot;
}

/* A sender out of slots: before it sleeps, the domain is asked to ring
 * once it gives one back (want, dummy_pool.h), and the ring is read again. */
static bool dg_slot_wait_cond(int *slot)
{
	*slot = dg_slot_get();
	if (*slot < 0 && !READ_ONCE(dg.gone)) {
		WRITE_ONCE(dg.cring->want, 1);
		smp_mb();                 /* want before the ring's prod is read */
		*slot = dg_slot_get();
	}
	return *slot >= 0 || READ_ONCE(dg.gone) || kthread_should_stop();
}

/* Under dg.lock: a slot taken for a packet that did not go, free again and
 * not counted as sent (the caller wakes dg.slot_wq once unlocked). */
static void dg_slot_undo_locked(u32 slot)
{
	if (dg.slot_busy[slot]) {        /* else dg_domain_gone took every slot back */
		dg_slot_free_locked(slot);
		dg.sent--;
	}
}

/* A slot taken for a packet that did not go: free again, not sent. */
static void dg_slot_undo(u32 slot)
{
	spin_lock_bh(&dg.lock);
	dg_slot_undo_locked(slot);
	spin_unlock_bh(&dg.lock);
	wake_up(&dg.slot_wq);
}

/* dummy_lxd_xmit's words, at the positions idlc gives them
 * (dummy_W_dummy_lxd_xmit_*, dummy_common.h): dev (the reference word), len,
 * protocol, headlen, slot, data (its offset in the pool, bulk<skb_data>).
 * Written here directly into one channel slot or transmit ring entry
 * (glue_frame_oneway1's layout: what glue_frame_one would frame from the
 * stub's message), without the stub's writer (a bounds check per word),
 * its reference-table lookup per packet (d->ref_word), the nowait bracket
 * and a glue_msg to frame from (that framing was half the message's cost:
 * ~345 -> ~172 emulated instructions, docs/bench-net.md).  The domain
 * checks every word as it checks the stub's.  An argument added to the rpc
 * in dummy.idl changes _NWORDS and stops this build (the BUILD_BUG_ONs). */
#define DG_XMIT_WORDS 6
#define DG_W(arg) dummy_W_dummy_lxd_xmit_##arg

static __always_inline void dg_xmit_words(u64 *w, u64 word, const struct sk_buff *skb, u32 headlen, u32 slot)
{
	BUILD_BUG_ON(DG_W(NWORDS) != DG_XMIT_WORDS);
	BUILD_BUG_ON(DG_XMIT_WORDS > GLUE_SLOT_WORDS);
	w[DG_W(dev)] = word;
	w[DG_W(len)] = skb->len;
	w[DG_W(protocol)] = (__force u16)skb->protocol;
	w[DG_W(headlen)] = headlen;
	w[DG_W(slot)] = slot;
	w[DG_W(data)] = (u64)slot * DG_SLOT_BYTES;   /* its offset in the pool */
}

/* How the domain names dev: exported once per device, at its first packet
 * (the stub's export); 0 if that failed (the sender thread's stub logs
 * why). */
static noinline u64 dg_ref_export(struct dg_dev *d, struct net_device *dev)
{
	int err = 0;
	u64 word = glue_ref_export(&dg.ctx, dev, dummy_TYPE_net_device, &err);

	if (err || !word)
		return 0;
	WRITE_ONCE(d->ref_word, word);
	return word;
}

static __always_inline u64 dg_ref_word(struct dg_dev *d, struct net_device *dev)
{
	u64 word = READ_ONCE(d->ref_word);

	return likely(word) ? word : dg_ref_export(d, dev);
}

/* Publishes transmit ring entry dg.tprod (dummy_pool.h) under dg.lock:
 * entries go out in the order of tprod, which this lock keeps; the words
 * first, then seq (a release: the domain reads the words, and the slot's
 * data copied in before, only after seeing seq). */
static __always_inline struct dummy_txd *dg_txd_next_locked(void)
{
	return &dg.txr->e[dg.tprod % DUMMY_TXR_ENTRIES];
}

static __always_inline void dg_txd_publish_locked(struct dummy_txd *e)
{
	smp_store_release(&e->seq, ++dg.tprod);
}

/* A packet whose head is in its pool slot: its dummy_lxd_xmit, written
 * straight into the next transmit ring entry, published; under dg.lock. */
static __always_inline void dg_txd_put_locked(u64 word, const struct sk_buff *skb, u32 headlen, u32 slot)
{
	struct dummy_txd *e = dg_txd_next_locked();
	int i;

	BUILD_BUG_ON(ARRAY_SIZE(e->w) != 1 + GLUE_SLOT_WORDS);
	e->w[0] = glue_slot_hdr_word(dummy_RPC_dummy_lxd_xmit, 0, 1, DG_XMIT_WORDS);
	dg_xmit_words(&e->w[1], word, skb, headlen, slot);
	for (i = DG_XMIT_WORDS; i < GLUE_SLOT_WORDS; i++)
		e->w[1 + i] = 0;          /* as glue_frame_oneway1 (none while the rpc has 6) */
	dg_txd_publish_locked(e);
	dg.st.txr_n++;
}

static void dg_send_one(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct dg_dev *d = dg_of(dev);
	u32 headlen;
	void *data;
	int slot = -1;

	if (!READ_ONCE(dg.pool_attached) || READ_ONCE(dg.gone)) {
		dg_drop(d, skb);
		return;
	}
	/* a free slot, waiting for the domain to give some back; not
	 * while it keeps them (a wait timed out and none came back since):
	 * then every queued packet is dropped at once, not 5 s each */
	if (READ_ONCE(dg.starved))
		slot = dg_slot_get();
	else
		wait_event_timeout(dg.slot_wq, dg_slot_wait_cond(&slot), 5 * HZ);
	if (slot < 0) {
		if (!READ_ONCE(dg.gone) && !kthread_should_stop() && !READ_ONCE(dg.starved)) {
			WRITE_ONCE(dg.starved, true);
			pr_warn_ratelimited("%s: no pool slot came free in 5 s (%u in flight): dropping packets until the domain gives slots back\n",
					    dev->name, READ_ONCE(dg.inflight));
		}
		dg_drop(d, skb);
		return;
	}
	data = (u8 *)dg.pool + (size_t)slot * DG_SLOT_BYTES;
	headlen = min_t(u32, skb->len, DG_SLOT_BYTES);
	if (skb_copy_bits(skb, 0, data, headlen)) {
		dg_slot_undo((u32)slot);
		dg_drop(d, skb);
		return;
	}
	if (READ_ONCE(tx_ring)) {
		u64 word = dg_ref_word(d, dev);

		if (!word) {
			dg_slot_undo((u32)slot);
			dg_drop(d, skb);
			return;
		}
		spin_lock_bh(&dg.lock);
		dg_txd_put_locked(word, skb, headlen, (u32)slot);
		spin_unlock_bh(&dg.lock);
		consume_skb(skb);
		return;
	}
	/* One-way; the slot comes back in a dummy_slots_done.  If the message
	 * cannot go out (domain dead) the slot stays taken until
	 * dg_domain_gone takes every slot back. */
	dummy_lxd_xmit(dev, skb->len, (__force u16)skb->protocol, headlen, (u32)slot, data);
	consume_skb(skb);
}

/* Under dg.lock with bottom halves off already (dg_start_xmit's caller
 * turned them off): a free slot, now in flight, or -1. */
static int dg_slot_get_bh_off(void)
{
	int slot;

	spin_lock(&dg.lock);
	slot = dg_slot_take_locked();
	spin_unlock(&dg.lock);
	return slot;
}

/* The head of skb into its pool slot (a linear head by rep movsq, else
 * skb_copy_bits); false if it could not be copied. */
static __always_inline bool dg_copy_head(const struct sk_buff *skb, void *data, u32 headlen)
{
	if (likely(skb_headlen(skb) >= headlen)) {
		klxd_glue_copy(data, skb->data, headlen);
		return true;
	}
	return !skb_copy_bits(skb, 0, data, headlen);
}

/* A packet sent by dg_xmit_fast: Linux's skb freed (the domain has its own
 * copy of what it needs) and the stages counted (t0..t3: the slot taken,
 * the head copied, the message sent). */
static __always_inline void dg_xmit_sent(struct sk_buff *skb, u64 t0, u64 t1, u64 t2, u64 t3)
{
	u64 t4;

	consume_skb(skb);
	dg.st.fast_n++;
	if (klxd_switch_on(&timing)) {
		dg.st.fast_slot_tsc += t1 - t0;
		dg.st.fast_copy_tsc += t2 - t1;
		dg.st.fast_msg_tsc += t3 - t2;
		t4 = rdtsc();
		dg.st.fast_free_tsc += t4 - t3;
		dg.st.fast_tsc += t4 - t0;
	}
}

/*
 * dg_xmit_fast with tx_ring: the slot, the head copied and the entry
 * published under one hold of dg.lock (bottom halves are off already), so
 * entries go out in the order their packets came; no channel message.
 */
static bool dg_xmit_ring(struct sk_buff *skb, struct dg_dev *d, u64 word)
{
	u64 t0 = dg_now(), t1, t2, t3;
	u32 headlen = min_t(u32, skb->len, DG_SLOT_BYTES);
	int slot;

	spin_lock(&dg.lock);
	slot = dg_slot_take_locked();
	if (slot < 0) {
		spin_unlock(&dg.lock);
		return false;
	}
	t1 = dg_now();
	if (unlikely(!dg_copy_head(skb, (u8 *)dg.pool + (size_t)slot * DG_SLOT_BYTES, headlen))) {
		dg_slot_undo_locked((u32)slot);
		spin_unlock(&dg.lock);
		wake_up(&dg.slot_wq);
		dg_drop(d, skb);
		return true;
	}
	t2 = dg_now();
	dg_txd_put_locked(word, skb, headlen, (u32)slot);
	spin_unlock(&dg.lock);
	t3 = dg_now();
	dg_xmit_sent(skb, t0, t1, t2, t3);
	return true;
}

/* dg_xmit_fast with tx_ring=0: the message framed in a channel slot and
 * sent with klxd_glue_try_send_framed.  Not inlined: its chan_msg on the
 * stack (zeroed by the kernel's INIT_STACK_ALL_ZERO, 64-byte aligned) stays
 * out of the ring path's frame. */
static noinline bool dg_xmit_chan(struct sk_buff *skb, struct dg_dev *d, u64 word)
{
	struct chan_msg framed;
	u64 t0 = dg_now(), t1, t2, t3;
	u32 headlen;
	int slot, err;

	/* gone is checked under dg.lock (dg_slot_take_locked): dg_domain_gone
	 * sets it first, then takes every slot back under the same lock. */
	slot = dg_slot_get_bh_off();
	if (slot < 0)
		return false;
	t1 = dg_now();
	headlen = min_t(u32, skb->len, DG_SLOT_BYTES);
	if (!dg_copy_head(skb, (u8 *)dg.pool + (size_t)slot * DG_SLOT_BYTES, headlen)) {
		dg_slot_undo((u32)slot);
		dg_drop(d, skb);
		return true;
	}
	t2 = dg_now();
	/* the words straight into the slot: w[1 + i] is payload word i */
	glue_frame_oneway1(&framed, dummy_RPC_dummy_lxd_xmit, DG_XMIT_WORDS);
	dg_xmit_words(&framed.w[1], word, skb, headlen, (u32)slot);
	err = klxd_glue_try_send_framed(&dg.ctx, &framed);
	t3 = dg_now();
	if (err == -EAGAIN) {
		/* Nothing went out: the slot back, and let the sender thread
		 * wait for room on the ring. */
		dg.st.fast_full++;
		dg_slot_undo((u32)slot);
		return false;
	}
	/* Sent, or it could not go (the domain is gone): the slot stays taken
	 * until the domain gives it back or dg_domain_gone takes every slot
	 * back. */
	dg_xmit_sent(skb, t0, t1, t2, t3);
	return true;
}

/*
 * From dg_start_xmit (bottom halves off): a pool slot, the head copied, the
 * packet's dummy_lxd_xmit into the transmit ring (tx_ring) or straight onto
 * the channel, and the skb freed.  False, with nothing changed, when that
 * cannot be done without waiting (no slot free, the channel full): the
 * caller queues the skb for the sender thread (dg_send_one).  True when
 * the skb is taken care of (sent and freed, or dropped and counted).
 */
static bool dg_xmit_fast(struct sk_buff *skb, struct net_device *dev)
{
	struct dg_dev *d = dg_of(dev);
	u64 word;

	if (!READ_ONCE(dg.pool_attached))
		return false;
	word = dg_ref_word(d, dev);
	if (unlikely(!word))
		return false;
	if (READ_ONCE(tx_ring))
		return dg_xmit_ring(skb, d, word);
	return dg_xmit_chan(skb, d, word);
}

static int dg_sender_main(void *arg)
{
	struct sk_buff *skb;
	u64 t0;

	(void)arg;
	while (!kthread_should_stop()) {
		skb = skb_dequeue(&dg.txq);
		if (skb) {
			t0 = dg_now();
			dg_send_one(skb);
			atomic_dec(&dg.slow_pending);
			dg.st.send_n++;
			dg_time_add(&dg.st.send_tsc, t0);
			cond_resched();
			continue;
		}
		set_current_state(TASK_INTERRUPTIBLE);
		if (skb_queue_empty(&dg.txq) && !kthread_should_stop()) {
			schedule();
			dg.st.wakeups++;
		}
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/*
 * linux-guest/klxd/Kbuild compiles dummy_linux.c with
 * -Dkfree_skb_reason=dg_kfree_skb_reason (from when completions named
 * skbs); the generated code no longer calls it, but an inline kfree_skb
 * there would: Linux's own then.
 */
void dg_kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason);
void dg_kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason)
{
	kfree_skb_reason(skb, reason);
}

/*
 * dummy_slots_done from the domain: the completion ring read (this is also
 * the domain's ring: no slots, dummy_pool.h's want), then up to 32 pool
 * slots given back in the message (the
 * generated handler refused a count over the bound or slots missing from the
 * message).  Each number must name a slot in flight to the domain by
 * Linux's own record (dg.slot_busy), under one hold of dg.lock: a number out
 * of range, repeated (in this batch or later), or never sent is refused and
 * counted (slots_refused), never taken.  A domain can only lie about the
 * slots it holds: giving one back early lets Linux reuse it while the
 * domain still reads it, which garbles that domain's own packets and
 * nothing of Linux's (Linux reads nothing from the pool).
 */
void dummy_slots_done(uint32_t n, const u32 *slots)
{
	u32 i, bad = 0, done = 0;
	u64 t0 = dg_now();

	if (n > 32) {                     /* the generated handler's bound: never */
		atomic_add(n, &dg.slots_refused);
		return;
	}
	spin_lock_bh(&dg.lock);
	done = dg_reap_locked();
	for (i = 0; i < n; i++) {
		if (dg_give_back_locked(slots[i]))
			done++;
		else
			bad++;
	}
	spin_unlock_bh(&dg.lock);
	if (bad)
		dg_refused_slots(bad, n, "in a message");
	if (done)
		WRITE_ONCE(dg.starved, false);
	if (done || !n)                   /* !n: the domain rang (a sender waits) */
		wake_up(&dg.slot_wq);
	dg.st.rung += !n;
	dg.st.batch_n++;
	dg.st.compl_n += done;
	dg_time_add(&dg.st.compl_tsc, t0);
}

/* /sys/module/dummy_glue/parameters/stats: read, the counters since the
 * last write (any write resets them).  One line, name=value. */
static int dg_stats_get(char *buf, const struct kernel_param *kp)
{
	struct klxd_glue_stats k;

	(void)kp;
	mutex_lock(&dg_stats_lock);
	klxd_glue_stats(&dg.ctx, &k, false);
	mutex_unlock(&dg_stats_lock);
	return scnprintf(buf, PAGE_SIZE,
			 "xmit=%llu/%llu fast=%llu/%llu fast_parts=%llu/%llu/%llu/%llu fast_full=%llu slow=%llu send=%llu/%llu wakeups=%llu compl=%llu/%llu batches=%llu reap=%llu/%llu rung=%llu txr=%llu sender_csw=%lu/%lu glue_send=%llu/%llu glue_try=%llu/%llu try_full=%llu rx_rounds=%llu rx_slots=%llu rx_tsc=%llu rx_empty=%llu/%llu rx_yields=%llu rx_naps=%llu ow_runs=%llu ow_msgs=%llu ow_tsc=%llu rx_csw=%llu/%llu lazy_naps=%llu bh_msgs=%llu poll=%llu/%llu/%llu\n",
			 dg.st.xmit_n, dg.st.xmit_tsc, dg.st.fast_n, dg.st.fast_tsc, dg.st.fast_slot_tsc,
			 dg.st.fast_copy_tsc, dg.st.fast_msg_tsc, dg.st.fast_free_tsc, dg.st.fast_full,
			 dg.st.slow_n, dg.st.send_n, dg.st.send_tsc, dg.st.wakeups, dg.st.compl_n,
			 dg.st.compl_tsc, dg.st.batch_n, dg.st.reap_n, dg.st.reap_slots, dg.st.rung, dg.st.txr_n, dg.sender ? dg.sender->nvcsw : 0,
			 dg.sender ? dg.sender->nivcsw : 0, k.send_n, k.send_tsc, k.try_n, k.try_tsc,
			 k.try_full, k.rx_rounds, k.rx_slots, k.rx_tsc, k.rx_empty, k.rx_empty_tsc,
			 k.rx_yields, k.rx_naps, k.ow_runs, k.ow_msgs, k.ow_tsc, k.rx_nvcsw, k.rx_nivcsw,
			 k.rx_lazy_naps, k.bh_msgs, k.poll_n, k.poll_slots, k.poll_tsc);
}

static int dg_stats_set(const char *val, const struct kernel_param *kp)
{
	struct klxd_glue_stats k;

	(void)val;
	(void)kp;
	memset(&dg.st, 0, sizeof(dg.st));
	mutex_lock(&dg_stats_lock);
	klxd_glue_stats(&dg.ctx, &k, true);
	mutex_unlock(&dg_stats_lock);
	return 0;
}

static const struct kernel_param_ops dg_stats_ops = {
	.get = dg_stats_get,
	.set = dg_stats_set,
};
module_param_cb(stats, &dg_stats_ops, NULL, 0644);
MODULE_PARM_DESC(stats, "per-stage counters of the packet path (write: reset)");

/*
 * forge_txd (write-only, a test of the domain's side: tests/system/
 * lxd_dummy.sh): five transmit ring entries a hostile or broken Linux could
 * write, each of which the domain must refuse without giving a slot back
 * or stopping its ring: another rpc than dummy_lxd_xmit, a broken glue
 * header, a device word that names nothing, data past the pool, and a slot
 * whose data offset is another slot's.  The domain logs each and its count.
 */
static int dg_forge_txd_set(const char *val, const struct kernel_param *kp)
{
	u64 word = 0, w7[7];
	struct dummy_txd *e;
	int i;

	(void)val;
	(void)kp;
	for (i = 0; i < DG_MAX_DEVS && !word; i++)
		word = READ_ONCE(dg.devs[i].ref_word);
	if (!word || !READ_ONCE(dg.pool_attached) || READ_ONCE(dg.gone))
		return -ENODEV;       /* no packet sent yet, or no domain */
	spin_lock_bh(&dg.lock);
	for (i = 0; i < 5; i++) {
		memset(w7, 0, sizeof(w7));
		w7[0] = glue_slot_hdr_word(i ? dummy_RPC_dummy_lxd_xmit : dummy_RPC_dummy_slots_done,
					   0, 1, DG_XMIT_WORDS);
		w7[1 + DG_W(dev)] = i == 2 ? 0x5eed0000dead0001ull : word;
		w7[1 + DG_W(len)] = 64;
		w7[1 + DG_W(headlen)] = 64;
		w7[1 + DG_W(slot)] = 1;
		w7[1 + DG_W(data)] = i == 3 ? DG_POOL_BYTES : i == 4 ? 2 * DG_SLOT_BYTES : DG_SLOT_BYTES;
		if (i == 1)
			w7[0] ^= 0xffull << 56;     /* the glue's magic broken */
		e = dg_txd_next_locked();
		memcpy(e->w, w7, sizeof(w7));
		dg_txd_publish_locked(e);
	}
	spin_unlock_bh(&dg.lock);
	return 0;
}

static const struct kernel_param_ops dg_forge_txd_ops = {
	.set = dg_forge_txd_set,
};
module_param_cb(forge_txd, &dg_forge_txd_ops, NULL, 0200);
MODULE_PARM_DESC(forge_txd, "test: write five bad transmit ring entries the domain must refuse");

/* --- ops that cannot cross where Linux calls them ------------------------------ */

static void dg_rx_mode_work(struct work_struct *w)
{
	struct dg_dev *d = container_of(w, struct dg_dev, rx_mode_work);

	if (!READ_ONCE(dg.gone) && d->tramp->ndo_set_rx_mode)
		d->tramp->ndo_set_rx_mode(d->dev);
}

/* Under netif_addr_lock_bh: cross later, from a work item. */
static void dg_set_rx_mode(struct net_device *dev)
{
	schedule_work(&dg_of(dev)->rx_mode_work);
}

/* Only where the caller may sleep: rtnetlink (ip link, rtnl held, process
 * context).  sysfs and /proc/net/dev call this under a lock. */
static void dg_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *s)
{
	struct dg_dev *d = dg_of(dev);
	struct rtnl_link_stats64 t = { 0 };

	if (!READ_ONCE(dg.gone) && in_task() && !irqs_disabled() && rtnl_is_locked() &&
	    d->tramp->ndo_get_stats64) {
		d->tramp->ndo_get_stats64(dev, &t);
		if (!klxd_glue_peer_dead(&dg.ctx)) {
			WRITE_ONCE(d->tx_packets, t.tx_packets);
			WRITE_ONCE(d->tx_bytes, t.tx_bytes);
		}
	}
	s->tx_packets = READ_ONCE(d->tx_packets);
	s->tx_bytes = READ_ONCE(d->tx_bytes);
	s->tx_dropped = atomic64_read(&d->tx_dropped);
}

static void dg_uninit(struct net_device *dev)
{
	struct dg_dev *d = dg_of(dev);

	cancel_work_sync(&d->rx_mode_work);
	if (!READ_ONCE(dg.gone) && d->tramp->ndo_uninit)
		d->tramp->ndo_uninit(dev);
	spin_lock_bh(&dg.lock);
	d->registered = false;
	spin_unlock_bh(&dg.lock);
}

/* --- the domain's calls into Linux, checked ------------------------------------ */

/*
 * rtnl is taken and dropped on the domain's behalf (by whichever worker
 * serves the call).  Handlers that need it (register_netdevice, the link
 * ops) run between dg_rtnl_enter/exit; dg_domain_gone waits for them and
 * then drops rtnl if the domain died holding it.
 */
void dg_rtnl_lock(void);
void dg_rtnl_lock(void)
{
	mutex_lock(&dg.state);
	if (dg.domain_holds_rtnl || dg.gone) {
		mutex_unlock(&dg.state);
		/* its own nesting would be a self-deadlock in Linux */
		dg_refuse("rtnl_lock while it holds rtnl (or is gone)");
		return;
	}
	mutex_unlock(&dg.state);
	rtnl_lock();
	mutex_lock(&dg.state);
	if (dg.gone || dg.domain_holds_rtnl) {
		mutex_unlock(&dg.state);
		rtnl_unlock();
		return;
	}
	dg.domain_holds_rtnl = true;
	mutex_unlock(&dg.state);
}

void dg_rtnl_unlock(void);
void dg_rtnl_unlock(void)
{
	bool now;

	mutex_lock(&dg.state);
	if (!dg.domain_holds_rtnl || dg.rtnl_unlock_pending) {
		mutex_unlock(&dg.state);
		dg_refuse("rtnl_unlock without rtnl_lock");
		return;
	}
	now = dg.rtnl_users == 0;
	if (now)
		dg.domain_holds_rtnl = false;
	else
		dg.rtnl_unlock_pending = true;   /* the last handler under it drops it */
	mutex_unlock(&dg.state);
	if (now)
		rtnl_unlock();
}

static bool dg_rtnl_enter(void)
{
	bool ok;

	mutex_lock(&dg.state);
	ok = dg.domain_holds_rtnl && !dg.rtnl_unlock_pending && !dg.gone;
	if (ok)
		dg.rtnl_users++;
	mutex_unlock(&dg.state);
	return ok;
}

static void dg_rtnl_exit(void)
{
	bool unlock = false;

	mutex_lock(&dg.state);
	if (--dg.rtnl_users == 0 && dg.rtnl_unlock_pending) {
		dg.rtnl_unlock_pending = false;
		dg.domain_holds_rtnl = false;
		unlock = true;
	}
	mutex_unlock(&dg.state);
	wake_up_all(&dg.state_wq);
	if (unlock)
		rtnl_unlock();
}

/* Our own copy of the ops, four entries replaced, before Linux sees it. */
static int dg_take_ops(struct net_device *dev)
{
	struct dg_dev *d = dg_find(dev);

	if (!d || !dev->netdev_ops) {
		dg_refuse("register_netdevice of a device it did not allocate, or without ops");
		return -EINVAL;
	}
	if (d->ever_registered || dev->reg_state != NETREG_UNINITIALIZED) {
		/* Linux's register_netdevice would BUG() on it */
		dg_refuse("register_netdevice of %s, registered already", dev->name);
		return -EINVAL;
	}
	if (dev->netdev_ops != &d->ops) {
		d->tramp = dev->netdev_ops;
		d->ops = *d->tramp;
		d->ops.ndo_start_xmit = dg_start_xmit;
		d->ops.ndo_set_rx_mode = dg_set_rx_mode;
		d->ops.ndo_get_stats64 = dg_get_stats64;
		d->ops.ndo_uninit = dg_uninit;
		dev->netdev_ops = &d->ops;
	}
	return 0;
}

int dg_register_netdevice(struct net_device *dev);
int dg_register_netdevice(struct net_device *dev)
{
	struct dg_dev *d;
	int err;

	if (!READ_ONCE(dg.pool_attached)) {
		err = dummy_lxd_attach_pool(DG_POOL_BYTES);
		if (err) {
			pr_err("domain %u could not map the packet pool: %d\n", domain, err);
			return err;
		}
		WRITE_ONCE(dg.pool_attached, true);
	}
	if (!dg_rtnl_enter()) {
		dg_refuse("register_netdevice without rtnl_lock");
		return -EINVAL;
	}
	err = dg_take_ops(dev);
	if (!err) {
		/* not projected (dummy.idl net_device_reg): the one kind it registered */
		dev->rtnl_link_ops = dg.link_ops;
		/* Linux's own rules for the rest (name, MTU, features) */
		err = register_netdevice(dev);
		d = dg_find(dev);
		if (!err) {
			spin_lock_bh(&dg.lock);
			d->registered = true;
			d->ever_registered = true;
			spin_unlock_bh(&dg.lock);
			pr_info("domain %u registered %s (ifindex %d)\n", domain, dev->name,
				dev->ifindex);
		} else {
			pr_warn("domain %u: register_netdevice(%s) failed: %d\n", domain, dev->name,
				err);
		}
	}
	dg_rtnl_exit();
	return err;
}

/* Linux's alloc_netdev_mqs calls this: the domain's setup, marked. */
static void dg_setup_wrap(struct net_device *dev)
{
	WRITE_ONCE(dg.in_setup, dev);
	dg.setup_tramp(dev);
	WRITE_ONCE(dg.in_setup, NULL);
}

/* Only the features, flags and private flags an Ethernet device without
 * offload engines may have: a flag such as IFF_L3MDEV_MASTER or a feature
 * such as NETIF_F_HW_TLS_TX makes Linux call ops this device does not have. */
#define DG_FLAGS_OK      (IFF_BROADCAST | IFF_MULTICAST | IFF_NOARP | IFF_DEBUG)
#define DG_PRIV_FLAGS_OK (IFF_XMIT_DST_RELEASE | IFF_XMIT_DST_RELEASE_PERM | IFF_TX_SKB_SHARING | \
			  IFF_LIVE_ADDR_CHANGE | IFF_NO_QUEUE | IFF_DONT_BRIDGE | IFF_DISABLE_NETPOLL)
#define DG_FEATURES_OK   (NETIF_F_SG | NETIF_F_FRAGLIST | NETIF_F_GSO_SOFTWARE | NETIF_F_HW_CSUM | \
			  NETIF_F_HIGHDMA | NETIF_F_LLTX | NETIF_F_GSO_ENCAP_ALL | NETIF_F_RXCSUM)

/* What the domain's setup wrote into Linux's device (net_device_setup's
 * [out] fields): refused unless Linux can use it as the Ethernet device the
 * glue's packet path and ether_setup's header_ops assume. */
static bool dg_setup_ok(struct net_device *dev)
{
	const char *why = NULL;

	if (dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN || dev->hard_header_len != ETH_HLEN)
		why = "not Ethernet (type, address length or header length)";
	else if (dev->mtu < ETH_MIN_MTU || dev->mtu > IP_MAX_MTU || dev->max_mtu > IP_MAX_MTU ||
		 (dev->max_mtu && (dev->min_mtu > dev->max_mtu || dev->mtu > dev->max_mtu ||
				   dev->mtu < dev->min_mtu)))
		why = "MTU out of range";
	else if (dev->flags & ~DG_FLAGS_OK)
		why = "flags it may not set";
	else if (dev->priv_flags & ~(u64)DG_PRIV_FLAGS_OK)
		why = "private flags it may not set";
	else if ((dev->features | dev->hw_features | dev->hw_enc_features) & ~DG_FEATURES_OK)
		why = "features it does not have";
	else if (dev->tx_queue_len > 65536)
		why = "a transmit queue longer than 65536";
	else if (!dev->netdev_ops || !dev->ethtool_ops)
		why = "no netdev_ops or ethtool_ops";
	if (why)
		dg_refuse("its setup left %s: %s (type %u, address %u bytes, header %u, mtu %u [%u, %u], flags %#x, priv %#llx, features %#llx)",
			  dev->name, why, dev->type, dev->addr_len, dev->hard_header_len, dev->mtu,
			  dev->min_mtu, dev->max_mtu, dev->flags, (unsigned long long)dev->priv_flags,
			  (unsigned long long)dev->features);
	return !why;
}

struct net_device *dg_alloc_netdev_mqs(int sizeof_priv, const char *name,
				       unsigned char name_assign_type,
				       void (*setup)(struct net_device *),
				       unsigned int txqs, unsigned int rxqs);
struct net_device *dg_alloc_netdev_mqs(int sizeof_priv, const char *name,
				       unsigned char name_assign_type,
				       void (*setup)(struct net_device *),
				       unsigned int txqs, unsigned int rxqs)
{
	struct net_device *dev;
	int i;

	if (sizeof_priv < 0 || sizeof_priv > 4096 || txqs < 1 || txqs > 16 || rxqs < 1 ||
	    rxqs > 16 || name_assign_type > NET_NAME_RENAMED || !setup) {
		dg_refuse("alloc_netdev_mqs(priv %d, %u/%u queues, name type %u)", sizeof_priv, txqs,
			  rxqs, name_assign_type);
		return NULL;
	}
	spin_lock_bh(&dg.lock);
	for (i = 0; i < DG_MAX_DEVS && dg.devs[i].dev; i++)
		;
	if (i < DG_MAX_DEVS)
		dg.devs[i].dev = ERR_PTR(-EBUSY);     /* reserved while Linux allocates */
	spin_unlock_bh(&dg.lock);
	if (i >= DG_MAX_DEVS) {
		dg_refuse("more than %d devices", DG_MAX_DEVS);
		return NULL;
	}
	/* The domain's setup runs through the trampoline, inside Linux's
	 * alloc_netdev_mqs; dg_setup_wrap marks the device meanwhile. */
	mutex_lock(&dg.setup_lock);
	dg.setup_tramp = setup;
	dev = alloc_netdev_mqs(sizeof_priv, name, name_assign_type, dg_setup_wrap, txqs, rxqs);
	dg.setup_tramp = NULL;
	mutex_unlock(&dg.setup_lock);
	if (dev && !dg_setup_ok(dev)) {
		/* the domain's reference to it goes before the memory does */
		glue_ref_drop(&dg.ctx, dev, dummy_TYPE_net_device);
		free_netdev(dev);
		dev = NULL;
	}
	/* No netpoll (netconsole): it may call ndo_start_xmit from a hard
	 * interrupt, and dg.lock is taken with bottom halves off only (plain
	 * spin_lock on the transmit path), so that could deadlock on a CPU
	 * already holding it.  Linux refuses netpoll on such a device. */
	if (dev)
		dev->priv_flags |= IFF_DISABLE_NETPOLL;
	spin_lock_bh(&dg.lock);
	dg.devs[i].dev = dev;
	dg.devs[i].ref_word = 0;
	dg.devs[i].registered = false;
	dg.devs[i].ever_registered = false;
	if (dev)
		dg.nalloc++;
	spin_unlock_bh(&dg.lock);
	return dev;
}

/* ether_setup: only on the device being set up (the projection carries
 * nothing in, so a refused call changed nothing). */
void dg_ether_setup(struct net_device *dev);
void dg_ether_setup(struct net_device *dev)
{
	if (dev != READ_ONCE(dg.in_setup) || dev->reg_state != NETREG_UNINITIALIZED) {
		dg_refuse("ether_setup on %s, not a device it is setting up", dev->name);
		return;
	}
	ether_setup(dev);
}

/* Only a device it allocated and that is not registered. */
void dg_free_netdev(struct net_device *dev);
void dg_free_netdev(struct net_device *dev)
{
	struct dg_dev *d = dg_find(dev);

	if (!d || d->ever_registered || dev->reg_state != NETREG_UNINITIALIZED) {
		dg_refuse("free_netdev of a device it does not own or that is registered");
		return;
	}
	spin_lock_bh(&dg.lock);
	d->dev = NULL;
	dg.nalloc--;
	spin_unlock_bh(&dg.lock);
	free_netdev(dev);
}

/*
 * rtnl_link_ops.validate (ip link add/set with this kind, rtnl held, may
 * sleep): the driver's own validate runs in the domain on the attribute it
 * looks at (dummy_lxd_link_validate).  What it accepts is still refused
 * here: Linux would allocate and register the device itself, with the
 * domain's setup but the plain trampolines (whose ndo_start_xmit sleeps
 * where Linux may not), outside dg_alloc_netdev_mqs's checks.
 */
static int dg_link_validate(struct nlattr *tb[], struct nlattr *data[],
			    struct netlink_ext_ack *extack)
{
	const struct nlattr *a = tb ? tb[IFLA_ADDRESS] : NULL;
	u32 len = a ? nla_len(a) : 0;
	int err;

	(void)data;
	if (READ_ONCE(dg.gone) || !dg.link_ops)
		return -ENODEV;
	err = dummy_lxd_link_validate(dg.link_ops, a != NULL, len, a ? nla_data(a) : NULL, len);
	if (err > 0 || err < -MAX_ERRNO) {
		dg_refuse("rtnl_link_ops.validate answered %d", err);
		err = -EINVAL;
	}
	if (err) {
		NL_SET_ERR_MSG(extack, "refused by the isolated driver's validate");
		return err;
	}
	NL_SET_ERR_MSG(extack, "isolated driver: devices come from the domain (numdummies), not ip link add");
	return -EOPNOTSUPP;
}

int dg_rtnl_link_register(struct rtnl_link_ops *ops);
int dg_rtnl_link_register(struct rtnl_link_ops *ops)
{
	int err;

	if (!dg_rtnl_enter()) {
		dg_refuse("__rtnl_link_register without rtnl");
		return -EINVAL;
	}
	if (dg.link_ops || !ops->kind || !ops->kind[0]) {
		dg_refuse("a second rtnl_link_ops, or one without a kind");
		err = -EINVAL;
	} else {
		/* `ip link add type KIND`: Linux would allocate and register a
		 * device itself, with the domain's setup and the plain
		 * trampolines (whose ndo_start_xmit sleeps): refused before
		 * that, in validate (the driver's own validate is not
		 * projected; docs/lxd-dummy.md "Gaps") */
		ops->validate = dg_link_validate;
		err = __rtnl_link_register(ops);
		if (!err)
			dg.link_ops = ops;
		else
			pr_warn("domain %u: __rtnl_link_register(%s): %d\n", domain, ops->kind, err);
	}
	dg_rtnl_exit();
	return err;
}

void dg___rtnl_link_unregister(struct rtnl_link_ops *ops);
void dg___rtnl_link_unregister(struct rtnl_link_ops *ops)
{
	if (!dg_rtnl_enter()) {
		dg_refuse("__rtnl_link_unregister without rtnl");
		return;
	}
	if (ops == dg.link_ops) {
		__rtnl_link_unregister(ops);
		dg.link_ops = NULL;
	} else {
		dg_refuse("__rtnl_link_unregister of ops it did not register");
	}
	dg_rtnl_exit();
}

void dg_rtnl_link_unregister(struct rtnl_link_ops *ops);
void dg_rtnl_link_unregister(struct rtnl_link_ops *ops)
{
	if (ops != dg.link_ops || READ_ONCE(dg.domain_holds_rtnl) || READ_ONCE(dg.gone)) {
		dg_refuse("rtnl_link_unregister of ops it did not register, or holding rtnl");
		return;
	}
	rtnl_link_unregister(ops);
	dg.link_ops = NULL;
}

void dg_dev_addr_mod(struct net_device *dev, unsigned int offset, const void *addr, size_t len);
void dg_dev_addr_mod(struct net_device *dev, unsigned int offset, const void *addr, size_t len)
{
	/* (dev: a device the domain knows, checked by the glue; during
	 * setup it is not in dg.devs yet.)  Only while Linux sets it up
	 * (eth_hw_addr_random in setup): a live device's address changes
	 * through Linux (dev_set_mac_address, under rtnl, with notifiers). */
	if (dev != READ_ONCE(dg.in_setup) || dev->reg_state != NETREG_UNINITIALIZED) {
		dg_refuse("dev_addr_mod on %s, not a device it is setting up", dev->name);
		return;
	}
	if (offset > MAX_ADDR_LEN || len > MAX_ADDR_LEN - offset || offset + len > dev->addr_len) {
		dg_refuse("dev_addr_mod(offset %u, %zu bytes) outside the address", offset, len);
		return;
	}
	dev_addr_mod(dev, offset, addr, len);
}

/* --- the domain's death ------------------------------------------------------------ */

static bool dg_no_rtnl_users(void)
{
	bool none;

	mutex_lock(&dg.state);
	none = dg.rtnl_users == 0;
	mutex_unlock(&dg.state);
	return none;
}

/*
 * The domain is dead (or the module goes): Linux forgets it.  Order:
 * no new work (gone), handlers under the domain's rtnl finish (their calls
 * into the dead domain fail at once) and rtnl is dropped if it held it; no
 * more packets to send; every device of its kind unregistered under
 * Linux's own locks (after which no Linux thread can be inside a
 * trampoline: they all run under rtnl, on a registered device); then the
 * backend stops (queued handlers drain), every pool slot comes back and the
 * glue's private copies go.
 */
static void dg_domain_gone(void)
{
	unsigned int i, freed = 0;
	bool held;

	mutex_lock(&dg.state);
	dg.gone = true;
	mutex_unlock(&dg.state);
	wake_up_all(&dg.slot_wq);
	wait_event(dg.state_wq, dg_no_rtnl_users());
	mutex_lock(&dg.state);
	held = dg.domain_holds_rtnl;
	dg.domain_holds_rtnl = false;
	dg.rtnl_unlock_pending = false;
	mutex_unlock(&dg.state);
	if (held) {
		pr_warn("domain %u died holding rtnl: released\n", domain);
		rtnl_unlock();
	}
	if (dg.sender && !dg.sender_stopped) {
		kthread_stop(dg.sender);
		dg.sender_stopped = true;
	}
	/*
	 * Packets queued are charged to their sockets' send buffers and hold
	 * their routes.  A sender that waits for buffer space (AF_PACKET's
	 * packet_snd) does so holding a reference to the device, so
	 * unregistering the device below would wait for ever on them: drop
	 * the queue now.  (Packets in flight hold nothing: Linux freed each
	 * skb as it sent it; only their pool slots are the domain's.)
	 */
	skb_queue_purge(&dg.txq);
	for (i = 0; i < DG_MAX_DEVS; i++)
		cancel_work_sync(&dg.devs[i].rx_mode_work);

	down_write(&pernet_ops_rwsem);
	rtnl_lock();
	for (i = 0; i < DG_MAX_DEVS; i++) {
		struct net_device *dev = dg.devs[i].dev;

		if (!IS_ERR_OR_NULL(dev) && dg.devs[i].registered)
			pr_warn("domain %u is gone: %s goes away\n", domain, dev->name);
	}
	if (dg.link_ops) {
		__rtnl_link_unregister(dg.link_ops);   /* every device of its kind, then the kind */
		dg.link_ops = NULL;
	}
	for (i = 0; i < DG_MAX_DEVS; i++) {
		struct net_device *dev = dg.devs[i].dev;

		if (!IS_ERR_OR_NULL(dev) && dg.devs[i].registered)
			unregister_netdevice(dev);
	}
	rtnl_unlock();
	up_write(&pernet_ops_rwsem);
	for (i = 0; i < DG_MAX_DEVS; i++) {
		struct net_device *dev = dg.devs[i].dev;

		/* allocated and never registered: Linux would not free it */
		if (!IS_ERR_OR_NULL(dev) && !dg.devs[i].ever_registered)
			free_netdev(dev);
		dg.devs[i].dev = NULL;
	}

	mutex_lock(&dg_stats_lock);
	dg_backend_up = false;
	klxd_glue_stop(&dg.ctx);
	mutex_unlock(&dg_stats_lock);
	skb_queue_purge(&dg.txq);
	/* every slot back (the domain runs no more; gone is set, so none is
	 * taken again) */
	spin_lock_bh(&dg.lock);
	for (i = 0; i < DG_SLOTS; i++) {
		if (dg.slot_busy[i]) {
			dg_slot_free_locked(i);
			freed++;
		}
	}
	spin_unlock_bh(&dg.lock);
	dummy_linux_release(&dg.ctx);
	pr_warn("domain %u is gone: interfaces unregistered, %u pool slots in flight taken back (%llu sent, %llu completed)\n",
		domain, freed, dg.sent, dg.completed);
	pr_info("domain %u refused: %d calls by dummy_glue, %llu messages by the generated glue, %d slot numbers given back not in flight, %d completion ring jumps\n",
		domain, atomic_read(&dg.refused), (unsigned long long)dg.ctx.rejected,
		atomic_read(&dg.slots_refused), atomic_read(&dg.cring_jumps));
}

static void dg_watch(struct work_struct *w)
{
	(void)w;
	if (klxd_glue_peer_dead(&dg.ctx)) {
		pr_warn("domain %u stopped, crashed or was destroyed\n", domain);
		dg_domain_gone();
		return;
	}
	dg_reap();                        /* a domain that writes the ring and never rings */
	schedule_delayed_work(&dg.watch, msecs_to_jiffies(DG_WATCH_MS));
}

/* --- module ---------------------------------------------------------------------- */

static int __init dg_init(void)
{
	long va;
	int err, i;

	BUILD_BUG_ON(DG_INFLIGHT > DG_SLOTS);
	BUILD_BUG_ON(DG_POOL_BYTES != DUMMY_POOL_BYTES);
	BUILD_BUG_ON(sizeof(struct dummy_cring) > DG_SLOT_BYTES);
	BUILD_BUG_ON(DG_INFLIGHT >= DUMMY_CRING_ENTRIES);
	spin_lock_init(&dg.lock);
	mutex_init(&dg.state);
	mutex_init(&dg.setup_lock);
	init_waitqueue_head(&dg.state_wq);
	init_waitqueue_head(&dg.slot_wq);
	skb_queue_head_init(&dg.txq);
	INIT_DELAYED_WORK(&dg.watch, dg_watch);
	for (i = 0; i < DG_MAX_DEVS; i++)
		INIT_WORK(&dg.devs[i].rx_mode_work, dg_rx_mode_work);
	for (i = 0; i < (int)DG_SLOTS; i++)
		dg.free_slots[dg.nfree++] = i;

	dg.pool_pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, DG_POOL_ORDER);
	if (!dg.pool_pages) {
		pr_err("no %lu KiB for the packet pool\n", DG_POOL_BYTES >> 10);
		return -ENOMEM;
	}
	dg.pool = page_address(dg.pool_pages);
	dg.txr = (struct dummy_txring *)((u8 *)dg.pool + DUMMY_TXR_OFFSET);
	dg.cring = (struct dummy_cring *)((u8 *)dg.pool + DUMMY_CRING_OFFSET);
	va = klxd_hypercall(LXDS_HC_GRANT, domain, page_to_phys(dg.pool_pages),
			    1ul << DG_POOL_ORDER, 0);
	if (va < 0) {
		pr_err("granting the packet pool to domain %u failed: %ld (load it with lxdctl load --no-start, insmod this, then lxdctl start)\n",
		       domain, va);
		__free_pages(dg.pool_pages, DG_POOL_ORDER);
		return (int)va;
	}
	glue_ctx_init(&dg.ctx, "dummy", dummy_linux_dispatch);
	glue_pool_set(&dg.ctx, dummy_POOL_skb_data, dg.pool, DG_POOL_BYTES);
	dummy_linux_ctx = &dg.ctx;
	dg.sender = kthread_run(dg_sender_main, NULL, "dummy_glue_tx/%u", domain);
	if (IS_ERR(dg.sender)) {
		err = PTR_ERR(dg.sender);
		dg.sender = NULL;
		goto leak;
	}
	get_task_struct(dg.sender);    /* dg_start_xmit may wake it as it stops */
	err = klxd_glue_start(&dg.ctx, domain);
	if (err) {
		pr_err("cannot serve domain %u: %d\n", domain, err);
		kthread_stop(dg.sender);
		put_task_struct(dg.sender);
		goto leak;
	}
	mutex_lock(&dg_stats_lock);
	dg_backend_up = true;
	mutex_unlock(&dg_stats_lock);
	dg_backend_mode();
	schedule_delayed_work(&dg.watch, msecs_to_jiffies(DG_WATCH_MS));
	pr_info("serving domain %u (IDL %#llx), packet pool %lu KiB (%u slots, %u in flight) at %#lx in the domain\n",
		domain, dummy_IDL_HASH, DG_POOL_BYTES >> 10, (unsigned int)DG_SLOTS, DG_INFLIGHT, va);
	return 0;
leak:
	/* granted: the domain may map it when it starts; never reuse it */
	dummy_linux_ctx = NULL;
	pr_err("setup failed (%d); the packet pool stays granted to domain %u\n", err, domain);
	return err;
}

static void __exit dg_exit(void)
{
	cancel_delayed_work_sync(&dg.watch);
	if (!READ_ONCE(dg.gone))
		dg_domain_gone();
	skb_queue_purge(&dg.txq);
	put_task_struct(dg.sender);
	dummy_linux_ctx = NULL;
	/* The pool is Linux's again only once the domain cannot run
	 * (lxdctl destroy removes this module right after the domain). */
	if (klxd_glue_domain_destroyed(domain)) {
		__free_pages(dg.pool_pages, DG_POOL_ORDER);
		pr_info("domain %u: glue stopped, packet pool freed\n", domain);
	} else {
		pr_warn("domain %u: glue stopped while the domain runs; its packet pool stays granted to it\n",
			domain);
	}
}

module_init(dg_init);
module_exit(dg_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds: Linux side of drivers/net/dummy.c in an LXD (IDL glue over klxd)");
