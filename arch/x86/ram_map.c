/*
 * The hypervisor's identity map beyond the boot map.  boot/entry.asm maps
 * 0..4 GiB with 2 MiB pages (PML4[0] -> boot_pdpt -> four page directories);
 * RAM the firmware reports above 4 GiB is added here, into the same PDPT
 * (its 512 entries cover 512 GiB), one page directory of 2 MiB pages per
 * GiB, before any of that RAM is handed out.  Every core uses these tables
 * (the APs load the boot core's CR3), so the map is complete before they start.
 */
#include <lxds/arch.h>
#include <lxds/errno.h>
#include <lxds/memory.h>
#include <lxds/printk.h>

#include <x86/cpu.h>

#define PTE_PRESENT   0x1ull
#define PTE_WRITABLE  0x2ull
#define PTE_LARGE     0x80ull
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

extern uint64_t boot_pdpt[512];

/* The page directory for [gib, gib + 1 GiB): the boot map's, or a new one. */
static int page_directory(uint64_t gib, uint64_t **pd)
{
    uint64_t *e = &boot_pdpt[gib];
    uint64_t pa;

    if (!(*e & PTE_PRESENT)) {
        /* lowest free frames: below 4 GiB, where the boot map reaches them */
        int rc = mem_alloc_frames(1, 1, &pa);
        if (rc)
            return rc;
        if (pa >= GiB(4)) {
            mem_free_frames(pa, 1);
            return -ENOMEM;
        }
        *e = pa | PTE_PRESENT | PTE_WRITABLE;
    }
    if (*e & PTE_LARGE)
        return -EEXIST;             /* never made by this code */
    *pd = phys_to_virt(*e & PTE_ADDR_MASK);
    return 0;
}

int arch_map_ram(uint64_t start, uint64_t end)
{
    start = ALIGN_DOWN(start, MiB(2));
    end = ALIGN_UP(end, MiB(2));
    if (end > MEMORY_LIMIT || end < start)
        return -ERANGE;
    for (uint64_t pa = start; pa < end; pa += MiB(2)) {
        uint64_t *pd;
        int rc = page_directory(pa >> 30, &pd);
        if (rc)
            return rc;
        pd[(pa >> 21) & 511] = pa | PTE_PRESENT | PTE_WRITABLE | PTE_LARGE;
    }
    write_cr3(read_cr3());          /* drop any cached paging structures */
    return 0;
}
