/* See elf_builder.h. */
#include "elf_builder.h"

#include <stdlib.h>
#include <string.h>

unsigned eb_add(struct eb *b, uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr,
                uint64_t filesz, uint64_t memsz)
{
    unsigned i = b->eh.e_phnum++;

    b->ph[i] = (struct elf64_phdr){ .p_type = type, .p_flags = flags, .p_offset = offset,
                                    .p_vaddr = vaddr, .p_paddr = vaddr, .p_filesz = filesz,
                                    .p_memsz = memsz, .p_align = 0x1000 };
    return i;
}

void eb_good(struct eb *b)
{
    memset(b, 0, sizeof(*b));
    memcpy(b->eh.e_ident, "\x7f" "ELF", 4);
    b->eh.e_ident[ELF_EI_CLASS] = ELF_CLASS64;
    b->eh.e_ident[ELF_EI_DATA] = ELF_DATA2LSB;
    b->eh.e_ident[ELF_EI_VERSION] = ELF_EV_CURRENT;
    b->eh.e_type = ELF_ET_EXEC;
    b->eh.e_machine = ELF_EM_X86_64;
    b->eh.e_version = ELF_EV_CURRENT;
    b->eh.e_entry = 0x401000;
    b->eh.e_phoff = sizeof(struct elf64_ehdr);
    b->eh.e_ehsize = sizeof(struct elf64_ehdr);
    b->eh.e_phentsize = sizeof(struct elf64_phdr);
    eb_add(b, ELF_PT_LOAD, ELF_PF_R | ELF_PF_X, 0x1000, 0x401000, 0x100, 0x100);
    eb_add(b, ELF_PT_LOAD, ELF_PF_R, 0x2000, 0x402000, 0x40, 0x40);
    eb_add(b, ELF_PT_LOAD, ELF_PF_R | ELF_PF_W, 0x3000, 0x403000, 0x80, 0x2000);
    b->len = 0x3080;
}

unsigned char *eb_file(const struct eb *b)
{
    /* e_phnum may be spoilt beyond the array: copy only what we hold. */
    size_t nph = b->eh.e_phnum < EB_MAX_PHDRS ? b->eh.e_phnum : EB_MAX_PHDRS;
    size_t phbytes = nph * sizeof(struct elf64_phdr);
    unsigned char *f = malloc(b->len ? b->len : 1);
    size_t i;

    /* Filler: recognisable, and never a valid header by accident. */
    for (i = 0; i < b->len; i++)
        f[i] = (unsigned char)(0x90 + i % 7);
    memcpy(f, &b->eh, b->len < sizeof(b->eh) ? b->len : sizeof(b->eh));
    /* Program headers go wherever e_phoff says, as far as the file reaches. */
    if (b->eh.e_phoff < b->len) {
        size_t room = b->len - b->eh.e_phoff;
        memcpy(f + b->eh.e_phoff, b->ph, phbytes < room ? phbytes : room);
    }
    return f;
}

int eb_parse(const struct eb *b, struct elf_image *out, const char **why)
{
    unsigned char *f = eb_file(b);
    int ret = elf_image_parse(f, b->len, EB_VA_MIN, EB_VA_MAX, out, why);

    free(f);
    return ret;
}

int eb_check_accepted(const struct elf_image *img, size_t len, uint64_t va_min, uint64_t va_max)
{
    uint64_t total = 0;
    int entry_ok = 0;
    unsigned i;

    if (img->nsegs < 1 || img->nsegs > ELF_MAX_SEGMENTS)
        return -1;
    for (i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        uint64_t lo = s->vaddr & ~0xfffull, hi = (s->vaddr + s->memsz + 0xfff) & ~0xfffull;

        if (s->memsz == 0 || s->filesz > s->memsz || s->offset > len ||
            s->filesz > len - s->offset)
            return -2;
        if (s->vaddr + s->memsz < s->vaddr || lo < va_min || hi > va_max || hi <= lo)
            return -3;
        if ((s->vaddr ^ s->offset) & 0xfff)
            return -4;
        if (i > 0 && lo < ((img->segs[i - 1].vaddr + img->segs[i - 1].memsz + 0xfff) & ~0xfffull))
            return -5;
        if (s->flags & ~7u)
            return -6;
        if ((s->flags & ELF_PF_X) && img->entry >= s->vaddr && img->entry < s->vaddr + s->filesz)
            entry_ok = 1;
        total += hi - lo;
    }
    if (total > ELF_IMAGE_MAX_MEM)
        return -7;
    return entry_ok ? 0 : -8;
}
