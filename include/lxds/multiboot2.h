/* Parsing of the Multiboot2 boot information that GRUB hands the hypervisor. */
#ifndef LXDS_MULTIBOOT2_H
#define LXDS_MULTIBOOT2_H

#include <lxds/compiler.h>
#include <lxds/types.h>

#define MB2_MAX_MODULES   16
#define MB2_MAX_INFO_SIZE (1024 * 1024)  /* more than any sane loader hands over */

enum mb2_mem_type {
    MB2_MEM_AVAILABLE = 1,
    MB2_MEM_RESERVED = 2,
    MB2_MEM_ACPI_RECLAIMABLE = 3,
    MB2_MEM_NVS = 4,
    MB2_MEM_BADRAM = 5,
};

struct mb2_mem_region {
    uint64_t base;
    uint64_t len;
    uint32_t type;
};

struct mb2_module {
    uint64_t start;         /* physical, inclusive */
    uint64_t end;           /* physical, exclusive */
    const char *cmdline;    /* inside the boot information, NUL-terminated */
};

struct mb2_info {
    uint64_t phys;                      /* where the information itself lies */
    uint32_t total_size;
    const char *cmdline;                /* NULL when the loader gave none */
    const char *loader_name;
    const uint8_t *mmap;                /* raw entries; use mb2_mem_region_at() */
    uint32_t mmap_entry_size;
    uint32_t mmap_count;
    struct mb2_module modules[MB2_MAX_MODULES];
    uint32_t module_count;
    uint32_t modules_dropped;           /* beyond MB2_MAX_MODULES */
    const void *rsdp;                   /* copy of the RSDP inside the information */
    uint32_t rsdp_len;
    bool rsdp_is_v2;                    /* from the "ACPI new" tag (XSDT) */
};

/*
 * Validates and indexes the information at buf, of which avail bytes may be
 * read.  Returns 0 or a negative errno, with a reason in *why:
 *  -EINVAL  the header's size is impossible, or a tag is malformed
 *  -EFAULT  a tag reaches past the end
 *  -ENODATA no memory map, or no end tag
 */
int mb2_parse(const void *buf, size_t avail, struct mb2_info *out, const char **why);

/* Reads memory-map entry i (i < out->mmap_count). */
struct mb2_mem_region mb2_mem_region_at(const struct mb2_info *info, uint32_t i);

const char *mb2_mem_type_name(uint32_t type);

#endif
