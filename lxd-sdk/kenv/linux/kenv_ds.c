// SPDX-License-Identifier: GPL-2.0
/*
 * Data structures drivers use from lib/ and block/, written for the
 * environment against the kernel's struct layouts, with private storage
 * hung off the structures' head pointers (only the API touches them):
 *
 *  - IDAs: a bitmap behind ida->xa.xa_head;
 *  - badblocks: the kernel's encoding (BB_MAKE) in bb->page, kept sorted,
 *    ranges of at most BB_MAX_LEN sectors;
 *  - errno_to_blk_status: the errno <-> blk_status_t table;
 *  - configfs: not available in a domain (there is no file system to show
 *    it in): registering a subsystem logs that and succeeds, so a driver
 *    whose devices come from module parameters (null_blk) still starts;
 *    the item helpers initialise the structures as configfs would.
 */
#include <linux/badblocks.h>
#include <linux/blkdev.h>
#include <linux/configfs.h>
#include <linux/idr.h>
#include <linux/slab.h>

#include "kenv_linux.h"

/* ---- IDA: a bitmap of ids in use ---- */

struct kenv_ida {
	unsigned int nbits;
	unsigned long bits[];
};

int ida_alloc_range(struct ida *ida, unsigned int min, unsigned int max, gfp_t gfp)
{
	struct kenv_ida *m = (struct kenv_ida *)ida->xa.xa_head;
	unsigned int id;

	if ((int)min < 0 || min > max)
		return -EINVAL;
	for (id = min; id <= max && id < (1u << 20); id++) {
		if (!m || id >= m->nbits) {
			unsigned int nbits = max_t(unsigned int, 64, roundup_pow_of_two(id + 1));
			struct kenv_ida *g = kzalloc(struct_size(g, bits, BITS_TO_LONGS(nbits)), gfp);

			if (!g)
				return -ENOMEM;
			if (m) {
				memcpy(g->bits, m->bits, BITS_TO_LONGS(m->nbits) * sizeof(long));
				kfree(m);
			}
			g->nbits = nbits;
			m = g;
			ida->xa.xa_head = (void *)m;
		}
		if (!test_bit(id, m->bits)) {
			set_bit(id, m->bits);
			return id;
		}
	}
	return -ENOSPC;
}

void ida_free(struct ida *ida, unsigned int id)
{
	struct kenv_ida *m = (struct kenv_ida *)ida->xa.xa_head;

	if (!m || id >= m->nbits || !test_and_clear_bit(id, m->bits))
		kenv_fatal(KENV_EXIT_BUG, "ida_free(%px, %u): id not allocated", ida, id);
}

void ida_destroy(struct ida *ida)
{
	kfree(ida->xa.xa_head);
	ida->xa.xa_head = NULL;
}

/* ---- badblocks ---- */

int badblocks_init(struct badblocks *bb, int enable)
{
	memset(bb, 0, sizeof(*bb));
	bb->page = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bb->page)
		return -ENOMEM;
	bb->shift = enable ? 0 : -1;
	seqlock_init(&bb->lock);
	return 0;
}

void badblocks_exit(struct badblocks *bb)
{
	if (!bb)
		return;
	kfree(bb->page);
	bb->page = NULL;
}

int badblocks_check(struct badblocks *bb, sector_t s, int sectors, sector_t *first_bad,
		    int *bad_sectors)
{
	sector_t end = s + sectors;
	int i, rv = 0;

	if (bb->shift < 0 || !bb->count)
		return 0;
	for (i = 0; i < bb->count; i++) {
		u64 e = bb->page[i];
		sector_t a = BB_OFFSET(e), b = a + BB_LEN(e);

		if (b <= s || a >= end)
			continue;
		if (!rv || a < *first_bad) {
			*first_bad = a;
			*bad_sectors = BB_LEN(e);
		}
		rv = BB_ACK(e) && rv != -1 ? 1 : -1;
	}
	return rv;
}

/* Insertion sort by offset: at most MAX_BADBLOCKS entries, rarely changed. */
static void kenv_bb_sort(struct badblocks *bb)
{
	int i, j;

	for (i = 1; i < bb->count; i++) {
		u64 e = bb->page[i];

		for (j = i; j > 0 && BB_OFFSET(bb->page[j - 1]) > BB_OFFSET(e); j--)
			bb->page[j] = bb->page[j - 1];
		bb->page[j] = e;
	}
}

/* Removes [s, s + sectors) from every range, splitting where needed. */
int badblocks_clear(struct badblocks *bb, sector_t s, int sectors)
{
	sector_t end = s + sectors;
	int i;

	for (i = 0; i < bb->count; i++) {
		u64 e = bb->page[i];
		sector_t a = BB_OFFSET(e), b = a + BB_LEN(e);
		int ack = BB_ACK(e);

		if (b <= s || a >= end)
			continue;
		if (a < s && b > end) {             /* a hole in the middle: two ranges */
			if (bb->count >= MAX_BADBLOCKS)
				return -ENOSPC;
			bb->page[i] = BB_MAKE(a, s - a, ack);
			bb->page[bb->count++] = BB_MAKE(end, b - end, ack);
		} else if (a < s) {
			bb->page[i] = BB_MAKE(a, s - a, ack);
		} else if (b > end) {
			bb->page[i] = BB_MAKE(end, b - end, ack);
		} else {
			bb->page[i--] = bb->page[--bb->count];
		}
	}
	kenv_bb_sort(bb);
	bb->changed = 1;
	return 0;
}

/* Adds [s, s + sectors): cleared first, then in pieces of at most BB_MAX_LEN. */
int badblocks_set(struct badblocks *bb, sector_t s, int sectors, int acknowledged)
{
	int rc = badblocks_clear(bb, s, sectors);

	while (!rc && sectors > 0) {
		int n = min(sectors, BB_MAX_LEN);

		if (bb->count >= MAX_BADBLOCKS)
			return 1;           /* as the kernel: 1 when the table is full */
		bb->page[bb->count++] = BB_MAKE(s, n, acknowledged);
		s += n;
		sectors -= n;
	}
	if (!acknowledged)
		bb->unacked_exist = 1;
	kenv_bb_sort(bb);
	return rc;
}

ssize_t badblocks_show(struct badblocks *bb, char *page, int unack)
{
	ssize_t len = 0;
	int i;

	for (i = 0; i < bb->count && len < PAGE_SIZE - 48; i++) {
		u64 e = bb->page[i];

		if (unack && BB_ACK(e))
			continue;
		len += scnprintf(page + len, PAGE_SIZE - len, "%llu %u\n",
				 (unsigned long long)BB_OFFSET(e), (unsigned int)BB_LEN(e));
	}
	return len;
}

/* ---- blk_status_t <-> errno ---- */

static const struct { blk_status_t sts; int err; } kenv_blk_errors[] = {
	{ BLK_STS_OK, 0 }, { BLK_STS_NOTSUPP, -EOPNOTSUPP }, { BLK_STS_TIMEOUT, -ETIMEDOUT },
	{ BLK_STS_NOSPC, -ENOSPC }, { BLK_STS_TRANSPORT, -ENOLINK }, { BLK_STS_TARGET, -EREMOTEIO },
	{ BLK_STS_NEXUS, -EBADE }, { BLK_STS_MEDIUM, -ENODATA }, { BLK_STS_PROTECTION, -EILSEQ },
	{ BLK_STS_RESOURCE, -ENOMEM }, { BLK_STS_DEV_RESOURCE, -EBUSY }, { BLK_STS_AGAIN, -EAGAIN },
	{ BLK_STS_OFFLINE, -ENODEV }, { BLK_STS_IOERR, -EIO },
};

blk_status_t errno_to_blk_status(int errno)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kenv_blk_errors); i++)
		if (kenv_blk_errors[i].err == errno)
			return kenv_blk_errors[i].sts;
	return BLK_STS_IOERR;
}

int blk_status_to_errno(blk_status_t status)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kenv_blk_errors); i++)
		if (kenv_blk_errors[i].sts == status)
			return kenv_blk_errors[i].err;
	return -EIO;
}

/* ---- configfs: not in a domain ---- */

void config_item_init_type_name(struct config_item *item, const char *name,
				const struct config_item_type *type)
{
	strscpy(item->ci_namebuf, name, sizeof(item->ci_namebuf));
	item->ci_name = item->ci_namebuf;
	item->ci_type = type;
	kref_init(&item->ci_kref);
	INIT_LIST_HEAD(&item->ci_entry);
}

void config_group_init(struct config_group *group)
{
	kref_init(&group->cg_item.ci_kref);
	INIT_LIST_HEAD(&group->cg_item.ci_entry);
	INIT_LIST_HEAD(&group->cg_children);
	INIT_LIST_HEAD(&group->default_groups);
}

static void kenv_config_item_release(struct kref *kref)
{
	struct config_item *item = container_of(kref, struct config_item, ci_kref);

	if (item->ci_type && item->ci_type->ct_item_ops && item->ci_type->ct_item_ops->release)
		item->ci_type->ct_item_ops->release(item);
}

void config_item_put(struct config_item *item)
{
	if (item)
		kref_put(&item->ci_kref, kenv_config_item_release);
}

int configfs_register_subsystem(struct configfs_subsystem *subsys)
{
	pr_info("kenv: configfs is not available in a driver domain: '%s' is not registered\n",
		subsys->su_group.cg_item.ci_namebuf);
	return 0;
}

void configfs_unregister_subsystem(struct configfs_subsystem *subsys)
{
}
