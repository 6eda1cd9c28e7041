/* libFuzzer target: the input is a program of EPT operations (8 bytes each)
 * run against the library and the reference model; any disagreement, leaked
 * frame, malformed table or wrong error code aborts. Arguments come straight
 * from the input, so invalid rights, memory types and ranges are exercised
 * too, and the backing can be starved before any operation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lxds/errno.h>
#include <lxds/ept.h>

#include "ept_harness.h"

#define K4 EPT_PAGE_4K
#define M2 EPT_PAGE_2M
#define G1 EPT_PAGE_1G
#define WINDOW (16 * G1)
#define MAX_OPS 64

static const uint64_t fz_align[4] = { K4, M2, G1, K4 };

static void fz_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_ept: %s\n", what);
        abort();
    }
}

static int fz_want_args(unsigned rights, unsigned mt, bool is_map)
{
    if (rights == 0 || rights > 7 || ((rights & EPT_W) && !(rights & EPT_R)))
        return -EINVAL;
    if (is_map && (mt == 2 || mt == 3 || mt > 6))
        return -EINVAL;
    return 0;
}

/* Runs one 8-byte operation:
 *   b[0] bits 0-1 kind (map, unmap, protect, map), bits 2-3 starve to used+n
 *        when bit 4 is set, bits 5-6 GPA alignment (4K, 2M, 1G, 4K)
 *   b[1..2] GPA index, b[3] bits 0-2 GPA nudge in 4K pages, bits 3-7 size units
 *   b[4] bits 0-3 rights (raw), bits 4-6 memory type (raw)
 *   b[5] bits 0-1 HPA congruence (4K, 2M, 1G, 4K), bits 2-3 size class
 *        (units x 4K, units x 2M, 1-4 x 1G, units x 2M + nudge)
 *   b[6..7] HPA selector */
static void fz_op(struct ept *ept, struct fake_mem *fm, struct ref_model *ref, const uint8_t *b)
{
    unsigned kind = b[0] & 3, rights = b[4] & 15, mt = (b[4] >> 4) & 7;
    uint64_t a = fz_align[(b[0] >> 5) & 3];
    uint64_t gpa = ((b[1] | (uint64_t)b[2] << 8) * a + (b[3] & 7) * K4) % WINDOW;
    uint64_t units = (b[3] >> 3) + 1;
    uint64_t size;
    uint64_t cong = fz_align[b[5] & 3];
    uint64_t sel = b[6] | (uint64_t)b[7] << 8;
    uint64_t hpa = (sel >> 4) * G1 + (gpa & (cong - 1)) + (cong < G1 ? (sel & 15) * cong : 0);
    uint64_t tables = ept->tables;
    int err, want;

    switch ((b[5] >> 2) & 3) {
    case 0:  size = units * K4; break;
    case 1:  size = units * M2; break;
    case 2:  size = ((units & 3) + 1) * G1; break;
    default: size = units * M2 + (b[3] & 7) * K4; break;
    }
    if (gpa + size > WINDOW)
        size = WINDOW - gpa;
    if ((cong == K4 || !ept->allow_2m) && size > 4 * M2)
        size = 4 * M2;      /* bounds the number of 4K leaves and so the run time */
    if (b[0] & 0x10)
        fm->limit = fm->used + ((b[0] >> 2) & 3);

    if (kind == 1) {
        err = ept_unmap(ept, gpa, size);
        want = 0;
    } else if (kind == 2) {
        err = ept_protect(ept, gpa, size, rights);
        want = fz_want_args(rights, 0, false);
        if (!want && ept->format == EPT_FORMAT_NPT && !(rights & EPT_R))
            want = -EINVAL;                 /* NPT: no execute-only pages */
        if (!want && !ref_covered(ref, gpa, size))
            want = -ENOENT;
    } else {
        err = ept_map(ept, gpa, hpa, size, rights, (enum ept_memtype)mt);
        want = fz_want_args(rights, mt, true);
        if (!want && ept->format == EPT_FORMAT_NPT && !(rights & EPT_R))
            want = -EINVAL;
    }
    fm->limit = fm->cap;

    /* A starved backing may fail before protect reaches a hole: both leave
     * the EPT unchanged. Argument errors come before any allocation. */
    if (err == -ENOMEM && (want == 0 || want == -ENOENT)) {
        fz_check(ept->tables == tables, "tables changed by a failed operation");
        fz_check(check_equal(ept, ref), "mapping changed by a failed operation");
    } else if (err != want) {
        fprintf(stderr, "op %u gpa %#llx size %#llx hpa %#llx rights %u mt %u: got %d, want %d\n",
                kind, (unsigned long long)gpa, (unsigned long long)size,
                (unsigned long long)hpa, rights, mt, err, want);
        fz_check(false, "unexpected return value");
    }
    if (!err) {
        if (kind == 1)
            ref_unmap(ref, gpa, size);
        else if (kind == 2)
            ref_protect(ref, gpa, size, rights);
        else
            ref_map(ref, gpa, hpa, size, rights, (enum ept_memtype)mt);
    }
    fz_check(check_translate(ept, ref, gpa), "translate at the start");
    fz_check(check_translate(ept, ref, gpa + size - 1), "translate at the end");
    fz_check(check_translate(ept, ref, gpa + size), "translate past the end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct fake_mem fm;
    struct ref_model ref;
    struct ept ept;
    bool allow_2m, allow_1g;
    enum ept_format format;

    if (len < 1)
        return 0;
    allow_2m = data[0] & 1;
    allow_1g = allow_2m && (data[0] & 2);
    format = data[0] & 4 ? EPT_FORMAT_NPT : EPT_FORMAT_VMX;
    data++, len--;

    fake_mem_init(&fm, 4096);
    ref_init(&ref);
    fz_check(ept_init(&ept, &fm.backing, format, allow_2m, allow_1g) == 0, "init");
    for (size_t i = 0; i + 8 <= len && i < MAX_OPS * 8; i += 8)
        fz_op(&ept, &fm, &ref, data + i);
    fz_check(check_equal(&ept, &ref), "final mapping differs from the model");
    fz_check(check_structure(&ept, &fm), "final table audit");
    fz_check(ept_unmap(&ept, 0, WINDOW) == 0 && ept.tables == 1, "unmap all");
    ept_destroy(&ept);
    fake_mem_fini(&fm);     /* aborts on a leaked frame */
    ref_fini(&ref);
    return 0;
}
