/*
 * libFuzzer target for elf_image_parse: the fuzzer's bytes are the whole
 * file.  The validator must never read outside them (ASan), never hit
 * undefined behaviour (UBSan), return only its documented errors, always
 * give a reason, and whatever it accepts must be sound (eb_check_accepted).
 *
 * With LXDS_ELF_WRITE_SEED=path set, initialisation writes the builder's
 * good image there and exits: fuzz-elf.sh makes its seed corpus that way,
 * so no binary file lives in the tree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lxds/errno.h>

#include "elf_builder.h"

#define fuzz_assert(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *seed = getenv("LXDS_ELF_WRITE_SEED");
    struct eb b;

    (void)argc;
    (void)argv;
    if (!seed)
        return 0;
    eb_good(&b);
    unsigned char *f = eb_file(&b);
    FILE *out = fopen(seed, "wb");
    if (!out || fwrite(f, 1, b.len, out) != b.len || fclose(out) != 0)
        exit(1);
    free(f);
    exit(0);
}

static void fuzz_one(const uint8_t *data, size_t size, uint64_t va_min, uint64_t va_max)
{
    struct elf_image img;
    const char *why = NULL;
    int ret = elf_image_parse(data, size, va_min, va_max, &img, &why);

    fuzz_assert(why != NULL && why[0] != '\0');
    if (ret == 0)
        fuzz_assert(eb_check_accepted(&img, size, va_min, va_max) == 0);
    else
        fuzz_assert(ret == -ENOEXEC || ret == -E2BIG || ret == -EINVAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so reading one byte past the input is caught. */
    uint8_t *copy = malloc(size ? size : 1);

    memcpy(copy, data, size);
    fuzz_one(copy, size, EB_VA_MIN, EB_VA_MAX);
    /* A second range where page rounding matters at both ends. */
    fuzz_one(copy, size, EB_VA_MIN + 0x801, 0x405800);
    free(copy);
    return 0;
}
