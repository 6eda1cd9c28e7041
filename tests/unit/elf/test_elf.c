/*
 * elf_image_parse against crafted files: a good image, each rejection on
 * its own (with its errno and reason), every truncation of a good image,
 * and random corruption (never a crash; anything accepted is sound).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/errno.h>
#include <lxds/hypercall_abi.h>

#include "elf_builder.h"

/* Parses b and checks the errno and that the reason mentions `reason`. */
static void expect_reject(const struct eb *b, int err, const char *reason)
{
    struct elf_image img, before;
    const char *why = NULL;
    int ret;

    memset(&img, 0xa5, sizeof(img));
    before = img;
    ret = eb_parse(b, &img, &why);
    if (ret != err || !why || !strstr(why, reason))
        fail_msg("expected %d \"%s\", got %d \"%s\"", err, reason, ret, why ? why : "(null)");
    /* Nothing but why_buf changes on failure. */
    assert_memory_equal(&img, &before, offsetof(struct elf_image, why_buf));
}

static void test_good(void **state)
{
    struct elf_image img;
    const char *why = NULL;
    struct eb b;

    (void)state;
    eb_good(&b);
    assert_int_equal(eb_parse(&b, &img, &why), 0);
    assert_string_equal(why, "ok");
    assert_int_equal(img.entry, 0x401000);
    assert_int_equal(img.nsegs, 3);
    assert_int_equal(img.segs[0].vaddr, 0x401000);
    assert_int_equal(img.segs[0].flags, ELF_PF_R | ELF_PF_X);
    assert_int_equal(img.segs[1].flags, ELF_PF_R);
    assert_int_equal(img.segs[2].flags, ELF_PF_R | ELF_PF_W);
    assert_int_equal(img.segs[2].filesz, 0x80);
    assert_int_equal(img.segs[2].memsz, 0x2000);
    assert_int_equal(img.segs[2].offset, 0x3000);
    assert_int_equal(eb_check_accepted(&img, b.len, EB_VA_MIN, EB_VA_MAX), 0);
    /* why may be NULL. */
    assert_int_equal(eb_parse(&b, &img, NULL), 0);
}

/* Program headers out of vaddr order come back sorted; extra kinds are ignored. */
static void test_sorted_and_ignored(void **state)
{
    struct elf_image img;
    struct eb b;

    (void)state;
    eb_good(&b);
    struct elf64_phdr t = b.ph[0];
    b.ph[0] = b.ph[2];
    b.ph[2] = t;
    eb_add(&b, ELF_PT_NOTE, ELF_PF_R, 0x1800, 0, 0, 0);        /* an empty PT_NOTE */
    eb_add(&b, 0x6474e551 /* PT_GNU_STACK */, ELF_PF_R | ELF_PF_W, 0, 0, 0, 0);
    eb_add(&b, ELF_PT_LOAD, ELF_PF_R, 0, 0x500000, 0, 0);    /* empty: skipped */
    assert_int_equal(eb_parse(&b, &img, NULL), 0);
    assert_int_equal(img.nsegs, 3);
    assert_true(img.segs[0].vaddr < img.segs[1].vaddr && img.segs[1].vaddr < img.segs[2].vaddr);
}

/* W+X is allowed and reported; unknown flag bits are dropped; unaligned but
 * congruent vaddr is fine; the header page itself may be loaded. */
static void test_accepted_variants(void **state)
{
    struct elf_image img;
    struct eb b;

    (void)state;
    eb_good(&b);
    b.ph[0].p_flags = ELF_PF_R | ELF_PF_W | ELF_PF_X | 0xf0000000u;
    assert_int_equal(eb_parse(&b, &img, NULL), 0);
    assert_int_equal(img.segs[0].flags, 7);

    eb_good(&b);
    b.ph[0].p_offset = 0x1010;
    b.ph[0].p_vaddr = 0x401010;
    b.eh.e_entry = 0x4010ff;
    assert_int_equal(eb_parse(&b, &img, NULL), 0);

    eb_good(&b);                        /* text from offset 0, like ld's output */
    b.ph[0].p_offset = 0;
    b.ph[0].p_vaddr = 0x400000;
    b.ph[0].p_filesz = b.ph[0].p_memsz = 0x1100;
    assert_int_equal(eb_parse(&b, &img, NULL), 0);

    eb_good(&b);                        /* segment ending exactly at va_max */
    b.ph[2].p_vaddr = EB_VA_MAX - 0x2000;
    assert_int_equal(eb_parse(&b, &img, NULL), 0);

    eb_good(&b);                        /* eight PT_LOADs is the limit */
    for (int i = 0; i < 5; i++)
        eb_add(&b, ELF_PT_LOAD, ELF_PF_R, 0x2000, 0x412000 + 0x10000ull * i, 0x40, 0x40);
    assert_int_equal(eb_parse(&b, &img, NULL), 0);
    assert_int_equal(img.nsegs, 8);
}

/* Writes one note (name, type, descriptor) at f + at; returns its length. */
static size_t put_note(unsigned char *f, size_t at, const char *name, uint32_t namesz,
                       uint32_t type, const void *desc, uint32_t descsz)
{
    uint32_t hdr[3] = { namesz, descsz, type };
    size_t n = sizeof(hdr);

    memcpy(f + at, hdr, sizeof(hdr));
    memcpy(f + at + n, name, namesz);
    n += (namesz + 3) & ~3u;
    memcpy(f + at + n, desc, descsz);
    return n + ((descsz + 3) & ~3u);
}

/* Parses b's file with `len` bytes of notes written at 0x1800 by fill(). */
static int parse_with_note(uint64_t heap, uint32_t descsz, uint32_t type, int twice,
                           uint64_t seg_extra, struct elf_image *img, const char **why)
{
    struct eb b;
    unsigned char *f;
    size_t n;
    int ret;

    eb_good(&b);
    unsigned ph = eb_add(&b, ELF_PT_NOTE, ELF_PF_R, 0x1800, 0, 0, 0);
    f = eb_file(&b);
    memset(f + 0x1800, 0, 0x100);
    n = put_note(f, 0x1800, "GNU", 4, 5, "abcd", 4);            /* a foreign note first */
    n += put_note(f, 0x1800 + n, LXD_NOTE_NAME, sizeof(LXD_NOTE_NAME), type, &heap, descsz);
    if (twice)
        n += put_note(f, 0x1800 + n, LXD_NOTE_NAME, sizeof(LXD_NOTE_NAME), type, &heap, descsz);
    b.ph[ph].p_filesz = b.ph[ph].p_memsz = n + seg_extra;
    memcpy(f + b.eh.e_phoff + ph * sizeof(struct elf64_phdr), &b.ph[ph], sizeof(b.ph[ph]));
    ret = elf_image_parse(f, b.len, EB_VA_MIN, EB_VA_MAX, img, why);
    free(f);
    return ret;
}

/* The heap-size note: taken page-rounded; every malformed or hostile form refused. */
static void test_heap_note(void **state)
{
    struct elf_image img;
    const char *why = NULL;

    (void)state;
    assert_int_equal(parse_with_note(0x2000001, 8, LXD_NOTE_HEAP_BYTES, 0, 0, &img, &why), 0);
    assert_int_equal(img.heap_bytes, 0x2001000);
    assert_int_equal(parse_with_note(LXD_HEAP_MAX, 8, LXD_NOTE_HEAP_BYTES, 0, 0, &img, &why), 0);
    assert_int_equal(img.heap_bytes, LXD_HEAP_MAX);
    assert_int_equal(parse_with_note(LXD_HEAP_MAX + 1, 8, LXD_NOTE_HEAP_BYTES, 0, 0, &img, &why),
                     -E2BIG);
    assert_non_null(strstr(why, "MiB limit"));
    assert_int_equal(parse_with_note(UINT64_MAX, 8, LXD_NOTE_HEAP_BYTES, 0, 0, &img, &why), -E2BIG);
    assert_int_equal(parse_with_note(0, 8, LXD_NOTE_HEAP_BYTES, 0, 0, &img, &why), -ENOEXEC);
    assert_non_null(strstr(why, "0 bytes"));
    assert_int_equal(parse_with_note(4096, 4, LXD_NOTE_HEAP_BYTES, 0, 0, &img, &why), -ENOEXEC);
    assert_non_null(strstr(why, "expected 8"));
    assert_int_equal(parse_with_note(4096, 8, 7, 0, 0, &img, &why), -ENOEXEC);
    assert_non_null(strstr(why, "unknown LXDS note"));
    assert_int_equal(parse_with_note(4096, 8, LXD_NOTE_HEAP_BYTES, 1, 0, &img, &why), -ENOEXEC);
    assert_non_null(strstr(why, "second"));
    assert_int_equal(parse_with_note(4096, 8, LXD_NOTE_HEAP_BYTES, 0, 2, &img, &why), -ENOEXEC);
    assert_non_null(strstr(why, "stray"));
    /* no note: 0 (the hypervisor's default) */
    struct eb b;
    eb_good(&b);
    assert_int_equal(eb_parse(&b, &img, NULL), 0);
    assert_int_equal(img.heap_bytes, 0);
}

/* Notes whose sizes point past the segment or the file are refused, never read. */
static void test_note_bounds(void **state)
{
    struct eb b;
    unsigned char *f;
    struct elf_image img;
    const char *why;
    uint32_t hdr[3];
    unsigned ph;

    (void)state;
    const uint32_t sizes[][2] = { { 0xffffffffu, 0 }, { 0, 0xffffffffu }, { 5, 0xfffffff0u },
                                  { 0x100, 0 }, { 0, 0x100 } };
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        eb_good(&b);
        ph = eb_add(&b, ELF_PT_NOTE, ELF_PF_R, 0x1800, 0, 0x20, 0x20);
        f = eb_file(&b);
        hdr[0] = sizes[i][0];
        hdr[1] = sizes[i][1];
        hdr[2] = LXD_NOTE_HEAP_BYTES;
        memcpy(f + 0x1800, hdr, sizeof(hdr));
        memcpy(f + 0x180c, "LXDS", 5);
        assert_int_equal(elf_image_parse(f, b.len, EB_VA_MIN, EB_VA_MAX, &img, &why), -ENOEXEC);
        assert_non_null(strstr(why, "runs past"));
        free(f);
    }
    eb_good(&b);                        /* the PT_NOTE itself beyond the file */
    ph = eb_add(&b, ELF_PT_NOTE, ELF_PF_R, 0x1800, 0, 0x100000, 0x100000);
    (void)ph;
    expect_reject(&b, -ENOEXEC, "PT_NOTE beyond");
}

static void test_bad_args(void **state)
{
    struct elf_image img;
    const char *why;
    struct eb b;
    unsigned char *f;

    (void)state;
    eb_good(&b);
    f = eb_file(&b);
    assert_int_equal(elf_image_parse(NULL, b.len, EB_VA_MIN, EB_VA_MAX, &img, &why), -EINVAL);
    assert_int_equal(elf_image_parse(f, b.len, EB_VA_MIN, EB_VA_MAX, NULL, &why), -EINVAL);
    assert_int_equal(elf_image_parse(f, b.len, EB_VA_MAX, EB_VA_MIN, &img, &why), -EINVAL);
    assert_int_equal(elf_image_parse(f, b.len, EB_VA_MIN, EB_VA_MIN, &img, &why), -EINVAL);
    assert_non_null(strstr(why, "address range"));
    /* The length limit is checked before anything is read. */
    assert_int_equal(elf_image_parse(f, ELF_IMAGE_MAX_FILE + 1ul, EB_VA_MIN, EB_VA_MAX, &img, &why),
                     -E2BIG);
    assert_non_null(strstr(why, "MiB limit"));
    free(f);
}

static void test_header(void **state)
{
    struct eb b;
    int i;

    (void)state;
    for (i = 0; i < 4; i++) {
        eb_good(&b);
        b.eh.e_ident[i] ^= 0x20;
        expect_reject(&b, -ENOEXEC, "bad magic");
    }
    eb_good(&b); b.eh.e_ident[ELF_EI_CLASS] = 1;
    expect_reject(&b, -ENOEXEC, "ELFCLASS64");
    eb_good(&b); b.eh.e_ident[ELF_EI_DATA] = 2;
    expect_reject(&b, -ENOEXEC, "little-endian");
    eb_good(&b); b.eh.e_ident[ELF_EI_VERSION] = 0;
    expect_reject(&b, -ENOEXEC, "EV_CURRENT");
    eb_good(&b); b.eh.e_version = 2;
    expect_reject(&b, -ENOEXEC, "EV_CURRENT");
    eb_good(&b); b.eh.e_type = 3;       /* ET_DYN */
    expect_reject(&b, -ENOEXEC, "e_type 3, expected 2 (ET_EXEC)");
    eb_good(&b); b.eh.e_machine = 3;
    expect_reject(&b, -ENOEXEC, "wrong machine: e_machine 3, expected 62");
    eb_good(&b); b.eh.e_machine = 183;
    expect_reject(&b, -ENOEXEC, "e_machine 183");
    eb_good(&b); b.eh.e_ehsize = 52;
    expect_reject(&b, -ENOEXEC, "e_ehsize 52");
    eb_good(&b); b.eh.e_phentsize = 32;
    expect_reject(&b, -ENOEXEC, "e_phentsize 32, expected 56");
}

static void test_phdr_table(void **state)
{
    struct eb b;

    (void)state;
    eb_good(&b);
    b.eh.e_phnum = ELF_MAX_PHDRS + 1;
    expect_reject(&b, -E2BIG, "too many program headers: 65");
    eb_good(&b); b.eh.e_phnum = 0xffff;         /* PN_XNUM: extended numbering */
    expect_reject(&b, -E2BIG, "too many program headers");
    eb_good(&b); b.eh.e_phoff = b.len;
    expect_reject(&b, -ENOEXEC, "program headers beyond the end");
    eb_good(&b); b.eh.e_phoff = b.len - 100;    /* starts inside, ends outside */
    expect_reject(&b, -ENOEXEC, "program headers beyond the end");
    eb_good(&b); b.eh.e_phoff = UINT64_MAX - 8; /* offset + size wraps */
    expect_reject(&b, -ENOEXEC, "program headers beyond the end");
    eb_good(&b); b.eh.e_phnum = 0;
    expect_reject(&b, -ENOEXEC, "no PT_LOAD");
    eb_good(&b);
    for (int i = 0; i < 3; i++)
        b.ph[i].p_type = 6;                     /* PT_PHDR */
    expect_reject(&b, -ENOEXEC, "no PT_LOAD");
    eb_good(&b); eb_add(&b, ELF_PT_INTERP, ELF_PF_R, 0x2000, 0, 0x10, 0x10);
    expect_reject(&b, -ENOEXEC, "PT_INTERP");
    eb_good(&b); eb_add(&b, ELF_PT_DYNAMIC, ELF_PF_R, 0x2000, 0x402000, 0x10, 0x10);
    expect_reject(&b, -ENOEXEC, "PT_DYNAMIC");
    eb_good(&b); eb_add(&b, ELF_PT_TLS, ELF_PF_R, 0x2000, 0x402000, 0x10, 0x10);
    expect_reject(&b, -ENOEXEC, "PT_TLS");
    eb_good(&b);
    for (int i = 0; i < 6; i++)
        eb_add(&b, ELF_PT_LOAD, ELF_PF_R, 0x2000, 0x412000 + 0x10000ull * i, 0x40, 0x40);
    expect_reject(&b, -E2BIG, "more than 8 PT_LOAD");
}

static void test_segment_file(void **state)
{
    struct eb b;

    (void)state;
    eb_good(&b); b.ph[1].p_filesz = 0x41;
    expect_reject(&b, -ENOEXEC, "segment 1: filesz 0x41 > memsz 0x40");
    eb_good(&b); b.ph[2].p_filesz = 0x81;       /* one byte past the end */
    expect_reject(&b, -ENOEXEC, "segment 2: file data");
    eb_good(&b); b.ph[1].p_offset = 0x4000; b.ph[1].p_vaddr = 0x404000;
    b.ph[2].p_vaddr = 0x40a000; b.ph[2].p_offset = 0x3000;
    expect_reject(&b, -ENOEXEC, "lies beyond the file");
    eb_good(&b);                                /* offset + filesz wraps */
    b.ph[1].p_offset = UINT64_MAX - 0xfbf; b.ph[1].p_vaddr = 0x402040;
    expect_reject(&b, -ENOEXEC, "lies beyond the file");
    eb_good(&b); b.ph[1].p_offset = 0x2010;     /* not congruent with 0x402000 */
    expect_reject(&b, -ENOEXEC, "differ modulo 4 KiB");
}

static void test_segment_va(void **state)
{
    struct eb b;
    struct elf_image img;
    unsigned char *f;
    const char *why;

    (void)state;
    eb_good(&b); b.ph[1].p_vaddr = 0x3ff000;
    expect_reject(&b, -ENOEXEC, "segment 1: [0x3ff000, +0x40) lies outside [0x400000, 0x10000000)");
    eb_good(&b); b.ph[1].p_vaddr = 0;
    expect_reject(&b, -ENOEXEC, "lies outside");
    eb_good(&b); b.ph[2].p_vaddr = EB_VA_MAX;
    expect_reject(&b, -ENOEXEC, "lies outside");
    eb_good(&b); b.ph[2].p_vaddr = EB_VA_MAX - 0x1000;   /* straddles va_max */
    expect_reject(&b, -ENOEXEC, "lies outside");
    eb_good(&b); b.ph[2].p_vaddr = UINT64_MAX - 0xfff;   /* vaddr + memsz wraps */
    expect_reject(&b, -ENOEXEC, "wraps around");
    eb_good(&b); b.ph[2].p_vaddr = 0xfffffffffffff000ull;
    b.ph[2].p_memsz = 0x1000;                            /* ends at 2^64 exactly */
    expect_reject(&b, -ENOEXEC, "lies outside");

    /* Whole pages count: a range not page-aligned excludes the partial pages. */
    eb_good(&b);
    f = eb_file(&b);
    assert_int_equal(elf_image_parse(f, b.len, 0x401001, EB_VA_MAX, &img, &why), -ENOEXEC);
    assert_non_null(strstr(why, "lies outside"));
    assert_int_equal(elf_image_parse(f, b.len, EB_VA_MIN, 0x404fff, &img, &why), -ENOEXEC);
    assert_int_equal(elf_image_parse(f, b.len, EB_VA_MIN, 0x405000, &img, &why), 0);
    assert_int_equal(elf_image_parse(f, b.len, 0, UINT64_MAX, &img, &why), 0);
    free(f);
}

static void test_overlap(void **state)
{
    struct eb b;

    (void)state;
    eb_good(&b);                /* rodata on text's page (congruent offset) */
    b.ph[1].p_vaddr = 0x401800; b.ph[1].p_offset = 0x2800;
    b.len = 0x3080;
    expect_reject(&b, -ENOEXEC, "segments overlap");
    eb_good(&b);                /* identical ranges */
    b.ph[1].p_vaddr = 0x401000; b.ph[1].p_offset = 0x2000;
    expect_reject(&b, -ENOEXEC, "share a 4 KiB page");
    eb_good(&b);                /* data's bss runs into the next segment */
    eb_add(&b, ELF_PT_LOAD, ELF_PF_R, 0x2000, 0x404000, 0x40, 0x40);
    expect_reject(&b, -ENOEXEC, "segments overlap");
    eb_good(&b);                /* overlap found even in file order reversed */
    eb_add(&b, ELF_PT_LOAD, ELF_PF_R, 0x2000, 0x3ff000 + 0x3000, 0x40, 0x40);
    b.ph[3].p_vaddr = 0x400000; b.ph[3].p_memsz = 0x1001;
    expect_reject(&b, -ENOEXEC, "segments overlap");
}

static void test_sizes(void **state)
{
    struct eb b;

    (void)state;
    eb_good(&b); b.ph[2].p_memsz = ELF_IMAGE_MAX_MEM + 1;
    expect_reject(&b, -E2BIG, "segment 2: memsz 0x4000001 is over the 64 MiB limit");
    eb_good(&b); b.ph[2].p_memsz = UINT64_MAX;
    expect_reject(&b, -E2BIG, "over the 64 MiB limit");
    eb_good(&b);                /* each fits, the sum does not */
    b.ph[2].p_memsz = 40ull << 20;
    eb_add(&b, ELF_PT_LOAD, ELF_PF_R | ELF_PF_W, 0x3000, 0x8000000, 0x80, 40ull << 20);
    expect_reject(&b, -E2BIG, "segments need");
    eb_good(&b);                /* page rounding counts towards the limit */
    b.ph[2].p_memsz = ELF_IMAGE_MAX_MEM - 0x2000;
    assert_int_equal(eb_parse(&b, &(struct elf_image){ 0 }, NULL), 0);
    b.ph[2].p_memsz += 1;
    expect_reject(&b, -E2BIG, "segments need");
}

static void test_entry(void **state)
{
    struct eb b;

    (void)state;
    eb_good(&b); b.eh.e_entry = 0;
    expect_reject(&b, -ENOEXEC, "entry 0x0 is not in the file data of an executable segment");
    eb_good(&b); b.eh.e_entry = 0x402000;       /* rodata: not PF_X */
    expect_reject(&b, -ENOEXEC, "entry 0x402000");
    eb_good(&b); b.eh.e_entry = 0x401100;       /* one past text */
    expect_reject(&b, -ENOEXEC, "executable segment");
    eb_good(&b); b.eh.e_entry = 0x400fff;       /* one before */
    expect_reject(&b, -ENOEXEC, "executable segment");
    eb_good(&b);                                /* text's zero fill is not code */
    b.ph[0].p_memsz = 0x800; b.eh.e_entry = 0x401400;
    expect_reject(&b, -ENOEXEC, "executable segment");
    eb_good(&b); b.eh.e_entry = 0x4010ff;       /* last byte: fine */
    assert_int_equal(eb_parse(&b, &(struct elf_image){ 0 }, NULL), 0);
}

/* Every proper prefix of a good image is refused. */
static void test_every_truncation(void **state)
{
    struct elf_image img;
    struct eb b;
    unsigned char *full, *part;
    const char *why;
    size_t n;

    (void)state;
    eb_good(&b);
    full = eb_file(&b);
    for (n = 0; n < b.len; n++) {
        part = malloc(n ? n : 1);
        memcpy(part, full, n);
        why = NULL;
        if (elf_image_parse(part, n, EB_VA_MIN, EB_VA_MAX, &img, &why) != -ENOEXEC)
            fail_msg("prefix of %zu bytes not refused", n);
        assert_true(why && (strstr(why, "truncated") || strstr(why, "beyond")));
        free(part);
    }
    free(full);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random corruption of the headers: never a crash, and anything accepted is sound. */
static void test_random_corruption(void **state)
{
    unsigned accepted = 0, iter;
    struct elf_image img;
    const char *why;
    struct eb b;
    int ret;

    (void)state;
    eb_good(&b);
    unsigned char *good = eb_file(&b), *f = malloc(b.len);
    /* Interesting bytes: the ELF header and the program headers. */
    size_t hot = sizeof(struct elf64_ehdr) + 3 * sizeof(struct elf64_phdr);

    for (iter = 0; iter < 200000; iter++) {
        unsigned flips = 1 + rng() % 6, k;

        memcpy(f, good, b.len);
        for (k = 0; k < flips; k++) {
            size_t at = rng() % 8 ? rng() % hot : rng() % b.len;
            f[at] = rng() % 4 ? (unsigned char)rng() : f[at] ^ (1u << (rng() % 8));
        }
        why = NULL;
        ret = elf_image_parse(f, b.len, EB_VA_MIN, EB_VA_MAX, &img, &why);
        assert_non_null(why);
        if (ret == 0) {
            accepted++;
            if (eb_check_accepted(&img, b.len, EB_VA_MIN, EB_VA_MAX) != 0)
                fail_msg("iteration %u: accepted an unsound image (%d)", iter,
                         eb_check_accepted(&img, b.len, EB_VA_MIN, EB_VA_MAX));
        } else if (ret != -ENOEXEC && ret != -E2BIG) {
            fail_msg("iteration %u: unexpected %d", iter, ret);
        }
    }
    print_message("random corruption: %u of %u accepted (all sound)\n", accepted, iter);
    free(good);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_sorted_and_ignored),
        cmocka_unit_test(test_accepted_variants),
        cmocka_unit_test(test_heap_note),
        cmocka_unit_test(test_note_bounds),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_phdr_table),
        cmocka_unit_test(test_segment_file),
        cmocka_unit_test(test_segment_va),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_entry),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_random_corruption),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
