/* EPT library: map, unmap, protect, translate and tear down 4-level EPTs,
 * in Intel's EPT format or AMD's nested-paging (NPT) format.
 *
 * Every edit runs in two passes over the same range (see ept_run):
 *  1. prepare: allocate the tables the edit needs and split the large pages it
 *     cuts. Neither changes a translation, so a failure here (-ENOMEM, or
 *     -ENOENT for ept_protect) leaves the mapping as it was.
 *  2. apply: write the leaves. All tables exist by now, so this cannot fail.
 * Then a tidy pass over the range frees empty tables and merges full uniform
 * tables into large pages, which also undoes a failed prepare.
 *
 * The two formats differ only in how a leaf encodes its rights, memory type
 * and A/D bits (ept_leaf_attrs / ept_make_leaf); tables, large pages (bit 7),
 * the walk and the canonical form are the same.  Inside the library a leaf's
 * attributes travel in one format-neutral word: rights in bits 0-2, memory
 * type in bits 3-5, A/D in bits 8-9. */
#include <lxds/compiler.h>
#include <lxds/ept.h>
#include <lxds/errno.h>
#include <lxds/string.h>

#define EPT_ENTRIES     512
#define EPT_ROOT_LEVEL  3       /* PML4 = 3, PDPT = 2, PD = 1, PT = 0 */

#define EPTE_RWX        0x7ull
#define EPTE_MT_SHIFT   3
#define EPTE_MT_MASK    (0x7ull << EPTE_MT_SHIFT)
#define EPTE_IPAT       (1ull << 6)
#define EPTE_LARGE      (1ull << 7)
#define EPTE_AD         (3ull << 8)
#define EPTE_ADDR       0x000ffffffffff000ull

/* NPT (x86-64 paging) entry bits */
#define NPTE_P          (1ull << 0)
#define NPTE_RW         (1ull << 1)
#define NPTE_US         (1ull << 2)     /* nested walks are user accesses: always set */
#define NPTE_PWT        (1ull << 3)
#define NPTE_PCD        (1ull << 4)
#define NPTE_A          (1ull << 5)
#define NPTE_D          (1ull << 6)
#define NPTE_PAT_4K     (1ull << 7)
#define NPTE_PAT_LARGE  (1ull << 12)
#define NPTE_NX         (1ull << 63)

/* The format-neutral attribute word (see the top of the file). */
#define ATTR_RIGHTS     0x7ull
#define ATTR_MT_SHIFT   3
#define ATTR_MT_MASK    (0x7ull << ATTR_MT_SHIFT)
#define ATTR_AD_SHIFT   8
#define ATTR_AD         (3ull << ATTR_AD_SHIFT)

#define EPT_GPA_LIMIT   (1ull << EPT_GPA_BITS)
#define EPT_HPA_LIMIT   (1ull << EPT_HPA_BITS)

enum ept_op_kind { EPT_OP_MAP, EPT_OP_UNMAP, EPT_OP_PROTECT };

/* One edit of [lo, hi), run once to prepare and once to apply. */
struct ept_op {
    enum ept_op_kind kind;
    bool prepare;
    uint64_t lo, hi;
    uint64_t hpa;               /* map: the HPA of lo */
    unsigned rights;
    enum ept_memtype mt;
};

static inline uint64_t ept_level_size(int level)
{
    return 1ull << (PAGE_SHIFT + 9 * level);
}

static inline unsigned ept_index(uint64_t gpa, int level)
{
    return (gpa >> (PAGE_SHIFT + 9 * level)) & (EPT_ENTRIES - 1);
}

static inline bool ept_present(uint64_t e)
{
    return (e & EPTE_RWX) != 0;
}

static inline bool ept_is_leaf(uint64_t e, int level)
{
    return level == 0 || (e & EPTE_LARGE);
}

static inline uint64_t *ept_table(const struct ept *ept, uint64_t pa)
{
    return ept->mem->phys_to_virt(ept->mem->ctx, pa);
}

/* A single 64-bit store, so a CPU walking the EPT concurrently sees the old or
 * the new entry, never a mix. */
static inline void ept_write(uint64_t *pte, uint64_t val)
{
    *(volatile uint64_t *)pte = val;
}

/*
 * NPT memory types are PAT indexes (PAT, PCD, PWT) into the host's PAT, which
 * the SVM backend programs as EPT_NPT_HOST_PAT: 0 WB, 1 WT, 3 UC, 4 WC, 5 WP.
 */
static unsigned npt_pat_index(enum ept_memtype mt)
{
    switch (mt) {
    case EPT_MT_WB: return 0;
    case EPT_MT_WT: return 1;
    case EPT_MT_WC: return 4;
    case EPT_MT_WP: return 5;
    default:        return 3;   /* UC */
    }
}

static enum ept_memtype npt_memtype(unsigned pat_index)
{
    static const enum ept_memtype types[8] = {
        EPT_MT_WB, EPT_MT_WT, EPT_MT_UC, EPT_MT_UC, EPT_MT_WC, EPT_MT_WP, EPT_MT_UC, EPT_MT_UC,
    };

    return types[pat_index & 7];
}

/* A leaf's address (a large NPT leaf keeps its PAT bit at bit 12). */
static inline uint64_t ept_leaf_addr(uint64_t e, int level)
{
    return e & EPTE_ADDR & ~(ept_level_size(level) - 1);
}

/* The format-neutral attribute word of a leaf at level. */
static uint64_t ept_leaf_attrs(const struct ept *ept, uint64_t e, int level)
{
    if (ept->format == EPT_FORMAT_VMX)
        return (e & (EPTE_RWX | EPTE_MT_MASK)) | (e & EPTE_AD);
    uint64_t pat = level > 0 ? e & NPTE_PAT_LARGE : e & NPTE_PAT_4K;
    unsigned idx = (pat ? 4 : 0) | (e & NPTE_PCD ? 2 : 0) | (e & NPTE_PWT ? 1 : 0);
    uint64_t a = EPT_R | (e & NPTE_RW ? EPT_W : 0) | (e & NPTE_NX ? 0 : EPT_X);

    return a | ((uint64_t)npt_memtype(idx) << ATTR_MT_SHIFT) |
           (e & NPTE_A ? 1ull << ATTR_AD_SHIFT : 0) | (e & NPTE_D ? 2ull << ATTR_AD_SHIFT : 0);
}

/* A leaf at level for hpa with the attributes of a format-neutral word. */
static uint64_t ept_make_leaf_attrs(const struct ept *ept, uint64_t hpa, int level, uint64_t attrs)
{
    unsigned rights = attrs & ATTR_RIGHTS;
    enum ept_memtype mt = (enum ept_memtype)((attrs & ATTR_MT_MASK) >> ATTR_MT_SHIFT);

    if (ept->format == EPT_FORMAT_VMX)
        return hpa | rights | ((uint64_t)mt << EPTE_MT_SHIFT) | EPTE_IPAT | (attrs & EPTE_AD) |
               (level > 0 ? EPTE_LARGE : 0);
    unsigned idx = npt_pat_index(mt);
    uint64_t e = hpa | NPTE_P | NPTE_US | (rights & EPT_W ? NPTE_RW : 0) |
                 (rights & EPT_X ? 0 : NPTE_NX) | (idx & 1 ? NPTE_PWT : 0) |
                 (idx & 2 ? NPTE_PCD : 0) | (attrs & (1ull << ATTR_AD_SHIFT) ? NPTE_A : 0) |
                 (attrs & (2ull << ATTR_AD_SHIFT) ? NPTE_D : 0);

    if (idx & 4)
        e |= level > 0 ? NPTE_PAT_LARGE : NPTE_PAT_4K;
    return e | (level > 0 ? EPTE_LARGE : 0);
}

static uint64_t ept_make_leaf(const struct ept *ept, uint64_t hpa, int level, unsigned rights,
                              enum ept_memtype mt)
{
    return ept_make_leaf_attrs(ept, hpa, level, rights | ((uint64_t)mt << ATTR_MT_SHIFT));
}

static int ept_alloc_table(struct ept *ept, uint64_t *pa)
{
    int err = ept->mem->alloc_table(ept->mem->ctx, pa);

    if (err)
        return err < 0 ? err : -ENOMEM;
    memset(ept_table(ept, *pa), 0, PAGE_SIZE);
    ept->tables++;
    return 0;
}

static void ept_free_table(struct ept *ept, uint64_t pa)
{
    ept->mem->free_table(ept->mem->ctx, pa);
    ept->tables--;
}

/* Frees the tables under an entry at level (nothing for a leaf or a hole). */
static void ept_free_subtree(struct ept *ept, uint64_t e, int level)
{
    uint64_t *t;

    if (!ept_present(e) || ept_is_leaf(e, level))
        return;
    t = ept_table(ept, e & EPTE_ADDR);
    if (level > 1)
        for (int i = 0; i < EPT_ENTRIES; i++)
            ept_free_subtree(ept, t[i], level - 1);
    ept_free_table(ept, e & EPTE_ADDR);
}

/* Replaces an entry, freeing the tables the old one pointed to. */
static void ept_replace(struct ept *ept, uint64_t *pte, int level, uint64_t val)
{
    uint64_t old = *pte;

    ept_write(pte, val);
    ept_free_subtree(ept, old, level);
}

/* Turns a large leaf at level into a table of 512 leaves one level down that
 * translate exactly the same. The table is complete before it is linked. */
static int ept_split(struct ept *ept, uint64_t *pte, int level)
{
    uint64_t child_size = ept_level_size(level - 1);
    uint64_t base = ept_leaf_addr(*pte, level);
    uint64_t attrs = ept_leaf_attrs(ept, *pte, level);
    uint64_t pa, *t;
    int err;

    err = ept_alloc_table(ept, &pa);
    if (err)
        return err;
    t = ept_table(ept, pa);
    for (int i = 0; i < EPT_ENTRIES; i++)
        t[i] = ept_make_leaf_attrs(ept, base + i * child_size, level - 1, attrs);
    ept_write(pte, pa | EPTE_RWX);
    return 0;
}

static int ept_walk_range(struct ept *ept, const struct ept_op *op, uint64_t table_pa,
                          int level, uint64_t base);

/* Goes one level down under *pte, first (when preparing) making it a table:
 * a new empty one for a hole if create, or the split of a large leaf. */
static int ept_descend(struct ept *ept, const struct ept_op *op, uint64_t *pte, int level,
                       uint64_t entry_gpa, bool create)
{
    int err;

    if (!ept_present(*pte)) {
        uint64_t pa;

        if (!create)
            return 0;
        if (!op->prepare)
            return -EFAULT;     /* prepare should have made it: a library bug */
        err = ept_alloc_table(ept, &pa);
        if (err)
            return err;
        ept_write(pte, pa | EPTE_RWX);
    } else if (ept_is_leaf(*pte, level)) {
        if (!op->prepare)
            return -EFAULT;
        err = ept_split(ept, pte, level);
        if (err)
            return err;
    }
    return ept_walk_range(ept, op, *pte & EPTE_ADDR, level - 1, entry_gpa);
}

/* Whether a map can put one leaf at level for the entry starting at gpa. */
static bool ept_leaf_fits(const struct ept *ept, const struct ept_op *op, int level, uint64_t gpa)
{
    uint64_t hpa = op->hpa + (gpa - op->lo);

    switch (level) {
    case 0: return true;
    case 1: return ept->allow_2m && IS_ALIGNED(hpa, EPT_PAGE_2M);
    case 2: return ept->allow_1g && IS_ALIGNED(hpa, EPT_PAGE_1G);
    default: return false;
    }
}

static int ept_op_map(struct ept *ept, const struct ept_op *op, uint64_t *pte, int level,
                      uint64_t entry_gpa, bool full)
{
    if (full && ept_leaf_fits(ept, op, level, entry_gpa)) {
        if (!op->prepare)
            ept_replace(ept, pte, level,
                        ept_make_leaf(ept, op->hpa + (entry_gpa - op->lo), level, op->rights,
                                      op->mt));
        return 0;
    }
    return ept_descend(ept, op, pte, level, entry_gpa, true);
}

static int ept_op_unmap(struct ept *ept, const struct ept_op *op, uint64_t *pte, int level,
                        uint64_t entry_gpa, bool full)
{
    if (!ept_present(*pte))
        return 0;
    if (full) {
        if (!op->prepare)
            ept_replace(ept, pte, level, 0);
        return 0;
    }
    return ept_descend(ept, op, pte, level, entry_gpa, false);
}

static int ept_op_protect(struct ept *ept, const struct ept_op *op, uint64_t *pte, int level,
                          uint64_t entry_gpa, bool full)
{
    if (!ept_present(*pte))
        return -ENOENT;
    if (full && ept_is_leaf(*pte, level)) {
        if (!op->prepare)
            ept_write(pte, ept_make_leaf_attrs(ept, ept_leaf_addr(*pte, level), level,
                                               (ept_leaf_attrs(ept, *pte, level) & ~ATTR_RIGHTS) |
                                               op->rights));
        return 0;
    }
    return ept_descend(ept, op, pte, level, entry_gpa, false);
}

/* Runs op on every entry of the table at level (covering GPAs from base) that
 * overlaps [op->lo, op->hi). */
static int ept_walk_range(struct ept *ept, const struct ept_op *op, uint64_t table_pa,
                          int level, uint64_t base)
{
    uint64_t *t = ept_table(ept, table_pa);
    uint64_t size = ept_level_size(level);
    uint64_t gpa = MAX(op->lo, base);
    uint64_t end = MIN(op->hi, base + size * EPT_ENTRIES);

    while (gpa < end) {
        uint64_t entry_gpa = ALIGN_DOWN(gpa, size);
        uint64_t next = MIN(entry_gpa + size, end);
        bool full = gpa == entry_gpa && next == entry_gpa + size;
        uint64_t *pte = &t[ept_index(gpa, level)];
        int err;

        switch (op->kind) {
        case EPT_OP_MAP:   err = ept_op_map(ept, op, pte, level, entry_gpa, full); break;
        case EPT_OP_UNMAP: err = ept_op_unmap(ept, op, pte, level, entry_gpa, full); break;
        default:           err = ept_op_protect(ept, op, pte, level, entry_gpa, full); break;
        }
        if (err)
            return err;
        gpa = next;
    }
    return 0;
}

/* If the table (one level below level) holds 512 leaves mapping one aligned,
 * contiguous range with the same attributes, returns the equivalent large leaf
 * for level in *leaf. */
static bool ept_mergeable(const struct ept *ept, const uint64_t *t, int level, uint64_t *leaf)
{
    uint64_t child_size = ept_level_size(level - 1);
    uint64_t first = t[0], base = ept_leaf_addr(first, level - 1), ad = 0;
    uint64_t attrs = ept_leaf_attrs(ept, first, level - 1) & ~ATTR_AD;

    if ((level == 1 && !ept->allow_2m) || (level == 2 && !ept->allow_1g) || level > 2)
        return false;
    if (!ept_present(first) || !ept_is_leaf(first, level - 1) ||
        !IS_ALIGNED(base, ept_level_size(level)))
        return false;
    for (int i = 0; i < EPT_ENTRIES; i++) {
        uint64_t e = t[i];

        if (!ept_present(e) || !ept_is_leaf(e, level - 1))
            return false;
        uint64_t ea = ept_leaf_attrs(ept, e, level - 1);
        if ((ea & ~ATTR_AD) != attrs || ept_leaf_addr(e, level - 1) != base + i * child_size)
            return false;
        ad |= ea & ATTR_AD;
    }
    *leaf = ept_make_leaf_attrs(ept, base, level, attrs | ad);
    return true;
}

static bool ept_table_empty(const uint64_t *t)
{
    for (int i = 0; i < EPT_ENTRIES; i++)
        if (ept_present(t[i]))
            return false;
    return true;
}

/* Bottom-up over the entries of a table that overlap [lo, hi): frees tables
 * left empty and merges tables that can be one large page. Restores the
 * canonical form after an edit or a failed prepare. */
static void ept_tidy(struct ept *ept, uint64_t lo, uint64_t hi, uint64_t table_pa, int level,
                     uint64_t base)
{
    uint64_t *t = ept_table(ept, table_pa);
    uint64_t size = ept_level_size(level);
    uint64_t gpa = MAX(lo, base);
    uint64_t end = MIN(hi, base + size * EPT_ENTRIES);

    for (; gpa < end; gpa = ALIGN_DOWN(gpa, size) + size) {
        uint64_t *pte = &t[ept_index(gpa, level)];
        uint64_t child_pa = *pte & EPTE_ADDR, leaf;
        uint64_t *child;

        if (!ept_present(*pte) || ept_is_leaf(*pte, level))
            continue;
        if (level > 1)
            ept_tidy(ept, lo, hi, child_pa, level - 1, ALIGN_DOWN(gpa, size));
        child = ept_table(ept, child_pa);
        if (ept_table_empty(child)) {
            ept_write(pte, 0);
            ept_free_table(ept, child_pa);
        } else if (ept_mergeable(ept, child, level, &leaf)) {
            ept_write(pte, leaf);
            ept_free_table(ept, child_pa);
        }
    }
}

static int ept_run(struct ept *ept, struct ept_op *op)
{
    int err;

    op->prepare = true;
    err = ept_walk_range(ept, op, ept->root, EPT_ROOT_LEVEL, 0);
    if (!err) {
        op->prepare = false;
        err = ept_walk_range(ept, op, ept->root, EPT_ROOT_LEVEL, 0);
    }
    ept_tidy(ept, op->lo, op->hi, ept->root, EPT_ROOT_LEVEL, 0);
    return err;
}

/* Checks a GPA range shared by every editing call. */
static int ept_check_range(const struct ept *ept, uint64_t gpa, uint64_t size)
{
    if (!ept || !ept->mem)
        return -EINVAL;
    if (size == 0 || !IS_ALIGNED(gpa, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE))
        return -EINVAL;
    if (gpa >= EPT_GPA_LIMIT || size > EPT_GPA_LIMIT - gpa)
        return -EINVAL;
    return 0;
}

/* EPT forbids write without read (a misconfiguration), and 0 means not present;
 * NPT cannot express a page that is not readable (no execute-only pages). */
static int ept_check_rights(const struct ept *ept, unsigned rights)
{
    if (rights == 0 || (rights & ~EPT_RWX))
        return -EINVAL;
    if ((rights & EPT_W) && !(rights & EPT_R))
        return -EINVAL;
    if (ept->format == EPT_FORMAT_NPT && !(rights & EPT_R))
        return -EINVAL;
    return 0;
}

static int ept_check_memtype(enum ept_memtype mt)
{
    switch (mt) {
    case EPT_MT_UC: case EPT_MT_WC: case EPT_MT_WT: case EPT_MT_WP: case EPT_MT_WB:
        return 0;
    default:
        return -EINVAL;
    }
}

int ept_init(struct ept *ept, const struct ept_backing *mem, enum ept_format format,
             bool allow_2m, bool allow_1g)
{
    int err;

    if (!ept || !mem || !mem->alloc_table || !mem->free_table || !mem->phys_to_virt)
        return -EINVAL;
    if (allow_1g && !allow_2m)
        return -EINVAL;
    if (format != EPT_FORMAT_VMX && format != EPT_FORMAT_NPT)
        return -EINVAL;
    ept->format = format;
    ept->mem = mem;
    ept->tables = 0;
    ept->allow_2m = allow_2m;
    ept->allow_1g = allow_1g;
    err = ept_alloc_table(ept, &ept->root);
    if (err)
        ept->mem = NULL;
    return err;
}

int ept_map(struct ept *ept, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned rights,
            enum ept_memtype mt)
{
    struct ept_op op = { .kind = EPT_OP_MAP, .lo = gpa, .hi = gpa + size, .hpa = hpa,
                         .rights = rights, .mt = mt };
    int err;

    err = ept_check_range(ept, gpa, size);
    if (!err)
        err = ept_check_rights(ept, rights);
    if (!err)
        err = ept_check_memtype(mt);
    if (err)
        return err;
    if (!IS_ALIGNED(hpa, PAGE_SIZE) || hpa >= EPT_HPA_LIMIT || size > EPT_HPA_LIMIT - hpa)
        return -EINVAL;
    return ept_run(ept, &op);
}

int ept_unmap(struct ept *ept, uint64_t gpa, uint64_t size)
{
    struct ept_op op = { .kind = EPT_OP_UNMAP, .lo = gpa, .hi = gpa + size };
    int err = ept_check_range(ept, gpa, size);

    return err ? err : ept_run(ept, &op);
}

int ept_protect(struct ept *ept, uint64_t gpa, uint64_t size, unsigned rights)
{
    struct ept_op op = { .kind = EPT_OP_PROTECT, .lo = gpa, .hi = gpa + size,
                         .rights = rights };
    int err;

    err = ept_check_range(ept, gpa, size);
    if (!err)
        err = ept_check_rights(ept, rights);
    return err ? err : ept_run(ept, &op);
}

int ept_translate(const struct ept *ept, uint64_t gpa, uint64_t *hpa, unsigned *rights,
                  uint64_t *page_size, enum ept_memtype *mt)
{
    uint64_t table_pa;

    if (!ept || !ept->mem || gpa >= EPT_GPA_LIMIT)
        return -EINVAL;
    table_pa = ept->root;
    for (int level = EPT_ROOT_LEVEL; level >= 0; level--) {
        uint64_t e = ept_table(ept, table_pa)[ept_index(gpa, level)];
        uint64_t size = ept_level_size(level);

        if (!ept_present(e))
            return -ENOENT;
        if (ept_is_leaf(e, level)) {
            uint64_t a = ept_leaf_attrs(ept, e, level);
            if (hpa)
                *hpa = ept_leaf_addr(e, level) + (gpa & (size - 1));
            if (rights)
                *rights = a & ATTR_RIGHTS;
            if (page_size)
                *page_size = size;
            if (mt)
                *mt = (enum ept_memtype)((a & ATTR_MT_MASK) >> ATTR_MT_SHIFT);
            return 0;
        }
        table_pa = e & EPTE_ADDR;
    }
    return -ENOENT;     /* not reached: level 0 entries are leaves */
}

void ept_destroy(struct ept *ept)
{
    if (!ept || !ept->mem)
        return;
    ept_free_subtree(ept, ept->root | EPTE_RWX, EPT_ROOT_LEVEL + 1);
    ept->root = 0;
    ept->mem = NULL;
}

uint64_t ept_eptp(const struct ept *ept, bool enable_ad)
{
    return ept->root | EPT_MT_WB | (3ull << 3) | (enable_ad ? 1ull << 6 : 0);
}

static int ept_walk_table(const struct ept *ept, uint64_t table_pa, int level, uint64_t base,
                          ept_walk_fn fn, void *arg)
{
    const uint64_t *t = ept_table(ept, table_pa);
    uint64_t size = ept_level_size(level);

    for (int i = 0; i < EPT_ENTRIES; i++) {
        uint64_t e = t[i], gpa = base + i * size;
        int ret;

        if (!ept_present(e))
            continue;
        if (ept_is_leaf(e, level)) {
            uint64_t a = ept_leaf_attrs(ept, e, level);
            ret = fn(arg, gpa, ept_leaf_addr(e, level), size, a & ATTR_RIGHTS,
                     (enum ept_memtype)((a & ATTR_MT_MASK) >> ATTR_MT_SHIFT));
        } else {
            ret = ept_walk_table(ept, e & EPTE_ADDR, level - 1, gpa, fn, arg);
        }
        if (ret)
            return ret;
    }
    return 0;
}

int ept_walk(const struct ept *ept, ept_walk_fn fn, void *arg)
{
    if (!ept || !ept->mem || !fn)
        return -EINVAL;
    return ept_walk_table(ept, ept->root, EPT_ROOT_LEVEL, 0, fn, arg);
}
