/* Fake backing, reference model and checkers for the EPT tests (see ept_harness.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lxds/errno.h>

#include "ept_harness.h"

#define FRAME 4096u

static void die(const char *what)
{
    fprintf(stderr, "ept harness: %s\n", what);
    abort();
}

/* --- fake physical memory ------------------------------------------------- */

static size_t fake_index(const struct fake_mem *fm, uint64_t pa)
{
    size_t idx;

    if (pa < FAKE_PA_BASE || (pa - FAKE_PA_BASE) % FRAME)
        die("physical address outside the fake memory or unaligned");
    idx = (pa - FAKE_PA_BASE) / FRAME;
    if (idx >= fm->cap || !fm->frames[idx])
        die("physical address of a frame that is not allocated");
    return idx;
}

static int fake_alloc(void *ctx, uint64_t *pa)
{
    struct fake_mem *fm = ctx;
    size_t idx;
    void *p;

    if (fm->used >= fm->limit || fm->nfree == 0)
        return -ENOMEM;
    p = aligned_alloc(FRAME, FRAME);
    if (!p)
        die("out of host memory");
    memset(p, 0xa5, FRAME);     /* garbage: the library must clear it */
    idx = fm->free_stack[--fm->nfree];
    fm->frames[idx] = p;
    fm->used++;
    fm->allocs++;
    *pa = FAKE_PA_BASE + (uint64_t)idx * FRAME;
    return 0;
}

static void fake_free(void *ctx, uint64_t pa)
{
    struct fake_mem *fm = ctx;
    size_t idx = fake_index(fm, pa);

    /* Released to the host allocator, so ASan reports any later use. */
    free(fm->frames[idx]);
    fm->frames[idx] = NULL;
    fm->free_stack[fm->nfree++] = idx;
    fm->used--;
    fm->frees++;
}

static void *fake_p2v(void *ctx, uint64_t pa)
{
    struct fake_mem *fm = ctx;

    return fm->frames[fake_index(fm, pa)];
}

void fake_mem_init(struct fake_mem *fm, size_t cap)
{
    memset(fm, 0, sizeof(*fm));
    fm->cap = cap;
    fm->limit = cap;
    fm->frames = calloc(cap, sizeof(*fm->frames));
    fm->free_stack = calloc(cap, sizeof(*fm->free_stack));
    if (!fm->frames || !fm->free_stack)
        die("out of host memory");
    /* Pushed in reverse so allocation starts at index 0. */
    for (size_t i = 0; i < cap; i++)
        fm->free_stack[i] = cap - 1 - i;
    fm->nfree = cap;
    fm->backing = (struct ept_backing){ .ctx = fm, .alloc_table = fake_alloc,
                                        .free_table = fake_free, .phys_to_virt = fake_p2v };
}

void fake_mem_fini(struct fake_mem *fm)
{
    if (fm->used != 0 || fm->allocs != fm->frees)
        die("frames leaked");
    free(fm->frames);
    free(fm->free_stack);
}

/* --- reference model -------------------------------------------------------- */

void ref_init(struct ref_model *m)
{
    memset(m, 0, sizeof(*m));
}

void ref_fini(struct ref_model *m)
{
    free(m->r);
    memset(m, 0, sizeof(*m));
}

static void ref_reserve(struct ref_model *m, size_t n)
{
    if (n <= m->cap)
        return;
    m->cap = n < 64 ? 64 : n * 2;
    m->r = realloc(m->r, m->cap * sizeof(*m->r));
    if (!m->r)
        die("out of host memory");
}

void ref_copy(struct ref_model *dst, const struct ref_model *src)
{
    ref_init(dst);
    ref_reserve(dst, src->n);
    if (src->n)
        memcpy(dst->r, src->r, src->n * sizeof(*src->r));
    dst->n = src->n;
}

static void ref_insert_at(struct ref_model *m, size_t i, struct ref_range r)
{
    ref_reserve(m, m->n + 1);
    memmove(&m->r[i + 1], &m->r[i], (m->n - i) * sizeof(*m->r));
    m->r[i] = r;
    m->n++;
}

/* Splits the range containing at (strictly inside it) into two. */
static void ref_cut(struct ref_model *m, uint64_t at)
{
    for (size_t i = 0; i < m->n; i++) {
        struct ref_range *r = &m->r[i];

        if (r->gpa < at && at < r->end) {
            struct ref_range tail = *r;

            tail.hpa += at - r->gpa;
            tail.gpa = at;
            r->end = at;
            ref_insert_at(m, i + 1, tail);
            return;
        }
    }
}

void ref_unmap(struct ref_model *m, uint64_t gpa, uint64_t size)
{
    size_t out = 0;

    ref_cut(m, gpa);
    ref_cut(m, gpa + size);
    for (size_t i = 0; i < m->n; i++)
        if (m->r[i].end <= gpa || m->r[i].gpa >= gpa + size)
            m->r[out++] = m->r[i];
    m->n = out;
}

void ref_map(struct ref_model *m, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned rights,
             enum ept_memtype mt)
{
    size_t i = 0;

    ref_unmap(m, gpa, size);
    while (i < m->n && m->r[i].gpa < gpa)
        i++;
    ref_insert_at(m, i, (struct ref_range){ gpa, gpa + size, hpa, rights, mt });
}

bool ref_covered(const struct ref_model *m, uint64_t gpa, uint64_t size)
{
    uint64_t end = gpa + size, covered = 0;

    for (size_t i = 0; i < m->n; i++) {
        uint64_t lo = m->r[i].gpa > gpa ? m->r[i].gpa : gpa;
        uint64_t hi = m->r[i].end < end ? m->r[i].end : end;

        if (lo < hi)
            covered += hi - lo;
    }
    return covered == size;
}

void ref_protect(struct ref_model *m, uint64_t gpa, uint64_t size, unsigned rights)
{
    ref_cut(m, gpa);
    ref_cut(m, gpa + size);
    for (size_t i = 0; i < m->n; i++)
        if (m->r[i].gpa >= gpa && m->r[i].end <= gpa + size)
            m->r[i].rights = rights;
}

const struct ref_range *ref_lookup(const struct ref_model *m, uint64_t gpa)
{
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (m->r[mid].end <= gpa)
            lo = mid + 1;
        else if (m->r[mid].gpa > gpa)
            hi = mid;
        else
            return &m->r[mid];
    }
    return NULL;
}

uint64_t ref_mapped_bytes(const struct ref_model *m)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < m->n; i++)
        sum += m->r[i].end - m->r[i].gpa;
    return sum;
}

/* --- checks ----------------------------------------------------------------- */

/* Appends a range, merging it into the last one when it continues it exactly. */
static void coalesce_push(struct ref_model *out, struct ref_range r)
{
    if (out->n) {
        struct ref_range *last = &out->r[out->n - 1];

        if (last->end == r.gpa && last->hpa + (last->end - last->gpa) == r.hpa &&
            last->rights == r.rights && last->mt == r.mt) {
            last->end = r.end;
            return;
        }
    }
    ref_insert_at(out, out->n, r);
}

struct walk_state {
    struct ref_model out;
    uint64_t last_end;
    bool ordered;
};

static int walk_collect(void *arg, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned rights,
                        enum ept_memtype mt)
{
    struct walk_state *ws = arg;

    if (gpa < ws->last_end)
        ws->ordered = false;
    ws->last_end = gpa + size;
    coalesce_push(&ws->out, (struct ref_range){ gpa, gpa + size, hpa, rights, mt });
    return 0;
}

bool check_equal(const struct ept *ept, const struct ref_model *m)
{
    struct walk_state ws = { .ordered = true };
    struct ref_model want;
    bool ok = true;

    ref_init(&ws.out);
    ref_init(&want);
    if (ept_walk(ept, walk_collect, &ws) != 0) {
        fprintf(stderr, "check_equal: ept_walk failed\n");
        ok = false;
    }
    for (size_t i = 0; i < m->n; i++)
        coalesce_push(&want, m->r[i]);
    if (!ws.ordered) {
        fprintf(stderr, "check_equal: walk not in GPA order\n");
        ok = false;
    }
    if (ws.out.n != want.n) {
        fprintf(stderr, "check_equal: %zu coalesced ranges in the EPT, %zu in the model\n",
                ws.out.n, want.n);
        ok = false;
    }
    for (size_t i = 0; ok && i < want.n; i++) {
        const struct ref_range *a = &ws.out.r[i], *b = &want.r[i];

        if (memcmp(a, b, sizeof(*a)) != 0) {
            fprintf(stderr, "check_equal: range %zu: EPT %#llx-%#llx->%#llx r%u mt%u, "
                    "model %#llx-%#llx->%#llx r%u mt%u\n", i,
                    (unsigned long long)a->gpa, (unsigned long long)a->end,
                    (unsigned long long)a->hpa, a->rights, a->mt,
                    (unsigned long long)b->gpa, (unsigned long long)b->end,
                    (unsigned long long)b->hpa, b->rights, b->mt);
            ok = false;
        }
    }
    ref_fini(&ws.out);
    ref_fini(&want);
    return ok;
}

bool check_translate(const struct ept *ept, const struct ref_model *m, uint64_t gpa)
{
    const struct ref_range *r = ref_lookup(m, gpa);
    uint64_t hpa = 0, psize = 0;
    unsigned rights = 0;
    enum ept_memtype mt = 0;
    int err = ept_translate(ept, gpa, &hpa, &rights, &psize, &mt);

    if (gpa >> EPT_GPA_BITS) {
        if (err != -EINVAL) {
            fprintf(stderr, "check_translate: %#llx is beyond the GPA width, EPT says %d\n",
                    (unsigned long long)gpa, err);
            return false;
        }
        return true;
    }
    if (!r) {
        if (err != -ENOENT) {
            fprintf(stderr, "check_translate: %#llx unmapped in the model, EPT says %d\n",
                    (unsigned long long)gpa, err);
            return false;
        }
        return true;
    }
    if (err || hpa != r->hpa + (gpa - r->gpa) || rights != r->rights || mt != r->mt ||
        (psize != EPT_PAGE_4K && psize != EPT_PAGE_2M && psize != EPT_PAGE_1G)) {
        fprintf(stderr, "check_translate: %#llx: EPT err %d hpa %#llx r%u mt%u size %#llx, "
                "model hpa %#llx r%u mt%u\n", (unsigned long long)gpa, err,
                (unsigned long long)hpa, rights, mt, (unsigned long long)psize,
                (unsigned long long)(r->hpa + (gpa - r->gpa)), r->rights, r->mt);
        return false;
    }
    return true;
}

/* Raw format, as the SDM defines it and the library promises. */
#define E_RWX    0x7ull
#define E_MT     (0x7ull << 3)
#define E_IPAT   (1ull << 6)
#define E_LARGE  (1ull << 7)
#define E_AD     (3ull << 8)     /* accessed/dirty: set by the CPU, kept by the library */
#define E_ADDR   0x000ffffffffff000ull

/* Raw NPT format (x86-64 paging), as the APM defines it and the library promises. */
#define N_P      (1ull << 0)
#define N_RW     (1ull << 1)
#define N_US     (1ull << 2)
#define N_PWT    (1ull << 3)
#define N_PCD    (1ull << 4)
#define N_AD     (3ull << 5)
#define N_PAT4K  (1ull << 7)
#define N_PAT2M  (1ull << 12)
#define N_NX     (1ull << 63)

static uint64_t level_size(int level)
{
    return 1ull << (12 + 9 * level);
}

static bool is_leaf(uint64_t e, int level)
{
    return level == 0 || (e & E_LARGE);
}

struct audit {
    const struct ept *ept;
    uint64_t tables;
    bool ok;
};

static void audit_fail(struct audit *a, const char *why, int level, int i, uint64_t e)
{
    fprintf(stderr, "check_structure: level %d entry %d = %#llx: %s\n", level, i,
            (unsigned long long)e, why);
    a->ok = false;
}

/* The bits of a leaf at level that two leaves must share to be one large page. */
static uint64_t leaf_attr_bits(const struct ept *ept, int level)
{
    if (ept->format == EPT_FORMAT_VMX)
        return E_RWX | E_MT | E_IPAT;
    return N_P | N_RW | N_US | N_PWT | N_PCD | N_NX | (level > 0 ? N_PAT2M : N_PAT4K);
}

static uint64_t leaf_addr(uint64_t e, int level)
{
    return e & E_ADDR & ~(level_size(level) - 1);
}

/* Whether the 512 entries of t (one level below level) could be one leaf at level. */
static bool could_merge(const struct ept *ept, const uint64_t *t, int level)
{
    uint64_t base = leaf_addr(t[0], level - 1), attrs = leaf_attr_bits(ept, level - 1);

    if (base % level_size(level))
        return false;
    for (int i = 0; i < 512; i++) {
        if (!(t[i] & E_RWX) || !is_leaf(t[i], level - 1) ||
            (t[i] & attrs) != (t[0] & attrs) ||
            leaf_addr(t[i], level - 1) != base + (uint64_t)i * level_size(level - 1))
            return false;
    }
    return true;
}

static void audit_npt_leaf(struct audit *a, uint64_t e, int level, int i)
{
    unsigned pat = ((level > 0 ? e & N_PAT2M : e & N_PAT4K) ? 4 : 0) | (e & N_PCD ? 2 : 0) |
                   (e & N_PWT ? 1 : 0);

    if ((e & (N_P | N_US)) != (N_P | N_US))
        audit_fail(a, "leaf without P and U/S", level, i, e);
    if (pat == 2 || pat > 5)
        audit_fail(a, "PAT index outside WB/WT/UC/WC/WP", level, i, e);
    if (e & ~(E_ADDR | N_P | N_RW | N_US | N_PWT | N_PCD | N_AD | E_LARGE | N_NX))
        audit_fail(a, "stray bits in a leaf", level, i, e);
    if (leaf_addr(e, level) != (e & E_ADDR & ~(level > 0 ? N_PAT2M : 0)))
        audit_fail(a, "large page not aligned", level, i, e);
}

static void audit_table(struct audit *a, uint64_t pa, int level)
{
    const uint64_t *t = a->ept->mem->phys_to_virt(a->ept->mem->ctx, pa);
    bool any = false;

    a->tables++;
    for (int i = 0; i < 512; i++) {
        uint64_t e = t[i];

        if (!(e & E_RWX)) {
            if (e)
                audit_fail(a, "not present but not zero", level, i, e);
            continue;
        }
        any = true;
        if (level == 3 && (e & E_LARGE)) {
            audit_fail(a, "large bit in a PML4 entry", level, i, e);
        } else if (is_leaf(e, level) && a->ept->format == EPT_FORMAT_NPT) {
            audit_npt_leaf(a, e, level, i);
        } else if (is_leaf(e, level)) {
            uint64_t mt = (e & E_MT) >> 3;

            if ((e & 2) && !(e & 1))
                audit_fail(a, "write without read", level, i, e);
            if (mt == 2 || mt == 3 || mt == 7)
                audit_fail(a, "reserved memory type", level, i, e);
            if (!(e & E_IPAT))
                audit_fail(a, "ignore-PAT clear", level, i, e);
            if (e & ~(E_ADDR | E_RWX | E_MT | E_IPAT | E_LARGE | E_AD))
                audit_fail(a, "stray bits in a leaf", level, i, e);
            if ((e & E_ADDR) % level_size(level))
                audit_fail(a, "large page not aligned", level, i, e);
        } else {
            uint64_t child = e & E_ADDR;
            const uint64_t *ct;

            if (e != (child | E_RWX))
                audit_fail(a, "table entry is not address|RWX", level, i, e);
            audit_table(a, child, level - 1);
            ct = a->ept->mem->phys_to_virt(a->ept->mem->ctx, child);
            if ((level == 1 && a->ept->allow_2m) || (level == 2 && a->ept->allow_1g))
                if (could_merge(a->ept, ct, level))
                    audit_fail(a, "table should have been merged", level, i, e);
        }
    }
    if (!any && pa != a->ept->root)
        audit_fail(a, "empty table kept", level, -1, pa);
}

bool check_structure(const struct ept *ept, const struct fake_mem *fm)
{
    struct audit a = { .ept = ept, .ok = true };

    audit_table(&a, ept->root, 3);
    if (a.tables != ept->tables || ept->tables != fm->used) {
        fprintf(stderr, "check_structure: %llu tables reachable, ept->tables %llu, "
                "backing holds %zu\n", (unsigned long long)a.tables,
                (unsigned long long)ept->tables, fm->used);
        a.ok = false;
    }
    return a.ok;
}

static int walk_count(void *arg, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned rights,
                      enum ept_memtype mt)
{
    uint64_t *counts = arg;

    (void)gpa, (void)hpa, (void)rights, (void)mt;
    counts[size == EPT_PAGE_4K ? 0 : size == EPT_PAGE_2M ? 1 : 2]++;
    return 0;
}

void count_leaves(const struct ept *ept, uint64_t counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
    ept_walk(ept, walk_count, counts);
}

uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

uint64_t rng_below(uint64_t *s, uint64_t n)
{
    return n ? rng_next(s) % n : 0;
}
