/*
 * mb2_parse: walks the tags of the Multiboot2 boot information and records
 * what the hypervisor uses.  Everything is bounds-checked: this parser is
 * unit-tested on truncated and malformed buffers.
 */
#include <lxds/errno.h>
#include <lxds/multiboot2.h>
#include <lxds/string.h>

enum {
    TAG_END = 0,
    TAG_CMDLINE = 1,
    TAG_LOADER_NAME = 2,
    TAG_MODULE = 3,
    TAG_MMAP = 6,
    TAG_ACPI_OLD = 14,
    TAG_ACPI_NEW = 15,
};

struct tag {
    uint32_t type;
    uint32_t size;
};

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

/* A string field must be NUL-terminated within its tag. */
static const char *tag_string(const uint8_t *p, size_t len)
{
    return len > 0 && memchr(p, '\0', len) ? (const char *)p : NULL;
}

static int parse_mmap(const uint8_t *t, uint32_t size, struct mb2_info *out, const char **why)
{
    if (size < 16) {
        *why = "memory map tag shorter than its header";
        return -EINVAL;
    }
    uint32_t esz = rd32(t + 8);
    if (esz < 24 || esz % 8) {
        *why = "memory map entry size is not a multiple of 8 of at least 24";
        return -EINVAL;
    }
    out->mmap = t + 16;
    out->mmap_entry_size = esz;
    out->mmap_count = (size - 16) / esz;
    return 0;
}

static int parse_module(const uint8_t *t, uint32_t size, struct mb2_info *out, const char **why)
{
    if (size < 17) {
        *why = "module tag too short";
        return -EINVAL;
    }
    uint32_t start = rd32(t + 8), end = rd32(t + 12);
    const char *name = tag_string(t + 16, size - 16);
    if (end < start || !name) {
        *why = end < start ? "module ends before it starts" : "module string not terminated";
        return -EINVAL;
    }
    if (out->module_count == MB2_MAX_MODULES) {
        out->modules_dropped++;
        return 0;
    }
    out->modules[out->module_count++] = (struct mb2_module){ start, end, name };
    return 0;
}

static int parse_tag(const uint8_t *t, uint32_t type, uint32_t size,
                     struct mb2_info *out, const char **why)
{
    switch (type) {
    case TAG_CMDLINE:
    case TAG_LOADER_NAME: {
        const char *s = tag_string(t + 8, size - 8);
        if (!s) {
            *why = "string tag not NUL-terminated";
            return -EINVAL;
        }
        if (type == TAG_CMDLINE)
            out->cmdline = s;
        else
            out->loader_name = s;
        return 0;
    }
    case TAG_MODULE:
        return parse_module(t, size, out, why);
    case TAG_MMAP:
        return parse_mmap(t, size, out, why);
    case TAG_ACPI_OLD:
    case TAG_ACPI_NEW:
        if (size < 8 + 20) {
            *why = "ACPI RSDP tag shorter than an RSDP";
            return -EINVAL;
        }
        if (type == TAG_ACPI_NEW || !out->rsdp_is_v2) {
            out->rsdp = t + 8;
            out->rsdp_len = size - 8;
            out->rsdp_is_v2 = type == TAG_ACPI_NEW;
        }
        return 0;
    default:
        return 0;   /* tags we do not use are skipped */
    }
}

int mb2_parse(const void *buf, size_t avail, struct mb2_info *out, const char **why)
{
    const uint8_t *base = buf;
    const char *dummy;

    if (!why)
        why = &dummy;
    memset(out, 0, sizeof(*out));
    out->phys = (uintptr_t)buf;
    if (avail < 8) {
        *why = "boot information shorter than its 8-byte header";
        return -EFAULT;
    }
    uint32_t total = rd32(base);
    if (total < 16 || total > MB2_MAX_INFO_SIZE || total % 8) {
        *why = "boot information total_size is impossible";
        return -EINVAL;
    }
    if (total > avail) {
        *why = "boot information is truncated (total_size beyond the buffer)";
        return -EFAULT;
    }
    out->total_size = total;

    for (uint32_t off = 8;; ) {
        if (off + 8 > total) {
            *why = "no end tag before total_size";
            return -ENODATA;
        }
        uint32_t type = rd32(base + off), size = rd32(base + off + 4);
        if (size < 8) {
            *why = "tag size smaller than a tag header";
            return -EINVAL;
        }
        if (size > total - off) {
            *why = "tag reaches past total_size";
            return -EFAULT;
        }
        if (type == TAG_END)
            break;
        int rc = parse_tag(base + off, type, size, out, why);
        if (rc)
            return rc;
        off += (size + 7) & ~7u;
    }
    if (!out->mmap) {
        *why = "no memory map tag";
        return -ENODATA;
    }
    return 0;
}

struct mb2_mem_region mb2_mem_region_at(const struct mb2_info *info, uint32_t i)
{
    const uint8_t *e = info->mmap + (size_t)i * info->mmap_entry_size;

    return (struct mb2_mem_region){ rd64(e), rd64(e + 8), rd32(e + 16) };
}

const char *mb2_mem_type_name(uint32_t type)
{
    switch (type) {
    case MB2_MEM_AVAILABLE: return "usable";
    case MB2_MEM_RESERVED: return "reserved";
    case MB2_MEM_ACPI_RECLAIMABLE: return "ACPI data";
    case MB2_MEM_NVS: return "ACPI NVS";
    case MB2_MEM_BADRAM: return "bad RAM";
    default: return "unknown";
    }
}
