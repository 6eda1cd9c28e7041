/* Shared by the EPT unit tests and the EPT fuzzer: a fake physical-memory
 * backing, a reference model of the mapping, and checkers that compare an EPT
 * with the model and audit the raw table format. Checkers return false and
 * print why, so both cmocka and libFuzzer can use them. */
#ifndef EPT_HARNESS_H
#define EPT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lxds/ept.h>

/* --- fake physical memory ------------------------------------------------- */

/* Fake physical addresses start high (bit 51 region) to catch address masking. */
#define FAKE_PA_BASE 0x000f000000000000ull

struct fake_mem {
    struct ept_backing backing;
    size_t cap;             /* frames that exist */
    size_t limit;           /* allocations fail once used reaches this */
    size_t used;            /* frames currently handed out */
    uint64_t allocs, frees; /* totals */
    void **frames;          /* by index; NULL when free */
    size_t *free_stack;     /* free indices */
    size_t nfree;
};

void fake_mem_init(struct fake_mem *fm, size_t cap);
void fake_mem_fini(struct fake_mem *fm);    /* aborts if frames are still held */

/* --- reference model: sorted, non-overlapping ranges ----------------------- */

struct ref_range {
    uint64_t gpa, end, hpa;
    unsigned rights;
    enum ept_memtype mt;
};

struct ref_model {
    struct ref_range *r;
    size_t n, cap;
};

void ref_init(struct ref_model *m);
void ref_fini(struct ref_model *m);
void ref_copy(struct ref_model *dst, const struct ref_model *src);
void ref_map(struct ref_model *m, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned rights,
             enum ept_memtype mt);
void ref_unmap(struct ref_model *m, uint64_t gpa, uint64_t size);
bool ref_covered(const struct ref_model *m, uint64_t gpa, uint64_t size);
void ref_protect(struct ref_model *m, uint64_t gpa, uint64_t size, unsigned rights);
const struct ref_range *ref_lookup(const struct ref_model *m, uint64_t gpa);
uint64_t ref_mapped_bytes(const struct ref_model *m);

/* --- checks ----------------------------------------------------------------- */

/* Every leaf of the EPT, coalesced, equals the model, coalesced. */
bool check_equal(const struct ept *ept, const struct ref_model *m);
/* ept_translate of one GPA agrees with the model. */
bool check_translate(const struct ept *ept, const struct ref_model *m, uint64_t gpa);
/* Raw format and canonical form: entry bits, no empty non-root table, no
 * table that should have been merged, ept->tables equals the tables reachable
 * and the frames the backing has handed out. */
bool check_structure(const struct ept *ept, const struct fake_mem *fm);

/* Counts leaves by size (index 0 = 4K, 1 = 2M, 2 = 1G). */
void count_leaves(const struct ept *ept, uint64_t counts[3]);

/* A small, seedable PRNG (xorshift64*), so runs are reproducible. */
uint64_t rng_next(uint64_t *s);
uint64_t rng_below(uint64_t *s, uint64_t n);

#endif
