// SPDX-License-Identifier: GPL-2.0
/*
 * The glue runtime's Linux backend over a klxd channel (klxd_glue.h;
 * the contract is in include/lxds/glue.h, docs/idl.md "Runtime API").
 *
 * One context per channel:
 *   - callers (any Linux thread, process context) claim one of
 *     KLXD_GLUE_CALLS call slots; the tag is (generation << 16 | slot), the
 *     reply's tag finds the slot, and a tag that names no waiting call (forged,
 *     stale after a timeout) is dropped;
 *   - a receive kthread polls the ring (klxd_try_recv: it never holds the
 *     send side), reassembles slots with glue_rx_feed, hands replies to their
 *     waiters and queues requests and one-way messages as work items; it
 *     never sends, so a full ring towards the domain cannot stop it.  A
 *     glue module may also receive from its own send path
 *     (klxd_glue_poll_nowait, bottom halves off; the two take turns slot by
 *     slot under rx_spin) and declare up to two one-way rpcs safe to handle where
 *     they are received (klxd_glue_set_bh_oneway: no work item); one-way
 *     sends of one slot may go without sleeping (klxd_glue_try_send_framed);
 *   - each request runs glue_handle() on a workqueue, in process context, so
 *     a handler may sleep and call back into the domain (nested calls, up to
 *     the workqueue's max_active deep);
 *   - every wait has a deadline fixed when the call starts (klxd's
 *     timeout_ms); the receiver asks the hypervisor every 200 ms, however
 *     busy the ring, whether the domain still runs, and wakes every waiter
 *     with -EPIPE when it does not.
 * Everything received is checked (tags, slot headers by glue_rx_feed,
 * reply lengths against the caller's buffer); nothing from the ring is used
 * as an index before its range is checked.
 */
#define pr_fmt(fmt) "klxd_glue: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/kthread.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/err.h>
#include <linux/ratelimit.h>
#include <linux/uaccess.h>
#include <linux/sched.h>
#include <linux/percpu.h>
#include <linux/sched/stat.h>
#include <asm/msr.h>

#include "klxd.h"
#include "klxd_glue.h"

#define KLXD_GLUE_CHECK_MS     200   /* how often the receiver asks if the domain runs */
#define KLXD_GLUE_SPINS        256   /* empty polls before the receiver sleeps */
#define KLXD_GLUE_RX_BATCH     64    /* slots read per poll round before yielding */
#define KLXD_GLUE_RELAX_WEIGHT 8     /* a cpu_relax() spin counts 1/8 of a yield towards
                                      * KLXD_GLUE_SPINS (a yield costs several times more) */
/* A lazy receiver's nap while other threads want the core is the
 * module's choice (klxd_glue_set_bh_oneway); 1 ms or more: Bochs runs 10 M
 * emulated instructions per emulated second, and a 20-100 us nap cost more
 * in timer interrupts and switches than it saved (a load that never
 * finished within a minute). */
/* One-way messages (completions) wait for the drain work in a preallocated
 * FIFO of this many entries, each up to KLXD_GLUE_OW_WORDS payload words
 * (4 slots); longer ones, or any beyond a full FIFO, take the per-message
 * job path (bounded by KLXD_GLUE_MAX_JOBS). */
#define KLXD_GLUE_OW_SLOTS     256
#define KLXD_GLUE_OW_WORDS     (GLUE_SLOT_WORDS * 4)

/*
 * rx_relax (default off; on in null_blk_glue, whose build defines
 * KLXD_GLUE_RX_RELAX_DEFAULT=1: for the dummy glue it measured 3 % slower
 * with 1500-byte frames, docs/bench-nullblk.md): when the receive thread
 * finds the ring empty and is the only runnable thread on its core, it
 * spins with cpu_relax() rather than calling yield(), which would only go
 * through the scheduler to pick it again (a few thousand instructions in
 * Bochs per empty turn, half of which an answer waits on average).  With
 * another thread runnable it yields as before.  0: always yield (for
 * comparison in one boot; the bench sets it).
 */
#ifndef KLXD_GLUE_RX_RELAX_DEFAULT
#define KLXD_GLUE_RX_RELAX_DEFAULT 0
#endif
static bool rx_relax = KLXD_GLUE_RX_RELAX_DEFAULT;
module_param(rx_relax, bool, 0644);
MODULE_PARM_DESC(rx_relax, "receive thread: cpu_relax() instead of yield() while it is alone on its core");

struct klxd_glue_call {
	wait_queue_head_t wq;
	struct glue_msg *reply;         /* the caller's buffer, while busy */
	u16 gen;
	bool busy;
	bool done;
};

struct klxd_glue;

struct klxd_glue_job {
	struct work_struct work;
	struct klxd_glue *g;
	int status;                     /* nonzero: reply with this status only */
	union glue_msg_full reply;
	union glue_msg_full msg;        /* last: it ends in a flexible array */
};

/* A one-way message waiting in the FIFO. */
struct klxd_glue_ow {
	GLUE_MSG_BUF(KLXD_GLUE_OW_WORDS) msg;
};

struct klxd_glue {
	struct glue_ctx *ctx;
	struct klxd_channel *ch;
	spinlock_t lock;                /* calls[], jobs, dead, ow_head/ow_tail */
	wait_queue_head_t call_free;
	struct klxd_glue_call calls[KLXD_GLUE_CALLS];
	unsigned int jobs;              /* queued or running */
	unsigned int waiting;           /* calls sent and waiting for their reply */
	unsigned long sent;             /* messages sent: the receiver polls on while it moves */
	bool dead;                      /* domain gone or backend stopping: no more traffic */
	bool rx_sleeping;               /* the receiver sleeps: a new call wakes it */
	bool covered;                   /* a submitter reads the ring (klxd_glue_cover) */
	struct task_struct *rx_task;
	struct workqueue_struct *wq;
	/* One-way messages: the receiver appends (ow_tail), the drain work
	 * handles them in order in place and then advances ow_head; one work
	 * item per poll round, however many messages it brought. */
	struct klxd_glue_ow *ow;        /* KLXD_GLUE_OW_SLOTS entries */
	unsigned int ow_head, ow_tail;  /* free-running; tail - head <= KLXD_GLUE_OW_SLOTS */
	bool ow_kick;                   /* the receiver appended this round */
	struct work_struct ow_work;
	union glue_msg_full ow_reply;   /* glue_handle's (unused) reply for the drain work */
	struct klxd_glue_stats st;      /* racy counters: a measurement, not accounting */
	/* The receiving side (klxd_try_recv, the reassembly in rx, routing)
	 * runs under rx_spin, slot by slot, with bottom halves off: the
	 * receive thread and klxd_glue_poll_nowait (a glue module's send path)
	 * take turns.  bh_rpc: the one-way rpcs (up to two) the module declared
	 * safe to handle there (klxd_glue_set_bh_oneway), at once and without a
	 * work item; bh_reply is glue_handle's (unused) reply buffer for them. */
	spinlock_t rx_spin;
	int bh_rpc, bh_rpc2;            /* -1: none */
	/* one of them taken framed (klxd_glue_set_framed_oneway): its one
	 * slot's header word, exactly, and the module's reader; NULL: none */
	u64 framed_hdr;
	bool (*framed_fn)(const u64 *w);
	unsigned int lazy_nap_us;       /* not 0: the receiver naps this long, leaving the
					 * core to runnable threads */
	union glue_msg_full bh_reply;
	struct glue_rx rx;              /* last: it ends in a flexible array */
};

/* --- backend contract: memory, log, locks, user copies ----------------------- */

/* The reference table's lock: taken twice per packet (export on send,
 * import and drop on completion), never around anything that sleeps (the
 * glue allocates and frees its private copies outside it). */
static DEFINE_SPINLOCK(klxd_glue_reflock);

void *glue_zalloc(size_t size)
{
	return kvzalloc(size, GFP_KERNEL);
}

void glue_free(void *p)
{
	kvfree(p);
}

/* A peer can make the glue log on every message it sends: rate-limited. */
void glue_log(struct glue_ctx *ctx, const char *fmt, ...)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 20);
	struct va_format vaf;
	va_list ap;

	(void)ctx;
	if (!__ratelimit(&rs))
		return;
	va_start(ap, fmt);
	vaf.fmt = fmt;
	vaf.va = &ap;
	pr_warn("%pV\n", &vaf);
	va_end(ap);
}

/* Bottom-half safe: a glue module may export references from its
 * ndo_start_xmit, with bottom halves off. */
void glue_lock(struct glue_ctx *ctx)
{
	(void)ctx;
	spin_lock_bh(&klxd_glue_reflock);
}

void glue_unlock(struct glue_ctx *ctx)
{
	(void)ctx;
	spin_unlock_bh(&klxd_glue_reflock);
}

int glue_copy_from_user(void *dst, const void *user_src, size_t n)
{
	return copy_from_user(dst, (const void __user *)user_src, n) ? GLUE_EFAULT : 0;
}

int glue_copy_to_user(void *user_dst, const void *src, size_t n)
{
	return copy_to_user((void __user *)user_dst, src, n) ? GLUE_EFAULT : 0;
}

/* --- deadlines and the domain's death ------------------------------------------ */

/* Milliseconds left until deadline (at least 1: klxd treats 0 as "default"),
 * or 0 if it has passed. */
static unsigned int ms_left(unsigned long deadline)
{
	long left = (long)(deadline - jiffies);

	if (left <= 0)
		return 0;
	return max(jiffies_to_msecs(left), 1u);
}

static void klxd_glue_mark_dead(struct klxd_glue *g, const char *why)
{
	unsigned int i;
	bool was;

	spin_lock_bh(&g->lock);
	was = g->dead;
	g->dead = true;
	spin_unlock_bh(&g->lock);
	for (i = 0; i < KLXD_GLUE_CALLS; i++)
		wake_up_all(&g->calls[i].wq);
	wake_up_all(&g->call_free);
	if (!was)
		pr_warn("%s: %s: every call in flight fails with -EPIPE\n", g->ctx->name, why);
}

static bool klxd_glue_dead(struct klxd_glue *g)
{
	return READ_ONCE(g->dead);
}

bool klxd_glue_domain_destroyed(u32 domain)
{
	struct klxd_channel *ch = klxd_channel_get(domain);
	int st;

	if (IS_ERR(ch))
		return PTR_ERR(ch) == -ENODEV || PTR_ERR(ch) == -ENOENT;
	st = klxd_channel_state(ch);
	klxd_channel_put(ch);
	return st == -ENODEV;
}

bool klxd_glue_peer_dead(struct glue_ctx *ctx)
{
	struct klxd_glue *g = ctx->backend;

	return !g || klxd_glue_dead(g);
}

/* klxd's errors as the glue's: a destroyed or stopped domain is a dead peer. */
static int klxd_glue_errno(int err)
{
	if (err == -ENODEV || err == -EPIPE)
		return GLUE_EPIPE;
	return err;
}

/* --- sending ------------------------------------------------------------------ */

/* All slots of m, contiguous on the ring, before deadline. */
static int klxd_glue_send_msg(struct klxd_glue *g, const struct glue_msg *m,
			      unsigned long deadline)
{
	struct chan_msg one, *slots = &one;
	unsigned int tmo = ms_left(deadline);
	int n = glue_frame_count(m), i, err;

	if (n < 0) {
		glue_log(g->ctx, "%s: message of %u words does not fit %d slots", g->ctx->name,
			 m->nwords, GLUE_MAX_SLOTS);
		return n;
	}
	if (klxd_glue_dead(g))
		return GLUE_EPIPE;
	if (!tmo)
		return GLUE_ETIMEDOUT;
	if (n > 1) {
		slots = kmalloc_array(n, sizeof(*slots), GFP_KERNEL);
		if (!slots)
			return GLUE_ENOMEM;
	}
	for (i = 0; i < n; i++)
		glue_frame_one(m, i, n, &slots[i]);
	err = klxd_send_batch(g->ch, slots, n, tmo);
	WRITE_ONCE(g->sent, g->sent + 1);       /* a hint only: racy increments are fine */
	if (slots != &one)
		kfree(slots);
	if (err)
		glue_log(g->ctx, "%s: sending rpc %u (%d slots) failed: %d", g->ctx->name, m->rpc,
			 n, err);
	return klxd_glue_errno(err);
}

/* A message went out whose answer will come back: a napping receiver polls
 * again.  The barrier orders the caller's store (the message, or waiting++)
 * before reading rx_sleeping, against klxd_glue_rx_nap's opposite pair. */
static void klxd_glue_wake_rx(struct klxd_glue *g)
{
	smp_mb();
	if (READ_ONCE(g->rx_sleeping))
		wake_up_process(g->rx_task);
}

/* One framed slot onto the ring without waiting, counted (t0: when the
 * caller started); -EAGAIN full, -EPIPE the domain is gone. */
static int klxd_glue_try_send_slot(struct klxd_glue *g, const struct chan_msg *slot, u64 t0)
{
	int err = klxd_try_send(g->ch, slot);

	if (err == -ENODEV)
		err = -EPIPE;
	if (err)
		g->st.try_full += err == -EAGAIN;
	else
		WRITE_ONCE(g->sent, g->sent + 1);
	g->st.try_n++;
	g->st.try_tsc += rdtsc() - t0;
	return err;
}

/* klxd_glue.h: one one-way slot the caller framed itself (glue_frame_oneway1
 * and its words), straight onto the ring without waiting. */
int klxd_glue_try_send_framed(struct glue_ctx *ctx, const struct chan_msg *slot)
{
	struct klxd_glue *g = ctx->backend;
	u64 t0 = rdtsc();
	int err;

	if (!g || klxd_glue_dead(g))
		return -EPIPE;
	err = klxd_glue_try_send_slot(g, slot, t0);
	/* the sender polls for what comes back: neither a lazy receiver nor
	 * a covered one is woken */
	if (err || READ_ONCE(g->lazy_nap_us) || READ_ONCE(g->covered))
		return err;
	klxd_glue_wake_rx(g);
	return 0;
}

static int klxd_glue_send(struct glue_ctx *ctx, struct glue_msg *msg)
{
	struct klxd_glue *g = ctx->backend;
	u64 t0 = rdtsc();
	int err;

	msg->kind = CHAN_T_ONEWAY;
	msg->tag = 0;
	err = klxd_glue_send_msg(g, msg, jiffies + msecs_to_jiffies(klxd_timeout_ms()));
	g->st.send_n++;
	g->st.send_tsc += rdtsc() - t0;
	/* its completion will come back: a napping receiver polls again */
	klxd_glue_wake_rx(g);
	return err;
}

/* --- calls -------------------------------------------------------------------- */

/* With g->lock held: a free call slot, claimed, or -1. */
static int klxd_glue_claim_locked(struct klxd_glue *g)
{
	struct klxd_glue_call *c;
	int i;

	for (i = 0; i < KLXD_GLUE_CALLS; i++) {
		c = &g->calls[i];
		if (c->busy)
			continue;
		c->busy = true;
		c->done = false;
		if (++c->gen == 0)      /* generation 0 is never used */
			c->gen = 1;
		return i;
	}
	return -1;
}

static bool klxd_glue_can_claim(struct klxd_glue *g, int *slot)
{
	spin_lock_bh(&g->lock);
	*slot = g->dead ? -1 : klxd_glue_claim_locked(g);
	spin_unlock_bh(&g->lock);
	return *slot >= 0 || klxd_glue_dead(g);
}

/* A call slot before deadline, waiting while all are in flight. */
static int klxd_glue_claim(struct klxd_glue *g, unsigned long deadline)
{
	long left = (long)(deadline - jiffies), ret;
	int slot = -1;

	if (left <= 0)
		return GLUE_ETIMEDOUT;
	ret = wait_event_killable_timeout(g->call_free, klxd_glue_can_claim(g, &slot), left);
	if (slot >= 0)
		return slot;
	if (ret < 0)
		return -EINTR;
	if (klxd_glue_dead(g))
		return GLUE_EPIPE;
	glue_log(g->ctx, "%s: all %d call slots busy until the deadline", g->ctx->name,
		 KLXD_GLUE_CALLS);
	return GLUE_ETIMEDOUT;
}

static bool klxd_glue_answered(struct klxd_glue *g, struct klxd_glue_call *c)
{
	return READ_ONCE(c->done) || klxd_glue_dead(g);
}

/* Frees a call slot: a reply arriving later matches nothing. */
static void klxd_glue_release(struct klxd_glue *g, struct klxd_glue_call *c)
{
	spin_lock_bh(&g->lock);
	c->busy = false;
	c->reply = NULL;
	g->waiting--;
	spin_unlock_bh(&g->lock);
	wake_up(&g->call_free);
}

/* Waits for call slot's reply until deadline, then frees the slot. */
static int klxd_glue_wait(struct klxd_glue *g, int slot, unsigned long deadline)
{
	struct klxd_glue_call *c = &g->calls[slot];
	long left = (long)(deadline - jiffies), ret = 0;
	int err;

	if (left > 0)
		ret = wait_event_killable_timeout(c->wq, klxd_glue_answered(g, c), left);
	spin_lock_bh(&g->lock);
	if (c->done)
		err = 0;
	else if (g->dead)
		err = GLUE_EPIPE;
	else if (ret < 0)
		err = -EINTR;
	else
		err = GLUE_ETIMEDOUT;
	spin_unlock_bh(&g->lock);
	klxd_glue_release(g, c);
	if (err == GLUE_ETIMEDOUT)
		glue_log(g->ctx, "%s: call (tag %#x) unanswered after %u ms", g->ctx->name,
			 (unsigned int)c->gen << 16 | slot, klxd_timeout_ms());
	return err;
}

/* The reply's own verdict: its status word, after checking it answers req. */
static int klxd_glue_reply_status(struct glue_ctx *ctx, const struct glue_msg *req,
				  const struct glue_msg *reply)
{
	s64 st;

	if (reply->nwords < 1) {
		glue_log(ctx, "%s: reply to rpc %u has no status word", ctx->name, req->rpc);
		return GLUE_EBADMSG;
	}
	if (reply->rpc != req->rpc) {
		glue_log(ctx, "%s: reply for rpc %u answers rpc %u", ctx->name, req->rpc,
			 reply->rpc);
		return GLUE_EBADMSG;
	}
	st = (s64)reply->w[0];
	if (st == 0)
		return 0;
	return st < 0 && st > -4096 ? (int)st : GLUE_EBADMSG;
}

static int klxd_glue_call(struct glue_ctx *ctx, struct glue_msg *req, struct glue_msg *reply)
{
	struct klxd_glue *g = ctx->backend;
	unsigned long deadline = jiffies + msecs_to_jiffies(klxd_timeout_ms());
	int slot, err;

	slot = klxd_glue_claim(g, deadline);
	if (slot < 0)
		return slot;
	spin_lock_bh(&g->lock);
	g->calls[slot].reply = reply;
	req->kind = CHAN_T_REQUEST;
	req->tag = (u32)g->calls[slot].gen << 16 | (u32)slot;
	g->waiting++;                   /* the receiver polls, not sleeps, while > 0 */
	spin_unlock_bh(&g->lock);

	err = klxd_glue_send_msg(g, req, deadline);
	if (err) {
		klxd_glue_release(g, &g->calls[slot]);   /* it did not (fully) go out */
		return err;
	}
	klxd_glue_wake_rx(g);           /* after waiting++ */
	err = klxd_glue_wait(g, slot, deadline);
	if (err)
		return err;
	return klxd_glue_reply_status(ctx, req, reply);
}

/* --- receiving ------------------------------------------------------------------ */

/* Hands a reply to the call its tag names; anything else is dropped. */
static void klxd_glue_deliver(struct klxd_glue *g, const struct glue_msg *m)
{
	u32 i = m->tag & 0xffff;
	u16 gen = (u16)(m->tag >> 16);
	struct klxd_glue_call *c = i < KLXD_GLUE_CALLS ? &g->calls[i] : NULL;
	const char *why = NULL;

	spin_lock_bh(&g->lock);
	if (!c || !c->busy || c->done || c->gen != gen || !c->reply) {
		why = "matches no waiting call";
		c = NULL;
	} else {
		if (glue_msg_copy(c->reply, m) != 0) {
			/* Longer than the caller's worst case: the domain does
			 * not follow the IDL.  The caller gets an error. */
			why = "is longer than the caller's buffer";
			c->reply->rpc = m->rpc;
			c->reply->nwords = 1;
			c->reply->w[0] = (u64)(s64)GLUE_EBADMSG;
		}
		WRITE_ONCE(c->done, true);
	}
	spin_unlock_bh(&g->lock);
	if (why) {
		g->ctx->rejected++;
		glue_log(g->ctx, "%s: reply (rpc %u, tag %#x, %u words) %s; dropped", g->ctx->name,
			 m->rpc, m->tag, m->nwords, why);
	}
	if (c)
		wake_up(&c->wq);
}

static void klxd_glue_job_run(struct work_struct *work)
{
	struct klxd_glue_job *j = container_of(work, struct klxd_glue_job, work);
	struct klxd_glue *g = j->g;
	const struct glue_msg *req = &j->msg.m;
	struct glue_msg *reply = &j->reply.m;

	glue_msg_init(reply, GLUE_MAX_WORDS);
	if (j->status) {
		reply->rpc = req->rpc;
		reply->kind = CHAN_T_REPLY;
		reply->tag = req->tag;
		reply->nwords = 1;
		reply->w[0] = (u64)(s64)j->status;
	} else {
		glue_handle(g->ctx, req, reply);
	}
	if (req->kind == CHAN_T_REQUEST)
		klxd_glue_send_msg(g, reply, jiffies + msecs_to_jiffies(klxd_timeout_ms()));
	spin_lock_bh(&g->lock);
	g->jobs--;
	spin_unlock_bh(&g->lock);
	kfree(j);
}

/* The drain work: every one-way message in the FIFO, in order, in process
 * context (handlers may sleep), each handled in place before its entry is
 * given back.  One run per poll round that brought any. */
static void klxd_glue_ow_run(struct work_struct *work)
{
	struct klxd_glue *g = container_of(work, struct klxd_glue, ow_work);
	struct glue_msg *reply = &g->ow_reply.m;
	const struct glue_msg *m;
	unsigned int head;
	u64 t0 = rdtsc();

	g->st.ow_runs++;
	for (;;) {
		spin_lock_bh(&g->lock);
		head = g->ow_head;
		if (head == g->ow_tail) {
			spin_unlock_bh(&g->lock);
			break;
		}
		spin_unlock_bh(&g->lock);
		m = &g->ow[head % KLXD_GLUE_OW_SLOTS].msg.m;
		glue_msg_init(reply, GLUE_MAX_WORDS);
		glue_handle(g->ctx, m, reply);  /* one-way: nothing is sent back */
		spin_lock_bh(&g->lock);
		g->ow_head = head + 1;
		spin_unlock_bh(&g->lock);
		g->st.ow_msgs++;
		cond_resched();
	}
	g->st.ow_tsc += rdtsc() - t0;
}

/* A one-way message into the FIFO (the drain work is queued once per poll
 * round by the receiver); false if it does not fit the FIFO. */
static bool klxd_glue_ow_add(struct klxd_glue *g, const struct glue_msg *m)
{
	struct glue_msg *e;
	unsigned int tail;

	if (m->nwords > KLXD_GLUE_OW_WORDS)
		return false;
	spin_lock_bh(&g->lock);
	tail = g->ow_tail;
	if (tail - g->ow_head >= KLXD_GLUE_OW_SLOTS) {
		spin_unlock_bh(&g->lock);
		return false;
	}
	spin_unlock_bh(&g->lock);
	/* Only the receiver writes entries and ow_tail; the drain work does
	 * not look at this one until ow_tail moves past it. */
	e = &g->ow[tail % KLXD_GLUE_OW_SLOTS].msg.m;
	glue_msg_init(e, KLXD_GLUE_OW_WORDS);
	glue_msg_copy(e, m);            /* fits: nwords checked above */
	spin_lock_bh(&g->lock);
	g->ow_tail = tail + 1;
	spin_unlock_bh(&g->lock);
	g->ow_kick = true;
	return true;
}

/* Queues a request or one-way message (status: reply with it alone). */
static void klxd_glue_queue(struct klxd_glue *g, const struct glue_msg *m, int status)
{
	struct klxd_glue_job *j;
	bool full;

	spin_lock_bh(&g->lock);
	full = g->jobs >= KLXD_GLUE_MAX_JOBS;
	if (!full)
		g->jobs++;
	spin_unlock_bh(&g->lock);
	if (full) {
		g->ctx->rejected++;
		glue_log(g->ctx, "%s: %d requests pending; rpc %u (tag %#x) dropped", g->ctx->name,
			 KLXD_GLUE_MAX_JOBS, m->rpc, m->tag);
		return;
	}
	/* under rx_spin (bottom halves off): no sleeping allocation */
	j = kmalloc(sizeof(*j), GFP_ATOMIC | __GFP_NOWARN);
	if (!j) {
		glue_log(g->ctx, "%s: no memory to queue rpc %u; dropped", g->ctx->name, m->rpc);
		spin_lock_bh(&g->lock);
		g->jobs--;
		spin_unlock_bh(&g->lock);
		return;
	}
	INIT_WORK(&j->work, klxd_glue_job_run);
	j->g = g;
	j->status = status;
	glue_msg_init(&j->msg.m, GLUE_MAX_WORDS);
	glue_msg_copy(&j->msg.m, m);    /* m is a reassembly buffer: it fits */
	queue_work(g->wq, &j->work);
}

static void klxd_glue_route(struct klxd_glue *g, const struct glue_msg *m)
{
	switch (m->kind) {
	case CHAN_T_REPLY:
		klxd_glue_deliver(g, m);
		break;
	case CHAN_T_ONEWAY:
		if ((int)m->rpc == g->bh_rpc || (int)m->rpc == g->bh_rpc2) {
			/* declared safe here: handled at once, no work item */
			glue_msg_init(&g->bh_reply.m, GLUE_MAX_WORDS);
			glue_handle(g->ctx, m, &g->bh_reply.m);
			g->st.bh_msgs++;
		} else if (!klxd_glue_ow_add(g, m)) {
			klxd_glue_queue(g, m, 0);
		}
		break;
	case CHAN_T_REQUEST:
		klxd_glue_queue(g, m, 0);
		break;
	default:
		g->ctx->rejected++;
		glue_log(g->ctx, "%s: message of kind %u (rpc %u) dropped", g->ctx->name, m->kind,
			 m->rpc);
	}
}

/* A message that failed framing: a request still gets an error reply, so
 * its caller in the domain does not wait for nothing. */
static void klxd_glue_refuse(struct klxd_glue *g, const struct glue_msg *m)
{
	if (m->kind == CHAN_T_REQUEST)
		klxd_glue_queue(g, m, GLUE_EBADMSG);
}

static void klxd_glue_feed(struct klxd_glue *g, const struct chan_msg *slot)
{
	enum glue_rx_result res = glue_rx_feed(g->ctx, &g->rx, slot);

	if (res == GLUE_RX_TRUNCATED) {
		klxd_glue_refuse(g, &g->rx.msg.m);
		res = glue_rx_feed(g->ctx, &g->rx, slot);
	}
	if (res == GLUE_RX_DONE)
		klxd_glue_route(g, &g->rx.msg.m);
	else if (res == GLUE_RX_BAD)
		klxd_glue_refuse(g, &g->rx.msg.m);
}

/* Asks the hypervisor whether the domain runs; marks the context dead if not. */
static void klxd_glue_check_peer(struct klxd_glue *g)
{
	int st = klxd_channel_state(g->ch);

	if (st == -EPIPE)
		klxd_glue_mark_dead(g, "the domain stopped or crashed");
	else if (st == -ENODEV)
		klxd_glue_mark_dead(g, "the domain was destroyed");
}

/* Sleeps us to 5 * us microseconds, or until a new call wakes it (rx_sleeping). */
static void klxd_glue_rx_nap(struct klxd_glue *g, unsigned int us)
{
	ktime_t t = us * NSEC_PER_USEC;

	set_current_state(TASK_INTERRUPTIBLE);
	WRITE_ONCE(g->rx_sleeping, true);
	smp_mb();                       /* rx_sleeping before reading waiting */
	if (!READ_ONCE(g->waiting) && !kthread_should_stop()) {
		g->st.rx_naps++;
		schedule_hrtimeout_range(&t, 4 * us * NSEC_PER_USEC, HRTIMER_MODE_REL);
	}
	WRITE_ONCE(g->rx_sleeping, false);
	__set_current_state(TASK_RUNNING);
}

/*
 * With rx_spin held: a slot that is, whole, the one-slot message of the
 * one-way rpc the module takes framed (its header word, exactly: magic,
 * rpc, first and only slot, the word count) goes straight to the module's
 * reader, which checks its words as the generated handler would; true if
 * the reader took it.  Anything else (another message, one arriving while
 * a longer one is being reassembled, words the reader refuses) goes the
 * generic way, whose checks refuse and log it.
 */
static bool klxd_glue_take_framed(struct klxd_glue *g, const struct chan_msg *slot)
{
	if (!g->framed_fn || !glue_slot_is_oneway1(slot, g->framed_hdr) || g->rx.expect)
		return false;
	if (!g->framed_fn(&slot->w[1]))
		return false;
	g->st.bh_msgs++;
	g->st.bh_framed++;
	return true;
}

/* With rx_spin held: one slot received and fed; 0, -EAGAIN (empty), -ENODEV
 * (destroyed) or another error (the slot was refused).  The one-way
 * messages it queued get their work item before rx_spin is dropped. */
static int klxd_glue_rx_one(struct klxd_glue *g)
{
	struct chan_msg slot;
	int ret;

	ret = klxd_try_recv(g->ch, &slot);
	if (ret == -EAGAIN)
		return ret;
	if (ret == -ENODEV) {
		klxd_glue_mark_dead(g, "the domain was destroyed");
	} else if (ret) {
		g->ctx->rejected++;
		glue_log(g->ctx, "%s: channel refused a slot (kind %u): %d", g->ctx->name,
			 slot.hdr.type, ret);
	} else if (!klxd_glue_take_framed(g, &slot)) {
		klxd_glue_feed(g, &slot);
	}
	if (g->ow_kick) {
		g->ow_kick = false;
		queue_work(g->wq, &g->ow_work);
	}
	return ret;
}

/*
 * From a glue module's send path (bottom halves off, nothing may sleep):
 * up to budget slots received and routed, as the receive thread would,
 * unless the receive thread is at it this very moment.  Replies wake their
 * callers, the declared one-way rpc is handled here, other one-way messages
 * and requests are queued for their work items.  The number of slots read.
 */
unsigned int klxd_glue_poll_nowait(struct glue_ctx *ctx, unsigned int budget)
{
	struct klxd_glue *g = ctx->backend;
	unsigned int n = 0;
	u64 t0 = rdtsc();

	if (!g || klxd_glue_dead(g))
		return 0;
	if (!spin_trylock_bh(&g->rx_spin))
		return 0;
	while (n < budget && klxd_glue_rx_one(g) != -EAGAIN && !klxd_glue_dead(g))
		n++;
	spin_unlock_bh(&g->rx_spin);
	g->st.poll_n++;
	g->st.poll_slots += n;
	g->st.poll_tsc += rdtsc() - t0;
	return n;
}

void klxd_glue_set_bh_oneway(struct glue_ctx *ctx, int rpc, int rpc2, unsigned int lazy_nap_us)
{
	struct klxd_glue *g = ctx->backend;

	if (!g)
		return;
	spin_lock_bh(&g->rx_spin);
	g->bh_rpc = rpc;
	g->bh_rpc2 = rpc2;
	if (g->framed_fn && (int)(g->framed_hdr & 0xffff) != rpc &&
	    (int)(g->framed_hdr & 0xffff) != rpc2)
		g->framed_fn = NULL;    /* no longer declared safe here */
	spin_unlock_bh(&g->rx_spin);
	WRITE_ONCE(g->lazy_nap_us, lazy_nap_us);
}

int klxd_glue_set_framed_oneway(struct glue_ctx *ctx, int rpc, unsigned int nwords,
				bool (*fn)(const u64 *w))
{
	struct klxd_glue *g = ctx->backend;
	int err = 0;

	if (!g)
		return -ENODEV;
	if (fn && (rpc < 0 || rpc > 0xffff || !nwords || nwords > GLUE_SLOT_WORDS))
		return -EINVAL;
	spin_lock_bh(&g->rx_spin);
	if (fn && rpc != g->bh_rpc && rpc != g->bh_rpc2) {
		err = -EINVAL;          /* only a one-way rpc safe to handle here */
	} else {
		g->framed_hdr = fn ? glue_slot_hdr_word((u16)rpc, 0, 1, nwords) : 0;
		g->framed_fn = fn;
	}
	spin_unlock_bh(&g->rx_spin);
	return err;
}

void klxd_glue_cover(struct glue_ctx *ctx)
{
	struct klxd_glue *g = ctx->backend;

	if (g && !READ_ONCE(g->covered))
		WRITE_ONCE(g->covered, true);
}

void klxd_glue_uncover(struct glue_ctx *ctx)
{
	struct klxd_glue *g = ctx->backend;

	if (!g || !READ_ONCE(g->covered))
		return;
	WRITE_ONCE(g->covered, false);
	klxd_glue_wake_rx(g);           /* orders the store before reading rx_sleeping */
}

/* Covered (klxd_glue_cover) and the ring found empty: sleeps until
 * uncovered, a call waits, or KLXD_GLUE_CHECK_MS pass. */
static void klxd_glue_rx_sleep_covered(struct klxd_glue *g)
{
	set_current_state(TASK_INTERRUPTIBLE);
	WRITE_ONCE(g->rx_sleeping, true);
	smp_mb();                       /* rx_sleeping before reading covered and waiting */
	if (READ_ONCE(g->covered) && !READ_ONCE(g->waiting) && !kthread_should_stop()) {
		g->st.rx_covered++;
		schedule_timeout(msecs_to_jiffies(KLXD_GLUE_CHECK_MS));
	}
	WRITE_ONCE(g->rx_sleeping, false);
	__set_current_state(TASK_RUNNING);
}

/* One poll round: up to KLXD_GLUE_RX_BATCH slots; the number read. */
static unsigned int klxd_glue_rx_round(struct klxd_glue *g)
{
	unsigned int n;
	u64 t0 = rdtsc();
	int ret;

	for (n = 0; n < KLXD_GLUE_RX_BATCH; n++) {
		spin_lock_bh(&g->rx_spin);
		ret = klxd_glue_rx_one(g);
		spin_unlock_bh(&g->rx_spin);
		if (ret == -EAGAIN || ret == -ENODEV)
			break;
	}
	if (n) {
		g->st.rx_rounds++;
		g->st.rx_slots += n;
		g->st.rx_tsc += rdtsc() - t0;
	} else {
		g->st.rx_empty++;
		g->st.rx_empty_tsc += rdtsc() - t0;
	}
	return n;
}

/*
 * The receiver shares Linux's core(s) with the threads that send, so it
 * polls politely: after traffic it keeps polling, but yields the core to any
 * runnable thread between empty polls (a sender is never starved by it),
 * and spins with cpu_relax() while no other thread wants the core
 * (rx_relax); after about KLXD_GLUE_SPINS empty polls (a relaxed one counts
 * 1/KLXD_GLUE_RELAX_WEIGHT) with no call waiting and nothing sent
 * it naps (100-500 us; a new call or one-way message wakes it at once).
 * While a call waits it never naps.
 */
static int klxd_glue_rx_main(void *arg)
{
	struct klxd_glue *g = arg;
	unsigned long next_check = jiffies + msecs_to_jiffies(KLXD_GLUE_CHECK_MS);
	unsigned int idle = 0;         /* in 1/KLXD_GLUE_RELAX_WEIGHT of an empty turn */
	unsigned long sent = 0, now;
	unsigned int nap;

	while (!kthread_should_stop()) {
		/* Checked on every turn, so a busy ring cannot postpone it. */
		if (time_after(jiffies, next_check)) {
			next_check = jiffies + msecs_to_jiffies(KLXD_GLUE_CHECK_MS);
			klxd_glue_check_peer(g);
		}
		if (klxd_glue_dead(g)) {
			schedule_timeout_interruptible(msecs_to_jiffies(KLXD_GLUE_CHECK_MS));
			continue;
		}
		if (klxd_glue_rx_round(g)) {
			idle = 0;
			/* what it read, no submitter covering the ring took:
			 * the cover is stale (klxd_glue_cover) */
			if (READ_ONCE(g->covered))
				WRITE_ONCE(g->covered, false);
			cond_resched();
			continue;
		}
		now = READ_ONCE(g->sent);
		if (now != sent) {      /* Linux sent meanwhile: an answer may follow */
			sent = now;
			idle = 0;
		}
		if (READ_ONCE(g->covered) && !READ_ONCE(g->waiting)) {
			/* a submitter reads its own answers: out of its way */
			klxd_glue_rx_sleep_covered(g);
			continue;
		}
		nap = READ_ONCE(g->lazy_nap_us);
		if (nap && !READ_ONCE(g->waiting) && !single_task_running()) {
			/* Lazy (a module that polls from its send path): other
			 * threads want this core, and the one sending picks up
			 * its own completions; a short nap rather than taking
			 * turns with it. */
			g->st.rx_lazy_naps++;
			klxd_glue_rx_nap(g, nap);
		} else if (idle < KLXD_GLUE_SPINS * KLXD_GLUE_RELAX_WEIGHT ||
			   READ_ONCE(g->waiting)) {
			if (READ_ONCE(rx_relax) && single_task_running()) {
				/* alone: yield() would pick this thread again */
				idle++;
				g->st.rx_relaxes++;
				cpu_relax();
				cond_resched();         /* RCU's quiescent state */
			} else {
				idle += KLXD_GLUE_RELAX_WEIGHT;
				g->st.rx_yields++;
				yield();        /* returns at once if nothing else wants the core */
			}
		} else {
			klxd_glue_rx_nap(g, 100);
		}
	}
	return 0;
}

/* --- measurement ------------------------------------------------------------------ */

void klxd_glue_stats(struct glue_ctx *ctx, struct klxd_glue_stats *out, bool reset)
{
	struct klxd_glue *g = ctx->backend;

	if (!g) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = g->st;
	out->rx_nvcsw = g->rx_task->nvcsw;
	out->rx_nivcsw = g->rx_task->nivcsw;
	if (reset)
		memset(&g->st, 0, sizeof(g->st));
}

/* --- life cycle ------------------------------------------------------------------ */

static const struct glue_backend_ops klxd_glue_ops = {
	.call = klxd_glue_call,
	.send = klxd_glue_send,
};

int klxd_glue_start(struct glue_ctx *ctx, u32 domain_id)
{
	struct klxd_glue *g;
	int i, err;

	g = kvzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	g->ctx = ctx;
	spin_lock_init(&g->lock);
	spin_lock_init(&g->rx_spin);
	g->bh_rpc = -1;
	g->bh_rpc2 = -1;
	init_waitqueue_head(&g->call_free);
	for (i = 0; i < KLXD_GLUE_CALLS; i++)
		init_waitqueue_head(&g->calls[i].wq);
	glue_msg_init(&g->rx.msg.m, GLUE_MAX_WORDS);
	INIT_WORK(&g->ow_work, klxd_glue_ow_run);
	g->ow = kvcalloc(KLXD_GLUE_OW_SLOTS, sizeof(*g->ow), GFP_KERNEL);
	if (!g->ow) {
		err = -ENOMEM;
		goto free;
	}
	g->ch = klxd_channel_get(domain_id);
	if (IS_ERR(g->ch)) {
		err = PTR_ERR(g->ch);
		pr_err("%s: domain %u has no channel: %d\n", ctx->name, domain_id, err);
		goto free;
	}
	/* Requests run here; max_active bounds how deep calls can nest. */
	g->wq = alloc_workqueue("klxd_glue_%u", WQ_UNBOUND, KLXD_GLUE_CALLS, domain_id);
	if (!g->wq) {
		err = -ENOMEM;
		goto put;
	}
	ctx->backend = g;
	ctx->ops = &klxd_glue_ops;
	g->rx_task = kthread_run(klxd_glue_rx_main, g, "klxd_glue_rx/%u", domain_id);
	if (IS_ERR(g->rx_task)) {
		err = PTR_ERR(g->rx_task);
		pr_err("%s: cannot start the receive thread: %d\n", ctx->name, err);
		ctx->backend = NULL;
		ctx->ops = NULL;
		destroy_workqueue(g->wq);
		goto put;
	}
	return 0;
put:
	klxd_channel_put(g->ch);
free:
	kvfree(g->ow);
	kvfree(g);
	return err;
}

/* Waiters are woken with -EPIPE, the receiver stops, queued requests run
 * (their calls fail at once) and the context is detached. */
void klxd_glue_stop(struct glue_ctx *ctx)
{
	struct klxd_glue *g = ctx->backend;

	if (!g)
		return;
	klxd_glue_mark_dead(g, "glue stopped");
	kthread_stop(g->rx_task);
	destroy_workqueue(g->wq);
	ctx->backend = NULL;
	ctx->ops = NULL;
	klxd_channel_put(g->ch);
	kvfree(g->ow);
	kvfree(g);
}

/* klxd_glue.h: a bool parameter that flips its static key. */
static int klxd_switch_set(const char *val, const struct kernel_param *kp)
{
	struct klxd_switch *sw = kp->arg;
	bool on;
	int err = kstrtobool(val, &on);

	if (err)
		return err;
	if (on)
		static_branch_enable(&sw->key);
	else
		static_branch_disable(&sw->key);
	WRITE_ONCE(sw->on, on);
	return 0;
}

static int klxd_switch_get(char *buf, const struct kernel_param *kp)
{
	const struct klxd_switch *sw = kp->arg;

	return sysfs_emit(buf, "%c\n", READ_ONCE(sw->on) ? 'Y' : 'N');
}

const struct kernel_param_ops klxd_switch_ops = {
	.set = klxd_switch_set,
	.get = klxd_switch_get,
};
