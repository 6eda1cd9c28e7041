// SPDX-License-Identifier: GPL-2.0
/*
 * klxd: Linux's side of lxds Lightweight Execution Domains.
 *
 * Talks to the hypervisor by VMCALL (include/lxds/hypercall_abi.h), offers
 * /dev/lxd to user space (klxd_ioctl.h), /proc/lxd for status, and an
 * in-kernel API to other modules (klxd.h).  See docs/klxd.md.
 *
 * Memory handed to the hypervisor is always physically contiguous kernel
 * memory (kmalloc, alloc_pages_exact): Linux is identity-mapped, so its
 * physical address is the guest-physical address the hypervisor reads.
 *
 * Ring pages granted to a domain stay mapped in that domain until it is
 * destroyed, so they are freed only after LXDS_HC_DESTROY succeeded; if it
 * fails, the pages are deliberately leaked (and said so) rather than handed
 * back to Linux while another core may still write them.
 *
 * Module unload destroys every domain the hypervisor has (Linux is the only
 * creator, through this module) and then frees the rings; see klxd_exit.
 */
#define pr_fmt(fmt) "klxd: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/kref.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/ktime.h>
#include <linux/err.h>
#include <linux/bitmap.h>
#include <linux/io.h>
#include <asm/processor.h>
#include <asm/msr.h>
#include <asm/tsc.h>

#include "klxd.h"
#include "klxd_ioctl.h"

static unsigned int timeout_ms = KLXD_DEFAULT_TIMEOUT_MS;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "longest wait for one channel message, in ms (default 10000)");

/* ---- hypercalls ------------------------------------------------------- */

long klxd_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
		    unsigned long a2, unsigned long a3)
{
	long ret;

	asm volatile("vmcall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "c"(a3)
		     : "memory");
	return ret;
}
EXPORT_SYMBOL_GPL(klxd_hypercall);

static inline unsigned long gpa(const void *p)
{
	return (unsigned long)virt_to_phys((void *)p);
}

static const char *const hc_names[] = {
	[LXDS_HC_VERSION] = "VERSION", [LXDS_HC_INFO] = "INFO",
	[LXDS_HC_CREATE] = "CREATE", [LXDS_HC_START] = "START",
	[LXDS_HC_STOP] = "STOP", [LXDS_HC_DESTROY] = "DESTROY",
	[LXDS_HC_STATUS] = "STATUS", [LXDS_HC_LIST] = "LIST",
	[LXDS_HC_GRANT] = "GRANT", [LXDS_HC_LOG_READ] = "LOG_READ",
	[LXDS_HC_SET_ARGS] = "SET_ARGS", [LXDS_HC_DEBUG] = "DEBUG",
};

/* A hypercall whose failure is logged with the call's name and arguments. */
static long hc(unsigned long nr, unsigned long a0, unsigned long a1,
	       unsigned long a2, unsigned long a3)
{
	long ret = klxd_hypercall(nr, a0, a1, a2, a3);

	if (ret < 0 && nr != LXDS_HC_STATUS)
		pr_info("hypercall %s(%#lx, %#lx, %#lx, %#lx) failed: %ld\n",
			nr < ARRAY_SIZE(hc_names) ? hc_names[nr] : "?", a0, a1, a2, a3, ret);
	return ret;
}

static int hc_status(u32 id, struct lxds_domain_status *st)
{
	return (int)hc(LXDS_HC_STATUS, id, gpa(st), 0, 0);
}

/* ---- domains and channels ---------------------------------------------- */

struct klxd_channel {
	struct kref ref;
	/* The rings are single-producer single-consumer: one sender and one
	 * receiver at a time, but the two sides are independent, so a
	 * receiver polling the ring never holds up a sender.  klxd_call and
	 * ping take call_lock first (one at a time: they match replies to
	 * their own requests), then send_lock, then recv_lock.
	 *
	 * send_lock serialises the senders that may wait; the ring's producer
	 * state itself (chan.tx) only changes under send_spin, held for one
	 * slot at a time with bottom halves off, so klxd_try_send can send
	 * from where Linux may not sleep (a driver's ndo_start_xmit).
	 * batch_open: a waiting sender is part-way through a multi-slot
	 * message; klxd_try_send then refuses (-EAGAIN) rather than cut into
	 * it. */
	struct mutex call_lock;
	struct mutex send_lock;
	struct mutex recv_lock;
	spinlock_t send_spin;
	bool batch_open;                /* under send_spin */
	spinlock_t recv_spin;           /* the receiving ring's consumer state (chan.rx), per slot */
	u32 domain_id;
	bool dead;                      /* domain destroyed: no more traffic (READ_ONCE) */
	void *mem;
	size_t bytes;
	unsigned int pages;
	u64 domain_va;
	u32 next_tag;
	u64 dropped;                    /* klxd_call: stray replies dropped */
	u64 sent, received;             /* slots, under send_spin / recv_spin */
	/* A domain with several channels (issue 16): channel 0 is the one
	 * klxd_channel_get hands out and the domain's table holds; it keeps a
	 * reference on channels 1 .. nchan-1 in sibling[] (sibling[0] is
	 * itself, no reference).  Fixed before the domain starts, never
	 * changed after: klxd_call and ping read them without a lock. */
	unsigned int index;             /* this channel's number, 0 .. nchan-1 */
	unsigned int nchan;             /* channel 0: how many; others: 1 */
	struct klxd_channel *sibling[KLXD_MAX_CHANNELS];
	struct chan chan;
};

struct klxd_domain {
	bool used;
	u32 id;
	char name[LXDS_NAME_MAX];
	struct klxd_channel *ch;        /* the domain's reference, or NULL */
};

static DEFINE_MUTEX(klxd_lock);         /* the table below */
static struct klxd_domain klxd_domains[LXDS_MAX_DOMAINS];

static struct klxd_domain *dom_find(u32 id)
{
	int i;

	for (i = 0; i < LXDS_MAX_DOMAINS; i++)
		if (klxd_domains[i].used && klxd_domains[i].id == id)
			return &klxd_domains[i];
	return NULL;
}

/* The record for a domain, made on demand for a domain the hypervisor has
 * (one made before this module instance was loaded, say). */
static struct klxd_domain *dom_get_or_add(u32 id, const char *name)
{
	struct klxd_domain *d = dom_find(id);
	int i;

	if (d)
		return d;
	for (i = 0; i < LXDS_MAX_DOMAINS; i++) {
		d = &klxd_domains[i];
		if (!d->used) {
			memset(d, 0, sizeof(*d));
			d->used = true;
			d->id = id;
			if (name)
				strscpy(d->name, name, sizeof(d->name));
			return d;
		}
	}
	return NULL;
}

static void channel_release(struct kref *ref)
{
	struct klxd_channel *ch = container_of(ref, struct klxd_channel, ref);
	unsigned int i;

	for (i = 1; i < ch->nchan; i++)
		klxd_channel_put(ch->sibling[i]);
	if (ch->dead) {
		free_pages_exact(ch->mem, ch->bytes);
	} else {
		/* Never reached in normal use: the domain's own reference is
		 * only dropped once it is destroyed. */
		pr_err("channel of domain %u released while the domain may still map it: %zu bytes at %#lx leaked on purpose\n",
		       ch->domain_id, ch->bytes, gpa(ch->mem));
	}
	kfree(ch);
}

void klxd_channel_put(struct klxd_channel *ch)
{
	if (ch)
		kref_put(&ch->ref, channel_release);
}
EXPORT_SYMBOL_GPL(klxd_channel_put);

struct klxd_channel *klxd_channel_get(u32 id)
{
	struct klxd_domain *d;
	struct klxd_channel *ch = ERR_PTR(-ENOENT);

	mutex_lock(&klxd_lock);
	d = dom_find(id);
	if (d && d->ch) {
		ch = d->ch;
		kref_get(&ch->ref);
	}
	mutex_unlock(&klxd_lock);
	return ch;
}
EXPORT_SYMBOL_GPL(klxd_channel_get);

/* How many channels the domain behind ch (its channel 0) has. */
unsigned int klxd_channel_count(struct klxd_channel *ch)
{
	return ch->nchan;
}
EXPORT_SYMBOL_GPL(klxd_channel_count);

/*
 * The channel the calling CPU uses: CPU c takes channel c % nchan, so CPUs
 * share a ring and its locks only when there are more CPUs than channels.
 * Read once at entry: if the caller then migrates, it keeps its channel
 * (whose locks keep it correct), it only loses the no-sharing property for
 * that call.  No global lock: nchan and sibling[] never change once set.
 */
static struct klxd_channel *channel_of_cpu(struct klxd_channel *ch, unsigned int cpu)
{
	return ch->nchan <= 1 ? ch : ch->sibling[cpu % ch->nchan];
}

static struct klxd_channel *cpu_channel(struct klxd_channel *ch)
{
	return channel_of_cpu(ch, raw_smp_processor_id());
}

/* Resets both rings to empty and re-attaches Linux's end.  Only while the
 * domain does not run (before a start: the LXD attaches afresh then). */
static int channel_reset(struct klxd_channel *ch)
{
	int err;

	mutex_lock(&ch->call_lock);
	mutex_lock(&ch->send_lock);
	mutex_lock(&ch->recv_lock);
	spin_lock_bh(&ch->send_spin);
	spin_lock(&ch->recv_spin);
	err = chan_mem_init(ch->mem, ch->bytes);
	if (!err)
		err = chan_attach(&ch->chan, ch->mem, ch->bytes, 0, CHAN_ACCEPT_ALL);
	ch->batch_open = false;
	spin_unlock(&ch->recv_spin);
	spin_unlock_bh(&ch->send_spin);
	ch->next_tag = 0;
	mutex_unlock(&ch->recv_lock);
	mutex_unlock(&ch->send_lock);
	mutex_unlock(&ch->call_lock);
	return err;
}

/* Every channel of a domain (ch is its channel 0). */
static int channel_reset_all(struct klxd_channel *ch)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < ch->nchan && !err; i++)
		err = channel_reset(ch->sibling[i]);
	return err;
}

/* One channel: allocated, initialised and granted to domain id, or ERR_PTR. */
static struct klxd_channel *channel_make(u32 id, unsigned int pages, unsigned int index)
{
	struct klxd_channel *ch;
	long ret;
	int err;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return ERR_PTR(-ENOMEM);
	kref_init(&ch->ref);
	mutex_init(&ch->call_lock);
	mutex_init(&ch->send_lock);
	mutex_init(&ch->recv_lock);
	spin_lock_init(&ch->send_spin);
	spin_lock_init(&ch->recv_spin);
	ch->domain_id = id;
	ch->index = index;
	ch->nchan = 1;
	ch->sibling[0] = ch;
	ch->pages = pages;
	ch->bytes = (size_t)pages * PAGE_SIZE;
	ch->mem = alloc_pages_exact(ch->bytes, GFP_KERNEL | __GFP_ZERO);
	if (!ch->mem) {
		pr_info("channel %u for domain %u: no %zu bytes of contiguous memory\n", index, id,
			ch->bytes);
		kfree(ch);
		return ERR_PTR(-ENOMEM);
	}
	err = channel_reset(ch);
	if (err) {
		pr_err("channel %u for domain %u: chan_mem_init/chan_attach on %zu bytes failed: %d\n",
		       index, id, ch->bytes, err);
		goto free;
	}
	ret = hc(LXDS_HC_GRANT, id, gpa(ch->mem), pages, 0);
	if (ret < 0) {
		err = (int)ret;
		goto free;
	}
	ch->domain_va = (u64)ret;
	return ch;
free:
	/* The grant failed, so the domain never saw the pages. */
	free_pages_exact(ch->mem, ch->bytes);
	kfree(ch);
	return ERR_PTR(err);
}

/*
 * With klxd_lock held.  count channels, granted in order (the domain's
 * grants 0 .. count-1 when it had none before).  If channel i > 0 fails,
 * channels 0 .. i-1 stay the domain's (their pages are granted: they go
 * with the domain) and the error is returned; the caller destroys it.
 */
static int channel_create_locked(u32 id, unsigned int pages, unsigned int count, u64 *domain_va,
				 u32 *slots)
{
	struct lxds_domain_status *st;
	struct klxd_domain *d;
	struct klxd_channel *ch, *more;
	unsigned int i;
	int err;

	if (pages == 0)
		pages = KLXD_CHANNEL_DEFAULT_PAGES;
	if (pages > KLXD_CHANNEL_MAX_PAGES || (pages & (pages - 1))) {
		pr_info("channel for domain %u: %u pages is not a power of two in 1..%u\n",
			id, pages, KLXD_CHANNEL_MAX_PAGES);
		return -EINVAL;
	}
	if (count == 0)
		count = 1;
	if (count > KLXD_MAX_CHANNELS) {
		pr_info("channels for domain %u: %u is more than %u\n", id, count, KLXD_MAX_CHANNELS);
		return -EINVAL;
	}
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	err = hc_status(id, st);
	if (err < 0 || st->state == LXDS_STATE_FREE) {
		kfree(st);
		return err < 0 ? err : -ENOENT;
	}
	d = dom_get_or_add(id, st->name);
	kfree(st);
	if (!d)
		return -ENOSPC;
	if (d->ch)
		return -EEXIST;

	ch = channel_make(id, pages, 0);
	if (IS_ERR(ch))
		return PTR_ERR(ch);
	err = 0;
	for (i = 1; i < count; i++) {
		more = channel_make(id, pages, i);
		if (IS_ERR(more)) {
			err = PTR_ERR(more);
			pr_info("channels for domain %u: channel %u of %u failed (%d); it keeps %u\n",
				id, i, count, err, i);
			break;
		}
		ch->sibling[i] = more;          /* channel 0's reference */
		ch->nchan = i + 1;
	}
	d->ch = ch;
	if (domain_va)
		*domain_va = ch->domain_va;
	if (slots)
		*slots = (u32)(ch->chan.rx.mask + 1);
	return err;
}

int klxd_channel_create(u32 id, unsigned int pages, u64 *domain_va)
{
	return klxd_channels_create(id, pages, 1, domain_va);
}
EXPORT_SYMBOL_GPL(klxd_channel_create);

int klxd_channels_create(u32 id, unsigned int pages, unsigned int count, u64 *domain_va)
{
	int err;

	mutex_lock(&klxd_lock);
	err = channel_create_locked(id, pages, count, domain_va, NULL);
	mutex_unlock(&klxd_lock);
	return err;
}
EXPORT_SYMBOL_GPL(klxd_channels_create);

/* With klxd_lock held: the domain was destroyed (or never existed in the
 * hypervisor), so its ring pages are no longer mapped anywhere else. */
static void dom_forget(struct klxd_domain *d)
{
	struct klxd_channel *ch = d->ch;
	unsigned int i;

	if (ch) {
		/* No lock: a sender may wait on a full ring with send_lock held
		 * for up to its timeout; it sees the flag at its next check.
		 * The pages stay until the last reference is dropped. */
		for (i = 0; i < ch->nchan; i++)
			WRITE_ONCE(ch->sibling[i]->dead, true);
		d->ch = NULL;
		klxd_channel_put(ch);
	}
	d->used = false;
}

/* ---- waiting on a channel ------------------------------------------------ */

/*
 * Busy-wait bookkeeping for one call: its deadline is fixed when the call
 * begins and nothing the peer sends moves it, so a domain that floods the
 * ring cannot keep Linux in the call (klxd_call checks after every message
 * it drops, not only while the ring is empty).  It yields the CPU now and
 * then, stops on a signal, and every 200 ms asks the hypervisor whether the
 * domain still runs, so a crashed peer is reported in a fraction of the
 * timeout.
 */
struct waiter {
	struct klxd_channel *ch;
	unsigned long start, deadline, next_check;
	unsigned int spins;
};

static void wait_begin(struct waiter *w, struct klxd_channel *ch, unsigned int tmo_ms)
{
	w->ch = ch;
	w->start = jiffies;
	w->deadline = w->start + msecs_to_jiffies(tmo_ms ? tmo_ms : timeout_ms);
	w->next_check = w->start + msecs_to_jiffies(200);
	w->spins = 0;
}

/* The checks: 0 = keep waiting, else the error to give up with. */
static int wait_check(struct waiter *w)
{
	struct lxds_domain_status *st;
	int err = 0;

	cond_resched();
	if (signal_pending(current))
		return -EINTR;
	if (time_after(jiffies, w->deadline))
		return -ETIMEDOUT;
	if (time_after(jiffies, w->next_check)) {
		w->next_check = jiffies + msecs_to_jiffies(200);
		st = kzalloc(sizeof(*st), GFP_KERNEL);
		if (!st)
			return 0;
		err = hc_status(w->ch->domain_id, st);
		if (err >= 0)
			err = st->state == LXDS_STATE_RUNNING ? 0 : -EPIPE;
		else if (err == -ENOENT)
			err = -ENODEV;
		else
			err = 0;        /* cannot tell: keep waiting until the timeout */
		kfree(st);
	}
	return err;
}

/* One spin of a wait; every 1024th does the checks. */
static int wait_step(struct waiter *w)
{
	cpu_relax();
	if (++w->spins & 1023)
		return 0;
	return wait_check(w);
}

/* Ping's rule: its timeout counts from the last progress (replies are bounded by requests sent). */
static inline void wait_progress(struct waiter *w, unsigned int tmo_ms)
{
	w->deadline = jiffies + msecs_to_jiffies(tmo_ms ? tmo_ms : timeout_ms);
}

/* One slot under send_spin; open: a multi-slot message continues after it. */
static int send_slot(struct klxd_channel *ch, const struct chan_msg *m, bool open)
{
	int ret;

	spin_lock_bh(&ch->send_spin);
	ret = chan_try_send(&ch->chan, m);
	if (!ret) {
		ch->batch_open = open;
		ch->sent++;
	}
	spin_unlock_bh(&ch->send_spin);
	return ret;
}

/* With ch->send_lock held. */
static int send_locked(struct klxd_channel *ch, const struct chan_msg *m, struct waiter *w,
		       bool open)
{
	int err;

	if (READ_ONCE(ch->dead))
		return -ENODEV;
	while (send_slot(ch, m, open) != 0) {
		if (READ_ONCE(ch->dead))
			return -ENODEV;
		err = wait_step(w);
		if (err)
			return err;
	}
	return 0;
}

/* One receive under recv_spin: chan_try_recv's result. */
static int recv_slot(struct klxd_channel *ch, struct chan_msg *m)
{
	int ret;

	spin_lock_bh(&ch->recv_spin);
	ret = chan_try_recv(&ch->chan, m);
	if (ret != IPC_EAGAIN)
		ch->received++;
	spin_unlock_bh(&ch->recv_spin);
	return ret;
}

/* With ch->recv_lock held.  -EBADMSG for an invalid message (consumed). */
static int recv_locked(struct klxd_channel *ch, struct chan_msg *m, struct waiter *w)
{
	int ret, err;

	if (READ_ONCE(ch->dead))
		return -ENODEV;
	while ((ret = recv_slot(ch, m)) == IPC_EAGAIN) {
		if (READ_ONCE(ch->dead))
			return -ENODEV;
		err = wait_step(w);
		if (err)
			return err;
	}
	return ret == 0 ? 0 : -EBADMSG;
}

int klxd_send(struct klxd_channel *ch, const struct chan_msg *msg, unsigned int tmo_ms)
{
	struct waiter w;
	int err;

	wait_begin(&w, ch, tmo_ms);
	mutex_lock(&ch->send_lock);
	err = send_locked(ch, msg, &w, false);
	mutex_unlock(&ch->send_lock);
	return err;
}
EXPORT_SYMBOL_GPL(klxd_send);

/*
 * All n slots under one hold of send_lock, so they are contiguous on the
 * ring (a multi-slot glue message).  One deadline for the whole batch,
 * fixed before the lock is taken.  On failure some slots may have gone out:
 * the receiver sees a truncated message and refuses it.
 */
int klxd_send_batch(struct klxd_channel *ch, const struct chan_msg *msgs, unsigned int n,
		    unsigned int tmo_ms)
{
	struct waiter w;
	unsigned int i;
	int err = 0;

	wait_begin(&w, ch, tmo_ms);
	mutex_lock(&ch->send_lock);
	for (i = 0; i < n && !err; i++)
		err = send_locked(ch, &msgs[i], &w, i + 1 < n);
	if (err && i > 1) {
		/* part of the message went out: the receiver refuses the
		 * truncated message; senders that do not wait may go on */
		spin_lock_bh(&ch->send_spin);
		ch->batch_open = false;
		spin_unlock_bh(&ch->send_spin);
	}
	mutex_unlock(&ch->send_lock);
	return err;
}
EXPORT_SYMBOL_GPL(klxd_send_batch);

/*
 * One slot, never waiting and never sleeping: callable with bottom halves
 * off (not from a hard interrupt).  0, -EAGAIN (the ring is full, or a
 * waiting sender is part-way through a multi-slot message: the caller
 * retries later or hands the message to a thread that may wait), -ENODEV.
 */
int klxd_try_send(struct klxd_channel *ch, const struct chan_msg *msg)
{
	int ret = -EAGAIN;

	if (READ_ONCE(ch->dead))
		return -ENODEV;
	spin_lock_bh(&ch->send_spin);
	if (!ch->batch_open && chan_try_send(&ch->chan, msg) == 0) {
		ret = 0;
		ch->sent++;
	}
	spin_unlock_bh(&ch->send_spin);
	return ret;
}
EXPORT_SYMBOL_GPL(klxd_try_send);

/* One message if there is one: 0, -EAGAIN (ring empty), -EBADMSG (an
 * invalid message, consumed), -ENODEV (domain destroyed).  Never waits and
 * never sleeps (recv_spin, bottom halves off): callable where Linux may not
 * sleep. */
int klxd_try_recv(struct klxd_channel *ch, struct chan_msg *msg)
{
	int ret;

	if (READ_ONCE(ch->dead))
		return -ENODEV;
	ret = recv_slot(ch, msg);
	if (ret == IPC_EAGAIN)
		return -EAGAIN;
	return ret == 0 ? 0 : -EBADMSG;
}
EXPORT_SYMBOL_GPL(klxd_try_recv);

/* Whether the domain behind ch still runs (LXDS_HC_STATUS): 0 running,
 * -EPIPE stopped or crashed, -ENODEV destroyed, -EAGAIN cannot tell now. */
int klxd_channel_state(struct klxd_channel *ch)
{
	struct lxds_domain_status *st;
	int err;

	if (READ_ONCE(ch->dead))
		return -ENODEV;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -EAGAIN;
	err = hc_status(ch->domain_id, st);
	if (err >= 0)
		err = st->state == LXDS_STATE_RUNNING ? 0 : -EPIPE;
	else if (err == -ENOENT)
		err = -ENODEV;
	else
		err = -EAGAIN;
	kfree(st);
	return err;
}
EXPORT_SYMBOL_GPL(klxd_channel_state);

/* The wait klxd allows one message (module parameter timeout_ms). */
unsigned int klxd_timeout_ms(void)
{
	return READ_ONCE(timeout_ms);
}
EXPORT_SYMBOL_GPL(klxd_timeout_ms);

int klxd_recv(struct klxd_channel *ch, struct chan_msg *msg, unsigned int tmo_ms)
{
	struct waiter w;
	int err;

	wait_begin(&w, ch, tmo_ms);
	mutex_lock(&ch->recv_lock);
	err = recv_locked(ch, msg, &w);
	mutex_unlock(&ch->recv_lock);
	return err;
}
EXPORT_SYMBOL_GPL(klxd_recv);

/*
 * One deadline for the whole call (send, then every receive): a stray or
 * invalid message is dropped and the checks run before the next receive,
 * so a peer that keeps the ring full of wrong replies gets -ETIMEDOUT
 * (or -EINTR, -EPIPE) like one that never answers.  On a domain with
 * several channels it goes over the calling CPU's (cpu_channel), taking
 * only that channel's locks.
 */
int klxd_call(struct klxd_channel *ch, const struct chan_msg *req, struct chan_msg *reply)
{
	struct chan_msg m = *req;
	struct waiter w;
	u32 tag;
	int err;

	ch = cpu_channel(ch);
	wait_begin(&w, ch, 0);
	mutex_lock(&ch->call_lock);
	tag = ++ch->next_tag;
	m.hdr.type = CHAN_T_REQUEST;
	m.hdr.tag = tag;
	mutex_lock(&ch->send_lock);
	err = send_locked(ch, &m, &w, false);
	mutex_unlock(&ch->send_lock);
	mutex_lock(&ch->recv_lock);
	while (!err) {
		err = recv_locked(ch, reply, &w);
		if (!err && reply->hdr.type == CHAN_T_REPLY && reply->hdr.tag == tag)
			break;
		if (err && err != -EBADMSG)
			break;
		ch->dropped++;          /* invalid, or not our reply */
		err = wait_check(&w);
	}
	mutex_unlock(&ch->recv_lock);
	mutex_unlock(&ch->call_lock);
	return err;
}
EXPORT_SYMBOL_GPL(klxd_call);

/* ---- ping: the echo domain's check ------------------------------------ */

/* The request for sequence number seq: the number and known words. */
static void ping_request(u64 seq, struct chan_msg *m)
{
	int i;

	m->hdr.word = 0;
	m->hdr.type = CHAN_T_REQUEST;
	m->hdr.tag = (u32)seq;
	m->w[0] = seq;
	for (i = 1; i < CHAN_PAYLOAD_WORDS; i++)
		m->w[i] = (seq * 0x9E3779B97F4A7C15ull) ^ ((u64)i << 56) ^ 0x5a5a0000a5a5ull;
}

/*
 * The echo LXD's transform, the one place to change if it changes
 * (lxd-sdk/examples/echo.c): the reply is a CHAN_T_REPLY with the request's
 * tag and every payload word bitwise inverted.
 */
static void echo_expected(const struct chan_msg *req, struct chan_msg *exp)
{
	int i;

	exp->hdr = req->hdr;
	exp->hdr.type = CHAN_T_REPLY;
	for (i = 0; i < CHAN_PAYLOAD_WORDS; i++)
		exp->w[i] = ~req->w[i];
}

static bool echo_reply_ok(u64 seq, const struct chan_msg *reply)
{
	struct chan_msg req, exp;
	int i;

	ping_request(seq, &req);
	echo_expected(&req, &exp);
	if (reply->hdr.type != exp.hdr.type || reply->hdr.tag != exp.hdr.tag)
		return false;
	for (i = 0; i < CHAN_PAYLOAD_WORDS; i++)
		if (reply->w[i] != exp.w[i])
			return false;
	return true;
}

/*
 * Replies may come in any order (the echo LXD answers from async threads):
 * each is matched to its request by tag.  At most `batch` requests are in
 * flight, all within [lo, lo + batch) where lo is the oldest one not yet
 * answered, so `seen` needs one bit per slot of that window.  A reply that
 * names no request in flight (or was invalid) counts as bad and is charged
 * to the oldest one, so a misbehaving peer cannot stall the count.
 */
static int ping(struct klxd_channel *ch, struct lxd_ioc_ping *p)
{
	struct chan_msg m;
	struct waiter w;
	u64 sent = 0, got = 0, lo = 0, seq, t0, t1;
	u32 batch = p->batch ? p->batch : 1;
	unsigned long *seen;
	ktime_t k0;
	int err = 0, ret;

	if (batch > ch->chan.tx.mask + 1)
		batch = (u32)(ch->chan.tx.mask + 1);
	p->first_bad_seq = ~0ull;
	seen = bitmap_zalloc(batch, GFP_KERNEL);
	if (!seen)
		return -ENOMEM;
	mutex_lock(&ch->call_lock);
	mutex_lock(&ch->send_lock);
	mutex_lock(&ch->recv_lock);
	if (READ_ONCE(ch->dead)) {
		err = -ENODEV;
		goto out;
	}
	/* Drop what an earlier, interrupted ping left in the ring: at most a
	 * ringful (a peer that keeps sending cannot keep us here). */
	for (seq = 0; seq <= ch->chan.rx.mask && recv_slot(ch, &m) != IPC_EAGAIN; seq++)
		ch->dropped++;

	k0 = ktime_get();
	t0 = rdtsc_ordered();
	wait_begin(&w, ch, p->timeout_ms);
	while (lo < p->count) {
		bool progress = false;

		while (sent < p->count && sent - lo < batch) {
			ping_request(sent, &m);
			if (send_slot(ch, &m, false) != 0)
				break;
			sent++;
			progress = true;
		}
		while (got < sent) {
			bool ok;

			ret = recv_slot(ch, &m);
			if (ret == IPC_EAGAIN)
				break;
			got++;
			progress = true;
			seq = (lo & ~0xffffffffull) | m.hdr.tag;
			if (seq < lo)
				seq += 1ull << 32;
			if (ret != 0 || seq >= sent || test_bit(seq % batch, seen)) {
				seq = lo;       /* unattributable: charge the oldest */
				ok = false;
			} else {
				ok = echo_reply_ok(seq, &m);
			}
			__set_bit(seq % batch, seen);
			if (ok) {
				p->good++;
			} else {
				if (!p->bad)
					p->first_bad_seq = seq;
				p->bad++;
			}
			while (lo < sent && test_bit(lo % batch, seen)) {
				__clear_bit(lo % batch, seen);
				lo++;
			}
		}
		if (progress) {
			wait_progress(&w, p->timeout_ms);
			if ((++w.spins & 4095) == 0)
				cond_resched();
			continue;
		}
		err = wait_step(&w);
		if (err)
			break;
	}
	t1 = rdtsc_ordered();
	p->ns = ktime_to_ns(ktime_sub(ktime_get(), k0));
	p->cycles = t1 - t0;
	p->tsc_end = t1;
out:
	p->sent = sent;
	mutex_unlock(&ch->recv_lock);
	mutex_unlock(&ch->send_lock);
	mutex_unlock(&ch->call_lock);
	bitmap_free(seen);
	return err;
}

/* ---- ioctls ------------------------------------------------------------- */

static int ioc_create(struct lxd_ioc_create __user *up)
{
	struct lxd_ioc_create a;
	struct klxd_domain *d;
	void *image;
	char *name;
	long ret;

	if (copy_from_user(&a, up, sizeof(a)))
		return -EFAULT;
	if (a.len == 0) {
		pr_info("create: empty image\n");
		return -EINVAL;
	}
	if (a.len > LXDS_MAX_IMAGE) {
		pr_info("create: image of %llu bytes is over the ABI's %u\n", a.len, LXDS_MAX_IMAGE);
		return -EFBIG;
	}
	if (get_order(a.len) >= MAX_ORDER) {
		pr_info("create: image of %llu bytes is over the %lu bytes klxd can pass in one contiguous range\n",
			a.len, PAGE_SIZE << (MAX_ORDER - 1));
		return -E2BIG;
	}
	a.name[LXDS_NAME_MAX - 1] = '\0';
	if (!a.name[0]) {
		pr_info("create: empty name\n");
		return -EINVAL;
	}
	name = kmemdup(a.name, LXDS_NAME_MAX, GFP_KERNEL);
	if (!name)
		return -ENOMEM;
	image = alloc_pages_exact(a.len, GFP_KERNEL);
	if (!image) {
		pr_info("create: no %llu bytes of contiguous memory for the image copy\n", a.len);
		kfree(name);
		return -ENOMEM;
	}
	if (copy_from_user(image, u64_to_user_ptr(a.image), a.len)) {
		ret = -EFAULT;
		goto out;
	}
	mutex_lock(&klxd_lock);
	ret = hc(LXDS_HC_CREATE, gpa(image), a.len, gpa(name), 0);
	if (ret >= 0) {
		a.id = (u32)ret;
		d = dom_get_or_add(a.id, name);
		if (!d)
			pr_warn("domain %u: no room to track it (more than %d domains?)\n",
				a.id, LXDS_MAX_DOMAINS);
		else
			strscpy(d->name, name, sizeof(d->name));
	}
	mutex_unlock(&klxd_lock);
	if (ret >= 0) {
		ret = 0;
		if (copy_to_user(up, &a, sizeof(a)))
			ret = -EFAULT;
	}
out:
	/* The hypervisor copied the image into its pool; ours is not kept. */
	free_pages_exact(image, a.len);
	kfree(name);
	return (int)ret;
}

static int ioc_start(struct lxd_ioc_start __user *up)
{
	struct lxd_ioc_start a;
	struct lxds_domain_status *st;
	struct klxd_domain *d;
	long ret;

	if (copy_from_user(&a, up, sizeof(a)))
		return -EFAULT;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	mutex_lock(&klxd_lock);
	/* A domain started again begins afresh (the LXD attaches to its rings
	 * anew), so its rings are emptied first; never while it runs. */
	d = dom_find(a.id);
	ret = hc_status(a.id, st);
	if (ret >= 0 && d && d->ch && st->state != LXDS_STATE_RUNNING)
		ret = channel_reset_all(d->ch);
	if (ret >= 0)
		ret = hc(LXDS_HC_START, a.id, (unsigned long)(long)a.core, 0, 0);
	mutex_unlock(&klxd_lock);
	kfree(st);
	if (ret < 0)
		return (int)ret;
	a.core = (s32)ret;
	return copy_to_user(up, &a, sizeof(a)) ? -EFAULT : 0;
}

static int ioc_destroy(u32 id)
{
	struct klxd_domain *d;
	long ret;

	mutex_lock(&klxd_lock);
	ret = hc(LXDS_HC_DESTROY, id, 0, 0, 0);
	d = dom_find(id);
	if (d && (ret >= 0 || ret == -ENOENT))
		dom_forget(d);
	mutex_unlock(&klxd_lock);
	return ret < 0 ? (int)ret : 0;
}

static int ioc_list(struct lxd_ioc_list __user *up)
{
	struct lxd_ioc_list a;
	u32 *ids;
	u32 n;
	long ret;

	if (copy_from_user(&a, up, sizeof(a)))
		return -EFAULT;
	n = min_t(u32, a.max, 1024);
	ids = kcalloc(n ? n : 1, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	ret = hc(LXDS_HC_LIST, gpa(ids), n, 0, 0);
	if (ret >= 0) {
		a.count = (u32)ret;
		if (copy_to_user(u64_to_user_ptr(a.ids), ids, min_t(u32, n, a.count) * sizeof(*ids)) ||
		    copy_to_user(up, &a, sizeof(a)))
			ret = -EFAULT;
		else
			ret = 0;
	}
	kfree(ids);
	return (int)ret;
}

static int ioc_log_read(struct lxd_ioc_log __user *up)
{
	struct lxd_ioc_log a;
	u64 *pos;
	char *buf;
	u32 len;
	long ret;

	if (copy_from_user(&a, up, sizeof(a)))
		return -EFAULT;
	len = min_t(u32, a.len, 65536);
	if (!len)
		return -EINVAL;
	buf = kmalloc(len, GFP_KERNEL);
	pos = kmalloc(sizeof(*pos), GFP_KERNEL);
	if (!buf || !pos) {
		ret = -ENOMEM;
		goto out;
	}
	*pos = a.pos;
	ret = hc(LXDS_HC_LOG_READ, gpa(buf), len, gpa(pos), 0);
	if (ret >= 0) {
		a.got = (u32)min_t(long, ret, len);
		a.pos = *pos;
		if (copy_to_user(u64_to_user_ptr(a.buf), buf, a.got) || copy_to_user(up, &a, sizeof(a)))
			ret = -EFAULT;
		else
			ret = 0;
	}
out:
	kfree(buf);
	kfree(pos);
	return (int)ret;
}

static int ioc_ping(struct lxd_ioc_ping __user *up)
{
	struct lxd_ioc_ping a;
	struct klxd_channel *ch, *c;
	int err;

	if (copy_from_user(&a, up, sizeof(a)))
		return -EFAULT;
	if (a.count == 0 || a.count > KLXD_PING_MAX_COUNT)
		return -EINVAL;
	a.sent = a.good = a.bad = a.cycles = a.ns = a.tsc_end = 0;
	a.tsc_entry = rdtsc_ordered();
	a.cpu = raw_smp_processor_id();
	ch = klxd_channel_get(a.id);
	if (IS_ERR(ch))
		return PTR_ERR(ch);
	a.channels = ch->nchan;
	c = channel_of_cpu(ch, a.cpu);         /* the CPU it reports is the one that chose */
	a.channel = c->index;
	err = ping(c, &a);
	klxd_channel_put(ch);
	/* The counts are copied out on failure too: they say how far it got. */
	if (copy_to_user(up, &a, sizeof(a)))
		return -EFAULT;
	return err;
}

/* Load arguments: copied into kernel memory (the hypervisor reads it in place). */
static long ioc_args(void __user *up)
{
	struct lxd_ioc_args a;
	char *text;
	long ret;

	if (copy_from_user(&a, up, sizeof(a)))
		return -EFAULT;
	if (a.len >= LXD_ARGS_MAX)
		return -E2BIG;
	text = kzalloc(LXD_ARGS_MAX, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	if (copy_from_user(text, u64_to_user_ptr(a.text), a.len)) {
		kfree(text);
		return -EFAULT;
	}
	ret = hc(LXDS_HC_SET_ARGS, a.id, gpa(text), a.len, 0);
	kfree(text);
	return ret < 0 ? ret : 0;
}

/*
 * One debugger operation.  The request and the data go through kernel
 * buffers (a page each, so physically contiguous) whose addresses are what
 * the hypervisor is given; user pointers never reach it.
 */
static long ioc_debug(void __user *up)
{
	struct lxd_ioc_debug d;
	struct lxds_debug *req;
	void *data = NULL;
	bool mem;
	long ret;

	if (copy_from_user(&d, up, sizeof(d)))
		return -EFAULT;
	mem = d.req.op == LXDS_DBG_READ || d.req.op == LXDS_DBG_WRITE;
	if (mem && (d.req.len == 0 || d.req.len > LXDS_DBG_MEM_MAX))
		return -EINVAL;
	req = (struct lxds_debug *)get_zeroed_page(GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	*req = d.req;
	if (mem) {
		data = (void *)get_zeroed_page(GFP_KERNEL);
		if (!data) {
			ret = -ENOMEM;
			goto out;
		}
		if (d.req.op == LXDS_DBG_WRITE &&
		    copy_from_user(data, u64_to_user_ptr(d.data), d.req.len)) {
			ret = -EFAULT;
			goto out;
		}
		req->buf_gpa = gpa(data);
	}
	/* not hc(): a refused debugger request (a bad address) is no news for the log */
	ret = klxd_hypercall(LXDS_HC_DEBUG, d.id, gpa(req), 0, 0);
	if (ret > 0 && d.req.op == LXDS_DBG_READ &&
	    copy_to_user(u64_to_user_ptr(d.data), data, ret)) {
		ret = -EFAULT;
		goto out;
	}
	if (ret >= 0 && d.req.op == LXDS_DBG_GET) {
		d.req = *req;
		if (copy_to_user(up, &d, sizeof(d)))
			ret = -EFAULT;
	}
out:
	free_page((unsigned long)data);
	free_page((unsigned long)req);
	return ret;
}

static long klxd_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *up = (void __user *)arg;
	long ret;

	switch (cmd) {
	case LXD_IOC_VERSION: {
		struct lxd_ioc_version v = {
			.module_version = KLXD_MODULE_VERSION,
			.abi_expected = LXDS_ABI_VERSION,
		};

		ret = hc(LXDS_HC_VERSION, 0, 0, 0, 0);
		if (ret < 0)
			return ret;
		v.abi_version = (u32)ret;
		return copy_to_user(up, &v, sizeof(v)) ? -EFAULT : 0;
	}
	case LXD_IOC_INFO: {
		struct lxds_info *info = kzalloc(sizeof(*info), GFP_KERNEL);

		if (!info)
			return -ENOMEM;
		ret = hc(LXDS_HC_INFO, gpa(info), sizeof(*info), 0, 0);
		if (ret >= 0)
			ret = copy_to_user(up, info, sizeof(*info)) ? -EFAULT : 0;
		kfree(info);
		return ret;
	}
	case LXD_IOC_CREATE:
		return ioc_create(up);
	case LXD_IOC_START:
		return ioc_start(up);
	case LXD_IOC_STOP: {
		u32 id;

		if (get_user(id, (u32 __user *)up))
			return -EFAULT;
		ret = hc(LXDS_HC_STOP, id, 0, 0, 0);
		return ret < 0 ? ret : 0;
	}
	case LXD_IOC_DESTROY: {
		u32 id;

		if (get_user(id, (u32 __user *)up))
			return -EFAULT;
		return ioc_destroy(id);
	}
	case LXD_IOC_STATUS: {
		struct lxds_domain_status *st = kzalloc(sizeof(*st), GFP_KERNEL);
		u32 id;

		if (!st)
			return -ENOMEM;
		if (get_user(id, (u32 __user *)up)) {
			kfree(st);
			return -EFAULT;
		}
		ret = hc_status(id, st);
		if (ret >= 0)
			ret = copy_to_user(up, st, sizeof(*st)) ? -EFAULT : 0;
		kfree(st);
		return ret;
	}
	case LXD_IOC_LIST:
		return ioc_list(up);
	case LXD_IOC_LOG_READ:
		return ioc_log_read(up);
	case LXD_IOC_CHANNEL: {
		struct lxd_ioc_channel c;

		if (copy_from_user(&c, up, sizeof(c)))
			return -EFAULT;
		mutex_lock(&klxd_lock);
		ret = channel_create_locked(c.id, c.pages, c.count, &c.domain_va, &c.slots);
		mutex_unlock(&klxd_lock);
		if (ret < 0)
			return ret;
		if (!c.pages)
			c.pages = KLXD_CHANNEL_DEFAULT_PAGES;
		return copy_to_user(up, &c, sizeof(c)) ? -EFAULT : 0;
	}
	case LXD_IOC_PING:
		return ioc_ping(up);
	case LXD_IOC_ARGS:
		return ioc_args(up);
	case LXD_IOC_DEBUG:
		return ioc_debug(up);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations klxd_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = klxd_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice klxd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "lxd",
	.fops = &klxd_fops,
	.mode = 0600,
};

/* ---- /proc/lxd ---------------------------------------------------------- */

static int klxd_proc_show(struct seq_file *s, void *unused)
{
	struct lxds_domain_status *st;
	u32 *ids;
	long n, i;

	ids = kcalloc(LXDS_MAX_DOMAINS, sizeof(*ids), GFP_KERNEL);
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!ids || !st) {
		kfree(ids);
		kfree(st);
		return -ENOMEM;
	}
	seq_puts(s, "# id name state core exits reason rip addr\n");
	n = hc(LXDS_HC_LIST, gpa(ids), LXDS_MAX_DOMAINS, 0, 0);
	for (i = 0; i < min_t(long, n, LXDS_MAX_DOMAINS); i++) {
		if (hc_status(ids[i], st) < 0)
			continue;
		st->name[LXDS_NAME_MAX - 1] = '\0';
		seq_printf(s, "%u %s %s %d %llu %s %#llx %#llx\n", st->id, st->name,
			   lxds_state_name(st->state), st->core, st->exits,
			   lxds_exit_reason(st->exit_reason)->token,
			   st->exit_rip, st->exit_addr);
	}
	if (n < 0)
		seq_printf(s, "# LXDS_HC_LIST failed: %ld\n", n);
	kfree(ids);
	kfree(st);
	return 0;
}

/*
 * /proc/lxd_channels: one line per channel of every domain klxd tracks,
 * with the slots that went each way (issue 16: shows which channel each
 * CPU's calls took).  The counts are read without the channel's locks.
 */
static int klxd_proc_channels_show(struct seq_file *s, void *unused)
{
	unsigned int i, k;

	seq_puts(s, "# id channel of pages sent received dropped\n");
	mutex_lock(&klxd_lock);
	for (i = 0; i < LXDS_MAX_DOMAINS; i++) {
		struct klxd_channel *ch = klxd_domains[i].used ? klxd_domains[i].ch : NULL;

		for (k = 0; ch && k < ch->nchan; k++) {
			struct klxd_channel *c = ch->sibling[k];

			seq_printf(s, "%u %u %u %u %llu %llu %llu\n", c->domain_id, k, ch->nchan,
				   c->pages, READ_ONCE(c->sent), READ_ONCE(c->received),
				   READ_ONCE(c->dropped));
		}
	}
	mutex_unlock(&klxd_lock);
	return 0;
}

/* ---- load / unload ------------------------------------------------------ */

static int klxd_probe(void)
{
	unsigned int eax, ebx, ecx, edx;
	long v;

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR)) {
		pr_err("not running under a hypervisor (CPUID.1:ECX.hypervisor clear); refusing to load\n");
		return -ENODEV;
	}
	cpuid(0x40000000, &eax, &ebx, &ecx, &edx);
	if (memcmp(&ebx, "lxds", 4)) {
		pr_err("the hypervisor is not lxds (CPUID 0x40000000 EBX=%#x, not \"lxds\"); refusing to load\n",
		       ebx);
		return -ENODEV;
	}
	v = klxd_hypercall(LXDS_HC_VERSION, 0, 0, 0, 0);
	if (v < 0) {
		pr_err("LXDS_HC_VERSION failed: %ld; refusing to load\n", v);
		return (int)v;
	}
	if (((u32)v >> 16) != (LXDS_ABI_VERSION >> 16)) {
		pr_err("hypervisor ABI %lu.%lu, but klxd speaks %u.x; refusing to load\n",
		       ((unsigned long)v >> 16) & 0xffff, (unsigned long)v & 0xffff,
		       LXDS_ABI_VERSION >> 16);
		return -EPROTO;
	}
	pr_info("lxds hypervisor, ABI %lu.%lu\n", ((unsigned long)v >> 16) & 0xffff,
		(unsigned long)v & 0xffff);
	return 0;
}

static int __init klxd_init(void)
{
	int err = klxd_probe();

	if (err)
		return err;
	err = misc_register(&klxd_misc);
	if (err) {
		pr_err("cannot register /dev/lxd: %d\n", err);
		return err;
	}
	if (!proc_create_single("lxd", 0400, NULL, klxd_proc_show)) {
		pr_err("cannot create /proc/lxd\n");
		misc_deregister(&klxd_misc);
		return -ENOMEM;
	}
	if (!proc_create_single("lxd_channels", 0400, NULL, klxd_proc_channels_show)) {
		pr_err("cannot create /proc/lxd_channels\n");
		remove_proc_entry("lxd", NULL);
		misc_deregister(&klxd_misc);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Unload: /dev/lxd is gone first, so no new calls; modules using the
 * in-kernel API hold a reference on klxd, so none is left.  Then every
 * domain the hypervisor has is destroyed (they would otherwise keep ring
 * pages that Linux is about to reuse) and the rings are freed.
 */
static void __exit klxd_exit(void)
{
	u32 *ids = kcalloc(LXDS_MAX_DOMAINS, sizeof(*ids), GFP_KERNEL);
	long n, i, ret;

	remove_proc_entry("lxd_channels", NULL);
	remove_proc_entry("lxd", NULL);
	misc_deregister(&klxd_misc);
	mutex_lock(&klxd_lock);
	n = ids ? hc(LXDS_HC_LIST, gpa(ids), LXDS_MAX_DOMAINS, 0, 0) : -ENOMEM;
	for (i = 0; i < min_t(long, n, LXDS_MAX_DOMAINS); i++) {
		ret = hc(LXDS_HC_DESTROY, ids[i], 0, 0, 0);
		if (ret < 0)
			pr_err("unload: destroying domain %u failed: %ld\n", ids[i], ret);
		else
			pr_info("unload: destroyed domain %u\n", ids[i]);
	}
	for (i = 0; i < LXDS_MAX_DOMAINS; i++) {
		struct klxd_domain *d = &klxd_domains[i];
		struct lxds_domain_status *st;

		if (!d->used)
			continue;
		st = kzalloc(sizeof(*st), GFP_KERNEL);
		/* Free rings only of domains the hypervisor no longer has. */
		if (st && hc_status(d->id, st) == -ENOENT) {
			dom_forget(d);
		} else if (st && st->state == LXDS_STATE_FREE) {
			dom_forget(d);
		} else if (d->ch) {
			pr_err("unload: domain %u still exists; its %u channel(s) of %zu ring bytes (the first at %#lx) are leaked on purpose\n",
			       d->id, d->ch->nchan, d->ch->bytes, gpa(d->ch->mem));
		}
		kfree(st);
	}
	mutex_unlock(&klxd_lock);
	kfree(ids);
}

module_init(klxd_init);
module_exit(klxd_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds: Linux's interface to Lightweight Execution Domains");
