/* The hypervisor's physical memory: built from the Multiboot2 map at boot. */
#ifndef LXDS_MEMORY_H
#define LXDS_MEMORY_H

#include <lxds/frame_alloc.h>
#include <lxds/multiboot2.h>
#include <lxds/spinlock.h>

/*
 * The hypervisor reaches RAM through an identity map: the boot map covers
 * 0..BOOT_MAP_LIMIT, RAM above it is mapped by arch_map_ram() at boot, up to
 * MEMORY_LIMIT (RAM beyond that is left unused, with a warning).
 */
#define BOOT_MAP_LIMIT GiB(4)
#define MEMORY_LIMIT   GiB(512)

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

/* True when [pa, pa + len) is RAM or MMIO the hypervisor's identity map covers. */
bool mem_is_mapped(uint64_t pa, uint64_t len);

/* The hypervisor reaches physical memory through its identity map. */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(uintptr_t)pa; }

#endif
