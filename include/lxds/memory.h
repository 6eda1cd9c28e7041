/* The hypervisor's physical memory: built from the Multiboot2 map at boot. */
#ifndef LXDS_MEMORY_H
#define LXDS_MEMORY_H

#include <lxds/frame_alloc.h>
#include <lxds/multiboot2.h>

/* Memory the hypervisor can reach today: its identity map covers 0..4 GiB. */
#define MEMORY_LIMIT GiB(4)

extern struct frame_alloc hv_frames;

/*
 * Prints the memory map, sets up hv_frames over the usable RAM minus the
 * hypervisor image, the modules, the boot information and the first MiB,
 * then runs the allocator's self-check.  Panics with the reason on failure.
 */
void memory_init(const struct mb2_info *mbi);

#endif
