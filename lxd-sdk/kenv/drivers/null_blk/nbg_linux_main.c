// SPDX-License-Identifier: GPL-2.0
/*
 * null_blk_glue: Linux's side of null_blk in an LXD (issue 13,
 * docs/lxd-null_blk.md).  The driver (drivers/block/null_blk/, unmodified)
 * runs in the domain; this module owns the real blk_mq_tag_set,
 * request_queue and gendisk, serves the domain's calls (null_blk.idl,
 * handlers generated into null_blk_linux.c call the nbg_* functions below)
 * and forwards every request:
 *
 *   queue_rq: start the request, copy a write's data into the tag's slot of
 *             the shared pool, send nbg_submit (one-way), return;
 *   nbg_end:  (one-way, from the domain) check it names a request in
 *             flight, copy a read's data out of the slot, end the request.
 *
 * The pool (4 MiB, granted to the domain before it starts) has one 64 KiB
 * slot per (hardware queue, tag): Linux's pages are never mapped into the
 * domain, and the domain never sees a Linux pointer.  Everything the domain
 * sends is checked here: names, numbers, sizes, limits, and every end
 * against the table of requests in flight (hardware queue, tag and a
 * generation, so a late or forged end cannot complete another request).
 *
 * Containment: when klxd finds the domain dead (or the module goes away)
 * every request in flight ends with BLK_STS_IOERR and new ones fail at
 * once; rmmod removes the disk.  Load it before the domain starts (lxdctl
 * load does: /lib/lxd/null_blk_glue.ko, domain=ID), because the pool must
 * be granted then; it serves the domain once it runs.
 */
#define pr_fmt(fmt) "null_blk_glue: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/bvec.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/sched/stat.h>
#include <linux/workqueue.h>
#include <linux/ctype.h>
#include <linux/gfp.h>
#include <linux/sched.h>
#include <asm/msr.h>
#include <lxds/hypercall_abi.h>

#include "klxd.h"
#include "klxd_glue.h"
#include "null_blk_common.h"
#include "nbg_stamps.h"

static uint domain;
module_param(domain, uint, 0444);
MODULE_PARM_DESC(domain, "id of the null_blk LXD, loaded and not started yet");

/*
 * How a completion (nbg_end) reaches its request (docs/lxd-null_blk.md
 * "Benchmark"):
 *   inline_end: klxd's receive thread, or a submitter's poll, ends the
 *     request where it reads nbg_end (klxd_glue_set_bh_oneway; nbg_end
 *     does not sleep: bottom halves are off there), instead of a work item
 *     that a kworker runs later (0: as before, for comparison; may be
 *     switched at any time).
 *   poll_ticks: when queue_rq leaves its request the only one in flight
 *     and runs in the task that waits for it (not a kworker), it polls the
 *     channel for that request's end for up to this many TSC ticks (in
 *     Bochs, emulated instructions) and ends it inline, as native null_blk
 *     does with irqmode=0, while klxd's receive thread sleeps
 *     (nbg_poll_end); past the bound (a slow or dead domain), or when
 *     another thread wants the core, the receive thread ends it, or the
 *     timeout fails it.  0: off (as before session 11; docs/bench-nullblk.md).
 *   rx_nap_us: with inline_end, klxd_glue's lazy receiver
 *     (klxd_glue_set_bh_oneway): while other threads are runnable its
 *     receive thread naps rx_nap_us (to 5x) instead of taking turns with
 *     them, and try_send's sends do not wake it; queue_rq's own poll (and
 *     poll_ticks) read the ends meanwhile.  0: off (the default).
 *   try_send: queue_rq frames nbg_submit in place and puts it straight
 *     onto the ring (nbg_submit_framed: a spinlock, no waiting) and only
 *     when that fails (ring full) sends it through the generated stub the
 *     way that may wait (klxd_send_batch: its mutex and waiter set-up); 0:
 *     always the stub's waiting send.
 *   framed_end: with inline_end, an nbg_end that arrives as the domain
 *     frames it (one slot, two words) is taken straight from the ring
 *     (klxd_glue_set_framed_oneway, nbg_end_framed_rx): its words checked
 *     as the generated handler checks them, without the reassembly, the
 *     routing and the generated reader; 0: always the generic way.
 *   copy_words: a request's data goes into and out of the pool eight bytes
 *     a move (klxd_glue_copy: the same work on hardware, an eighth of the
 *     emulated instructions in Bochs); 0: Linux's memcpy_{from,to}_bvec,
 *     as before (rep movsb, one emulated instruction per byte).
 */
static bool inline_end = true;
static bool framed_end = true;
static unsigned int rx_nap_us;             /* off: see docs/bench-nullblk.md */
static bool try_send = true;
module_param(try_send, bool, 0644);
MODULE_PARM_DESC(try_send, "queue_rq sends nbg_submit without waiting first (0: always the send that may wait)");
static bool copy_words = true;
module_param(copy_words, bool, 0644);
MODULE_PARM_DESC(copy_words, "copy request data into and out of the pool eight bytes a move (0: Linux's memcpy_{from,to}_bvec)");
static ulong poll_ticks = 200000;          /* ~20 ms in Bochs, ~70 us at 3 GHz */
module_param(poll_ticks, ulong, 0644);
MODULE_PARM_DESC(poll_ticks, "TSC ticks queue_rq polls for its lone request's end (default 200000; 0: off)");
#define NBG_POLL_SLOTS   16                       /* slots read per poll */

/* Counters of queue_rq's poll (TSC: in Bochs, emulated instructions), read
 * with klxd_glue's through the stats parameter; racy increments, a
 * measurement only (docs/bench-nullblk.md). */
static struct {
	u64 lone, hit, miss, tsc;       /* lone polls; ended within poll_ticks or not; time */
	u64 resched;                    /* the poll gave the core to another thread */
	u64 try_fallback;               /* try_send: nbg_submit sent by the waiting send after all */
} nbg_st;
/* Reads ended in pieces (nbg_part): pieces taken, and parts refused (not a
 * read in flight, or bytes not past the last part and short of the end). */
static atomic_long_t nbg_parts, nbg_parts_refused;
static DEFINE_MUTEX(nbg_backend_lock);    /* klxd_glue_start/stop vs the stats reader */

#define NBG_POOL_ORDER   10                       /* 4 MiB */
#define NBG_POOL_BYTES   (PAGE_SIZE << NBG_POOL_ORDER)
#define NBG_SLOT_BYTES   (64u * 1024)             /* the largest request */
#define NBG_SLOTS        (NBG_POOL_BYTES / NBG_SLOT_BYTES)
#define NBG_MAX_HW       4u
/* The most one discard may ask of the domain (sectors): null_blk walks its
 * store a block at a time under its lock, with no heartbeat meanwhile (its
 * own limit is 2 GiB a request, 524 288 blocks of 4 KiB).  Linux's block
 * layer cuts larger discards, so the domain's watchdog never weighs one
 * request's walk against its bound, and other requests get in between.
 * (A whole 1 GiB disk in one request passed under QEMU with the kenv's
 * radix tree; with its old sorted array even 16 MiB did not.) */
#define NBG_MAX_DISCARD_SECTORS (16u << (20 - SECTOR_SHIFT))

/*
 * Where one request's time goes (docs/bench-nullblk.md), from TSC stamps
 * taken with timing=1 (below; nbg_stamps.h: both sides stamp the slot's
 * last 64 bytes when the data leaves them free; in Bochs one count for all
 * cores).  Per request, in order: pre (queue_rq entered .. nbg_submit about to go), send (the send),
 * to_dom (sent .. the domain's nbg_submit entered: ring, the domain's poll
 * and dispatch), dom (the domain from there to its nbg_end send), back (the
 * domain's send .. Linux's nbg_end entered: ring, Linux's receive thread or
 * poll), copy (nbg_end's checks and a read's copy), endrq
 * (blk_mq_end_request, which wakes the waiter), and gap (an end that left
 * nothing in flight .. the next queue_rq: the waiter running again, user
 * space, the next system call and the block layer; one in flight only).
 * Racy sums, a measurement only; requests whose stamps are missing or out
 * of order are counted in odd and left out.
 */
static struct {
	u64 entry, sent;                  /* queue_rq entered; the send returned */
} nbg_tr[NBG_SLOTS];

/* timing=1: the stamps above and the breakdown's counters (bd_n .. gap in
 * the stats line), ~six rdtsc and ~60 instructions per request on Linux's
 * core and the domain's two stamps.  A measurement, off by default (those
 * fields then read 0; the poll's and klxd_glue's counters are kept either
 * way): a static key, so off costs a no-op where each stamp would be. */
static struct klxd_switch timing = KLXD_SWITCH_INIT;
module_param_cb(timing, &klxd_switch_ops, &timing, 0644);
MODULE_PARM_DESC(timing, "measurement only: stamp each request's stages for the stats' breakdown (default 0: counts only)");

static __always_inline bool nbg_timed(void)
{
	return klxd_switch_on(&timing);
}
static u64 nbg_idle_since;                /* the end that left nothing in flight */
static struct {
	u64 n, pre, send, to_dom, dom, back, copy, endrq, gap, gap_n, odd;
} nbg_bd;

struct nbg_inflight {
	struct request *rq;
	u32 hwtag;
	u32 copied;                     /* a read's bytes copied out already (nbg_part) */
};

struct nbg_pdu {
	blk_status_t status;
};

static struct glue_ctx nbg_ctx;
static struct page *nbg_pool_pages;
static void *nbg_pool;

static DEFINE_MUTEX(nbg_lock);            /* the control path: the domain's calls, exit */
static int nbg_major = -1;
static char nbg_major_name[32];
static struct blk_mq_tag_set nbg_set;
static bool nbg_set_ready;
static unsigned int nbg_nr_hw, nbg_depth;
static struct gendisk *nbg_disk;
static bool nbg_added;

static DEFINE_SPINLOCK(nbg_flight_lock);  /* the table of requests in flight */
static struct nbg_inflight nbg_flight[NBG_SLOTS];
static unsigned int nbg_nflight;          /* entries of nbg_flight with a request */
static u8 nbg_gen[NBG_SLOTS];
static bool nbg_dead;
static atomic_long_t nbg_submitted, nbg_ended, nbg_failed, nbg_refused;
#define NBG_RESOURCE_DELAY_MS 3     /* blk-mq's BLK_MQ_RESOURCE_DELAY */
static atomic_long_t nbg_stops, nbg_starts;    /* mbps throttling's, as asked */
static struct delayed_work nbg_watch;
static struct delayed_work nbg_starter;   /* serves the domain once it runs */
static bool nbg_started;
static unsigned int nbg_start_polls;

static void *nbg_slot(unsigned int idx)
{
	return nbg_pool + (size_t)idx * NBG_SLOT_BYTES;
}

/*
 * One segment of a request between its page and the pool slot (to the pool
 * for a write, from it for a read), as memcpy_{from,to}_bvec do but with
 * klxd_glue_copy: this is the copy isolation adds (native null_blk copies
 * once, between the page and its store; through the domain the data is
 * copied twice).  rep movsq costs on hardware what memcpy's rep movsb
 * does, and Bochs then counts about what the copy weighs on hardware
 * beside the rest, not one instruction per byte (docs/bench-nullblk.md).
 * rq_for_each_segment gives single-page segments.
 */
static void nbg_copy_bvec(void *pool, struct bio_vec *bv, bool to_pool)
{
	void *page;

	if (!READ_ONCE(copy_words)) {
		if (to_pool)
			memcpy_from_bvec(pool, bv);
		else
			memcpy_to_bvec(bv, pool);
		return;
	}
	page = bvec_kmap_local(bv);
	if (to_pool) {
		klxd_glue_copy(pool, page, bv->bv_len);
	} else {
		klxd_glue_copy(page, pool, bv->bv_len);
		flush_dcache_page(bv->bv_page);
	}
	kunmap_local(page);
}

/*
 * A read's bytes [from, to) out of slot idx into rq's pages (to <= the
 * read's length): the segments, or the parts of them, that fall inside.
 */
static void nbg_copy_out(struct request *rq, unsigned int idx, u32 from, u32 to)
{
	struct req_iterator iter;
	struct bio_vec bv;
	u32 off = 0;

	rq_for_each_segment(bv, rq, iter) {
		u32 s = max(off, from), e = min(off + bv.bv_len, to);

		if (s < e) {
			struct bio_vec piece = {
				.bv_page = bv.bv_page,
				.bv_offset = bv.bv_offset + (s - off),
				.bv_len = e - s,
			};

			nbg_copy_bvec(nbg_slot(idx) + s, &piece, false);
		}
		off += bv.bv_len;
		if (off >= to)
			break;
	}
}

/* Takes the request of slot idx out of the table if hwtag (0: any) names it. */
static struct request *nbg_claim(unsigned int idx, u32 hwtag)
{
	struct request *rq = NULL;
	unsigned long flags;

	spin_lock_irqsave(&nbg_flight_lock, flags);
	if (nbg_flight[idx].rq && (!hwtag || nbg_flight[idx].hwtag == hwtag)) {
		rq = nbg_flight[idx].rq;
		nbg_flight[idx].rq = NULL;
		nbg_nflight--;
	}
	spin_unlock_irqrestore(&nbg_flight_lock, flags);
	return rq;
}

static void nbg_fail_all(const char *why)
{
	unsigned int idx, n = 0;

	for (idx = 0; idx < NBG_SLOTS; idx++) {
		struct request *rq = nbg_claim(idx, 0);

		if (rq) {
			blk_mq_end_request(rq, BLK_STS_IOERR);
			n++;
		}
	}
	if (n) {
		atomic_long_add(n, &nbg_failed);
		pr_warn("domain %u %s: %u request(s) in flight ended with an I/O error\n", domain,
			why, n);
	}
}

/* With nbg_lock held: Linux's queues run again, whatever the domain asked
 * (nbg_stop_queues): requests waiting in a stopped queue reach queue_rq,
 * which fails them once the domain is dead, and del_gendisk's drain does
 * not wait on a domain that can no longer start them. */
static void nbg_unstop_queues_locked(void)
{
	if (nbg_disk)
		blk_mq_start_stopped_hw_queues(nbg_disk->queue, true);
}

static void nbg_mark_dead(const char *why)
{
	if (!READ_ONCE(nbg_dead)) {
		WRITE_ONCE(nbg_dead, true);
		pr_warn("domain %u %s: new I/O fails at once\n", domain, why);
	}
	nbg_fail_all(why);
	mutex_lock(&nbg_lock);
	nbg_unstop_queues_locked();
	mutex_unlock(&nbg_lock);
}

/* Every 100 ms: has klxd found the domain dead? */
static void nbg_watch_fn(struct work_struct *w)
{
	if (klxd_glue_peer_dead(&nbg_ctx))
		nbg_mark_dead("is dead");
	else
		schedule_delayed_work(&nbg_watch, msecs_to_jiffies(100));
}

/* ---- the block layer's side ---- */

/* Whether the request queue_rq put in slot idx as hwtag has left the table
 * (ended, or failed); a later request in the same slot has another hwtag. */
static bool nbg_gone_from_flight(unsigned int idx, u32 hwtag)
{
	return !READ_ONCE(nbg_flight[idx].rq) || READ_ONCE(nbg_flight[idx].hwtag) != hwtag;
}

/*
 * queue_rq's wait for its own end, bounded: read the channel (nbg_end is
 * handled where it is read, inline_end) until the request of slot idx is
 * ended or poll_ticks pass.  Only when it was alone in flight and the
 * last of its batch (bd->last: a plug's list of requests goes out whole,
 * not each after the end of the one before): with others in flight one
 * poll suffices to end what has arrived, and the receive thread reads the
 * rest.  While it polls, the submitter covers the ring (klxd_glue_cover):
 * the receive thread sleeps instead of taking turns with it, and stays
 * asleep across requests while each submitter ends its own.  When another
 * thread wants the core the poll yields it once (queue_rq may sleep:
 * BLK_MQ_F_BLOCKING), and stops if one still wants it: other submitters
 * send, and sleep, instead of queueing behind the poller.  It uncovers,
 * waking the receive thread, when it leaves anything unread: its own end
 * (the bound passed, or it handed over) or others'.  Nothing here trusts
 * the domain: a domain that never answers costs poll_ticks once, and then
 * the receive thread or nbg_timeout deal with it as before.
 */
static void nbg_poll_end(unsigned int idx, u32 hwtag, bool alone)
{
	u64 budget = READ_ONCE(poll_ticks), t0;
	bool yielded = false, ended;

	/* A worker (kblockd, e.g. a plug flushed as its task went to sleep:
	 * every O_DIRECT write to a block device) is not the task waiting for
	 * the end: that one must be woken either way, so polling would only
	 * keep the core from it. */
	if (!alone || !budget || (current->flags & PF_WQ_WORKER)) {
		klxd_glue_uncover(&nbg_ctx);   /* the receive thread reads this end */
		klxd_glue_poll_nowait(&nbg_ctx, NBG_POLL_SLOTS);
		return;
	}
	klxd_glue_cover(&nbg_ctx);
	t0 = rdtsc();
	while (!nbg_gone_from_flight(idx, hwtag) && rdtsc() - t0 < budget &&
	       !klxd_glue_peer_dead(&nbg_ctx)) {
		if (!klxd_glue_poll_nowait(&nbg_ctx, NBG_POLL_SLOTS))
			cpu_relax();
		if (!single_task_running() || need_resched()) {
			/* another thread wants the core: once, let it run
			 * (a covered receive thread goes back to sleep, a
			 * submitter sends); if one still wants it, hand over */
			if (yielded)
				break;
			yielded = true;
			nbg_st.resched++;
			yield();
		}
	}
	ended = nbg_gone_from_flight(idx, hwtag);
	nbg_st.lone++;
	if (ended)
		nbg_st.hit++;
	else
		nbg_st.miss++;
	nbg_st.tsc += rdtsc() - t0;
	if (!ended || READ_ONCE(nbg_nflight))
		klxd_glue_uncover(&nbg_ctx);
}

/*
 * nbg_submit framed in place in one channel slot and put straight onto the
 * ring (klxd_glue_try_send_framed), without the generated stub's writer (a
 * bounds check per word), its pool export (data is the request's slot
 * offset, in the pool by construction, or GLUE_STR_NULL) and a glue_msg to
 * frame from, then copy: the words are the stub's, at the positions idlc
 * gives them (null_blk_W_nbg_submit_*), and the domain checks every one as
 * it checks the stub's (forge_submit sends words it must refuse).  0 sent;
 * -EAGAIN the ring is full (nothing sent); -EPIPE the domain is gone.  Not
 * inlined: its chan_msg on the stack (zeroed by the kernel's
 * INIT_STACK_ALL_ZERO) stays out of queue_rq's frame.
 */
#define NBG_W(arg) null_blk_W_nbg_submit_##arg

static noinline int nbg_submit_framed(u64 hwtag, u64 opf, u64 sector, u64 bytes, u64 len,
				      u64 data)
{
	struct chan_msg framed;
	int err;

	BUILD_BUG_ON(NBG_W(NWORDS) > GLUE_SLOT_WORDS);
	glue_frame_oneway1(&framed, null_blk_RPC_nbg_submit, NBG_W(NWORDS));
	framed.w[1 + NBG_W(hwtag)] = hwtag;
	framed.w[1 + NBG_W(opf)] = opf;
	framed.w[1 + NBG_W(sector)] = sector;
	framed.w[1 + NBG_W(bytes)] = bytes;
	framed.w[1 + NBG_W(len)] = len;
	framed.w[1 + NBG_W(data)] = data;
	local_bh_disable();
	err = klxd_glue_try_send_framed(&nbg_ctx, &framed);
	local_bh_enable();
	return err;
}

/*
 * A test switch (root only; lxd-nullblk.sh): a write sends the domain four
 * nbg_submit slots framed as nbg_submit_framed frames them, with words the
 * domain must refuse: a hwtag over 32 bits, a length over 32 bits, data
 * past the pool's end, data whose offset plus length wraps.  Its framed
 * reader leaves each to the generated reader, which refuses and logs it;
 * no request runs, and the disk keeps working.
 */
static int nbg_forge_submit_set(const char *val, const struct kernel_param *kp)
{
	static const struct { u64 hwtag, bytes, len, data; } bad[] = {
		{ 1ull << 32, 0, 0, GLUE_STR_NULL },
		{ 0, 0, 1ull << 32, 0 },
		{ 0, 4096, 4096, NBG_POOL_BYTES },
		{ 0, 4096, 4096, ~0ull - 4095 },
	};
	unsigned int i, sent = 0;

	(void)val;
	(void)kp;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		sent += nbg_submit_framed(bad[i].hwtag, REQ_OP_READ, 0, bad[i].bytes, bad[i].len,
					  bad[i].data) == 0;
	pr_info("domain %u: %u forged nbg_submit slots sent\n", domain, sent);
	return 0;
}

static const struct kernel_param_ops nbg_forge_submit_ops = {
	.set = nbg_forge_submit_set,
};
module_param_cb(forge_submit, &nbg_forge_submit_ops, NULL, 0200);
MODULE_PARM_DESC(forge_submit, "test only: a write sends the domain four nbg_submit slots it must refuse");

static blk_status_t nbg_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	unsigned int hw = hctx->queue_num, tag = rq->tag, idx = hw * nbg_depth + tag;
	enum req_op op = req_op(rq);
	u32 bytes = blk_rq_bytes(rq), len = 0, hwtag = 0;
	unsigned long flags;
	bool busy, alone = false;
	void *data;                     /* the request's pool slot, if it carries data */
	int send_err;
	u64 t_entry = 0;

	if (nbg_timed()) {
		u64 idle = READ_ONCE(nbg_idle_since);

		t_entry = rdtsc();
		if (idle && !READ_ONCE(nbg_nflight) && t_entry > idle) {
			nbg_bd.gap += t_entry - idle;
			nbg_bd.gap_n++;
		}
		WRITE_ONCE(nbg_idle_since, 0);
	}
	if (READ_ONCE(nbg_dead))
		return BLK_STS_IOERR;
	if (hw >= nbg_nr_hw || tag >= nbg_depth) {
		pr_warn_ratelimited("request on queue %u tag %u: outside the tag set\n", hw, tag);
		return BLK_STS_IOERR;
	}
	if (op == REQ_OP_READ || op == REQ_OP_WRITE) {
		if (bytes > NBG_SLOT_BYTES) {
			pr_warn_ratelimited("request of %u bytes: over the slot\n", bytes);
			return BLK_STS_IOERR;
		}
		len = bytes;
	}
	blk_mq_start_request(rq);
	if (op == REQ_OP_WRITE) {
		struct req_iterator iter;
		struct bio_vec bv;
		u32 off = 0;

		rq_for_each_segment(bv, rq, iter) {
			if (off + bv.bv_len > len)
				break;
			nbg_copy_bvec(nbg_slot(idx) + off, &bv, true);
			off += bv.bv_len;
		}
	}
	spin_lock_irqsave(&nbg_flight_lock, flags);
	busy = nbg_flight[idx].rq != NULL;
	if (!busy) {
		nbg_gen[idx]++;
		hwtag = hw << 24 | (u32)nbg_gen[idx] << 16 | tag;
		nbg_flight[idx].rq = rq;
		nbg_flight[idx].hwtag = hwtag;
		nbg_flight[idx].copied = 0;
		alone = ++nbg_nflight == 1;
	}
	spin_unlock_irqrestore(&nbg_flight_lock, flags);
	if (busy) {
		pr_warn_ratelimited("queue %u tag %u: the slot is still in flight\n", hw, tag);
		return BLK_STS_IOERR;
	}
	atomic_long_inc(&nbg_submitted);
	BUILD_BUG_ON(NBG_SLOT_BYTES != NBG_STAMPS_SLOT_BYTES);   /* where the stamps sit */
	if (nbg_timed()) {
		nbg_tr[idx].entry = t_entry;
		nbg_tr[idx].sent = 0;
		if (bytes <= NBG_STAMPS_MAX_LEN) {
			struct nbg_stamps *st = nbg_slot(idx) + NBG_STAMPS_OFF;

			st->hwtag = hwtag;
			st->dom_submit = st->dom_end = 0;
			st->linux_send = rdtsc();
		}
	}
	send_err = -EAGAIN;
	data = len ? nbg_slot(idx) : NULL;
	if (READ_ONCE(try_send)) {
		/* one slot onto the ring or nothing */
		send_err = nbg_submit_framed(hwtag, rq->cmd_flags, blk_rq_pos(rq), bytes, len,
					     len ? (u64)idx * NBG_SLOT_BYTES : GLUE_STR_NULL);
		if (send_err && send_err != -EPIPE)
			nbg_st.try_fallback++;
	}
	/* not sent (ring full, or nothing reached the backend): the send that
	 * waits; -EPIPE: the domain is gone, handled just below */
	if (send_err && send_err != -EPIPE)
		nbg_submit(hwtag, rq->cmd_flags, blk_rq_pos(rq), bytes, len, data);
	if (nbg_timed())
		nbg_tr[idx].sent = rdtsc();     /* may come after the end: then odd */
	/* died meanwhile (the sweep may have run before the table had it) */
	if (READ_ONCE(nbg_dead) || !READ_ONCE(nbg_started) || klxd_glue_peer_dead(&nbg_ctx)) {
		rq = nbg_claim(idx, hwtag);
		if (rq) {
			atomic_long_inc(&nbg_failed);
			blk_mq_end_request(rq, BLK_STS_IOERR);
		}
		return BLK_STS_OK;
	}
	/* rq may be ended from here on: only idx and hwtag are used */
	if (READ_ONCE(inline_end))
		nbg_poll_end(idx, hwtag, alone && bd->last);
	return BLK_STS_OK;
}

static enum blk_eh_timer_return nbg_timeout(struct request *rq)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	unsigned int idx;

	if (!READ_ONCE(nbg_dead) && READ_ONCE(nbg_started) && !klxd_glue_peer_dead(&nbg_ctx))
		return BLK_EH_RESET_TIMER;     /* a live domain answers (its watchdog sees to it) */
	idx = hctx->queue_num * nbg_depth + rq->tag;
	if (idx < NBG_SLOTS && nbg_claim(idx, 0) == rq) {
		atomic_long_inc(&nbg_failed);
		blk_mq_end_request(rq, BLK_STS_IOERR);
	}
	return BLK_EH_DONE;
}

static const struct blk_mq_ops nbg_mq_ops = {
	.queue_rq = nbg_queue_rq,
	.timeout  = nbg_timeout,
};

static const struct block_device_operations nbg_fops = {
	.owner = THIS_MODULE,
};

/* ---- the domain's calls (null_blk.idl) ---- */

/* One request's stamps into nbg_bd (t_end: nbg_end entered; t_copy: its
 * checks and copy done; t_done: blk_mq_end_request returned). */
static void nbg_breakdown(unsigned int idx, u32 hwtag, u64 lsend, u64 dsub, u64 dend,
			  u64 t_end, u64 t_copy, u64 t_done)
{
	u64 entry = nbg_tr[idx].entry, sent = READ_ONCE(nbg_tr[idx].sent);

	if (!sent || !(entry <= lsend && lsend <= sent && sent <= dsub && dsub <= dend &&
		       dend <= t_end)) {
		nbg_bd.odd++;
		return;
	}
	nbg_bd.n++;
	nbg_bd.pre += lsend - entry;
	nbg_bd.send += sent - lsend;
	nbg_bd.to_dom += dsub - sent;
	nbg_bd.dom += dend - dsub;
	nbg_bd.back += t_end - dend;
	nbg_bd.copy += t_copy - t_end;
	nbg_bd.endrq += t_done - t_copy;
}

void nbg_end(u32 hwtag, blk_status_t status)
{
	unsigned int hw = hwtag >> 24, tag = hwtag & 0xffff, idx = hw * nbg_depth + tag;
	u64 t_end = 0, t_copy = 0, lsend = 0, dsub = 0, dend = 0;
	bool timed = nbg_timed();
	struct request *rq;

	if (timed)
		t_end = rdtsc();

	if (hw >= nbg_nr_hw || tag >= nbg_depth || idx >= NBG_SLOTS ||
	    !(rq = nbg_claim(idx, hwtag))) {
		atomic_long_inc(&nbg_refused);
		pr_warn_ratelimited("domain %u: end of %#x, which is not in flight: ignored\n",
				    domain, hwtag);
		return;
	}
	if ((__force u8)status > (__force u8)BLK_STS_OFFLINE)
		status = BLK_STS_IOERR;
	if (status == BLK_STS_RESOURCE || status == BLK_STS_DEV_RESOURCE) {
		/* Back off as blk-mq does for a driver's BLK_STS_RESOURCE: at
		 * once, a throttled domain's one-way nbg_stop_queues (behind
		 * this end, in the one-way FIFO) would find the request sent
		 * and refused again and again before it stops the queue. */
		blk_mq_requeue_request(rq, false);
		blk_mq_delay_kick_requeue_list(rq->q, NBG_RESOURCE_DELAY_MS);
		return;
	}
	if (timed && blk_rq_bytes(rq) <= NBG_STAMPS_MAX_LEN) {
		/* the domain's stamps: counters only (nbg_breakdown checks them) */
		const struct nbg_stamps *st = nbg_slot(idx) + NBG_STAMPS_OFF;

		if (READ_ONCE(st->hwtag) == hwtag) {
			lsend = READ_ONCE(st->linux_send);
			dsub = READ_ONCE(st->dom_submit);
			dend = READ_ONCE(st->dom_end);
		}
	}
	/* a read: what its parts did not copy (nbg_part ran before this end,
	 * in the ring's order, and none can run now: the request has left the
	 * table) */
	if (status == BLK_STS_OK && req_op(rq) == REQ_OP_READ)
		nbg_copy_out(rq, idx, READ_ONCE(nbg_flight[idx].copied), blk_rq_bytes(rq));
	atomic_long_inc(&nbg_ended);
	if (timed)
		t_copy = rdtsc();
	blk_mq_end_request(rq, status);
	if (lsend) {
		u64 t_done = rdtsc();

		nbg_breakdown(idx, hwtag, lsend, dsub, dend, t_end, t_copy, t_done);
		if (!READ_ONCE(nbg_nflight))
			WRITE_ONCE(nbg_idle_since, t_done);
	}
}

/*
 * The first `bytes` of the read in flight as hwtag are in the pool (the
 * domain ends a large read in pieces, nbg_domain.c): copy out what the last
 * part did not, while the domain reads the rest.  Under the table's lock,
 * so that no end, failure or timeout ends the request (and frees its pages)
 * during the copy; the request stays in flight.  The domain says only how
 * far: anything but a read in flight with bytes past the last part and
 * short of its length is refused and logged.
 */
void nbg_part(u32 hwtag, u32 bytes)
{
	unsigned int hw = hwtag >> 24, tag = hwtag & 0xffff, idx = hw * nbg_depth + tag;
	struct nbg_inflight *f;
	unsigned long flags;
	u32 from = 0;
	bool ok;

	if (hw >= nbg_nr_hw || tag >= nbg_depth || idx >= NBG_SLOTS)
		goto refused;
	f = &nbg_flight[idx];
	spin_lock_irqsave(&nbg_flight_lock, flags);
	from = f->copied;
	ok = f->rq && f->hwtag == hwtag && req_op(f->rq) == REQ_OP_READ &&
	     bytes > from && bytes < blk_rq_bytes(f->rq);
	if (ok) {
		nbg_copy_out(f->rq, idx, from, bytes);
		f->copied = bytes;
	}
	spin_unlock_irqrestore(&nbg_flight_lock, flags);
	if (ok) {
		atomic_long_inc(&nbg_parts);
		return;
	}
refused:
	atomic_long_inc(&nbg_parts_refused);
	pr_warn_ratelimited("domain %u: part of %#x up to %u bytes (copied %u): refused\n", domain,
			    hwtag, bytes, from);
}

/*
 * nbg_end as the domain frames it (nbg_end_framed in nbg_domain.c), taken
 * straight from the ring (klxd_glue_set_framed_oneway): its words at idlc's
 * positions, checked as the generated handler checks them (hwtag a u32,
 * status a u8; nbg_end then checks hwtag against the requests in flight).
 * Words it would refuse are left to it (false): it logs and counts them.
 */
static bool nbg_end_framed_rx(const u64 *w)
{
	u64 hwtag = w[null_blk_W_nbg_end_hwtag], status = w[null_blk_W_nbg_end_status];

	BUILD_BUG_ON(null_blk_W_nbg_end_NWORDS != 2);
	BUILD_BUG_ON(sizeof(blk_status_t) != 1);
	if (hwtag >> 32 || status >> 8)
		return false;
	nbg_end((u32)hwtag, (__force blk_status_t)(u8)status);
	return true;
}

static bool nbg_name_ok(const char *name, const char *prefix)
{
	size_t i, n = strlen(prefix);

	if (strncmp(name, prefix, n) || !name[n] || strlen(name) > n + 3)
		return false;
	for (i = n; name[i]; i++)
		if (!isdigit(name[i]))
			return false;
	return true;
}

int nbg_register_blkdev(unsigned int major, const char *name)
{
	int rc;

	if (major != 0 || strcmp(name, "nullb")) {
		pr_warn("domain %u: register_blkdev(%u, \"%s\") refused (only a dynamic \"nullb\")\n",
			domain, major, name);
		return -EINVAL;
	}
	mutex_lock(&nbg_lock);
	if (nbg_major >= 0) {
		rc = -EBUSY;
	} else {
		rc = register_blkdev(0, name);
		if (rc > 0) {
			nbg_major = rc;
			strscpy(nbg_major_name, name, sizeof(nbg_major_name));
		}
	}
	mutex_unlock(&nbg_lock);
	return rc;
}

void nbg_unregister_blkdev(unsigned int major, const char *name)
{
	mutex_lock(&nbg_lock);
	if (nbg_major >= 0 && major == (unsigned int)nbg_major && !strcmp(name, nbg_major_name)) {
		unregister_blkdev(nbg_major, nbg_major_name);
		nbg_major = -1;
	} else {
		pr_warn("domain %u: unregister_blkdev(%u, \"%s\"): not its major\n", domain, major,
			name);
	}
	mutex_unlock(&nbg_lock);
}

int nbg_alloc_tag_set(unsigned int nr_hw_queues, unsigned int queue_depth, unsigned int flags,
		      unsigned int nr_maps, u32 *depth, u32 *max_sectors)
{
	unsigned int linux_hw = nr_hw_queues;
	int rc;

	if (!nr_maps || nr_maps > HCTX_MAX_TYPES || !nr_hw_queues || nr_hw_queues > NBG_MAX_HW ||
	    !queue_depth || queue_depth > BLK_MQ_MAX_DEPTH) {
		pr_warn("domain %u: tag set of %u queue(s), depth %u, %u map(s) refused "
			"(1..%u queues)\n", domain, nr_hw_queues, queue_depth, nr_maps, NBG_MAX_HW);
		return -EINVAL;
	}
	/* Poll queues (null_blk's default poll_queues=1 makes 3 maps) are not
	 * forwarded: Linux gets one default queue, the domain's first. */
	if (nr_maps > 1)
		linux_hw = 1;
	mutex_lock(&nbg_lock);
	if (nbg_set_ready) {
		mutex_unlock(&nbg_lock);
		return -EBUSY;
	}
	memset(&nbg_set, 0, sizeof(nbg_set));
	nbg_set.ops = &nbg_mq_ops;
	nbg_set.nr_hw_queues = linux_hw;
	/* the domain keeps a request per tag of each of its queues, and the
	 * pool a slot per tag of each of Linux's */
	nbg_set.queue_depth = min_t(unsigned int, queue_depth, NBG_SLOTS / nr_hw_queues);
	nbg_set.numa_node = NUMA_NO_NODE;
	nbg_set.cmd_size = sizeof(struct nbg_pdu);
	/*
	 * queue_rq may sleep (sending waits while the ring is full).  No I/O
	 * scheduler by default, as native null_blk has (its poll queues make
	 * more than one hardware queue, and then Linux picks none): with one
	 * queue Linux would pick mq-deadline, and a BLOCKING queue with a
	 * scheduler runs every request's queue_rq from a kblockd work item,
	 * not the submitter: a wake-up and two switches more per I/O
	 * (docs/bench-nullblk.md).  The administrator may still set one.
	 */
	nbg_set.flags = BLK_MQ_F_SHOULD_MERGE | BLK_MQ_F_BLOCKING | BLK_MQ_F_NO_SCHED_BY_DEFAULT |
			(flags & BLK_MQ_F_NO_SCHED);
	nbg_set.timeout = 5 * HZ;
	nbg_set.nr_maps = 1;
	rc = blk_mq_alloc_tag_set(&nbg_set);
	if (!rc) {
		nbg_set_ready = true;
		nbg_nr_hw = linux_hw;
		nbg_depth = nbg_set.queue_depth;
		*depth = nbg_depth;
		*max_sectors = NBG_SLOT_BYTES >> SECTOR_SHIFT;
		pr_info("domain %u: tag set of %u queue(s) (the domain has %u, %u map(s)), depth %u "
			"(asked %u)\n", domain, linux_hw, nr_hw_queues, nr_maps, nbg_depth, queue_depth);
	}
	mutex_unlock(&nbg_lock);
	return rc;
}

static void nbg_free_tag_set_locked(void)
{
	if (nbg_set_ready && !nbg_disk) {
		blk_mq_free_tag_set(&nbg_set);
		nbg_set_ready = false;
		nbg_nr_hw = nbg_depth = 0;
	}
}

void nbg_free_tag_set(void)
{
	mutex_lock(&nbg_lock);
	if (nbg_disk)
		pr_warn("domain %u: blk_mq_free_tag_set with its disk still there: refused\n", domain);
	nbg_free_tag_set_locked();
	mutex_unlock(&nbg_lock);
}

int nbg_alloc_disk(void)
{
	struct gendisk *disk;
	int rc = 0;

	mutex_lock(&nbg_lock);
	if (!nbg_set_ready || nbg_disk) {
		rc = nbg_disk ? -EBUSY : -EINVAL;
	} else {
		disk = blk_mq_alloc_disk(&nbg_set, NULL);
		if (IS_ERR(disk))
			rc = PTR_ERR(disk);
		else
			nbg_disk = disk;
	}
	mutex_unlock(&nbg_lock);
	return rc;     /* disk number 0 */
}

static bool nbg_pow2_in(unsigned int v, unsigned int lo, unsigned int hi)
{
	return v >= lo && v <= hi && is_power_of_2(v);
}

int nbg_add_disk(int disk, const char *name, int major, int first_minor, int minors,
		 u64 capacity, unsigned int lbs, unsigned int pbs, unsigned int max_hw_sectors,
		 unsigned int max_discard_sectors, unsigned int discard_granularity,
		 u64 virt_boundary, u64 flags_set, u64 flags_clear, bool write_cache, bool fua)
{
	const u64 allowed = BIT_ULL(QUEUE_FLAG_NONROT) | BIT_ULL(QUEUE_FLAG_ADD_RANDOM);
	unsigned int max_hw = NBG_SLOT_BYTES >> SECTOR_SHIFT;
	struct request_queue *q;
	int rc;

	mutex_lock(&nbg_lock);
	if (disk != 0 || !nbg_disk || nbg_added) {
		rc = -EINVAL;
		goto out;
	}
	if (!nbg_name_ok(name, "nullb") || major != nbg_major || first_minor < 0 ||
	    first_minor > MINORMASK || minors < 1 || minors > 256 ||
	    capacity > (1ull << 40) || !nbg_pow2_in(lbs, 512, 4096) ||
	    !nbg_pow2_in(pbs, lbs, 65536) || (virt_boundary && virt_boundary != PAGE_SIZE - 1) ||
	    (discard_granularity && !nbg_pow2_in(discard_granularity, lbs, 1u << 30)) ||
	    ((flags_set | flags_clear) & ~allowed)) {
		pr_warn("domain %u: add_disk(\"%s\", major %d, minor %d+%d, %llu sectors, "
			"blocks %u/%u, discard granularity %u, flags +%#llx -%#llx) refused\n",
			domain, name, major, first_minor, minors, capacity, lbs, pbs,
			discard_granularity, flags_set, flags_clear);
		rc = -EINVAL;
		goto out;
	}
	q = nbg_disk->queue;
	nbg_disk->major = major;
	nbg_disk->first_minor = first_minor;
	nbg_disk->minors = minors;
	nbg_disk->fops = &nbg_fops;
	strscpy(nbg_disk->disk_name, name, DISK_NAME_LEN);
	set_capacity(nbg_disk, capacity);
	blk_queue_logical_block_size(q, lbs);
	blk_queue_physical_block_size(q, pbs);
	if (max_hw_sectors && max_hw_sectors < max_hw)
		max_hw = max(max_hw_sectors, (unsigned int)(PAGE_SIZE >> SECTOR_SHIFT));
	blk_queue_max_hw_sectors(q, max_hw);
	blk_queue_max_discard_sectors(q, min(max_discard_sectors, NBG_MAX_DISCARD_SECTORS));
	/* a driver that discards says in what unit (null_blk: its block
	 * size, set straight into its queue's limits); none said: the
	 * logical block, since the block layer refuses discard (and warns)
	 * on a queue that has a limit and no granularity */
	if (max_discard_sectors)
		q->limits.discard_granularity = discard_granularity ?: lbs;
	if (virt_boundary)
		blk_queue_virt_boundary(q, virt_boundary);
	if (flags_set & BIT_ULL(QUEUE_FLAG_NONROT))
		blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	if (flags_clear & BIT_ULL(QUEUE_FLAG_ADD_RANDOM))
		blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
	blk_queue_write_cache(q, write_cache, fua);
	rc = add_disk(nbg_disk);
	if (!rc) {
		nbg_added = true;
		pr_info("domain %u: /dev/%s: %llu sectors of %u bytes, up to %u KiB a request\n",
			domain, name, capacity, lbs, max_hw / 2);
	}
out:
	mutex_unlock(&nbg_lock);
	return rc;
}

void nbg_set_capacity(int disk, u64 sectors)
{
	mutex_lock(&nbg_lock);
	if (disk == 0 && nbg_disk && sectors <= (1ull << 40))
		set_capacity_and_notify(nbg_disk, sectors);
	mutex_unlock(&nbg_lock);
}

static void nbg_del_disk_locked(void)
{
	if (nbg_disk && nbg_added) {
		nbg_unstop_queues_locked();
		del_gendisk(nbg_disk);
		nbg_added = false;
	}
}

void nbg_del_disk(int disk)
{
	mutex_lock(&nbg_lock);
	if (disk == 0)
		nbg_del_disk_locked();
	mutex_unlock(&nbg_lock);
}

static void nbg_put_disk_locked(void)
{
	nbg_del_disk_locked();
	if (nbg_disk) {
		put_disk(nbg_disk);
		nbg_disk = NULL;
	}
}

void nbg_put_disk(int disk)
{
	mutex_lock(&nbg_lock);
	if (disk == 0)
		nbg_put_disk_locked();
	mutex_unlock(&nbg_lock);
}

/* One-way (null_blk.idl): in order with each other, from the one-way FIFO's
 * work item; an end refused for want of budget may be requeued before the
 * stop is applied: it is then refused again, until the stop is. */
void nbg_stop_queues(int disk)
{
	mutex_lock(&nbg_lock);
	if (disk == 0 && nbg_disk && !READ_ONCE(nbg_dead)) {   /* late, from the FIFO */
		blk_mq_stop_hw_queues(nbg_disk->queue);
		atomic_long_inc(&nbg_stops);
	}
	mutex_unlock(&nbg_lock);
}

void nbg_start_queues(int disk)
{
	mutex_lock(&nbg_lock);
	if (disk == 0 && nbg_disk) {
		blk_mq_start_stopped_hw_queues(nbg_disk->queue, true);
		atomic_long_inc(&nbg_starts);
	}
	mutex_unlock(&nbg_lock);
}

/* With nbg_backend_lock held: klxd_glue told what inline_end says (a no-op
 * before the backend starts; the starter calls it then).  nbg_end and
 * nbg_part only take a spinlock, copy and end a request: safe where they
 * are received (bottom halves off), in the ring's order. */
static void nbg_backend_mode_locked(void)
{
	bool inl = READ_ONCE(inline_end), framed = inl && READ_ONCE(framed_end);
	int err;

	klxd_glue_set_bh_oneway(&nbg_ctx, inl ? (int)null_blk_RPC_nbg_end : -1,
				inl ? (int)null_blk_RPC_nbg_part : -1,
				inl ? READ_ONCE(rx_nap_us) : 0);
	err = klxd_glue_set_framed_oneway(&nbg_ctx, framed ? (int)null_blk_RPC_nbg_end : -1,
					  null_blk_W_nbg_end_NWORDS, framed ? nbg_end_framed_rx : NULL);
	if (err && err != -ENODEV)
		pr_warn("domain %u: nbg_end cannot be taken framed (%d): the generic way\n",
			domain, err);
}

/* inline_end or framed_end written: klxd_glue told at once. */
static int nbg_mode_bool_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_bool(val, kp);

	if (err)
		return err;
	mutex_lock(&nbg_backend_lock);
	nbg_backend_mode_locked();
	mutex_unlock(&nbg_backend_lock);
	return 0;
}

static const struct kernel_param_ops nbg_mode_bool_ops = {
	.set = nbg_mode_bool_set,
	.get = param_get_bool,
};
module_param_cb(inline_end, &nbg_mode_bool_ops, &inline_end, 0644);
MODULE_PARM_DESC(inline_end, "end requests where nbg_end is received, not in a work item");
module_param_cb(framed_end, &nbg_mode_bool_ops, &framed_end, 0644);
MODULE_PARM_DESC(framed_end, "with inline_end, take a framed nbg_end straight from the ring (0: through the generated handler)");

static int nbg_rx_nap_set(const char *val, const struct kernel_param *kp)
{
	unsigned int us;
	int err = kstrtouint(val, 0, &us);

	if (err)
		return err;
	if (us > 1000)
		return -EINVAL;
	mutex_lock(&nbg_backend_lock);
	WRITE_ONCE(rx_nap_us, us);
	nbg_backend_mode_locked();
	mutex_unlock(&nbg_backend_lock);
	return 0;
}

static const struct kernel_param_ops nbg_rx_nap_ops = {
	.set = nbg_rx_nap_set,
	.get = param_get_uint,
};
module_param_cb(rx_nap_us, &nbg_rx_nap_ops, &rx_nap_us, 0644);
MODULE_PARM_DESC(rx_nap_us, "with inline_end: klxd's receive thread naps this long (to 5x) while other threads are runnable, and try_send does not wake it (0: off, up to 1000)");

/* /sys/module/null_blk_glue/parameters/stats: read, the counters since the
 * last write (any write resets them).  One line, name=value. */
static int nbg_stats_get(char *buf, const struct kernel_param *kp)
{
	struct klxd_glue_stats k;
	u64 n = nbg_bd.n ?: 1, gn = nbg_bd.gap_n ?: 1;
	int len;

	(void)kp;
	mutex_lock(&nbg_backend_lock);
	klxd_glue_stats(&nbg_ctx, &k, false);
	mutex_unlock(&nbg_backend_lock);

	len = scnprintf(buf, PAGE_SIZE,
			"bd_n=%llu odd=%llu pre=%llu send=%llu to_dom=%llu dom=%llu back=%llu copy=%llu endrq=%llu gap=%llu/%llu ",
			nbg_bd.n, nbg_bd.odd, nbg_bd.pre / n, nbg_bd.send / n, nbg_bd.to_dom / n,
			nbg_bd.dom / n, nbg_bd.back / n, nbg_bd.copy / n, nbg_bd.endrq / n,
			nbg_bd.gap / gn, nbg_bd.gap_n);
	return len + scnprintf(buf + len, PAGE_SIZE - len,
			 "parts=%ld/%ld poll_lone=%llu poll_hit=%llu poll_miss=%llu poll_wait_tsc=%llu poll_resched=%llu rx_covered=%llu glue_send=%llu/%llu rx_rounds=%llu rx_slots=%llu rx_tsc=%llu rx_empty=%llu/%llu rx_yields=%llu rx_naps=%llu ow_runs=%llu ow_msgs=%llu ow_tsc=%llu rx_csw=%llu/%llu bh_msgs=%llu/%llu poll=%llu/%llu/%llu relax=%llu try=%llu/%llu/%llu/%llu\n",
			 atomic_long_read(&nbg_parts), atomic_long_read(&nbg_parts_refused),
			 nbg_st.lone, nbg_st.hit, nbg_st.miss, nbg_st.tsc, nbg_st.resched, k.rx_covered, k.send_n, k.send_tsc,
			 k.rx_rounds, k.rx_slots, k.rx_tsc, k.rx_empty, k.rx_empty_tsc, k.rx_yields,
			 k.rx_naps, k.ow_runs, k.ow_msgs, k.ow_tsc, k.rx_nvcsw, k.rx_nivcsw, k.bh_msgs,
			 k.bh_framed, k.poll_n, k.poll_slots, k.poll_tsc, k.rx_relaxes, k.try_n, k.try_tsc,
			 k.try_full, nbg_st.try_fallback);
}

static int nbg_stats_set(const char *val, const struct kernel_param *kp)
{
	struct klxd_glue_stats k;

	(void)val;
	(void)kp;
	memset(&nbg_st, 0, sizeof(nbg_st));
	memset(&nbg_bd, 0, sizeof(nbg_bd));
	WRITE_ONCE(nbg_idle_since, 0);
	mutex_lock(&nbg_backend_lock);
	klxd_glue_stats(&nbg_ctx, &k, true);
	mutex_unlock(&nbg_backend_lock);
	return 0;
}

static const struct kernel_param_ops nbg_stats_ops = {
	.get = nbg_stats_get,
	.set = nbg_stats_set,
};
module_param_cb(stats, &nbg_stats_ops, NULL, 0644);
MODULE_PARM_DESC(stats, "counters of the completion path (write: reset)");

/* ---- the module ---- */

/* The domain's state from the hypervisor (LXDS_STATE_*), or -errno. */
static int nbg_domain_state(void)
{
	struct lxds_domain_status *st = kzalloc(sizeof(*st), GFP_KERNEL);
	long rc;
	int state;

	if (!st)
		return -ENOMEM;
	rc = klxd_hypercall(LXDS_HC_STATUS, domain, virt_to_phys(st), 0, 0);
	state = rc < 0 ? (int)rc : (int)st->state;
	kfree(st);
	return state;
}

/*
 * klxd's backend declares a domain that does not run dead, and this module
 * goes in before the start (the pool): so the backend starts once the
 * domain runs (polled every 20 ms; what the domain sends meanwhile waits in
 * the ring).
 */
static void nbg_starter_fn(struct work_struct *w)
{
	int state = nbg_domain_state(), err;

	if (state == LXDS_STATE_LOADED && ++nbg_start_polls < 3000) {
		schedule_delayed_work(&nbg_starter, msecs_to_jiffies(20));
		return;
	}
	if (state != LXDS_STATE_RUNNING) {
		pr_warn("domain %u never ran (state %d): not serving it\n", domain, state);
		WRITE_ONCE(nbg_dead, true);
		return;
	}
	mutex_lock(&nbg_backend_lock);
	err = klxd_glue_start(&nbg_ctx, domain);
	if (!err)
		nbg_backend_mode_locked();
	mutex_unlock(&nbg_backend_lock);
	if (err) {
		pr_err("cannot serve domain %u: %d\n", domain, err);
		WRITE_ONCE(nbg_dead, true);
		return;
	}
	WRITE_ONCE(nbg_started, true);
	schedule_delayed_work(&nbg_watch, msecs_to_jiffies(100));
	pr_info("serving domain %u\n", domain);
}

static int __init nbg_init(void)
{
	long va;
	int err;

	nbg_pool_pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, NBG_POOL_ORDER);
	if (!nbg_pool_pages) {
		pr_err("no %lu KiB for the pool\n", NBG_POOL_BYTES >> 10);
		return -ENOMEM;
	}
	nbg_pool = page_address(nbg_pool_pages);
	va = klxd_hypercall(LXDS_HC_GRANT, domain, page_to_phys(nbg_pool_pages),
			    1ul << NBG_POOL_ORDER, 0);
	if (va < 0) {
		pr_err("granting the pool to domain %u failed: %ld (the domain must exist and "
		       "not have started: lxdctl load --no-start)\n", domain, va);
		__free_pages(nbg_pool_pages, NBG_POOL_ORDER);
		return va == -ENOENT ? -ENOENT : -EBUSY;
	}
	if (va != LXD_GRANT_VA + LXD_GRANT_STRIDE)
		pr_warn("domain %u sees the pool at %#lx, not as its second grant: it will refuse it\n",
			domain, va);
	glue_ctx_init(&nbg_ctx, "null_blk", null_blk_linux_dispatch);
	err = glue_pool_set(&nbg_ctx, null_blk_POOL_io_data, nbg_pool, NBG_POOL_BYTES);
	if (err) {
		pr_err("glue_pool_set: %d\n", err);
		return -EINVAL;     /* the pages stay granted to a live domain: never freed */
	}
	null_blk_linux_ctx = &nbg_ctx;
	INIT_DELAYED_WORK(&nbg_watch, nbg_watch_fn);
	INIT_DELAYED_WORK(&nbg_starter, nbg_starter_fn);
	schedule_delayed_work(&nbg_starter, 0);
	pr_info("domain %u: pool of %lu KiB (%lu slots of %u KiB) granted; serving it once it "
		"starts (IDL %#llx)\n", domain, NBG_POOL_BYTES >> 10, NBG_SLOTS,
		NBG_SLOT_BYTES >> 10, null_blk_IDL_HASH);
	return 0;
}

static void __exit nbg_exit(void)
{
	/* the disk first, while a live domain can still answer its last I/O */
	mutex_lock(&nbg_lock);
	nbg_del_disk_locked();
	mutex_unlock(&nbg_lock);
	cancel_delayed_work_sync(&nbg_starter);
	cancel_delayed_work_sync(&nbg_watch);
	mutex_lock(&nbg_backend_lock);
	if (nbg_started)
		klxd_glue_stop(&nbg_ctx);
	mutex_unlock(&nbg_backend_lock);
	nbg_mark_dead("glue unloading");
	mutex_lock(&nbg_lock);
	nbg_put_disk_locked();
	nbg_free_tag_set_locked();
	if (nbg_major >= 0)
		unregister_blkdev(nbg_major, nbg_major_name);
	nbg_major = -1;
	mutex_unlock(&nbg_lock);
	null_blk_linux_release(&nbg_ctx);
	null_blk_linux_ctx = NULL;
	if (klxd_glue_domain_destroyed(domain)) {
		__free_pages(nbg_pool_pages, NBG_POOL_ORDER);
	} else {
		pr_warn("domain %u still exists: its pool (%lu KiB) stays allocated while it may "
			"map it\n", domain, NBG_POOL_BYTES >> 10);
	}
	pr_info("domain %u: glue stopped (%ld submitted, %ld ended, %ld failed, %ld bad ends)\n",
		domain, atomic_long_read(&nbg_submitted), atomic_long_read(&nbg_ended),
		atomic_long_read(&nbg_failed), atomic_long_read(&nbg_refused));
	if (atomic_long_read(&nbg_stops) || atomic_long_read(&nbg_starts))
		pr_info("domain %u: mbps throttling: %ld queue stops, %ld starts\n", domain,
			atomic_long_read(&nbg_stops), atomic_long_read(&nbg_starts));
}

module_init(nbg_init);
module_exit(nbg_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds: Linux side of null_blk in an LXD (IDL glue over klxd)");
