// SPDX-License-Identifier: GPL-2.0
/*
 * Memory for a driver domain, with the kernel's names and layouts: kmalloc
 * and friends, slab caches, vmalloc, pages and struct page, per-CPU
 * allocations.  Everything comes from the core's kheap (buddy + slabs,
 * lxd-sdk/kenv/core/kheap.c) and is handed out at its direct-map address
 * (PAGE_OFFSET + physical, as in Linux): kenv_mem_init() makes that range
 * an alias of the domain's identity map, so __pa(), virt_to_page() and
 * page_address() work with the kernel's own inline definitions.
 *
 * struct page exists for every heap page (classic SPARSEMEM: mem_section
 * roots, the section number in page->flags), so pfn_to_page/page_to_pfn
 * work; the image's own static data and stack have none (virt_to_page of
 * them is not supported: docs/lxd-kenv.md).
 *
 * GFP flags: __GFP_ZERO is honoured, __GFP_NOFAIL ends the domain when the
 * heap is exhausted; the others (reclaim, atomic, DMA zones) mean nothing
 * here: the heap never sleeps and has one zone.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/bitmap.h>
#include <lxds/hypercall_abi.h>

#include "kenv_linux.h"

void *kenv_kva(void *p)
{
	return p ? (void *)((unsigned long)p + PAGE_OFFSET) : NULL;
}

void *kenv_identity(const void *p)
{
	unsigned long a = (unsigned long)p;

	return a >= PAGE_OFFSET ? (void *)(a - PAGE_OFFSET) : (void *)p;
}

static void *kenv_zero_if(void *p, size_t bytes, gfp_t flags)
{
	if (p && (flags & __GFP_ZERO))
		memset(p, 0, bytes);
	return p;
}

/*
 * An allocation the heap could not serve, without __GFP_NOFAIL: the caller
 * gets NULL, as Linux's would under memory pressure (null_blk then fails
 * the write with BLK_STS_NOSPC).  Said in the domain's log unless the
 * caller asked for silence (__GFP_NOWARN, as Linux's warn_alloc): the
 * first, then the 2nd, 4th, 8th..., so that a driver that keeps trying
 * neither floods the log nor goes unexplained ("no space" on a 1 GiB disk
 * whose domain has a 32 MiB heap).
 */
static void kenv_alloc_failed(const char *who, size_t bytes, gfp_t flags)
{
	static unsigned long failures;

	if (flags & __GFP_NOWARN)
		return;
	failures++;
	if (failures & (failures - 1))
		return;
	pr_warn("kenv: %s(%zu bytes) failed: the domain's heap is exhausted (%lu KiB free; its size is the image's, KENV_HEAP_<image>); %lu such failure(s) so far\n",
		who, bytes, kenv_heap_free_bytes() >> 10, failures);
}

static void *kenv_alloc(size_t bytes, size_t align, gfp_t flags, const char *who)
{
	void *p;

	if (!bytes)
		return ZERO_SIZE_PTR;
	p = kenv_kva(kenv_heap_alloc(bytes, align));
	if (!p && (flags & __GFP_NOFAIL))
		kenv_fatal(KENV_EXIT_PANIC, "%s(%zu, __GFP_NOFAIL): the heap is exhausted", who, bytes);
	if (!p)
		kenv_alloc_failed(who, bytes, flags);
	return kenv_zero_if(p, bytes, flags);
}

static void kenv_free(const void *p, const char *who)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	if (kenv_heap_free(kenv_identity(p)))
		kenv_fatal(KENV_EXIT_BUG, "%s(%px): not a live heap allocation (double free, or a pointer into one)",
			   who, p);
}

/* ---- kmalloc ---- */

void *__kmalloc(size_t size, gfp_t flags)
{
	return kenv_alloc(size, 0, flags, "kmalloc");
}

void *__kmalloc_node(size_t size, gfp_t flags, int node)
{
	return kenv_alloc(size, 0, flags, "kmalloc_node");
}

void *kmalloc_large(size_t size, gfp_t flags)
{
	return kenv_alloc(size, 0, flags, "kmalloc_large");
}

void *kmalloc_large_node(size_t size, gfp_t flags, int node)
{
	return kenv_alloc(size, 0, flags, "kmalloc_large_node");
}

void *__kmalloc_node_track_caller(size_t size, gfp_t flags, int node, unsigned long caller)
{
	return kenv_alloc(size, 0, flags, "kmalloc_track_caller");
}

void kfree(const void *p)
{
	kenv_free(p, "kfree");
}

void kfree_sensitive(const void *p)
{
	if (!ZERO_OR_NULL_PTR(p))
		memzero_explicit((void *)p, kenv_heap_usable(kenv_identity(p)));
	kfree(p);
}

size_t __ksize(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return 0;
	return kenv_heap_usable(kenv_identity(p));
}

size_t ksize(const void *p)
{
	return __ksize(p);
}

void *krealloc(const void *p, size_t new_size, gfp_t flags)
{
	size_t have = __ksize(p);
	void *n;

	if (!new_size) {
		kfree(p);
		return ZERO_SIZE_PTR;
	}
	if (!ZERO_OR_NULL_PTR(p) && !have)
		kenv_fatal(KENV_EXIT_BUG, "krealloc(%px): not a live heap allocation", p);
	if (have >= new_size)
		return (void *)p;
	n = kenv_alloc(new_size, 0, flags & ~__GFP_ZERO, "krealloc");
	if (!n)
		return NULL;
	if (have)
		memcpy(n, p, have);
	if (flags & __GFP_ZERO)
		memset((char *)n + have, 0, new_size - have);
	kfree(p);
	return n;
}

void *kvmalloc_node(size_t size, gfp_t flags, int node)
{
	return kenv_alloc(size, 0, flags, "kvmalloc");
}

void kvfree(const void *p)
{
	kenv_free(p, "kvfree");
}

void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = __kmalloc(len, gfp);

	if (p)
		memcpy(p, src, len);
	return p;
}

char *kstrdup(const char *s, gfp_t gfp)
{
	return s ? kmemdup(s, strlen(s) + 1, gfp) : NULL;
}

const char *kstrdup_const(const char *s, gfp_t gfp)
{
	return kstrdup(s, gfp);
}

void kfree_const(const void *p)
{
	/* kstrdup_const always copies, but a constant may still be passed in */
	if (kenv_heap_contains(kenv_identity(p)))
		kfree(p);
}

char *kstrndup(const char *s, size_t max, gfp_t gfp)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strnlen(s, max);
	p = __kmalloc(len + 1, gfp);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

/* ---- slab caches: each object a kmalloc of the cache's size and alignment ---- */

struct kmem_cache {
	const char *name;
	unsigned int size, align;
	void (*ctor)(void *);
	unsigned long live;
};

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	struct kmem_cache *c;

	if (!size || (align & (align - 1)) || align > PAGE_SIZE) {
		pr_err("kenv: kmem_cache_create(%s): size %u / align %u not supported\n", name, size,
		       align);
		return NULL;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	c->name = name;
	c->size = size;
	c->align = (flags & SLAB_HWCACHE_ALIGN) && align < L1_CACHE_BYTES ? L1_CACHE_BYTES : align;
	c->ctor = ctor;
	return c;
}

struct kmem_cache *kmem_cache_create_usercopy(const char *name, unsigned int size,
					      unsigned int align, slab_flags_t flags,
					      unsigned int useroffset, unsigned int usersize,
					      void (*ctor)(void *))
{
	return kmem_cache_create(name, size, align, flags, ctor);
}

void *kmem_cache_alloc(struct kmem_cache *c, gfp_t flags)
{
	void *p = kenv_alloc(c->size, c->align, flags, "kmem_cache_alloc");

	if (p) {
		c->live++;
		if (c->ctor)
			c->ctor(p);
	}
	return p;
}

void *kmem_cache_alloc_lru(struct kmem_cache *c, struct list_lru *lru, gfp_t flags)
{
	return kmem_cache_alloc(c, flags);
}

void *kmem_cache_alloc_node(struct kmem_cache *c, gfp_t flags, int node)
{
	return kmem_cache_alloc(c, flags);
}

void kmem_cache_free(struct kmem_cache *c, void *p)
{
	if (!p)
		return;
	kenv_free(p, "kmem_cache_free");
	c->live--;
}

void kmem_cache_destroy(struct kmem_cache *c)
{
	if (!c)
		return;
	if (c->live)
		pr_err("kenv: kmem_cache_destroy(%s): %lu object(s) still allocated (leaked)\n",
		       c->name, c->live);
	kfree(c);
}

/* ---- vmalloc: the heap is contiguous, so vmalloc is a large kmalloc ---- */

void *vmalloc(unsigned long size)
{
	return kenv_alloc(size, PAGE_SIZE, GFP_KERNEL, "vmalloc");
}

void *vzalloc(unsigned long size)
{
	return kenv_alloc(size, PAGE_SIZE, GFP_KERNEL | __GFP_ZERO, "vzalloc");
}

void *vmalloc_node(unsigned long size, int node)
{
	return vmalloc(size);
}

void *vzalloc_node(unsigned long size, int node)
{
	return vzalloc(size);
}

void vfree(const void *p)
{
	kenv_free(p, "vfree");
}

/* ---- pages ---- */

struct page *__alloc_pages(gfp_t gfp, unsigned int order, int nid, nodemask_t *nodemask)
{
	void *p = kenv_pages_alloc(order);

	if (!p) {
		if (gfp & __GFP_NOFAIL)
			kenv_fatal(KENV_EXIT_PANIC, "alloc_pages(order %u, __GFP_NOFAIL): heap exhausted",
				   order);
		kenv_alloc_failed("alloc_pages", PAGE_SIZE << order, gfp);
		return NULL;
	}
	if (gfp & __GFP_ZERO)
		memset(p, 0, PAGE_SIZE << order);
	return virt_to_page(kenv_kva(p));
}

struct folio *__folio_alloc(gfp_t gfp, unsigned int order, int nid, nodemask_t *nodemask)
{
	return (struct folio *)__alloc_pages(gfp, order, nid, nodemask);
}

void __free_pages(struct page *page, unsigned int order)
{
	void *p;

	if (!page)
		return;
	p = kenv_identity(page_address(page));
	if (kenv_pages_free(p, order))
		kenv_fatal(KENV_EXIT_BUG, "__free_pages(%px, order %u): not a live block of that order",
			   page, order);
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = __alloc_pages(gfp, order, 0, NULL);

	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

void free_pages(unsigned long addr, unsigned int order)
{
	if (addr)
		__free_pages(virt_to_page((void *)addr), order);
}

/* ---- struct page for the heap: classic SPARSEMEM ---- */

struct mem_section **mem_section;
unsigned long phys_base;            /* the image is not at __START_KERNEL_map: never used */

static int kenv_section_map(unsigned long nr, unsigned long pfn_lo, unsigned long pfn_hi)
{
	unsigned long root = SECTION_NR_TO_ROOT(nr), pfn;
	struct mem_section *ms;
	struct page *map;

	if (root >= NR_SECTION_ROOTS)
		return -ERANGE;
	if (!mem_section[root]) {
		mem_section[root] = kenv_kva(kenv_heap_alloc(PAGE_SIZE, PAGE_SIZE));
		if (!mem_section[root])
			return -ENOMEM;
		memset(mem_section[root], 0, PAGE_SIZE);
	}
	ms = &mem_section[root][nr & SECTION_ROOT_MASK];
	map = kenv_kva(kenv_heap_alloc((pfn_hi - pfn_lo) * sizeof(struct page), PAGE_SIZE));
	if (!map)
		return -ENOMEM;
	memset(map, 0, (pfn_hi - pfn_lo) * sizeof(struct page));
	for (pfn = pfn_lo; pfn < pfn_hi; pfn++) {
		struct page *pg = &map[pfn - pfn_lo];

		set_page_section(pg, nr);
		set_page_count(pg, 1);
		page_mapcount_reset(pg);
		INIT_LIST_HEAD(&pg->lru);
	}
	/* as the kernel encodes it: the map minus the section's first pfn */
	ms->section_mem_map = (unsigned long)(map - pfn_lo) | SECTION_MARKED_PRESENT |
			      SECTION_HAS_MEM_MAP;
	return 0;
}

/* The heap's direct-map alias: PML4 entry of PAGE_OFFSET = the identity map's. */
static int kenv_direct_map(void)
{
	u64 *pml4 = (u64 *)LXD_PAGE_TABLES_VA;

	if (pgd_index(PAGE_OFFSET) == 0 || pml4[pgd_index(PAGE_OFFSET)])
		return -EEXIST;
	pml4[pgd_index(PAGE_OFFSET)] = pml4[0];     /* not present before: no flush needed */
	return 0;
}

int kenv_mem_init(void)
{
	unsigned long start, end;
	int rc = kenv_direct_map();

	if (rc) {
		pr_err("kenv: the direct map at %lx cannot be set up (%d)\n", PAGE_OFFSET, rc);
		return rc;
	}
	mem_section = kenv_kva(kenv_heap_alloc(NR_SECTION_ROOTS * sizeof(*mem_section), 0));
	if (!mem_section)
		return -ENOMEM;
	memset(mem_section, 0, NR_SECTION_ROOTS * sizeof(*mem_section));
	kenv_heap_range(&start, &end);
	return kenv_mem_add_pages(start, end);
}

/*
 * struct page for [start, end) of the domain's identity map (page aligned),
 * so that virt_to_page/page_address work on its direct-map alias: the heap
 * at start-up, and memory Linux granted (a glue's shared buffer pool, which
 * a driver reaches through the bio_vecs of the requests it is given).  A
 * range may not share a 128 MiB section with one added before (-EEXIST).
 */
int kenv_mem_add_pages(unsigned long start, unsigned long end)
{
	unsigned long pfn_lo = start >> PAGE_SHIFT, pfn_hi = end >> PAGE_SHIFT, nr;
	int rc;

	if (!mem_section || (start | end) & ~PAGE_MASK || pfn_hi <= pfn_lo)
		return -EINVAL;
	for (nr = pfn_to_section_nr(pfn_lo); nr <= pfn_to_section_nr(pfn_hi - 1); nr++) {
		unsigned long lo = max(pfn_lo, section_nr_to_pfn(nr));
		unsigned long hi = min(pfn_hi, section_nr_to_pfn(nr + 1));

		if (SECTION_NR_TO_ROOT(nr) < NR_SECTION_ROOTS && mem_section[SECTION_NR_TO_ROOT(nr)] &&
		    mem_section[SECTION_NR_TO_ROOT(nr)][nr & SECTION_ROOT_MASK].section_mem_map)
			return -EEXIST;
		rc = kenv_section_map(nr, lo, hi);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- per-CPU allocations: one CPU, offset 0, so the pointer is the memory ---- */

void __percpu *__alloc_percpu_gfp(size_t size, size_t align, gfp_t gfp)
{
	return (void __percpu *)kenv_alloc(size, align, gfp | __GFP_ZERO, "alloc_percpu");
}

void __percpu *__alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu_gfp(size, align, GFP_KERNEL);
}

void free_percpu(void __percpu *p)
{
	kenv_free((void __force *)p, "free_percpu");
}

/* ---- bitmaps ---- */

unsigned long *bitmap_zalloc(unsigned int nbits, gfp_t flags)
{
	return kcalloc(BITS_TO_LONGS(nbits), sizeof(unsigned long), flags);
}

unsigned long *bitmap_alloc(unsigned int nbits, gfp_t flags)
{
	return kmalloc_array(BITS_TO_LONGS(nbits), sizeof(unsigned long), flags);
}

void bitmap_free(const unsigned long *bitmap)
{
	kfree(bitmap);
}
