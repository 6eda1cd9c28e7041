// SPDX-License-Identifier: GPL-2.0
/*
 * Time and deferred work in a driver domain, all from the TSC (the
 * hypervisor's calibration, boot info tsc_khz) and run by the domain's
 * loop (kenv_linux_tick), since no interrupt ever arrives:
 *
 *  - ktime_get*() read the TSC; jiffies (HZ as configured, starting at
 *    INITIAL_JIFFIES like Linux) is brought up to date on every call into
 *    the environment and on every turn of the loop.  Code that spins on
 *    jiffies without calling anything would spin forever (documented);
 *  - msleep/usleep_range/udelay spin on the TSC, keeping the heartbeat;
 *  - timer_list and hrtimer callbacks run from the loop (or from a wait,
 *    kenv_schedule) once due, never in the middle of other code: the
 *    softirq context they get in Linux, without the interruption;
 *  - work items run from the loop in the order queued (every workqueue is
 *    one ordered queue);
 *  - call_rcu callbacks run from the loop: the loop is outside every RCU
 *    read-side section (nothing may sleep inside one), so a grace period
 *    has passed whenever the loop turns; synchronize_rcu returns at once
 *    for the same reason.
 */
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/timekeeping.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

#include "kenv_linux.h"

unsigned long volatile __cacheline_aligned_in_smp jiffies = INITIAL_JIFFIES;
u64 jiffies_64 = INITIAL_JIFFIES;

void kenv_jiffies_update(void)
{
	u64 j = INITIAL_JIFFIES + kenv_clock_ns() / (NSEC_PER_SEC / HZ);

	jiffies_64 = j;
	jiffies = (unsigned long)j;
}

ktime_t ktime_get(void)
{
	kenv_jiffies_update();
	return (ktime_t)kenv_clock_ns();
}

ktime_t ktime_get_with_offset(enum tk_offsets offs)
{
	return ktime_get();
}

ktime_t ktime_get_raw(void)
{
	return ktime_get();
}

u64 ktime_get_mono_fast_ns(void)
{
	return kenv_clock_ns();
}

u64 ktime_get_boot_fast_ns(void)
{
	return kenv_clock_ns();
}

struct timespec64 ns_to_timespec64(s64 nsec)
{
	struct timespec64 ts = { 0, 0 };
	s32 rem;

	if (!nsec)
		return ts;
	ts.tv_sec = div_s64_rem(nsec, NSEC_PER_SEC, &rem);
	if (rem < 0) {
		ts.tv_sec--;
		rem += NSEC_PER_SEC;
	}
	ts.tv_nsec = rem;
	return ts;
}

ktime_t ktime_add_safe(const ktime_t lhs, const ktime_t rhs)
{
	ktime_t res = ktime_add_unsafe(lhs, rhs);

	if (res < 0 || res < lhs || res < rhs)
		res = ktime_set(KTIME_SEC_MAX, 0);
	return res;
}

void ktime_get_real_ts64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64(ktime_get());
}

void ktime_get_ts64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64(ktime_get());
}

time64_t ktime_get_seconds(void)
{
	return ktime_get() / NSEC_PER_SEC;
}

time64_t ktime_get_real_seconds(void)
{
	return ktime_get_seconds();
}

unsigned long __msecs_to_jiffies(const unsigned int m)
{
	return DIV_ROUND_UP((unsigned long)m, MSEC_PER_SEC / HZ);
}

unsigned long __usecs_to_jiffies(const unsigned int u)
{
	return DIV_ROUND_UP((unsigned long)u, USEC_PER_SEC / HZ);
}

unsigned int jiffies_to_msecs(const unsigned long j)
{
	return (MSEC_PER_SEC / HZ) * j;
}

unsigned int jiffies_to_usecs(const unsigned long j)
{
	return (USEC_PER_SEC / HZ) * j;
}

u64 nsecs_to_jiffies64(u64 n)
{
	return div_u64(n, NSEC_PER_SEC / HZ);
}

unsigned long nsecs_to_jiffies(u64 n)
{
	return (unsigned long)nsecs_to_jiffies64(n);
}

/* ---- delays ---- */

static void kenv_sleep_ns(u64 ns)
{
	kenv_spin_ns(ns);
	kenv_jiffies_update();
}

void msleep(unsigned int msecs)
{
	kenv_sleep_ns((u64)msecs * NSEC_PER_MSEC);
}

unsigned long msleep_interruptible(unsigned int msecs)
{
	msleep(msecs);
	return 0;
}

void usleep_range_state(unsigned long min, unsigned long max, unsigned int state)
{
	kenv_sleep_ns((u64)min * NSEC_PER_USEC);
}

/* udelay(n) passes n * 0x10c7 (2^32 / 10^6, rounded up), ndelay(n) n * 5 */
void __const_udelay(unsigned long xloops)
{
	kenv_spin_ns(mul_u64_u32_shr(xloops, 1000000000u, 32) + 1);
}

void __udelay(unsigned long usecs)
{
	kenv_spin_ns((u64)usecs * NSEC_PER_USEC);
}

void __ndelay(unsigned long nsecs)
{
	kenv_spin_ns(nsecs);
}

/* ---- timer_list ---- */

static HLIST_HEAD(kenv_timers);

void init_timer_key(struct timer_list *timer, void (*func)(struct timer_list *),
		    unsigned int flags, const char *name, struct lock_class_key *key)
{
	timer->entry.pprev = NULL;
	timer->function = func;
	timer->flags = flags;
}

static int kenv_timer_detach(struct timer_list *timer)
{
	if (!timer_pending(timer))
		return 0;
	hlist_del(&timer->entry);
	timer->entry.pprev = NULL;
	return 1;
}

int mod_timer(struct timer_list *timer, unsigned long expires)
{
	int was = kenv_timer_detach(timer);

	timer->expires = expires;
	hlist_add_head(&timer->entry, &kenv_timers);
	return was;
}

int mod_timer_pending(struct timer_list *timer, unsigned long expires)
{
	return timer_pending(timer) ? mod_timer(timer, expires) : 0;
}

int timer_reduce(struct timer_list *timer, unsigned long expires)
{
	if (timer_pending(timer) && time_before_eq(timer->expires, expires))
		return 1;
	return mod_timer(timer, expires);
}

void add_timer(struct timer_list *timer)
{
	if (timer_pending(timer))
		kenv_fatal(KENV_EXIT_BUG, "add_timer(%px): already pending", timer);
	mod_timer(timer, timer->expires);
}

int timer_delete(struct timer_list *timer)
{
	return kenv_timer_detach(timer);
}

/* One context: a timer's callback is never running while another caller waits. */
int timer_delete_sync(struct timer_list *timer)
{
	return kenv_timer_detach(timer);
}

int try_to_del_timer_sync(struct timer_list *timer)
{
	return kenv_timer_detach(timer);
}

static bool kenv_run_one_timer(void)
{
	struct timer_list *t;

	hlist_for_each_entry(t, &kenv_timers, entry) {
		if (time_after_eq(jiffies, t->expires)) {
			kenv_timer_detach(t);
			t->function(t);
			return true;
		}
	}
	return false;
}

/* ---- hrtimers: a list of the armed ones ---- */

/*
 * The armed hrtimers, in the order they were armed, linked through their
 * own timerqueue node's rb_node (this environment is the node's only user
 * and keeps no rbtree): rb_right the next, rb_left the previous.  A timer
 * is on the list exactly while its state says HRTIMER_STATE_ENQUEUED.  No
 * limit but memory the driver owns: null_blk arms one per request in
 * flight with irqmode=2 (up to Linux's depth, 64) and its bandwidth timer.
 */
static struct rb_node kenv_hrtimer_list = {
	.rb_right = &kenv_hrtimer_list,
	.rb_left = &kenv_hrtimer_list,
};
/* How many are armed: the loop's look at the list (every idle turn, a
 * request's wait for the domain to notice it) is one test when none is,
 * instead of a clock read. */
static unsigned int kenv_nhrtimers;

/* Every timer's base: the inlines read the clock through it
 * (hrtimer_forward_now, hrtimer_cb_get_time); one clock here. */
static struct hrtimer_clock_base kenv_hrtimer_base = { .get_time = ktime_get };

void hrtimer_init(struct hrtimer *timer, clockid_t clock_id, enum hrtimer_mode mode)
{
	memset(timer, 0, sizeof(*timer));
	timer->base = &kenv_hrtimer_base;
	timer->is_rel = !!(mode & HRTIMER_MODE_REL);
	timer->is_soft = !!(mode & HRTIMER_MODE_SOFT);
	timer->is_hard = !!(mode & HRTIMER_MODE_HARD);
}

static bool kenv_hrtimer_armed(const struct hrtimer *timer)
{
	return timer->state & HRTIMER_STATE_ENQUEUED;
}

/* Onto the list's end, unless it is on it already (a new expiry only). */
static void kenv_hrtimer_arm(struct hrtimer *timer)
{
	struct rb_node *n = &timer->node.node;

	if (kenv_hrtimer_armed(timer))
		return;
	n->rb_right = &kenv_hrtimer_list;
	n->rb_left = kenv_hrtimer_list.rb_left;
	kenv_hrtimer_list.rb_left->rb_right = n;
	kenv_hrtimer_list.rb_left = n;
	kenv_nhrtimers++;
	timer->state = HRTIMER_STATE_ENQUEUED;
}

static void kenv_hrtimer_unlink(struct hrtimer *timer)
{
	struct rb_node *n = &timer->node.node;

	n->rb_left->rb_right = n->rb_right;
	n->rb_right->rb_left = n->rb_left;
	n->rb_left = n->rb_right = NULL;
	kenv_nhrtimers--;
	timer->state = HRTIMER_STATE_INACTIVE;
}

void hrtimer_start_range_ns(struct hrtimer *timer, ktime_t tim, u64 range_ns,
			    const enum hrtimer_mode mode)
{
	if (mode & HRTIMER_MODE_REL)
		tim = ktime_add_safe(ktime_get(), tim);
	hrtimer_set_expires_range_ns(timer, tim, range_ns);
	kenv_hrtimer_arm(timer);
}

int hrtimer_try_to_cancel(struct hrtimer *timer)
{
	if (!kenv_hrtimer_armed(timer))
		return 0;
	kenv_hrtimer_unlink(timer);
	return 1;
}

int hrtimer_cancel(struct hrtimer *timer)
{
	return hrtimer_try_to_cancel(timer);
}

bool hrtimer_active(const struct hrtimer *timer)
{
	return kenv_hrtimer_armed(timer);
}

u64 hrtimer_forward(struct hrtimer *timer, ktime_t now, ktime_t interval)
{
	ktime_t delta = ktime_sub(now, hrtimer_get_expires(timer));
	u64 orun = 1;

	if (delta < 0)
		return 0;
	if (interval < 1)
		interval = 1;
	if (delta >= interval) {
		orun = div64_u64(delta, interval);
		hrtimer_add_expires_ns(timer, orun * interval);
		if (hrtimer_get_expires_tv64(timer) > now)
			return orun;
		orun++;
	}
	hrtimer_add_expires(timer, interval);
	return orun;
}

static bool kenv_run_one_hrtimer(void)
{
	struct rb_node *n;
	ktime_t now;

	if (!kenv_nhrtimers)
		return false;
	now = ktime_get();
	for (n = kenv_hrtimer_list.rb_right; n != &kenv_hrtimer_list; n = n->rb_right) {
		struct hrtimer *t = container_of(n, struct hrtimer, node.node);

		if (hrtimer_get_expires_tv64(t) > now)
			continue;
		kenv_hrtimer_unlink(t);
		if (t->function(t) == HRTIMER_RESTART)
			kenv_hrtimer_arm(t);
		return true;
	}
	return false;
}

/* ---- workqueues: one ordered queue ---- */

struct workqueue_struct {
	char name[24];
};

static struct workqueue_struct kenv_system_wq = { "events" };
struct workqueue_struct *system_wq = &kenv_system_wq;
struct workqueue_struct *system_highpri_wq = &kenv_system_wq;
struct workqueue_struct *system_long_wq = &kenv_system_wq;
struct workqueue_struct *system_unbound_wq = &kenv_system_wq;
struct workqueue_struct *system_freezable_wq = &kenv_system_wq;
static LIST_HEAD(kenv_work);

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...)
{
	struct workqueue_struct *wq = kzalloc(sizeof(*wq), GFP_KERNEL);

	if (wq)
		strscpy(wq->name, fmt, sizeof(wq->name));
	return wq;
}

void destroy_workqueue(struct workqueue_struct *wq)
{
	if (wq != &kenv_system_wq)
		kfree(wq);
}

bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work)
{
	if (test_and_set_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(work)))
		return false;
	list_add_tail(&work->entry, &kenv_work);
	return true;
}

static bool kenv_run_one_work(void)
{
	struct work_struct *w;

	if (list_empty(&kenv_work))
		return false;
	w = list_first_entry(&kenv_work, struct work_struct, entry);
	list_del_init(&w->entry);
	clear_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(w));
	w->func(w);
	return true;
}

bool cancel_work_sync(struct work_struct *work)
{
	if (!test_and_clear_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(work)))
		return false;
	list_del_init(&work->entry);
	return true;
}

bool flush_work(struct work_struct *work)
{
	if (!test_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(work)))
		return false;
	list_del_init(&work->entry);
	clear_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(work));
	work->func(work);
	return true;
}

void __flush_workqueue(struct workqueue_struct *wq)
{
	while (kenv_run_one_work())
		;
}

/* The delay is over: onto the queue (PENDING was set when it was queued). */
void delayed_work_timer_fn(struct timer_list *t)
{
	struct delayed_work *dw = from_timer(dw, t, timer);

	list_add_tail(&dw->work.entry, &kenv_work);
}

bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq, struct delayed_work *dw,
			   unsigned long delay)
{
	if (!delay)
		return queue_work_on(cpu, wq, &dw->work);
	if (test_and_set_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(&dw->work)))
		return false;
	dw->wq = wq;
	dw->cpu = cpu;
	dw->timer.function = delayed_work_timer_fn;
	mod_timer(&dw->timer, jiffies + delay);
	return true;
}

bool cancel_delayed_work_sync(struct delayed_work *dw)
{
	if (kenv_timer_detach(&dw->timer)) {
		clear_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(&dw->work));
		return true;
	}
	return cancel_work_sync(&dw->work);
}

bool cancel_delayed_work(struct delayed_work *dw)
{
	return cancel_delayed_work_sync(dw);
}

/* ---- RCU ---- */

static struct rcu_head *kenv_rcu_list;

void call_rcu(struct rcu_head *head, rcu_callback_t func)
{
	head->func = func;
	head->next = kenv_rcu_list;
	kenv_rcu_list = head;
}

void kvfree_call_rcu(struct rcu_head *head, rcu_callback_t func)
{
	/* kfree_rcu(): func is the offset of the rcu_head in the object */
	call_rcu(head, func);
}

static bool kenv_run_rcu(void)
{
	struct rcu_head *list = kenv_rcu_list, *next;

	if (!list)
		return false;
	kenv_rcu_list = NULL;
	for (; list; list = next) {
		unsigned long off = (unsigned long)list->func;

		next = list->next;
		if (off < 4096)             /* __is_kvfree_rcu_offset: free the object */
			kvfree((void *)list - off);
		else
			list->func(list);
	}
	return true;
}

void synchronize_rcu(void)
{
}

void rcu_barrier(void)
{
	kenv_run_rcu();
}

/* ---- the loop ---- */

static bool kenv_in_tick;

void kenv_linux_tick(void)
{
	if (kenv_in_tick)       /* a wait inside a callback: nothing more can run */
		return;
	kenv_in_tick = true;
	kenv_heartbeat();
	kenv_jiffies_update();
	while (kenv_run_one_timer() || kenv_run_one_hrtimer() || kenv_run_one_work() ||
	       kenv_run_rcu())
		kenv_jiffies_update();
	kenv_in_tick = false;
}

void kenv_schedule(void)
{
	kenv_linux_tick();
	kenv_spin_ns(10 * NSEC_PER_USEC);
}
