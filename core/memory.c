/* memory_init: from the Multiboot2 memory map to the hypervisor's frame allocator. */
#include <lxds/arch.h>
#include <lxds/errno.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <lxds/spinlock.h>
#include <lxds/string.h>

extern char __image_start[], __image_end[];

struct frame_alloc hv_frames;
static spinlock_t hv_frames_lock = SPINLOCK_INIT;

struct range { uint64_t start, end; };

static void print_map(const struct mb2_info *mbi, uint64_t *usable)
{
    *usable = 0;
    printk("mem: physical memory map (%u entries):\n", mbi->mmap_count);
    for (uint32_t i = 0; i < mbi->mmap_count; i++) {
        struct mb2_mem_region r = mb2_mem_region_at(mbi, i);
        printk("mem:   [%#014lx-%#014lx] %8lu KiB %s\n", r.base, r.base + r.len - 1,
               r.len >> 10, mb2_mem_type_name(r.type));
        if (r.type == MB2_MEM_AVAILABLE)
            *usable += r.len;
    }
}

/* Everything the allocator must never hand out, besides non-RAM. */
static unsigned int kept_ranges(const struct mb2_info *mbi, struct range *out)
{
    unsigned int n = 0;

    out[n++] = (struct range){ 0, MiB(1) };         /* BIOS, trampoline, legacy areas */
    out[n++] = (struct range){ (uintptr_t)__image_start, (uintptr_t)__image_end };
    out[n++] = (struct range){ mbi->phys, mbi->phys + mbi->total_size };
    for (uint32_t i = 0; i < mbi->module_count; i++)
        out[n++] = (struct range){ mbi->modules[i].start, mbi->modules[i].end };
    return n;
}

static bool overlaps(uint64_t s, uint64_t e, const struct range *r, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        if (s < r[i].end && r[i].start < e)
            return true;
    return false;
}

/* The bitmap goes in the first usable gap (page-aligned) that overlaps nothing kept. */
static uint64_t place_bitmap(const struct mb2_info *mbi, size_t bytes,
                             const struct range *kept, unsigned int nkept)
{
    for (uint32_t i = 0; i < mbi->mmap_count; i++) {
        struct mb2_mem_region r = mb2_mem_region_at(mbi, i);
        if (r.type != MB2_MEM_AVAILABLE)
            continue;
        uint64_t end = MIN(r.base + r.len, BOOT_MAP_LIMIT);   /* before arch_map_ram */
        for (uint64_t s = ALIGN_UP(MAX(r.base, MiB(1)), PAGE_SIZE); s + bytes <= end; s += PAGE_SIZE)
            if (!overlaps(s, s + bytes, kept, nkept))
                return s;
    }
    return 0;
}

/* RAM above the boot map, as mapped by arch_map_ram(): what mem_is_mapped() knows. */
#define MAX_HIGH_RANGES 16
static struct range high_ram[MAX_HIGH_RANGES];
static unsigned int n_high_ram;

/*
 * RAM above the boot map joins the allocator only once it is mapped, so
 * nothing is ever handed out that the hypervisor cannot reach.  The page
 * tables this takes come from the lowest free frames (already mapped).
 */
static void map_high_ram(const struct mb2_info *mbi)
{
    for (uint32_t i = 0; i < mbi->mmap_count; i++) {
        struct mb2_mem_region r = mb2_mem_region_at(mbi, i);
        uint64_t s = ALIGN_UP(MAX(r.base, BOOT_MAP_LIMIT), PAGE_SIZE);
        uint64_t e = ALIGN_DOWN(MIN(r.base + r.len, MEMORY_LIMIT), PAGE_SIZE);
        if (r.type != MB2_MEM_AVAILABLE || s >= e)
            continue;
        if (n_high_ram == MAX_HIGH_RANGES) {
            pr_warn("mem: more than %d RAM ranges above %lu GiB; %#lx-%#lx not used\n",
                    MAX_HIGH_RANGES, BOOT_MAP_LIMIT >> 30, s, e - 1);
            continue;
        }
        int rc = arch_map_ram(s, e);
        if (rc) {
            pr_warn("mem: RAM %#lx-%#lx not used: mapping it failed (%s)\n", s, e - 1,
                    errno_name(rc));
            continue;
        }
        high_ram[n_high_ram++] = (struct range){ s, e };
        frame_alloc_release(&hv_frames, s, e - s);
        printk("mem: RAM %#lx-%#lx (%lu MiB) above %lu GiB mapped\n", s, e - 1,
               (e - s) >> 20, BOOT_MAP_LIMIT >> 30);
    }
}

bool mem_is_mapped(uint64_t pa, uint64_t len)
{
    uint64_t end = pa + len;

    if (end < pa)
        return false;
    if (end <= BOOT_MAP_LIMIT)
        return true;
    for (unsigned int i = 0; i < n_high_ram; i++)
        if (pa >= high_ram[i].start && end <= high_ram[i].end)
            return true;
    return false;
}

void memory_init(const struct mb2_info *mbi)
{
    struct range kept[4 + MB2_MAX_MODULES];
    uint64_t usable, top = 0, above = 0;
    const char *why;

    print_map(mbi, &usable);
    for (uint32_t i = 0; i < mbi->mmap_count; i++) {
        struct mb2_mem_region r = mb2_mem_region_at(mbi, i);
        if (r.type != MB2_MEM_AVAILABLE)
            continue;
        top = MAX(top, MIN(r.base + r.len, MEMORY_LIMIT));
        if (r.base + r.len > MEMORY_LIMIT)
            above += r.base + r.len - MAX(r.base, MEMORY_LIMIT);
    }
    if (top <= MiB(2))
        panic("memory map lists no usable RAM above 1 MiB");

    unsigned int nkept = kept_ranges(mbi, kept);
    uint64_t nframes = top >> PAGE_SHIFT;
    size_t bytes = ALIGN_UP(frame_alloc_bitmap_bytes(nframes), PAGE_SIZE);
    uint64_t bitmap = place_bitmap(mbi, bytes, kept, nkept);
    if (!bitmap)
        panic("no room for the %zu-byte frame bitmap in usable RAM", bytes);

    frame_alloc_init(&hv_frames, "hypervisor", 0, nframes, (uint64_t *)(uintptr_t)bitmap);
    for (uint32_t i = 0; i < mbi->mmap_count; i++) {
        struct mb2_mem_region r = mb2_mem_region_at(mbi, i);
        if (r.type == MB2_MEM_AVAILABLE && r.base < BOOT_MAP_LIMIT)
            frame_alloc_release(&hv_frames, r.base, MIN(r.base + r.len, BOOT_MAP_LIMIT) - r.base);
    }
    for (unsigned int i = 0; i < nkept; i++)
        frame_alloc_reserve(&hv_frames, kept[i].start, kept[i].end - kept[i].start);
    frame_alloc_reserve(&hv_frames, bitmap, bytes);
    map_high_ram(mbi);          /* its page tables come from the frames left free above */
    for (unsigned int i = 0; i < nkept; i++)    /* anything kept above 4 GiB, again */
        frame_alloc_reserve(&hv_frames, kept[i].start, kept[i].end - kept[i].start);

    printk("mem: %lu MiB usable, image %#lx-%#lx, %u module(s), %lu MiB free for the allocator\n",
           usable >> 20, (uintptr_t)__image_start, (uintptr_t)__image_end,
           mbi->module_count, (hv_frames.free_frames * PAGE_SIZE) >> 20);
    if (above)
        pr_warn("mem: %lu MiB of RAM above %lu GiB is not used yet\n", above >> 20,
                MEMORY_LIMIT >> 30);
    int rc = frame_alloc_self_check(&hv_frames, &why);
    if (rc)
        panic("frame allocator self-check failed: %s", why);
    for (unsigned int i = 0; i < nkept; i++)
        if (kept[i].end > kept[i].start &&
            (!frame_alloc_is_used(&hv_frames, kept[i].start) ||
             !frame_alloc_is_used(&hv_frames, kept[i].end - 1)))
            panic("frame allocator would hand out kept range %#lx-%#lx",
                  kept[i].start, kept[i].end);
    printk("mem: frame allocator self-check passed (%lu frames free)\n", hv_frames.free_frames);
}

int frames_get_zeroed(struct frame_alloc *fa, spinlock_t *lock, uint64_t count,
                      uint64_t align_frames, uint64_t *pa)
{
    unsigned long flags = arch_irq_save();

    spin_lock(lock);
    int rc = frame_alloc_get(fa, count, align_frames, pa);
    spin_unlock(lock);
    arch_irq_restore(flags);
    if (rc == 0)
        memset(phys_to_virt(*pa), 0, count * PAGE_SIZE);
    return rc;
}

void frames_put(struct frame_alloc *fa, spinlock_t *lock, uint64_t pa, uint64_t count)
{
    unsigned long flags = arch_irq_save();

    spin_lock(lock);
    int rc = frame_alloc_put(fa, pa, count);
    spin_unlock(lock);
    arch_irq_restore(flags);
    if (rc)
        panic("freeing %lu frame(s) at %#lx that %s did not hand out", count, pa, fa->name);
}

int mem_alloc_frames(uint64_t count, uint64_t align_frames, uint64_t *pa)
{
    return frames_get_zeroed(&hv_frames, &hv_frames_lock, count, align_frames, pa);
}

void mem_free_frames(uint64_t pa, uint64_t count)
{
    frames_put(&hv_frames, &hv_frames_lock, pa, count);
}

uint64_t mem_free_frame_count(void)
{
    return __atomic_load_n(&hv_frames.free_frames, __ATOMIC_RELAXED);
}
