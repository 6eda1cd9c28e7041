/*
 * Validation of LXD images: static ELF64 x86-64 executables.
 *
 * elf_image_parse() reads nothing it has not bounds-checked and trusts no
 * field: it is what stands between an image handed in by Linux and the
 * hypervisor's loader.  It reads the file only through memcpy into locals,
 * so buf needs no alignment, but it does read the header fields more than
 * once across its passes: the caller must pass a private copy (the
 * hypervisor copies the image out of guest memory first), or the guest
 * could change the file between check and use.
 *
 * What it checks, and what it returns (every check has its own reason):
 *   -EINVAL   caller's arguments: buf/out NULL, va_min >= va_max
 *   -E2BIG    len > ELF_IMAGE_MAX_FILE; more than ELF_MAX_PHDRS program
 *             headers; more than ELF_MAX_SEGMENTS PT_LOAD; one memsz or the
 *             sum over segments (page-rounded) > ELF_IMAGE_MAX_MEM
 *   -ENOEXEC  everything else: truncated (shorter than the ELF header,
 *             program headers beyond the file), magic, class, byte order,
 *             version, type (ET_EXEC), machine (EM_X86_64), e_ehsize,
 *             e_phentsize, PT_INTERP/PT_DYNAMIC/PT_TLS present, no PT_LOAD,
 *             filesz > memsz, file data beyond the file, segment outside
 *             [va_min, va_max) (once rounded out to pages), p_offset and
 *             p_vaddr not congruent modulo 4 KiB, two segments sharing a
 *             page, entry not inside the file data of a PF_X segment.
 *
 * Layout rules, chosen so the loader stays simple:
 *   - p_vaddr need not be page-aligned, but p_vaddr % 4096 must equal
 *     p_offset % 4096 (the ELF rule), so a page of the file maps onto one
 *     page of memory;
 *   - no two PT_LOAD segments may touch the same 4 KiB page, so each page
 *     gets the rights of exactly one segment;
 *   - PT_LOAD segments with memsz == 0 (and so filesz == 0) load nothing and
 *     are skipped: linkers emit them for empty PHDRS entries;
 *   - W+X segments are allowed; the flags are reported and the hypervisor
 *     maps the rights they ask for;
 *   - PT_NOTE: every note in it must lie inside the file and inside the
 *     segment (-ENOEXEC otherwise); notes other than "LXDS" are ignored.
 *     An "LXDS" note of type LXD_NOTE_HEAP_BYTES (hypercall_abi.h) asks for
 *     a heap size: its descriptor must be 8 bytes, it may appear once, and
 *     a size of 0 or over LXD_HEAP_MAX is refused (-ENOEXEC / -E2BIG);
 *     out->heap_bytes is then the size rounded up to pages (0: not asked);
 *   - other program headers (PT_PHDR, PT_GNU_STACK, ...) are ignored.
 *
 * On success out->segs[] holds the loadable segments sorted by vaddr.
 */
#ifndef LXDS_ELF_IMAGE_H
#define LXDS_ELF_IMAGE_H

#include <lxds/types.h>

#define ELF_MAX_SEGMENTS        8
#define ELF_MAX_PHDRS           64              /* program headers of any type */
#define ELF_IMAGE_MAX_FILE      (16u << 20)     /* = LXDS_MAX_IMAGE */
#define ELF_IMAGE_MAX_MEM       (64ull << 20)   /* sum of page-rounded memsz */
#define ELF_IMAGE_PAGE          4096ull

/* p_flags bits (as in the ELF spec); the PF_ names too, where no <elf.h> has them. */
#define ELF_PF_X                1u
#define ELF_PF_W                2u
#define ELF_PF_R                4u
#ifndef PF_X
#define PF_X                    ELF_PF_X
#define PF_W                    ELF_PF_W
#define PF_R                    ELF_PF_R
#endif

struct elf_segment {
    uint64_t vaddr, memsz, filesz, offset;
    uint32_t flags;             /* PF_X=1, PF_W=2, PF_R=4; other bits cleared */
};

struct elf_image {
    uint64_t entry;
    uint64_t heap_bytes;        /* from an LXDS heap note, page-rounded; 0 if none */
    unsigned int nsegs;
    struct elf_segment segs[ELF_MAX_SEGMENTS];
    /* Where *why is formatted when the reason carries numbers (a segment
     * index, an address, a machine number): keep out alive while *why is
     * in use.  On failure this is the only member written. */
    char why_buf[128];
};

/* Validates an ELF64 executable held in buf[0..len) completely, without trusting any field.
 * Every PT_LOAD segment must lie in [va_min, va_max); returns 0 or -ENOEXEC (bad format) /
 * -E2BIG (too large: len or a size beyond limits) / -EINVAL, with a human reason in *why
 * (why may be NULL; on success *why is "ok"). */
int elf_image_parse(const void *buf, size_t len, uint64_t va_min, uint64_t va_max,
                    struct elf_image *out, const char **why);

/* --- the ELF64 file format (only what the validator and its tests need) --- */

#define ELF_EI_NIDENT           16
#define ELF_EI_CLASS            4
#define ELF_EI_DATA             5
#define ELF_EI_VERSION          6
#define ELF_CLASS64             2
#define ELF_DATA2LSB            1
#define ELF_EV_CURRENT          1
#define ELF_ET_EXEC             2
#define ELF_EM_X86_64           62
#define ELF_PT_LOAD             1
#define ELF_PT_DYNAMIC          2
#define ELF_PT_INTERP           3
#define ELF_PT_TLS              7
#define ELF_PT_NOTE             4

struct elf64_ehdr {
    unsigned char e_ident[ELF_EI_NIDENT];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr is 56 bytes");

#endif
