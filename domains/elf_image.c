/*
 * elf_image_parse: see include/lxds/elf_image.h for the rules.
 *
 * Every field is copied out of the file into a local before it is looked
 * at, and every sum of two file-controlled values is checked for overflow
 * before it is formed.  The result is built in a local struct elf_image and
 * copied to the caller's only on success.
 */
#include <lxds/compiler.h>
#include <lxds/elf_image.h>
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/hypercall_abi.h>
#include <lxds/string.h>

_Static_assert(ELF_IMAGE_MAX_FILE == LXDS_MAX_IMAGE, "the validator's file limit is the ABI's");

#define ELF_PF_MASK     (ELF_PF_X | ELF_PF_W | ELF_PF_R)

/* Parsing state: the caller's arguments and where a formatted reason goes. */
struct elf_parse {
    const unsigned char *buf;
    size_t len;
    uint64_t va_min, va_max;
    const char **why;
    char *why_buf;
};

static int elf_fail(struct elf_parse *p, int err, const char *reason)
{
    if (p->why)
        *p->why = reason;
    return err;
}

/* A reason with numbers in it, formatted into the caller's why_buf. */
static int __printf(3, 4) elf_failf(struct elf_parse *p, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(p->why_buf, sizeof(((struct elf_image *)0)->why_buf), fmt, ap);
    va_end(ap);
    return elf_fail(p, err, p->why_buf);
}

static int elf_check_ident(struct elf_parse *p, const struct elf64_ehdr *eh)
{
    if (eh->e_ident[0] != 0x7f || eh->e_ident[1] != 'E' || eh->e_ident[2] != 'L' ||
        eh->e_ident[3] != 'F')
        return elf_fail(p, -ENOEXEC, "not an ELF file (bad magic)");
    if (eh->e_ident[ELF_EI_CLASS] != ELF_CLASS64)
        return elf_fail(p, -ENOEXEC, "not ELF64 (EI_CLASS is not ELFCLASS64)");
    if (eh->e_ident[ELF_EI_DATA] != ELF_DATA2LSB)
        return elf_fail(p, -ENOEXEC, "not little-endian (EI_DATA is not ELFDATA2LSB)");
    if (eh->e_ident[ELF_EI_VERSION] != ELF_EV_CURRENT || eh->e_version != ELF_EV_CURRENT)
        return elf_fail(p, -ENOEXEC, "unknown ELF version (not EV_CURRENT)");
    return 0;
}

static int elf_check_ehdr(struct elf_parse *p, const struct elf64_ehdr *eh)
{
    int ret = elf_check_ident(p, eh);

    if (ret)
        return ret;
    if (eh->e_type != ELF_ET_EXEC)
        return elf_failf(p, -ENOEXEC, "not a static executable: e_type %u, expected %u (ET_EXEC)",
                         eh->e_type, ELF_ET_EXEC);
    if (eh->e_machine != ELF_EM_X86_64)
        return elf_failf(p, -ENOEXEC, "wrong machine: e_machine %u, expected %u (x86-64)",
                         eh->e_machine, ELF_EM_X86_64);
    if (eh->e_ehsize != sizeof(struct elf64_ehdr))
        return elf_failf(p, -ENOEXEC, "bad e_ehsize %u, expected %zu", eh->e_ehsize,
                         sizeof(struct elf64_ehdr));
    if (eh->e_phentsize != sizeof(struct elf64_phdr))
        return elf_failf(p, -ENOEXEC, "bad e_phentsize %u, expected %zu", eh->e_phentsize,
                         sizeof(struct elf64_phdr));
    if (eh->e_phnum > ELF_MAX_PHDRS)
        return elf_failf(p, -E2BIG, "too many program headers: %u, at most %u", eh->e_phnum,
                         ELF_MAX_PHDRS);
    /* phnum * 56 cannot overflow (phnum <= 64); phoff can be anything. */
    if (eh->e_phoff > p->len ||
        (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr) > p->len - eh->e_phoff)
        return elf_fail(p, -ENOEXEC, "truncated: program headers beyond the end of the file");
    return 0;
}

/* Checks one PT_LOAD on its own: sizes, file range, congruence, VA range. */
static int elf_check_load(struct elf_parse *p, unsigned int i, const struct elf64_phdr *ph)
{
    uint64_t first, last;

    if (ph->p_filesz > ph->p_memsz)
        return elf_failf(p, -ENOEXEC, "segment %u: filesz 0x%llx > memsz 0x%llx", i,
                         (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
    if (ph->p_memsz > ELF_IMAGE_MAX_MEM)
        return elf_failf(p, -E2BIG, "segment %u: memsz 0x%llx is over the %llu MiB limit", i,
                         (unsigned long long)ph->p_memsz,
                         (unsigned long long)(ELF_IMAGE_MAX_MEM >> 20));
    if (ph->p_offset > p->len || ph->p_filesz > p->len - ph->p_offset)
        return elf_failf(p, -ENOEXEC,
                         "segment %u: file data [0x%llx + 0x%llx] lies beyond the file (%zu bytes)",
                         i, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz,
                         p->len);
    if ((ph->p_offset & (ELF_IMAGE_PAGE - 1)) != (ph->p_vaddr & (ELF_IMAGE_PAGE - 1)))
        return elf_failf(p, -ENOEXEC,
                         "segment %u: offset 0x%llx and vaddr 0x%llx differ modulo 4 KiB", i,
                         (unsigned long long)ph->p_offset, (unsigned long long)ph->p_vaddr);
    /* memsz >= 1 here (empty segments were skipped) and <= 64 MiB. */
    if (ph->p_vaddr > UINT64_MAX - (ph->p_memsz - 1))
        return elf_failf(p, -ENOEXEC, "segment %u: vaddr 0x%llx + memsz wraps around", i,
                         (unsigned long long)ph->p_vaddr);
    first = ph->p_vaddr / ELF_IMAGE_PAGE;
    last = (ph->p_vaddr + ph->p_memsz - 1) / ELF_IMAGE_PAGE;
    /* Pages [first, last] must lie in [va_min, va_max): first * 4096 cannot
     * overflow, and (last + 1) * 4096 <= va_max is last < va_max / 4096. */
    if (first * ELF_IMAGE_PAGE < p->va_min || last >= p->va_max / ELF_IMAGE_PAGE)
        return elf_failf(p, -ENOEXEC,
                         "segment %u: [0x%llx, +0x%llx) lies outside [0x%llx, 0x%llx)", i,
                         (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_memsz,
                         (unsigned long long)p->va_min, (unsigned long long)p->va_max);
    return 0;
}

/* One note of an LXDS-named note: only the heap size is known. */
static int elf_lxds_note(struct elf_parse *p, unsigned int i, uint32_t type, const unsigned char *desc,
                         uint32_t descsz, struct elf_image *img)
{
    uint64_t bytes;

    if (type != LXD_NOTE_HEAP_BYTES)
        return elf_failf(p, -ENOEXEC, "program header %u: unknown LXDS note type %u", i, type);
    if (descsz != sizeof(bytes))
        return elf_failf(p, -ENOEXEC, "program header %u: LXDS heap note of %u bytes, expected 8",
                         i, descsz);
    if (img->heap_bytes)
        return elf_failf(p, -ENOEXEC, "program header %u: a second LXDS heap note", i);
    memcpy(&bytes, desc, sizeof(bytes));
    if (bytes == 0)
        return elf_failf(p, -ENOEXEC, "program header %u: LXDS heap note asks for 0 bytes", i);
    if (bytes > LXD_HEAP_MAX)
        return elf_failf(p, -E2BIG, "heap of 0x%llx bytes asked for, over the %llu MiB limit",
                         (unsigned long long)bytes, (unsigned long long)(LXD_HEAP_MAX >> 20));
    img->heap_bytes = (bytes + ELF_IMAGE_PAGE - 1) & ~(ELF_IMAGE_PAGE - 1);
    return 0;
}

#define ELF_NOTE_ALIGN(x) (((uint64_t)(x) + 3) & ~(uint64_t)3)

/*
 * Walks the notes of a PT_NOTE: header, name and descriptor of each must
 * lie inside the segment, which must lie inside the file.  Sizes are 32-bit
 * and the segment at most 16 MiB, so no sum below can overflow 64 bits.
 */
static int elf_read_notes(struct elf_parse *p, unsigned int i, const struct elf64_phdr *ph,
                          struct elf_image *img)
{
    uint64_t at = 0, size = ph->p_filesz;
    const unsigned char *seg;
    uint32_t hdr[3];
    int ret;

    if (ph->p_offset > p->len || size > p->len - ph->p_offset)
        return elf_failf(p, -ENOEXEC, "program header %u: PT_NOTE beyond the end of the file", i);
    seg = p->buf + ph->p_offset;
    while (size - at >= sizeof(hdr)) {
        memcpy(hdr, seg + at, sizeof(hdr));
        uint64_t name_at = at + sizeof(hdr), desc_at = name_at + ELF_NOTE_ALIGN(hdr[0]);
        uint64_t next = desc_at + ELF_NOTE_ALIGN(hdr[1]);
        if (desc_at > size || next > size)
            return elf_failf(p, -ENOEXEC, "program header %u: a note runs past its PT_NOTE", i);
        if (hdr[0] == sizeof(LXD_NOTE_NAME) &&
            !memcmp(seg + name_at, LXD_NOTE_NAME, sizeof(LXD_NOTE_NAME))) {
            ret = elf_lxds_note(p, i, hdr[2], seg + desc_at, hdr[1], img);
            if (ret)
                return ret;
        }
        at = next;
    }
    if (at != size)
        return elf_failf(p, -ENOEXEC, "program header %u: %llu stray bytes after its notes", i,
                         (unsigned long long)(size - at));
    return 0;
}

static void elf_insert_sorted(struct elf_image *img, const struct elf64_phdr *ph)
{
    unsigned int j = img->nsegs++;

    while (j > 0 && img->segs[j - 1].vaddr > ph->p_vaddr) {
        img->segs[j] = img->segs[j - 1];
        j--;
    }
    img->segs[j] = (struct elf_segment){
        .vaddr = ph->p_vaddr, .memsz = ph->p_memsz, .filesz = ph->p_filesz,
        .offset = ph->p_offset, .flags = ph->p_flags & ELF_PF_MASK,
    };
}

static int elf_read_phdrs(struct elf_parse *p, const struct elf64_ehdr *eh, struct elf_image *img)
{
    struct elf64_phdr ph;
    unsigned int i;
    int ret;

    for (i = 0; i < eh->e_phnum; i++) {
        memcpy(&ph, p->buf + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type == ELF_PT_INTERP || ph.p_type == ELF_PT_DYNAMIC)
            return elf_failf(p, -ENOEXEC, "program header %u: dynamically linked (PT_%s)", i,
                             ph.p_type == ELF_PT_INTERP ? "INTERP" : "DYNAMIC");
        if (ph.p_type == ELF_PT_TLS)
            return elf_failf(p, -ENOEXEC, "program header %u: PT_TLS (no TLS in an LXD)", i);
        if (ph.p_type == ELF_PT_NOTE) {
            ret = elf_read_notes(p, i, &ph, img);
            if (ret)
                return ret;
            continue;
        }
        if (ph.p_type != ELF_PT_LOAD || (ph.p_memsz == 0 && ph.p_filesz == 0))
            continue;
        if (img->nsegs == ELF_MAX_SEGMENTS)
            return elf_failf(p, -E2BIG, "more than %u PT_LOAD segments", ELF_MAX_SEGMENTS);
        ret = elf_check_load(p, i, &ph);
        if (ret)
            return ret;
        elf_insert_sorted(img, &ph);
    }
    if (img->nsegs == 0)
        return elf_fail(p, -ENOEXEC, "no PT_LOAD segment");
    return 0;
}

/* Segments are sorted by vaddr: neighbours must not share a page. */
static int elf_check_layout(struct elf_parse *p, const struct elf_image *img)
{
    uint64_t total = 0, pages;
    unsigned int i;

    for (i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        uint64_t first = s->vaddr / ELF_IMAGE_PAGE;
        uint64_t last = (s->vaddr + s->memsz - 1) / ELF_IMAGE_PAGE;

        if (i + 1 < img->nsegs && img->segs[i + 1].vaddr / ELF_IMAGE_PAGE <= last)
            return elf_failf(p, -ENOEXEC,
                             "segments overlap: [0x%llx, +0x%llx) and [0x%llx, +0x%llx) "
                             "share a 4 KiB page", (unsigned long long)s->vaddr,
                             (unsigned long long)s->memsz,
                             (unsigned long long)img->segs[i + 1].vaddr,
                             (unsigned long long)img->segs[i + 1].memsz);
        /* Each term is at most 64 MiB + 1 page and there are at most 8. */
        pages = last - first + 1;
        total += pages * ELF_IMAGE_PAGE;
    }
    if (total > ELF_IMAGE_MAX_MEM)
        return elf_failf(p, -E2BIG, "segments need %llu KiB of memory, over the %llu MiB limit",
                         (unsigned long long)(total >> 10),
                         (unsigned long long)(ELF_IMAGE_MAX_MEM >> 20));
    return 0;
}

static int elf_check_entry(struct elf_parse *p, const struct elf_image *img)
{
    unsigned int i;

    /* The file data, not the zero fill: zeroes are never a valid entry. */
    for (i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];

        if ((s->flags & ELF_PF_X) && img->entry >= s->vaddr &&
            img->entry - s->vaddr < s->filesz)
            return 0;
    }
    return elf_failf(p, -ENOEXEC, "entry 0x%llx is not in the file data of an executable segment",
                     (unsigned long long)img->entry);
}

int elf_image_parse(const void *buf, size_t len, uint64_t va_min, uint64_t va_max,
                    struct elf_image *out, const char **why)
{
    struct elf_parse p = { .buf = buf, .len = len, .va_min = va_min, .va_max = va_max,
                           .why = why, .why_buf = out ? out->why_buf : NULL };
    struct elf_image img = { .nsegs = 0 };
    struct elf64_ehdr eh;
    int ret;

    if (!buf || !out)
        return elf_fail(&p, -EINVAL, "no image buffer or no result buffer");
    if (va_min >= va_max)
        return elf_fail(&p, -EINVAL, "empty address range for the image");
    if (len > ELF_IMAGE_MAX_FILE)
        return elf_failf(&p, -E2BIG, "file of %zu bytes is over the %u MiB limit", len,
                         ELF_IMAGE_MAX_FILE >> 20);
    if (len < sizeof(eh))
        return elf_failf(&p, -ENOEXEC, "truncated: %zu bytes, shorter than the ELF header", len);
    memcpy(&eh, buf, sizeof(eh));
    ret = elf_check_ehdr(&p, &eh);
    if (!ret)
        ret = elf_read_phdrs(&p, &eh, &img);
    if (!ret)
        ret = elf_check_layout(&p, &img);
    img.entry = eh.e_entry;
    if (!ret)
        ret = elf_check_entry(&p, &img);
    if (ret)
        return ret;
    memcpy(out, &img, offsetof(struct elf_image, why_buf));
    return elf_fail(&p, 0, "ok");
}
