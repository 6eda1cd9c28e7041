/* EPT library: builds and edits a domain's stage-2 translation, 4-level, in
 * one of two formats chosen at ept_init: Intel EPT (SDM Vol. 3, "EPT") or AMD
 * nested paging (NPT: ordinary x86-64 page tables, APM Vol. 2 15.25). The
 * contract below is the same for both. Portable C: compiled into the
 * hypervisor and into host unit tests. Table frames come from a
 * caller-provided backing.
 *
 * Entry format written here:
 *  - leaf (4 KiB PTE, 2 MiB PDE, 1 GiB PDPTE): bits 0-2 R/W/X, bits 3-5 memory
 *    type, bit 6 ignore-PAT (always set: the EPT type rules, not the guest PAT),
 *    bit 7 large page on 2 MiB/1 GiB leaves, A/D (bits 8/9) zero on new
 *    mappings; every other bit zero.
 *  - table entry: R/W/X all set (permissions are decided at the leaf).
 * NPT format (EPT_FORMAT_NPT):
 *  - leaf: P and U/S always (nested walks are user accesses), R/W from EPT_W,
 *    NX unless EPT_X, PS (bit 7) on large leaves, the memory type as a PAT
 *    index (PAT bit 7 or 12, PCD, PWT) into EPT_NPT_HOST_PAT, which the
 *    hypervisor must load into IA32_PAT (WB 0, WT 1, UC 3, WC 4, WP 5); A/D
 *    (bits 5/6) zero on new mappings. Every page is readable: rights without
 *    EPT_R are -EINVAL.
 *  - table entry: P, R/W and U/S set (bits 0-2, as EPT's R/W/X).
 *  - the root is the nested CR3 (nCR3) as it is.
 *
 * Canonical form: after every call the EPT holds no empty table (other than
 * the root) and, where the page size is allowed, no table whose 512 entries
 * could be one large page. So the mapping alone decides which tables exist.
 *
 * Errors leave the EPT unchanged: every editing call first allocates the
 * tables it will need and splits the large pages it must (neither changes any
 * translation), then edits, which cannot fail. If the first step fails, the
 * splits are merged back and the unused tables freed before returning.
 *
 * The caller must:
 *  - serialise calls on one EPT (no internal lock);
 *  - issue INVEPT after ept_unmap, ept_protect and an ept_map over a mapped
 *    range (this library never does: it is arch-neutral). Tables are returned
 *    to free_table immediately, but a CPU may still hold them in its
 *    paging-structure caches until that INVEPT: free_table must not let a
 *    frame be reused before it (pause the EPT's vCPUs or queue the frames).
 *    Entries are written with single 64-bit stores and new tables are filled
 *    before they are linked, so a CPU walking concurrently never sees a
 *    half-built table.
 *  - issue the equivalent flush for NPT (a TLB flush of the ASIDs using it).
 *  - only pass execute-only rights (EPT_X alone) when IA32_VMX_EPT_VPID_CAP
 *    bit 0 says the CPU supports them (never with NPT).
 *
 * A/D bits: ept_protect keeps them; splitting a large page copies them to
 * every piece; merging ORs them (over-reporting, never losing, a dirty bit).
 */
#ifndef LXDS_EPT_H
#define LXDS_EPT_H

#include <lxds/types.h>

/* Where table frames come from. */
struct ept_backing {
    void *ctx;
    /* One 4 KiB frame, any contents (the library clears it): 0 or -ENOMEM. */
    int (*alloc_table)(void *ctx, uint64_t *pa);
    void (*free_table)(void *ctx, uint64_t pa);
    /* Where the library can read and write a frame (identity in the hypervisor). */
    void *(*phys_to_virt)(void *ctx, uint64_t pa);
};

#define EPT_R   1u
#define EPT_W   2u
#define EPT_X   4u
#define EPT_RWX 7u

enum ept_memtype {
    EPT_MT_UC = 0,
    EPT_MT_WC = 1,
    EPT_MT_WT = 4,
    EPT_MT_WP = 5,
    EPT_MT_WB = 6,
};

enum ept_format {
    EPT_FORMAT_VMX,     /* Intel EPT */
    EPT_FORMAT_NPT,     /* AMD nested paging: x86-64 page tables */
};

/* The host PAT the NPT format's memory types index (WB WT UC- UC WC WP UC- UC). */
#define EPT_NPT_HOST_PAT 0x0007050100070406ull

#define EPT_PAGE_4K   0x1000ull
#define EPT_PAGE_2M   0x200000ull
#define EPT_PAGE_1G   0x40000000ull
#define EPT_GPA_BITS  48    /* 4-level EPT translates 48-bit guest-physical addresses */
#define EPT_HPA_BITS  52    /* the architectural maximum physical-address width */

struct ept {
    const struct ept_backing *mem;  /* NULL once destroyed */
    enum ept_format format;
    uint64_t root;                  /* PML4 physical address */
    uint64_t tables;                /* table frames currently held, root included */
    bool allow_2m, allow_1g;        /* from IA32_VMX_EPT_VPID_CAP bits 16/17 */
};

/* Allocates an empty root. 0; -EINVAL if a backing callback is missing, the
 * format is unknown or allow_1g is set without allow_2m (splitting a 1 GiB page
 * needs 2 MiB pages); -ENOMEM. */
int ept_init(struct ept *ept, const struct ept_backing *mem, enum ept_format format,
             bool allow_2m, bool allow_1g);

/* Maps [gpa, gpa+size) to [hpa, hpa+size) with rights (EPT_R|W|X) and memory
 * type, using the largest pages the alignment of gpa and hpa (and allow_2m/1g)
 * allows. Remapping a mapped range replaces it, splitting large pages at the
 * edges. Returns 0; -EINVAL (gpa/hpa/size not 4 KiB aligned, size 0, range
 * beyond 48-bit GPA or 52-bit HPA or wrapping, rights 0 or outside RWX, W
 * without R, unknown memory type, destroyed EPT); -ENOMEM (EPT unchanged). */
int ept_map(struct ept *ept, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned rights,
            enum ept_memtype mt);

/* Unmaps [gpa, gpa+size), splitting large pages at the edges; holes are fine.
 * Frees tables that become empty. 0; -EINVAL (as ept_map); -ENOMEM (a large
 * page had to be split; EPT unchanged). */
int ept_unmap(struct ept *ept, uint64_t gpa, uint64_t size);

/* Sets the rights of every page in [gpa, gpa+size), splitting large pages at
 * the edges and merging where possible afterwards. 0; -EINVAL (as ept_map);
 * -ENOENT if any page in the range is unmapped; -ENOMEM (possibly before a
 * hole is found). On any error the EPT is unchanged. */
int ept_protect(struct ept *ept, uint64_t gpa, uint64_t size, unsigned rights);

/* Translates one GPA: 0 with the byte-exact *hpa, the leaf's *rights,
 * *page_size (EPT_PAGE_4K/2M/1G) and *mt; -ENOENT if unmapped; -EINVAL if gpa
 * is beyond 48 bits or the EPT is destroyed. Any out pointer may be NULL. */
int ept_translate(const struct ept *ept, uint64_t gpa, uint64_t *hpa, unsigned *rights,
                  uint64_t *page_size, enum ept_memtype *mt);

/* Frees every table frame, root included; the EPT is then unusable (calls
 * return -EINVAL) until ept_init. Safe to call twice. */
void ept_destroy(struct ept *ept);

/* The EPTP for the VMCS (EPT format only): root | WB (6) | page-walk length 3 << 3 | (ad ? 1 << 6 : 0). */
uint64_t ept_eptp(const struct ept *ept, bool enable_ad);

/* Visits every mapped leaf in increasing GPA order. A non-zero return from fn
 * stops the walk and is returned; otherwise 0 (-EINVAL on a destroyed EPT). */
typedef int (*ept_walk_fn)(void *arg, uint64_t gpa, uint64_t hpa, uint64_t size,
                           unsigned rights, enum ept_memtype mt);
int ept_walk(const struct ept *ept, ept_walk_fn fn, void *arg);

#endif
