// SPDX-License-Identifier: GPL-2.0
/*
 * Radix trees for driver domains, against the kernel's struct
 * radix_tree_root: what null_blk keeps its memory-backed pages in.  Only
 * <linux/...> names it needs, so that tests/unit/kenv/test_kradix.c builds
 * it on the host too (with stand-in headers, under ASan, allocations that
 * fail on demand) as well as with the guest kernel's.
 */
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/radix-tree.h>
#include <linux/slab.h>

/*
 * A radix tree of 64-slot nodes, as the kernel's (6 bits of the index a
 * level, the tree as tall as the largest index needs, up to 11 levels for
 * 64 bits), behind root->xa_head: lookup, insert and delete cost a walk of
 * the height, whatever the number of items.  (A sorted array stood here
 * until session 19: deleting from its front moved everything behind, and
 * null_blk's discard of 30 MiB of pages took the domain past the
 * watchdog.)  root->xa_head is NULL exactly when the tree is empty, as
 * radix_tree_empty() reads it.  No tags, no multi-order entries: null_blk
 * uses neither.
 */
#define KR_SHIFT   6
#define KR_SLOTS   (1ul << KR_SHIFT)
#define KR_MASK    (KR_SLOTS - 1)
#define KR_LEVELS  11                   /* 6 * 11 >= 64 */

struct kenv_rnode {
	unsigned int count;             /* slots in use */
	void *slot[KR_SLOTS];           /* items at level 1, nodes above */
};

struct kenv_radix {
	unsigned int height;            /* levels of nodes under top */
	unsigned long n;                /* items */
	struct kenv_rnode *top;
};

static struct kenv_radix *kenv_radix_of(const struct radix_tree_root *root)
{
	return (struct kenv_radix *)root->xa_head;
}

static bool kr_fits(unsigned int height, unsigned long index)
{
	return height >= KR_LEVELS || !(index >> (KR_SHIFT * height));
}

static unsigned int kr_slot_of(unsigned long index, unsigned int level)
{
	return (index >> (KR_SHIFT * (level - 1))) & KR_MASK;
}

/* The walk from top to index's leaf: path[level] is the node at that level
 * (path[height] = top), NULL from where the walk found none. */
static void kr_walk(const struct kenv_radix *r, unsigned long index,
		    struct kenv_rnode *path[KR_LEVELS + 1])
{
	struct kenv_rnode *node = r->top;
	unsigned int level;

	for (level = r->height; level >= 1; level--) {
		path[level] = node;
		node = node && level > 1 ? node->slot[kr_slot_of(index, level)] : NULL;
	}
}

/* Frees the nodes of path left with no slot in use, from the lowest there
 * is up (an insert that ran out of memory may have made the upper ones
 * only). */
static void kr_prune(struct kenv_radix *r, unsigned long index,
		     struct kenv_rnode *path[KR_LEVELS + 1])
{
	unsigned int level;

	for (level = 1; level <= r->height; level++) {
		struct kenv_rnode *node = path[level];

		if (!node)
			continue;
		if (node->count)
			break;
		kfree(node);
		if (level == r->height) {
			r->top = NULL;
		} else {
			path[level + 1]->slot[kr_slot_of(index, level + 1)] = NULL;
			path[level + 1]->count--;
		}
	}
}

static void kr_done_if_empty(struct radix_tree_root *root, struct kenv_radix *r)
{
	if (!r->n && !r->top) {
		kfree(r);
		root->xa_head = NULL;
	}
}

int radix_tree_preload(gfp_t gfp_mask)
{
	(void)gfp_mask;
	return 0;       /* insert allocates itself; nothing can interrupt it */
}

int radix_tree_maybe_preload(gfp_t gfp_mask)
{
	(void)gfp_mask;
	return 0;
}

int radix_tree_insert(struct radix_tree_root *root, unsigned long index, void *item)
{
	struct kenv_radix *r = kenv_radix_of(root);
	struct kenv_rnode *path[KR_LEVELS + 1];
	unsigned int level, height = 1;
	void **slotp;

	if (!item)
		return -EINVAL;
	if (!r) {
		r = kzalloc(sizeof(*r), GFP_ATOMIC);
		if (!r)
			return -ENOMEM;
		root->xa_head = (void *)r;
	}
	while (!kr_fits(height, index))
		height++;
	if (!r->top)
		r->height = max(r->height, height);
	while (r->height < height) {    /* taller: the old top becomes slot 0 */
		struct kenv_rnode *up = kzalloc(sizeof(*up), GFP_ATOMIC);

		if (!up) {
			kr_done_if_empty(root, r);
			return -ENOMEM;
		}
		up->slot[0] = r->top;
		up->count = 1;
		r->top = up;
		r->height++;
	}
	kr_walk(r, index, path);
	for (level = r->height; level >= 1; level--) {
		if (path[level])
			continue;
		path[level] = kzalloc(sizeof(*path[level]), GFP_ATOMIC);
		if (!path[level]) {
			kr_prune(r, index, path);
			kr_done_if_empty(root, r);
			return -ENOMEM;
		}
		if (level == r->height) {
			r->top = path[level];
		} else {
			path[level + 1]->slot[kr_slot_of(index, level + 1)] = path[level];
			path[level + 1]->count++;
		}
	}
	slotp = &path[1]->slot[kr_slot_of(index, 1)];
	if (*slotp)
		return -EEXIST;
	*slotp = item;
	path[1]->count++;
	r->n++;
	return 0;
}

void *radix_tree_lookup(const struct radix_tree_root *root, unsigned long index)
{
	const struct kenv_radix *r = kenv_radix_of(root);
	const struct kenv_rnode *node;
	unsigned int level;

	if (!r || !r->top || !kr_fits(r->height, index))
		return NULL;
	node = r->top;
	for (level = r->height; level > 1 && node; level--)
		node = node->slot[kr_slot_of(index, level)];
	return node ? node->slot[kr_slot_of(index, 1)] : NULL;
}

void *radix_tree_delete_item(struct radix_tree_root *root, unsigned long index, void *item)
{
	struct kenv_radix *r = kenv_radix_of(root);
	struct kenv_rnode *path[KR_LEVELS + 1];
	void **slotp, *found;

	if (!r || !r->top || !kr_fits(r->height, index))
		return NULL;
	kr_walk(r, index, path);
	if (!path[1])
		return NULL;
	slotp = &path[1]->slot[kr_slot_of(index, 1)];
	found = *slotp;
	if (!found || (item && item != found))
		return NULL;
	*slotp = NULL;
	path[1]->count--;
	r->n--;
	kr_prune(r, index, path);
	kr_done_if_empty(root, r);
	return found;
}

void *radix_tree_delete(struct radix_tree_root *root, unsigned long index)
{
	return radix_tree_delete_item(root, index, NULL);
}

/* The first item at an index >= from under node (at level; its first index
 * base), its index in *at; NULL if none. */
static void *kr_first(const struct kenv_rnode *node, unsigned int level, unsigned long base,
		      unsigned long from, unsigned long *at)
{
	unsigned int shift = KR_SHIFT * (level - 1);
	unsigned long i = from > base ? (from - base) >> shift : 0;

	for (; i < KR_SLOTS; i++) {
		unsigned long b = base + (i << shift);
		void *p = node->slot[i];

		if (!p)
			continue;
		if (level == 1)
			return *at = b, p;
		p = kr_first(p, level - 1, b, from, at);
		if (p)
			return p;
	}
	return NULL;
}

unsigned int radix_tree_gang_lookup(const struct radix_tree_root *root, void **results,
				    unsigned long first_index, unsigned int max_items)
{
	const struct kenv_radix *r = kenv_radix_of(root);
	unsigned long from = first_index, at;
	unsigned int n = 0;

	if (!r || !r->top || !kr_fits(r->height, first_index))
		return 0;
	while (n < max_items) {
		void *p = kr_first(r->top, r->height, 0, from, &at);

		if (!p)
			break;
		results[n++] = p;
		if (at == ULONG_MAX)
			break;
		from = at + 1;
	}
	return n;
}

