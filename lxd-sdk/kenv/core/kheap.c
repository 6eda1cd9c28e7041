/* kheap: see kheap.h. */
#include "kheap.h"

#include <lxds/errno.h>
#include <lxds/string.h>

#define KHEAP_NONE      0xFFFFFFFFu

enum kheap_kind {
    KP_TAIL = 0,        /* inside a block: not its first page */
    KP_FREE,            /* first page of a free buddy block (order) */
    KP_PAGES,           /* first page of an alloc_pages block (order) */
    KP_LARGE,           /* first page of a large kheap_alloc (order) */
    KP_SLAB,            /* a slab page (cls) */
};

struct kheap_page {
    uint8_t kind, order, cls, pad;
    uint16_t inuse;                 /* slab: live objects */
    uint16_t pad2;
    uint32_t next, prev;            /* buddy free list, or the class's partial list */
    uint32_t freeobj;               /* slab: offset of the first free object + 1, 0 = none */
    uint32_t pad3;
    uint64_t asked;                 /* large: bytes asked for (counted in used_bytes) */
    uint64_t live[4];               /* slab: one bit per object slot (up to 256) */
};

static unsigned int class_size(unsigned int cls) { return KHEAP_SLAB_MIN << cls; }

static uintptr_t page_addr(const struct kheap *h, uint32_t i) { return h->base + i * KHEAP_PAGE; }

static uint32_t page_index(const struct kheap *h, const void *p)
{
    return (uint32_t)(((uintptr_t)p - h->base) / KHEAP_PAGE);
}

int kheap_contains(const struct kheap *h, const void *p)
{
    uintptr_t a = (uintptr_t)p;

    return h->npages && a >= h->base && a - h->base < (uintptr_t)h->npages * KHEAP_PAGE;
}

/* ---- doubly linked lists of page indices ---- */

static void list_push(struct kheap *h, uint32_t *head, uint32_t i)
{
    h->meta[i].prev = KHEAP_NONE;
    h->meta[i].next = *head;
    if (*head != KHEAP_NONE)
        h->meta[*head].prev = i;
    *head = i;
}

static void list_remove(struct kheap *h, uint32_t *head, uint32_t i)
{
    struct kheap_page *m = &h->meta[i];

    if (m->prev != KHEAP_NONE)
        h->meta[m->prev].next = m->next;
    else
        *head = m->next;
    if (m->next != KHEAP_NONE)
        h->meta[m->next].prev = m->prev;
    m->next = m->prev = KHEAP_NONE;
}

/* ---- buddy pages ---- */

static void block_mark(struct kheap *h, uint32_t i, unsigned int order, uint8_t kind)
{
    h->meta[i].kind = kind;
    h->meta[i].order = (uint8_t)order;
}

static void free_block_add(struct kheap *h, uint32_t i, unsigned int order)
{
    block_mark(h, i, order, KP_FREE);
    list_push(h, &h->free_list[order], i);
    h->free_pages += 1ull << order;
}

static void free_block_take(struct kheap *h, uint32_t i, unsigned int order)
{
    list_remove(h, &h->free_list[order], i);
    h->meta[i].kind = KP_TAIL;
    h->free_pages -= 1ull << order;
}

static int64_t pages_get(struct kheap *h, unsigned int order, uint8_t kind)
{
    unsigned int o = order;

    if (order > KHEAP_MAX_ORDER)
        return -1;
    while (o <= KHEAP_MAX_ORDER && h->free_list[o] == KHEAP_NONE)
        o++;
    if (o > KHEAP_MAX_ORDER)
        return -1;
    uint32_t i = h->free_list[o];
    free_block_take(h, i, o);
    while (o > order) {             /* split: the upper half goes back */
        o--;
        free_block_add(h, i + (1u << o), o);
    }
    block_mark(h, i, order, kind);
    for (uint32_t t = 1; t < (1u << order); t++)    /* no stale head inside the block */
        h->meta[i + t].kind = KP_TAIL;
    return i;
}

static void pages_put(struct kheap *h, uint32_t i, unsigned int order)
{
    h->meta[i].kind = KP_TAIL;      /* it may end up inside a merged block */
    while (order < KHEAP_MAX_ORDER) {
        uint32_t buddy = i ^ (1u << order);
        if (buddy + (1u << order) > h->npages || h->meta[buddy].kind != KP_FREE ||
            h->meta[buddy].order != order)
            break;
        free_block_take(h, buddy, order);
        i &= ~(1u << order);
        order++;
    }
    free_block_add(h, i, order);
}

int kheap_init(struct kheap *h, uintptr_t start, size_t bytes)
{
    uintptr_t end = start + bytes, first;
    size_t meta_bytes;
    uint64_t n;

    memset(h, 0, sizeof(*h));
    if (end < start || bytes < 4 * KHEAP_PAGE)
        return -EINVAL;
    /* n pages of data need n metadata entries in front of them. */
    n = (end - ((start + KHEAP_PAGE - 1) & ~(KHEAP_PAGE - 1))) / KHEAP_PAGE;
    meta_bytes = n * sizeof(struct kheap_page);
    first = (start + meta_bytes + KHEAP_PAGE - 1) & ~(KHEAP_PAGE - 1);
    if (first >= end || (end - first) / KHEAP_PAGE == 0)
        return -EINVAL;
    n = (end - first) / KHEAP_PAGE;
    if (n >= KHEAP_NONE)
        return -EINVAL;
    h->base = first;
    h->npages = (uint32_t)n;
    h->meta = (struct kheap_page *)start;
    memset(h->meta, 0, n * sizeof(struct kheap_page));
    for (unsigned int o = 0; o <= KHEAP_MAX_ORDER; o++)
        h->free_list[o] = KHEAP_NONE;
    for (unsigned int c = 0; c < KHEAP_NCLASSES; c++)
        h->partial[c] = KHEAP_NONE;
    /* Largest aligned blocks first; buddies are found by index. */
    uint32_t i = 0;
    while (i < h->npages) {
        unsigned int o = KHEAP_MAX_ORDER;
        while (o > 0 && ((i & ((1u << o) - 1)) || i + (1u << o) > h->npages))
            o--;
        free_block_add(h, i, o);
        i += 1u << o;
    }
    return 0;
}

static unsigned int order_for(size_t bytes)
{
    unsigned int o = 0;

    while (o <= KHEAP_MAX_ORDER && ((size_t)KHEAP_PAGE << o) < bytes)
        o++;
    return o;
}

void *kheap_alloc_pages(struct kheap *h, unsigned int order)
{
    int64_t i = pages_get(h, order, KP_PAGES);

    if (i < 0)
        return NULL;
    h->allocations++;
    h->used_bytes += KHEAP_PAGE << order;
    return (void *)page_addr(h, (uint32_t)i);
}

/* The metadata entry of a block's first page, if p starts one of that kind. */
static struct kheap_page *block_of(const struct kheap *h, const void *p, uint8_t kind)
{
    if (!kheap_contains(h, p) || ((uintptr_t)p & (KHEAP_PAGE - 1)))
        return NULL;
    struct kheap_page *m = &h->meta[page_index(h, p)];
    return m->kind == kind ? m : NULL;
}

int kheap_free_pages(struct kheap *h, const void *p, unsigned int order)
{
    struct kheap_page *m = block_of(h, p, KP_PAGES);

    if (!m || m->order != order)
        return -EINVAL;
    h->allocations--;
    h->used_bytes -= KHEAP_PAGE << order;
    pages_put(h, page_index(h, p), order);
    return 0;
}

/* ---- slabs ---- */

static unsigned int class_for(size_t bytes, size_t align)
{
    size_t need = bytes > align ? bytes : align;
    unsigned int c = 0;

    while (class_size(c) < need)
        c++;
    return c;
}

static int64_t slab_new(struct kheap *h, unsigned int cls)
{
    int64_t i = pages_get(h, 0, KP_SLAB);

    if (i < 0)
        return -1;
    struct kheap_page *m = &h->meta[i];
    unsigned int size = class_size(cls), n = KHEAP_PAGE / size;
    uint8_t *page = (uint8_t *)page_addr(h, (uint32_t)i);

    m->cls = (uint8_t)cls;
    m->inuse = 0;
    memset(m->live, 0, sizeof(m->live));
    for (unsigned int k = 0; k < n; k++)       /* free list through the objects */
        *(uint32_t *)(page + k * size) = k + 1 < n ? (k + 1) * size + 1 : 0;
    m->freeobj = 1;
    list_push(h, &h->partial[cls], (uint32_t)i);
    return i;
}

static void *slab_alloc(struct kheap *h, unsigned int cls)
{
    uint32_t i = h->partial[cls];

    if (i == KHEAP_NONE) {
        int64_t n = slab_new(h, cls);
        if (n < 0)
            return NULL;
        i = (uint32_t)n;
    }
    struct kheap_page *m = &h->meta[i];
    uint8_t *page = (uint8_t *)page_addr(h, i);
    uint32_t off = m->freeobj - 1, slot = off / class_size(cls);

    m->freeobj = *(uint32_t *)(page + off);
    m->live[slot / 64] |= 1ull << (slot % 64);
    m->inuse++;
    if (!m->freeobj)
        list_remove(h, &h->partial[cls], i);
    return page + off;
}

static int slab_free(struct kheap *h, struct kheap_page *m, uint32_t i, uintptr_t off)
{
    unsigned int size = class_size(m->cls);
    uint32_t slot = (uint32_t)(off / size);
    uint8_t *page = (uint8_t *)page_addr(h, i);

    if (off % size || !(m->live[slot / 64] & (1ull << (slot % 64))))
        return -EINVAL;             /* inside an object, or already free */
    m->live[slot / 64] &= ~(1ull << (slot % 64));
    if (!m->freeobj)
        list_push(h, &h->partial[m->cls], i);
    *(uint32_t *)(page + off) = m->freeobj;
    m->freeobj = (uint32_t)off + 1;
    if (--m->inuse == 0) {          /* the whole page goes back */
        list_remove(h, &h->partial[m->cls], i);
        pages_put(h, i, 0);
    }
    return 0;
}

/* ---- kheap_alloc / kheap_free ---- */

void *kheap_alloc(struct kheap *h, size_t bytes, size_t align)
{
    uint64_t counted = bytes;
    void *p;

    if (bytes == 0 || (align & (align - 1)) || align > KHEAP_PAGE)
        return NULL;
    if (bytes <= KHEAP_SLAB_MAX && align <= KHEAP_SLAB_MAX) {
        unsigned int cls = class_for(bytes, align);
        p = slab_alloc(h, cls);
        if (!p)
            return NULL;
        counted = class_size(cls);
    } else {
        if (bytes > ((size_t)KHEAP_PAGE << KHEAP_MAX_ORDER))
            return NULL;
        int64_t i = pages_get(h, order_for(bytes), KP_LARGE);
        if (i < 0)
            return NULL;
        h->meta[i].asked = bytes;
        p = (void *)page_addr(h, (uint32_t)i);
    }
    h->allocations++;
    h->used_bytes += counted;
    return p;
}

int kheap_free(struct kheap *h, const void *p)
{
    if (!p)
        return 0;
    if (!kheap_contains(h, p))
        return -EINVAL;
    uint32_t i = page_index(h, p);
    struct kheap_page *m = &h->meta[i];
    uintptr_t off = (uintptr_t)p - page_addr(h, i);

    if (m->kind == KP_SLAB) {
        uint64_t size = class_size(m->cls);
        int rc = slab_free(h, m, i, off);
        if (rc)
            return rc;
        h->allocations--;
        h->used_bytes -= size;
        return 0;
    }
    if (m->kind == KP_LARGE && off == 0) {
        h->allocations--;
        h->used_bytes -= m->asked;
        pages_put(h, i, m->order);
        return 0;
    }
    return -EINVAL;
}

size_t kheap_usable(const struct kheap *h, const void *p)
{
    if (!kheap_contains(h, p))
        return 0;
    uint32_t i = page_index(h, p);
    const struct kheap_page *m = &h->meta[i];
    uintptr_t off = (uintptr_t)p - page_addr(h, i);

    if (m->kind == KP_SLAB) {
        unsigned int size = class_size(m->cls), slot = (unsigned int)(off / size);
        if (off % size || !(m->live[slot / 64] & (1ull << (slot % 64))))
            return 0;
        return size;
    }
    if (m->kind == KP_LARGE && off == 0)
        return KHEAP_PAGE << m->order;
    return 0;
}

uint64_t kheap_free_bytes(const struct kheap *h)
{
    return h->free_pages * KHEAP_PAGE;
}
