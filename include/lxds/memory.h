/* The hypervisor's physical memory: built from the Multiboot2 map at boot. */
#ifndef LXDS_MEMORY_H
#define LXDS_MEMORY_H

#include <lxds/frame_alloc.h>
#include <lxds/multiboot2.h>
#include <lxds/spinlock.h>

/* Memory the hypervisor can reach today: its identity map covers 0..4 GiB. */
#define MEMORY_LIMIT GiB(4)

extern struct frame_alloc hv_frames;

/*
 * Prints the memory map, sets up hv_frames over the usable RAM minus the
 * hypervisor image, the modules, the boot information and the first MiB,
 * then runs the allocator's self-check.  Panics with the reason on failure.
 */
void memory_init(const struct mb2_info *mbi);

/*
 * Allocation from any frame allocator under its lock, with interrupts off:
 * zeroed frames, or -EINVAL/-ENOMEM.  A bad free is a hypervisor bug: panic.
 */
int frames_get_zeroed(struct frame_alloc *fa, spinlock_t *lock, uint64_t count,
                      uint64_t align_frames, uint64_t *pa);
void frames_put(struct frame_alloc *fa, spinlock_t *lock, uint64_t pa, uint64_t count);

/*
 * Thread-safe allocation from hv_frames: count contiguous frames aligned to
 * align_frames, zeroed.  Returns 0 and the physical address, or -ENOMEM.
 */
int mem_alloc_frames(uint64_t count, uint64_t align_frames, uint64_t *pa);
/* Returns frames to hv_frames; panics on a double or foreign free (a hypervisor bug). */
void mem_free_frames(uint64_t pa, uint64_t count);
uint64_t mem_free_frame_count(void);

/* The hypervisor reaches physical memory through its identity map. */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(uintptr_t)pa; }

#endif
