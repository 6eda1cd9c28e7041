// SPDX-License-Identifier: GPL-2.0
/*
 * Locks and waiting in a domain that is one CPU, never interrupted and
 * never preempted (docs/lxd-kenv.md says why each is correct):
 *
 *  - spinlocks: the holder cannot be interrupted or preempted and must not
 *    sleep while holding one (as in Linux), so a spinlock is always free
 *    when taken; finding it held is a self-deadlock, which on a real CPU
 *    would hang forever: here the domain ends with the lock's address.
 *    Interrupts are already off: the irq/irqsave/bh variants only lock.
 *  - mutexes and rw-semaphores: a holder may sleep.  Today the domain has
 *    one context (module_init and the loop), so a contended mutex can only
 *    be a self-deadlock and ends the domain the same way; once the IDL glue
 *    runs requests in async threads, contention will yield the thread
 *    (listed as unfinished in docs/lxd-kenv.md).
 *  - wait queues: waiting (schedule) runs one turn of the loop's work
 *    (timers, work, RCU callbacks), after which the waiter re-checks its
 *    condition, exactly as after a wake-up in Linux.
 */
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/completion.h>

#include "kenv_linux.h"

/* ---- spinlocks ---- */

static void kenv_spin_take(raw_spinlock_t *lock, const char *who)
{
	atomic_t *v = &lock->raw_lock.val;

	if (atomic_read(v))
		kenv_fatal(KENV_EXIT_BUG, "%s(%px): already held: a self-deadlock on the domain's one CPU",
			   who, lock);
	atomic_set(v, _Q_LOCKED_VAL);
}

#ifndef _raw_spin_lock	/* a macro when the kernel inlines it */
void __lockfunc _raw_spin_lock(raw_spinlock_t *lock)
{
	kenv_spin_take(lock, "spin_lock");
}
#endif

#ifndef _raw_spin_lock_bh	/* a macro when the kernel inlines it */
void __lockfunc _raw_spin_lock_bh(raw_spinlock_t *lock)
{
	kenv_spin_take(lock, "spin_lock_bh");
}
#endif

#ifndef _raw_spin_lock_irq	/* a macro when the kernel inlines it */
void __lockfunc _raw_spin_lock_irq(raw_spinlock_t *lock)
{
	kenv_spin_take(lock, "spin_lock_irq");
}
#endif

#ifndef _raw_spin_lock_irqsave	/* a macro when the kernel inlines it */
unsigned long __lockfunc _raw_spin_lock_irqsave(raw_spinlock_t *lock)
{
	unsigned long flags = arch_local_save_flags();

	kenv_spin_take(lock, "spin_lock_irqsave");
	return flags;
}
#endif

#ifndef _raw_spin_trylock	/* a macro when the kernel inlines it */
int __lockfunc _raw_spin_trylock(raw_spinlock_t *lock)
{
	if (atomic_read(&lock->raw_lock.val))
		return 0;
	atomic_set(&lock->raw_lock.val, _Q_LOCKED_VAL);
	return 1;
}
#endif

static void __maybe_unused kenv_spin_release(raw_spinlock_t *lock, const char *who)
{
	if (!atomic_read(&lock->raw_lock.val))
		kenv_fatal(KENV_EXIT_BUG, "%s(%px): the lock is not held", who, lock);
	atomic_set(&lock->raw_lock.val, 0);
}

#ifndef _raw_spin_unlock	/* a macro when the kernel inlines it */
void __lockfunc _raw_spin_unlock(raw_spinlock_t *lock)
{
	kenv_spin_release(lock, "spin_unlock");
}
#endif

#ifndef _raw_spin_unlock_bh	/* a macro when the kernel inlines it */
void __lockfunc _raw_spin_unlock_bh(raw_spinlock_t *lock)
{
	kenv_spin_release(lock, "spin_unlock_bh");
}
#endif

#ifndef _raw_spin_unlock_irq	/* a macro when the kernel inlines it */
void __lockfunc _raw_spin_unlock_irq(raw_spinlock_t *lock)
{
	kenv_spin_release(lock, "spin_unlock_irq");
}
#endif

#ifndef _raw_spin_unlock_irqrestore	/* a macro when the kernel inlines it */
void __lockfunc _raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags)
{
	kenv_spin_release(lock, "spin_unlock_irqrestore");
}
#endif

/* Interrupts never arrive: the bottom-half and irq disabling is a no-op. */
void __local_bh_enable_ip(unsigned long ip, unsigned int cnt)
{
}

/* ---- mutexes ---- */

void __mutex_init(struct mutex *lock, const char *name, struct lock_class_key *key)
{
	atomic_long_set(&lock->owner, 0);
	raw_spin_lock_init(&lock->wait_lock);
	INIT_LIST_HEAD(&lock->wait_list);
}

bool mutex_is_locked(struct mutex *lock)
{
	return atomic_long_read(&lock->owner) != 0;
}

int mutex_trylock(struct mutex *lock)
{
	if (atomic_long_read(&lock->owner))
		return 0;
	atomic_long_set(&lock->owner, (long)current);
	return 1;
}

void mutex_lock(struct mutex *lock)
{
	if (!mutex_trylock(lock))
		kenv_fatal(KENV_EXIT_BUG, "mutex_lock(%px): already held by the domain's only context: a deadlock",
			   lock);
}

int mutex_lock_interruptible(struct mutex *lock)
{
	mutex_lock(lock);
	return 0;
}

int mutex_lock_killable(struct mutex *lock)
{
	mutex_lock(lock);
	return 0;
}

void mutex_unlock(struct mutex *lock)
{
	if (!atomic_long_read(&lock->owner))
		kenv_fatal(KENV_EXIT_BUG, "mutex_unlock(%px): the mutex is not locked", lock);
	atomic_long_set(&lock->owner, 0);
}

/* ---- rw-semaphores: count 0 free, -1 a writer, n > 0 readers ---- */

void __init_rwsem(struct rw_semaphore *sem, const char *name, struct lock_class_key *key)
{
	atomic_long_set(&sem->count, 0);
	atomic_long_set(&sem->owner, 0);
	raw_spin_lock_init(&sem->wait_lock);
	INIT_LIST_HEAD(&sem->wait_list);
}

void down_write(struct rw_semaphore *sem)
{
	if (atomic_long_read(&sem->count))
		kenv_fatal(KENV_EXIT_BUG, "down_write(%px): held already: a deadlock", sem);
	atomic_long_set(&sem->count, -1);
}

int down_write_trylock(struct rw_semaphore *sem)
{
	if (atomic_long_read(&sem->count))
		return 0;
	atomic_long_set(&sem->count, -1);
	return 1;
}

void up_write(struct rw_semaphore *sem)
{
	if (atomic_long_read(&sem->count) != -1)
		kenv_fatal(KENV_EXIT_BUG, "up_write(%px): not write-locked", sem);
	atomic_long_set(&sem->count, 0);
}

void down_read(struct rw_semaphore *sem)
{
	if (atomic_long_read(&sem->count) < 0)
		kenv_fatal(KENV_EXIT_BUG, "down_read(%px): write-locked: a deadlock", sem);
	atomic_long_inc(&sem->count);
}

int down_read_trylock(struct rw_semaphore *sem)
{
	if (atomic_long_read(&sem->count) < 0)
		return 0;
	atomic_long_inc(&sem->count);
	return 1;
}

void up_read(struct rw_semaphore *sem)
{
	if (atomic_long_read(&sem->count) <= 0)
		kenv_fatal(KENV_EXIT_BUG, "up_read(%px): not read-locked", sem);
	atomic_long_dec(&sem->count);
}

/* ---- wait queues ---- */

void __init_waitqueue_head(struct wait_queue_head *wq, const char *name,
			   struct lock_class_key *key)
{
	spin_lock_init(&wq->lock);
	INIT_LIST_HEAD(&wq->head);
}

void init_wait_entry(struct wait_queue_entry *wq_entry, int flags)
{
	wq_entry->flags = flags;
	wq_entry->private = current;
	wq_entry->func = autoremove_wake_function;
	INIT_LIST_HEAD(&wq_entry->entry);
}

int default_wake_function(struct wait_queue_entry *curr, unsigned int mode, int wake_flags,
			  void *key)
{
	return 1;
}

int autoremove_wake_function(struct wait_queue_entry *wq_entry, unsigned int mode, int sync,
			     void *key)
{
	list_del_init(&wq_entry->entry);
	return 1;
}

int __wake_up(struct wait_queue_head *wq, unsigned int mode, int nr, void *key)
{
	struct wait_queue_entry *e, *next;
	int woken = 0;

	list_for_each_entry_safe(e, next, &wq->head, entry) {
		unsigned int flags = e->flags;
		int ret = e->func(e, mode, 0, key);

		woken += ret > 0;
		if (ret && (flags & WQ_FLAG_EXCLUSIVE) && !--nr)
			break;
	}
	return woken;
}

void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *e, int state)
{
	e->flags &= ~WQ_FLAG_EXCLUSIVE;
	if (list_empty(&e->entry))
		list_add(&e->entry, &wq->head);
}

bool prepare_to_wait_exclusive(struct wait_queue_head *wq, struct wait_queue_entry *e, int state)
{
	e->flags |= WQ_FLAG_EXCLUSIVE;
	if (list_empty(&e->entry))
		list_add_tail(&e->entry, &wq->head);
	return true;
}

long prepare_to_wait_event(struct wait_queue_head *wq, struct wait_queue_entry *e, int state)
{
	if (list_empty(&e->entry)) {
		if (e->flags & WQ_FLAG_EXCLUSIVE)
			list_add_tail(&e->entry, &wq->head);
		else
			list_add(&e->entry, &wq->head);
	}
	return 0;
}

void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	if (!list_empty_careful(&e->entry))
		list_del_init(&e->entry);
}

/* ---- completions: done counts, waiting runs the loop until it is set ---- */

void complete(struct completion *x)
{
	if (x->done != UINT_MAX)
		x->done++;
}

void complete_all(struct completion *x)
{
	x->done = UINT_MAX;
}

void wait_for_completion(struct completion *x)
{
	while (!x->done)
		kenv_schedule();
	if (x->done != UINT_MAX)
		x->done--;
}

unsigned long wait_for_completion_timeout(struct completion *x, unsigned long timeout)
{
	while (!x->done && timeout)
		timeout = schedule_timeout(timeout);
	if (!x->done)
		return 0;
	if (x->done != UINT_MAX)
		x->done--;
	return timeout ? timeout : 1;
}
