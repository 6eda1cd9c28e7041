/*
 * The x86 Linux boot protocol, 64-bit entry (Documentation/x86/boot.rst):
 * check the bzImage's setup header, copy the protected-mode kernel and the
 * initrd into Linux's RAM, build boot_params (setup header, command line,
 * e820 map, ACPI RSDP), an identity map of 0..4 GiB and a GDT with
 * __BOOT_CS/__BOOT_DS, and enter at load address + 0x200 with RSI = boot_params.
 */
#include <lxds/arch.h>
#include <lxds/errno.h>
#include <lxds/linux_guest.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <lxds/string.h>
#include <lxds/vcpu.h>

/* Boot structures in Linux's low RAM (below 640 KiB, given to Linux) */
#define BOOT_PAGE_TABLES  0x10000ul     /* PML4, PDPT, 4 PDs: 0..4 GiB with 2 MiB pages */
#define BOOT_GDT          0x16000ul
#define BOOT_PARAMS       0x17000ul
#define BOOT_CMDLINE      0x18000ul
#define BOOT_STACK_TOP    0x1F000ul
#define CMDLINE_MAX       4095

/* boot_params offsets (arch/x86/include/uapi/asm/bootparam.h) */
#define BP_EXT_RAMDISK_IMAGE 0x0C0
#define BP_EXT_RAMDISK_SIZE  0x0C4
#define BP_EXT_CMD_LINE   0x0C8
#define BP_E820_ENTRIES   0x1E8
#define BP_HDR            0x1F1
#define BP_E820_TABLE     0x2D0
#define E820_MAX          128

/* setup header offsets, relative to the start of the bzImage / boot_params */
#define HDR_SETUP_SECTS   0x1F1
#define HDR_BOOT_FLAG     0x1FE
#define HDR_JUMP          0x200
#define HDR_MAGIC         0x202
#define HDR_VERSION       0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS     0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE  0x21C
#define HDR_CMD_LINE_PTR  0x228
#define HDR_INITRD_MAX    0x22C
#define HDR_KERNEL_ALIGN  0x230
#define HDR_RELOCATABLE   0x234
#define HDR_XLOADFLAGS    0x236
#define HDR_CMDLINE_SIZE  0x238
#define HDR_PREF_ADDRESS  0x258
#define HDR_INIT_SIZE     0x260

#define XLF_KERNEL_64     (1u << 0)
#define LOADED_HIGH       (1u << 0)
#define KEEP_SEGMENTS     (1u << 6)

static uint32_t rd32(const uint8_t *p, size_t off) { uint32_t v; memcpy(&v, p + off, 4); return v; }
static uint16_t rd16(const uint8_t *p, size_t off) { uint16_t v; memcpy(&v, p + off, 2); return v; }
static uint64_t rd64(const uint8_t *p, size_t off) { uint64_t v; memcpy(&v, p + off, 8); return v; }
static void wr32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, 4); }
static void wr64(uint8_t *p, size_t off, uint64_t v) { memcpy(p + off, &v, 8); }

static int check_header(const uint8_t *img, uint64_t len, const char **why)
{
    if (len < 0x1000) {
        *why = "too small to be a bzImage";
        return -ENOEXEC;
    }
    if (rd16(img, HDR_BOOT_FLAG) != 0xAA55 || memcmp(img + HDR_MAGIC, "HdrS", 4)) {
        *why = "no Linux setup header (boot flag 0xAA55 and \"HdrS\" missing): not a bzImage";
        return -ENOEXEC;
    }
    if (rd16(img, HDR_VERSION) < 0x020C) {
        *why = "boot protocol older than 2.12: no 64-bit entry point";
        return -ENOEXEC;
    }
    if (!(rd16(img, HDR_XLOADFLAGS) & XLF_KERNEL_64)) {
        *why = "the kernel has no 64-bit entry point (XLF_KERNEL_64 clear): not an x86-64 kernel";
        return -ENOEXEC;
    }
    unsigned int setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    if ((setup_sects + 1) * 512ull >= len) {
        *why = "truncated: the setup sectors take the whole image";
        return -ENOEXEC;
    }
    return 0;
}

static bool in_ram(const struct linux_load *l, uint64_t start, uint64_t end)
{
    for (unsigned int i = 0; i < l->nram; i++)
        if (start >= l->ram[i].start && end <= l->ram[i].end)
            return true;
    return false;
}

/* Lowest address >= 16 MiB, aligned, with init_size bytes of Linux RAM. */
static uint64_t place_kernel(const struct linux_load *l, uint64_t align, uint64_t size)
{
    for (unsigned int i = 0; i < l->nram; i++) {
        uint64_t a = ALIGN_UP(MAX(l->ram[i].start, MiB(16)), align);
        if (a + size <= l->ram[i].end)
            return a;
    }
    return 0;
}

/* Highest page-aligned spot for the initrd, below max and 4 GiB, clear of the kernel. */
static uint64_t place_initrd(const struct linux_load *l, uint64_t len, uint64_t max,
                             uint64_t kstart, uint64_t kend)
{
    for (unsigned int i = l->nram; i-- > 0; ) {
        uint64_t end = MIN(l->ram[i].end, MIN(max + 1, GiB(4)));
        if (end < len + l->ram[i].start)
            continue;
        uint64_t a = ALIGN_DOWN(end - len, PAGE_SIZE);
        if (a >= l->ram[i].start && (a >= kend || a + len <= kstart))
            return a;
    }
    return 0;
}

static void add_e820(uint8_t *bp, uint64_t addr, uint64_t size, uint32_t type)
{
    uint8_t n = bp[BP_E820_ENTRIES];
    uint8_t *e;

    if (n == E820_MAX || size == 0)
        return;
    /* keep the table sorted: insert before the first entry that starts later */
    unsigned int at = n;
    while (at > 0 && rd64(bp + BP_E820_TABLE + (at - 1) * 20, 0) > addr)
        at--;
    memmove(bp + BP_E820_TABLE + (at + 1) * 20, bp + BP_E820_TABLE + at * 20, (n - at) * 20u);
    e = bp + BP_E820_TABLE + at * 20;
    wr64(e, 0, addr);
    wr64(e, 8, size);
    wr32(e, 16, type);
    bp[BP_E820_ENTRIES] = n + 1;
}

static void build_e820(uint8_t *bp, const struct linux_load *l)
{
    for (unsigned int i = 0; i < l->nram; i++)
        add_e820(bp, l->ram[i].start, l->ram[i].end - l->ram[i].start, 1);
    for (uint32_t i = 0; i < l->mbi->mmap_count; i++) {
        struct mb2_mem_region r = mb2_mem_region_at(l->mbi, i);
        if (r.type != MB2_MEM_AVAILABLE)
            add_e820(bp, r.base, r.len, r.type);
    }
}

static void build_page_tables(void)
{
    uint64_t *pml4 = phys_to_virt(BOOT_PAGE_TABLES);
    uint64_t *pdpt = phys_to_virt(BOOT_PAGE_TABLES + 0x1000);

    memset(pml4, 0, 6 * PAGE_SIZE);
    pml4[0] = (BOOT_PAGE_TABLES + 0x1000) | 3;
    for (int i = 0; i < 4; i++) {
        uint64_t *pd = phys_to_virt(BOOT_PAGE_TABLES + 0x2000 + i * 0x1000ul);
        pdpt[i] = (BOOT_PAGE_TABLES + 0x2000 + i * 0x1000ul) | 3;
        for (int j = 0; j < 512; j++)
            pd[j] = ((uint64_t)i << 30 | (uint64_t)j << 21) | 0x83;
    }
}

static void build_gdt(void)
{
    uint64_t *gdt = phys_to_virt(BOOT_GDT);

    memset(gdt, 0, PAGE_SIZE);
    gdt[2] = 0x00AF9A000000FFFFull;     /* 0x10 __BOOT_CS: 64-bit code */
    gdt[3] = 0x00CF92000000FFFFull;     /* 0x18 __BOOT_DS */
}

int arch_linux_load(const struct linux_load *l, struct vcpu_boot *boot, const char **why)
{
    const uint8_t *img = phys_to_virt(l->kernel_pa);
    int rc = check_header(img, l->kernel_len, why);

    if (rc)
        return rc;
    if (!in_ram(l, BOOT_PAGE_TABLES, BOOT_STACK_TOP)) {
        *why = "Linux's RAM does not include 64-448 KiB, where its boot structures go";
        return -ENOMEM;
    }
    unsigned int setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    uint64_t pm_off = (setup_sects + 1) * 512ull, pm_len = l->kernel_len - pm_off;
    uint64_t align = rd32(img, HDR_KERNEL_ALIGN) ? rd32(img, HDR_KERNEL_ALIGN) : MiB(2);
    uint64_t init_size = MAX((uint64_t)rd32(img, HDR_INIT_SIZE), pm_len);
    uint64_t load = img[HDR_RELOCATABLE] ? place_kernel(l, align, init_size)
                                         : rd64(img, HDR_PREF_ADDRESS);
    if (!load || !in_ram(l, load, load + init_size)) {
        *why = "no room in Linux's RAM for the kernel's init_size";
        return -ENOMEM;
    }
    uint64_t initrd = 0;
    if (l->initrd_len) {
        initrd = place_initrd(l, l->initrd_len, rd32(img, HDR_INITRD_MAX), load, load + init_size);
        if (!initrd) {
            *why = "no room in Linux's RAM for the initrd below initrd_addr_max";
            return -ENOMEM;
        }
    }

    /* boot_params: zeroed, the setup header copied from the image, then filled in */
    uint8_t *bp = phys_to_virt(BOOT_PARAMS);
    size_t hdr_end = 0x202 + img[HDR_JUMP + 1];
    memset(bp, 0, PAGE_SIZE);
    memcpy(bp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);
    bp[HDR_TYPE_OF_LOADER] = 0xFF;                  /* undefined loader */
    bp[HDR_LOADFLAGS] |= LOADED_HIGH | KEEP_SEGMENTS;

    size_t cmax = MIN((size_t)CMDLINE_MAX, (size_t)(rd32(img, HDR_CMDLINE_SIZE) ?: 255));
    size_t clen = strnlen(l->cmdline, cmax);
    char *cmd = phys_to_virt(BOOT_CMDLINE);
    memcpy(cmd, l->cmdline, clen);
    cmd[clen] = '\0';
    wr32(bp, HDR_CMD_LINE_PTR, (uint32_t)BOOT_CMDLINE);
    wr32(bp, BP_EXT_CMD_LINE, 0);

    memmove(phys_to_virt(load), img + pm_off, pm_len);
    if (initrd) {
        memmove(phys_to_virt(initrd), phys_to_virt(l->initrd_pa), l->initrd_len);
        wr32(bp, HDR_RAMDISK_IMAGE, (uint32_t)initrd);
        wr32(bp, HDR_RAMDISK_SIZE, (uint32_t)l->initrd_len);
        wr32(bp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd >> 32));
        wr32(bp, BP_EXT_RAMDISK_SIZE, (uint32_t)(l->initrd_len >> 32));
    }
    build_e820(bp, l);
    build_page_tables();
    build_gdt();
    arch_hide_cpus_from_linux(l->cores);

    printk("linux: boot protocol %u.%02u, kernel %lu KiB at %#lx (init_size %lu KiB), "
           "initrd %lu KiB at %#lx, %u e820 entries\n",
           rd16(img, HDR_VERSION) >> 8, rd16(img, HDR_VERSION) & 0xFF, pm_len >> 10, load,
           init_size >> 10, l->initrd_len >> 10, initrd, bp[BP_E820_ENTRIES]);
    *boot = (struct vcpu_boot){
        .rip = load + 0x200, .rsp = BOOT_STACK_TOP, .cr3 = BOOT_PAGE_TABLES,
        .rsi = BOOT_PARAMS, .gdt_base = BOOT_GDT, .gdt_limit = 0x1F, .cs = 0x10, .ds = 0x18,
    };
    return 0;
}
