/*
 * A physical frame allocator: one bit per 4 KiB frame over [base, base + n).
 *
 * A bitmap, not a buddy allocator: allocations are rare (page tables, domain
 * images, channel pages) and never on a fast path; a bitmap gives exact
 * accounting ("the pool is back to its starting size"), can reserve any
 * range the firmware or GRUB hands over, and catches double frees.  The same
 * code manages the hypervisor's memory and the LXD pool (two instances), and
 * runs on the host for unit tests.
 */
#ifndef LXDS_FRAME_ALLOC_H
#define LXDS_FRAME_ALLOC_H

#include <lxds/compiler.h>
#include <lxds/types.h>

struct frame_alloc {
    const char *name;
    uint64_t base;          /* physical address of frame 0, page-aligned */
    uint64_t nframes;
    uint64_t *bitmap;       /* bit set = frame in use or not RAM */
    uint64_t free_frames;
    uint64_t hint;          /* where the next search starts */
};

/* Bytes of bitmap needed for nframes frames. */
size_t frame_alloc_bitmap_bytes(uint64_t nframes);

/* Sets up fa with every frame marked in use; then frame_alloc_release() the RAM. */
void frame_alloc_init(struct frame_alloc *fa, const char *name, uint64_t base,
                      uint64_t nframes, uint64_t *bitmap);

/* Marks [addr, addr + len) free (rounded inward to whole frames). */
void frame_alloc_release(struct frame_alloc *fa, uint64_t addr, uint64_t len);

/* Marks [addr, addr + len) in use (rounded outward); returns frames newly taken. */
uint64_t frame_alloc_reserve(struct frame_alloc *fa, uint64_t addr, uint64_t len);

/*
 * Allocates count contiguous frames aligned to align_frames (a power of two).
 * Returns 0 and the physical address in *addr, or -ENOMEM / -EINVAL.
 */
int frame_alloc_get(struct frame_alloc *fa, uint64_t count, uint64_t align_frames,
                    uint64_t *addr);

/* The same, taking the highest such run (keeps low memory for Linux to load at). */
int frame_alloc_get_high(struct frame_alloc *fa, uint64_t count, uint64_t align_frames,
                         uint64_t *addr);

/* Frees count frames at addr; -EINVAL if any is outside or already free. */
int frame_alloc_put(struct frame_alloc *fa, uint64_t addr, uint64_t count);

bool frame_alloc_is_used(const struct frame_alloc *fa, uint64_t addr);

/* Checks the free counter against the bitmap and allocates/frees a pattern. */
int frame_alloc_self_check(struct frame_alloc *fa, const char **why);

#endif
