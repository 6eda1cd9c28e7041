/*
 * The validator over the real LXD images built by lxd-sdk/build.mk: the
 * examples must pass with the layout lxd.ld promises, each malformed image
 * in bad/ must be refused with the errno and reason its EXPECTED line
 * names (the system tests hold the hypervisor to the same list), and
 * random corruption of a real image never crashes the validator.
 * LXD_IMAGE_DIR is set by the build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/errno.h>
#include <lxds/hypercall_abi.h>

#include "elf_builder.h"

/* Reads a whole file into an exactly-sized buffer (ASan sees over-reads). */
static unsigned char *slurp(const char *name, size_t *len)
{
    char path[512];
    unsigned char *buf;
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/%s", LXD_IMAGE_DIR, name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run make lxd-images)", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n ? (size_t)n : 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void check_good(const char *name)
{
    struct elf_image img;
    const char *why = NULL;
    size_t len;
    unsigned char *f = slurp(name, &len);
    int ret = elf_image_parse(f, len, LXD_IMAGE_BASE, LXD_IMAGE_LIMIT, &img, &why);

    if (ret != 0)
        fail_msg("%s refused: %d %s", name, ret, why);
    assert_int_equal(eb_check_accepted(&img, len, LXD_IMAGE_BASE, LXD_IMAGE_LIMIT), 0);
    /* lxd.ld: text RX at the base with _start first, then rodata R, then data RW. */
    assert_int_equal(img.entry, LXD_IMAGE_BASE);
    assert_int_equal(img.nsegs, 3);
    assert_int_equal(img.segs[0].vaddr, LXD_IMAGE_BASE);
    assert_int_equal(img.segs[0].flags, ELF_PF_R | ELF_PF_X);
    assert_int_equal(img.segs[1].flags, ELF_PF_R);
    assert_int_equal(img.segs[2].flags, ELF_PF_R | ELF_PF_W);
    for (unsigned i = 0; i < img.nsegs; i++)
        assert_int_equal(img.segs[i].vaddr % 4096, 0);
    print_message("%s: %zu bytes, entry 0x%llx, %u segments, ok\n", name, len,
                  (unsigned long long)img.entry, img.nsegs);
    free(f);
}

static void test_echo(void **state)
{
    (void)state;
    check_good("echo.lxd");
}

static void test_probe(void **state)
{
    (void)state;
    check_good("probe.lxd");
}

static void test_bad_images(void **state)
{
    char path[512], line[512];
    unsigned count = 0;
    FILE *exp;

    (void)state;
    snprintf(path, sizeof(path), "%s/bad/EXPECTED", LXD_IMAGE_DIR);
    exp = fopen(path, "r");
    assert_non_null(exp);
    while (fgets(line, sizeof(line), exp)) {
        char name[128], err[16], file[160];
        int off = 0, want;
        struct elf_image img;
        const char *why = NULL;
        size_t len;

        line[strcspn(line, "\n")] = '\0';
        assert_int_equal(sscanf(line, "%127s %15s %n", name, err, &off), 2);
        want = strcmp(err, "E2BIG") == 0 ? -E2BIG : strcmp(err, "ENOEXEC") == 0 ? -ENOEXEC : 0;
        assert_int_not_equal(want, 0);
        snprintf(file, sizeof(file), "bad/%s", name);
        unsigned char *f = slurp(file, &len);
        int ret = elf_image_parse(f, len, LXD_IMAGE_BASE, LXD_IMAGE_LIMIT, &img, &why);
        if (ret != want || !strstr(why, line + off))
            fail_msg("%s: expected %s \"%s\", got %d \"%s\"", name, err, line + off, ret, why);
        print_message("%s refused: %s\n", name, why);
        free(f);
        count++;
    }
    fclose(exp);
    assert_true(count >= 5);
}

/* Random byte changes anywhere in the real echo image, headers favoured. */
static void test_corrupt_echo(void **state)
{
    uint64_t x = 0x243f6a8885a308d3ull;
    size_t len, hot = 64 + 3 * 56;
    unsigned char *good = slurp("echo.lxd", &len), *f = malloc(len);
    unsigned accepted = 0, iter;

    (void)state;
    for (iter = 0; iter < 50000; iter++) {
        struct elf_image img;
        const char *why = NULL;

        memcpy(f, good, len);
        for (unsigned k = 0; k < 1 + iter % 4; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            size_t at = (x & 7) ? (x >> 8) % hot : (x >> 8) % len;
            f[at] = (unsigned char)(x >> 40);
        }
        if (elf_image_parse(f, len, LXD_IMAGE_BASE, LXD_IMAGE_LIMIT, &img, &why) == 0) {
            accepted++;
            assert_int_equal(eb_check_accepted(&img, len, LXD_IMAGE_BASE, LXD_IMAGE_LIMIT), 0);
        }
        assert_non_null(why);
    }
    print_message("corrupted echo.lxd: %u of %u accepted (all sound)\n", accepted, iter);
    free(good);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_bad_images),
        cmocka_unit_test(test_corrupt_echo),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
