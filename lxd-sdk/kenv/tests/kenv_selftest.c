// SPDX-License-Identifier: GPL-2.0
/*
 * kenv_selftest: an ordinary Linux module that exercises what the LXD
 * kernel environment provides.  It builds unchanged as a normal module
 * (insmod kenv_selftest.ko) and, through lxd-sdk/kenv/build.mk, into the
 * LXD image kenv_selftest.lxd, where tests/system/lxd_kenv.sh checks what
 * it printed.  Every check prints "kenv_selftest: <what>: ok" or
 * "... FAILED (<detail>)"; the last line says how many failed.
 *
 * Parameters: greeting (string), count (int), crash ("" | bug | warn | null).
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/hrtimer.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/err.h>
#include <linux/radix-tree.h>

static char *greeting = "hello";
module_param(greeting, charp, 0444);
MODULE_PARM_DESC(greeting, "a word to print");
static int count = 3;
module_param(count, int, 0444);
MODULE_PARM_DESC(count, "list entries to make (1..1000)");
static bool verbose;
module_param(verbose, bool, 0444);
MODULE_PARM_DESC(verbose, "also WARN() once, to show the domain survives it");
static char *crash = "";
module_param(crash, charp, 0444);
MODULE_PARM_DESC(crash, "after the checks: bug, warn or null");

struct item {
	struct list_head node;
	int value;
	char tag[12];
};

static DEFINE_MUTEX(st_mutex);
static DEFINE_SPINLOCK(st_lock);
static DEFINE_PER_CPU(unsigned long, st_counter);
static struct kmem_cache *item_cache;
static LIST_HEAD(items);
static int failures;
static struct timer_list st_timer;
static int timer_fired;
static struct work_struct st_work;
static int work_ran;
/* an hrtimer that restarts twice (three firings), and one cancelled while
 * armed beside it, which must never fire */
static struct hrtimer st_hrt, st_hrt_cancelled;
static int hrt_fired, hrt_cancelled_fired;
/* many armed at once (null_blk, irqmode=2: one per request in flight, and
 * its bandwidth timer), expiring 1..20 ms apart, out of arming order */
#define ST_MANY_HRT 200
static struct hrtimer st_many[ST_MANY_HRT];
static bool st_many_done[ST_MANY_HRT];
static atomic_t st_many_fired = ATOMIC_INIT(0);

#define CHECK(what, cond, fmt, ...)						\
	do {									\
		if (cond)							\
			pr_info("kenv_selftest: %s: ok\n", what);		\
		else {								\
			failures++;						\
			pr_err("kenv_selftest: %s: FAILED (" fmt ")\n", what,	\
			       ##__VA_ARGS__);					\
		}								\
	} while (0)

static void check_kmalloc(void)
{
	char *a = kmalloc(100, GFP_KERNEL), *z = kzalloc(3000, GFP_KERNEL);
	int *arr = kmalloc_array(16, sizeof(int), GFP_KERNEL);
	int *c = kcalloc(8, sizeof(int), GFP_KERNEL);
	int i, zero = 1;

	CHECK("kmalloc", a && z && arr && c, "%p %p %p %p", a, z, arr, c);
	if (!a || !z || !arr || !c)
		goto out;
	for (i = 0; i < 3000; i++)
		zero &= z[i] == 0;
	for (i = 0; i < 8; i++)
		zero &= c[i] == 0;
	CHECK("kzalloc/kcalloc zeroed", zero, "nonzero byte");
	strscpy(a, "grow me", 100);
	a = krealloc(a, 5000, GFP_KERNEL);
	CHECK("krealloc keeps the data", a && !strcmp(a, "grow me"), "%s", a ? a : "(null)");
	CHECK("ksize", a && ksize(a) >= 5000, "%zu", a ? ksize(a) : 0);
out:
	kfree(a);
	kfree(z);
	kfree(arr);
	kfree(c);
}

static void check_big_and_pages(void)
{
	unsigned char *v = vmalloc(2 << 20);
	struct page *pg = alloc_pages(GFP_KERNEL, 2);
	void *pa = pg ? page_address(pg) : NULL;
	unsigned long fp = __get_free_page(GFP_KERNEL);

	CHECK("vmalloc 2 MiB", v != NULL, "NULL");
	if (v) {
		memset(v, 0x5a, 2 << 20);
		CHECK("vmalloc memory usable", v[0] == 0x5a && v[(2 << 20) - 1] == 0x5a, "bad bytes");
		vfree(v);
	}
	CHECK("alloc_pages order 2", pg && pa && virt_to_page(pa) == pg &&
	      IS_ALIGNED((unsigned long)pa, PAGE_SIZE), "page %p at %p", pg, pa);
	if (pa)
		memset(pa, 1, 4 * PAGE_SIZE);
	if (pg)
		__free_pages(pg, 2);
	CHECK("__get_free_page", fp && IS_ALIGNED(fp, PAGE_SIZE), "%lx", fp);
	free_page(fp);
}

static void check_slab_and_list(void)
{
	struct item *it, *tmp;
	int i, n = 0, sum = 0, want = 0;

	item_cache = kmem_cache_create("kenv_item", sizeof(struct item), 0, 0, NULL);
	CHECK("kmem_cache_create", item_cache != NULL, "NULL");
	if (!item_cache)
		return;
	for (i = 0; i < count; i++) {
		it = kmem_cache_zalloc(item_cache, GFP_KERNEL);
		if (!it)
			break;
		it->value = i * i;
		snprintf(it->tag, sizeof(it->tag), "item%d", i);
		mutex_lock(&st_mutex);
		list_add_tail(&it->node, &items);
		mutex_unlock(&st_mutex);
		want += i * i;
	}
	list_for_each_entry(it, &items, node) {
		sum += it->value;
		n++;
	}
	CHECK("slab objects on a list", n == count && sum == want, "%d items, sum %d, want %d",
	      n, sum, want);
	if (n) {
		char want_tag[12];

		snprintf(want_tag, sizeof(want_tag), "item%d", count - 1);
		it = list_last_entry(&items, struct item, node);
		CHECK("list order", !strcmp(it->tag, want_tag), "last is %s, want %s", it->tag,
		      want_tag);
	}
	list_for_each_entry_safe(it, tmp, &items, node) {
		list_del(&it->node);
		kmem_cache_free(item_cache, it);
	}
	CHECK("list emptied", list_empty(&items), "not empty");
	kmem_cache_destroy(item_cache);
}

static void check_locks(void)
{
	unsigned long flags;
	int got;

	spin_lock(&st_lock);
	spin_unlock(&st_lock);
	spin_lock_irqsave(&st_lock, flags);
	spin_unlock_irqrestore(&st_lock, flags);
	spin_lock_bh(&st_lock);
	spin_unlock_bh(&st_lock);
	got = mutex_trylock(&st_mutex);
	CHECK("mutex_trylock on a free mutex", got == 1 && mutex_is_locked(&st_mutex), "%d", got);
	CHECK("mutex_trylock on a held mutex", mutex_trylock(&st_mutex) == 0, "took it twice");
	if (got)
		mutex_unlock(&st_mutex);
	CHECK("mutex released", !mutex_is_locked(&st_mutex), "still locked");
	this_cpu_inc(st_counter);
	this_cpu_add(st_counter, 41);
	CHECK("per-CPU data through %gs", this_cpu_read(st_counter) == 42 &&
	      *per_cpu_ptr(&st_counter, 0) == 42 && smp_processor_id() == 0,
	      "%lu / %lu on cpu %d", this_cpu_read(st_counter), *per_cpu_ptr(&st_counter, 0),
	      smp_processor_id());
}

static void check_printk(void)
{
	static const u8 mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0xff };
	static const u8 ip[4] = { 192, 168, 7, 1 };
	char buf[96];

	snprintf(buf, sizeof(buf), "%d|%5u|%-4s|%03x|%lld|%c", -7, 42u, "ab", 0xf, -1099511627776LL, 'z');
	CHECK("snprintf", !strcmp(buf, "-7|   42|ab  |00f|-1099511627776|z"), "%s", buf);
	snprintf(buf, sizeof(buf), "%pM %pI4 %*phN %pe", mac, ip, 3, mac, ERR_PTR(-ENOMEM));
	/* %pe prints the name only with CONFIG_SYMBOLIC_ERRNAME (the LXD always names it) */
	CHECK("kernel %p extensions",
	      !strcmp(buf, "02:00:5e:10:20:ff 192.168.7.1 02005e -ENOMEM") ||
	      !strcmp(buf, "02:00:5e:10:20:ff 192.168.7.1 02005e -12"), "%s", buf);
	pr_info("kenv_selftest: greeting=%s count=%d verbose=%d crash=%s\n", greeting, count,
		verbose, crash);
	pr_warn("kenv_selftest: a warning-level line\n");
	pr_debug("kenv_selftest: a debug line (not shown)\n");
	printk(KERN_NOTICE "kenv_selftest: printk with KERN_NOTICE, %s\n", "as is");
}

static void st_timer_fn(struct timer_list *t)
{
	timer_fired = 1;
	pr_info("kenv_selftest: timer fired at jiffies+%ld\n", (long)(jiffies - (unsigned long)t->expires));
}

static enum hrtimer_restart st_hrt_fn(struct hrtimer *t)
{
	if (++hrt_fired < 3) {
		/* as drivers do (null_blk's bandwidth timer): the clock read
		 * through the timer's base */
		hrtimer_forward_now(t, ms_to_ktime(5));
		return HRTIMER_RESTART;
	}
	pr_info("kenv_selftest: hrtimer fired 3 times\n");
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart st_hrt_cancelled_fn(struct hrtimer *t)
{
	(void)t;
	hrt_cancelled_fired++;
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart st_many_fn(struct hrtimer *t)
{
	WRITE_ONCE(st_many_done[t - st_many], true);
	atomic_inc(&st_many_fired);
	return HRTIMER_NORESTART;
}

static void st_work_fn(struct work_struct *w)
{
	work_ran = 1;
	pr_info("kenv_selftest: work ran\n");
}

static void check_time(void)
{
	unsigned long j0 = jiffies;
	ktime_t t0 = ktime_get();
	int i, armed;
	s64 ms;

	msleep(50);
	ms = ktime_ms_delta(ktime_get(), t0);
	CHECK("msleep(50) and ktime_get", ms >= 50 && ms < 5000, "%lld ms", ms);
	CHECK("jiffies advance", time_after_eq(jiffies, j0 + msecs_to_jiffies(50)),
	      "%lu -> %lu", j0, jiffies);
	udelay(100);
	timer_setup(&st_timer, st_timer_fn, 0);
	mod_timer(&st_timer, jiffies + msecs_to_jiffies(20));
	INIT_WORK(&st_work, st_work_fn);
	schedule_work(&st_work);
	hrtimer_init(&st_hrt_cancelled, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	st_hrt_cancelled.function = st_hrt_cancelled_fn;
	hrtimer_start(&st_hrt_cancelled, ms_to_ktime(1), HRTIMER_MODE_REL);
	hrtimer_init(&st_hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	st_hrt.function = st_hrt_fn;
	hrtimer_start(&st_hrt, ms_to_ktime(10), HRTIMER_MODE_REL);
	CHECK("hrtimer_cancel of an armed hrtimer", hrtimer_cancel(&st_hrt_cancelled) == 1, "not armed");
	armed = 0;
	for (i = 0; i < ST_MANY_HRT; i++) {
		hrtimer_init(&st_many[i], CLOCK_MONOTONIC, HRTIMER_MODE_REL);
		st_many[i].function = st_many_fn;
		hrtimer_start(&st_many[i], ms_to_ktime(1 + (i * 7) % 20), HRTIMER_MODE_REL);
	}
	/* each armed, or (in Linux, which may run them meanwhile: Bochs is
	 * slow) fired already: hrtimer_active is true until its callback
	 * has returned */
	for (i = 0; i < ST_MANY_HRT; i++)
		armed += hrtimer_active(&st_many[i]) || READ_ONCE(st_many_done[i]);
	CHECK("200 hrtimers armed at once", armed == ST_MANY_HRT, "%d armed or fired", armed);
	pr_info("kenv_selftest: timer, hrtimer and work queued for the domain's loop\n");
}

/* A radix tree as null_blk keeps its pages: 20 000 dense indices inserted
 * out of order, three far ones (the tree grows to its full height), looked
 * up, listed in order, then deleted from the front, the order that made
 * the environment's first tree (a sorted array) move everything behind
 * each deleted entry. */
#define ST_RADIX_N 20000ul
static RADIX_TREE(st_radix, GFP_KERNEL);
static const unsigned long st_far[] = { 1ul << 40, ULONG_MAX - 1, ULONG_MAX };

static void *st_item(unsigned long index)
{
	return (void *)((index * 0x9e3779b97f4a7c15ul) << 4 | 8);
}

static void check_radix(void)
{
	unsigned long i, idx, next = 0, bad = 0, dups = 0, got = 0;
	void *batch[16];
	unsigned int n, k;

	for (i = 0; i < ST_RADIX_N; i++) {
		idx = i * 7919 % ST_RADIX_N;
		bad += radix_tree_insert(&st_radix, idx, st_item(idx)) != 0;
	}
	for (k = 0; k < ARRAY_SIZE(st_far); k++)
		bad += radix_tree_insert(&st_radix, st_far[k], st_item(st_far[k])) != 0;
	dups = radix_tree_insert(&st_radix, 77, st_item(1)) == -EEXIST;
	for (i = 0; i < ST_RADIX_N; i++)
		bad += radix_tree_lookup(&st_radix, i) != st_item(i);
	for (k = 0; k < ARRAY_SIZE(st_far); k++)
		bad += radix_tree_lookup(&st_radix, st_far[k]) != st_item(st_far[k]);
	bad += radix_tree_lookup(&st_radix, ST_RADIX_N) != NULL;
	bad += radix_tree_lookup(&st_radix, (1ul << 40) + 1) != NULL;
	CHECK("radix tree: 20000 inserts and lookups", !bad && dups == 1,
	      "%lu wrong, duplicate refused %lu", bad, dups);

	/* in index order, 16 at a time, as null_blk frees its store */
	bad = 0;
	idx = 0;
	while ((n = radix_tree_gang_lookup(&st_radix, batch, idx, ARRAY_SIZE(batch))) > 0) {
		for (k = 0; k < n; k++, next++, got++) {
			unsigned long want;

			if (next >= ST_RADIX_N + ARRAY_SIZE(st_far)) {
				bad++;          /* more items than were inserted */
				break;
			}
			want = next < ST_RADIX_N ? next : st_far[next - ST_RADIX_N];

			bad += batch[k] != st_item(want);
			idx = want + 1;
		}
		if (idx == 0 || k < n)  /* past ULONG_MAX, or too many */
			break;
	}
	CHECK("radix tree: gang lookup in index order", !bad && got == ST_RADIX_N + ARRAY_SIZE(st_far),
	      "%lu of %lu in order, %lu wrong", got, ST_RADIX_N + ARRAY_SIZE(st_far), bad);

	bad = radix_tree_delete_item(&st_radix, 5, st_item(6)) != NULL;
	bad += radix_tree_lookup(&st_radix, 5) != st_item(5);
	CHECK("radix tree: delete_item of another item refused", !bad, "deleted");

	bad = 0;
	for (i = 0; i < ST_RADIX_N; i++)
		bad += radix_tree_delete(&st_radix, i) != st_item(i);
	for (k = 0; k < ARRAY_SIZE(st_far); k++)
		bad += radix_tree_delete(&st_radix, st_far[k]) != st_item(st_far[k]);
	CHECK("radix tree: 20003 deletes from the front, then empty",
	      !bad && radix_tree_empty(&st_radix), "%lu wrong, %s", bad,
	      radix_tree_empty(&st_radix) ? "empty" : "not empty");
}

static int __init kenv_selftest_init(void)
{
	pr_info("kenv_selftest: start: %s\n", greeting);
	if (count < 1 || count > 1000) {
		pr_err("kenv_selftest: count=%d is out of 1..1000\n", count);
		return -EINVAL;
	}
	check_kmalloc();
	check_big_and_pages();
	check_slab_and_list();
	check_locks();
	check_printk();
	check_radix();
	WARN(verbose, "kenv_selftest: WARN with count=%d\n", count);
	pr_info("kenv_selftest: after WARN: still running\n");
	check_time();
	pr_info("kenv_selftest: %d check(s) failed\n", failures);
	if (!strcmp(crash, "bug")) {
		pr_info("kenv_selftest: calling BUG()\n");
		BUG();
	}
	if (!strcmp(crash, "null")) {
		pr_info("kenv_selftest: reading through NULL\n");
		return *(volatile int *)0;
	}
	return 0;
}

static void __exit kenv_selftest_exit(void)
{
	int i;

	del_timer_sync(&st_timer);
	cancel_work_sync(&st_work);
	hrtimer_cancel(&st_hrt);
	for (i = 0; i < ST_MANY_HRT; i++)
		hrtimer_cancel(&st_many[i]);
	pr_info("kenv_selftest: exit: %d of %d hrtimers armed at once fired\n",
		atomic_read(&st_many_fired), ST_MANY_HRT);
	pr_info("kenv_selftest: exit: timer fired %d, work ran %d, hrtimer fired %d, cancelled hrtimer fired %d\n",
		timer_fired, work_ran, hrt_fired, hrt_cancelled_fired);
}

module_init(kenv_selftest_init);
module_exit(kenv_selftest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Self-test of the LXD kernel environment");
