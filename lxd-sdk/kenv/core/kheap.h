/*
 * kheap: the kernel environment's memory allocator over the LXD heap.
 *
 * Portable (no kernel headers, no arch code): the domain runs it over the
 * heap the hypervisor maps, the host tests run it over a malloc'ed area.
 *
 *   - pages: a buddy allocator, orders 0..KHEAP_MAX_ORDER, blocks split
 *     and merged with their buddies; alloc_pages, vmalloc and every
 *     allocation over KHEAP_SLAB_MAX come from here;
 *   - small objects: power-of-two size classes of 16..KHEAP_SLAB_MAX bytes,
 *     each slab one page of one class (objects naturally aligned); a slab
 *     whose last object is freed goes back to the buddy allocator.
 *
 * Every free is checked against per-page metadata kept outside the heap's
 * pages (a pointer that is not the start of a live allocation, a double
 * free, a page freed with the wrong order): the call returns a negative
 * errno and changes nothing, and the caller reports it.
 *
 * The metadata takes the first pages of the area (about 1.4 % of it).
 * Single-threaded: the domain is one CPU and never preempted.
 */
#ifndef KENV_KHEAP_H
#define KENV_KHEAP_H

#include <stddef.h>
#include <stdint.h>

#define KHEAP_PAGE          4096ul
#define KHEAP_MAX_ORDER     15              /* 128 MiB blocks */
#define KHEAP_SLAB_MIN      16
#define KHEAP_SLAB_MAX      2048
#define KHEAP_NCLASSES      8               /* 16, 32, ..., 2048 */

struct kheap_page;

struct kheap {
    uintptr_t base;                         /* first managed page */
    uint32_t npages;                        /* managed pages */
    struct kheap_page *meta;                /* one per managed page */
    uint32_t free_list[KHEAP_MAX_ORDER + 1];   /* head page index, or KHEAP_NONE */
    uint32_t partial[KHEAP_NCLASSES];       /* slabs with a free object */
    uint64_t free_pages;                    /* in the buddy lists */
    uint64_t used_bytes;                    /* asked for by live allocations */
    uint64_t allocations;                   /* live */
};

/*
 * Takes [start, start + bytes): metadata first, the rest page-managed.
 * Returns 0, or -EINVAL if the range is too small (under 4 pages) or wraps.
 */
int kheap_init(struct kheap *h, uintptr_t start, size_t bytes);

/* bytes > 0; align a power of two up to KHEAP_PAGE (0 = natural). NULL when out of memory. */
void *kheap_alloc(struct kheap *h, size_t bytes, size_t align);
/* 0; -EINVAL if p is not the start of a live kheap_alloc allocation. NULL is fine. */
int kheap_free(struct kheap *h, const void *p);
/* Usable bytes of a live allocation (>= what was asked); 0 if p is not one. */
size_t kheap_usable(const struct kheap *h, const void *p);

/* 2^order pages, aligned to their size relative to the heap base. */
void *kheap_alloc_pages(struct kheap *h, unsigned int order);
/* -EINVAL unless p is a live kheap_alloc_pages block of exactly that order. */
int kheap_free_pages(struct kheap *h, const void *p, unsigned int order);

/* Is p inside the managed pages?  (For virt_to_page and friends.) */
int kheap_contains(const struct kheap *h, const void *p);
uint64_t kheap_free_bytes(const struct kheap *h);

#endif
