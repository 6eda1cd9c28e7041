/*
 * Builds ELF64 files for the validator's tests: a good three-segment image
 * (text RX, rodata R, data+bss RW) that tests then spoil one field at a
 * time, and an invariant check for images the validator accepts.
 */
#ifndef ELF_BUILDER_H
#define ELF_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include <lxds/elf_image.h>

#define EB_MAX_PHDRS    (ELF_MAX_PHDRS + 2)
#define EB_VA_MIN       0x400000ull
#define EB_VA_MAX       0x10000000ull

struct eb {
    struct elf64_ehdr eh;
    struct elf64_phdr ph[EB_MAX_PHDRS];
    size_t len;                 /* file length; eb_good sets the end of the last data */
};

/* The good image: entry at the start of text. */
void eb_good(struct eb *b);
/* Appends a program header; returns its index. */
unsigned eb_add(struct eb *b, uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr,
                uint64_t filesz, uint64_t memsz);
/* A malloc'ed file of exactly b->len bytes (so ASan sees any over-read). */
unsigned char *eb_file(const struct eb *b);
/* Parses b as a file over [EB_VA_MIN, EB_VA_MAX); *why as elf_image_parse. */
int eb_parse(const struct eb *b, struct elf_image *out, const char **why);
/* For an image the validator accepted: 0 if every promised property holds. */
int eb_check_accepted(const struct elf_image *img, size_t len, uint64_t va_min, uint64_t va_max);

#endif
