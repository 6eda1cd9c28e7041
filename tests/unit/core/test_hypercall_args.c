/*
 * Linux's hypercall dispatcher (domains/hypercall.c) against hostile
 * arguments, on the host under ASan: the LXD calls are stubs that record
 * what reached them, Linux's RAM is one buffer.  Ids above 2^32 must never
 * reach a domain call (they were truncated: STOP of id + 2^32 stopped
 * domain id), nor a START core above 2^31; and 200 000 random calls must
 * touch nothing outside "Linux's RAM" (ASan) and pass every id through
 * unchanged; CREATE must hand lxd_create a copy of the image (never
 * Linux's RAM: another vCPU or an LXD may rewrite it) and free it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/domain.h>
#include <lxds/errno.h>
#include <lxds/hypercall_abi.h>
#include <lxds/linux_guest.h>
#include <lxds/lxd_domain.h>
#include <lxds/printk.h>

static uint8_t ram[65536] __attribute__((aligned(4096)));
static unsigned int domain_calls;
static uint64_t last_id;
static int last_core;

bool trace_errors;
int trace_error_at(int err, const char *file, int line) { (void)file; (void)line; return err; }
void printk(const char *fmt, ...) { (void)fmt; }
size_t log_read(uint64_t *pos, char *buf, size_t len) { (void)pos; memset(buf, 'x', len); return len; }
void arch_cpu_relax(void) { }      /* hypercall_lock: never contended here */
bool linux_ram_contains(uint64_t gpa, uint64_t len)
{
    uint64_t base = (uintptr_t)ram, end = gpa + len;
    return end >= gpa && gpa >= base && end <= base + sizeof(ram);
}

static int seen(uint32_t id) { domain_calls++; last_id = id; return -ENOENT; }
/* The pool: CREATE's private copy of the image comes from it and goes back (counted). */
static long pool_out;
int pool_alloc(uint64_t count, uint64_t align_frames, uint64_t *pa)
{
    void *p = aligned_alloc(4096, count * 4096);

    (void)align_frames;
    if (!p)
        return -ENOMEM;
    memset(p, 0, count * 4096);
    pool_out += (long)count;
    *pa = (uintptr_t)p;
    return 0;
}
void pool_free(uint64_t pa, uint64_t count)
{
    pool_out -= (long)count;
    free((void *)(uintptr_t)pa);
}

/* The image lxd_create is given must be the hypervisor's copy, never Linux's RAM. */
static unsigned int creates, creates_in_place, creates_same;
int lxd_create(const void *image, uint64_t len, const char *name, const char **why)
{
    creates++;
    creates_in_place += linux_ram_contains((uintptr_t)image, 1);
    creates_same += len == 5000 && !memcmp(image, ram + 8192, 5000);
    (void)len; (void)name; *why = "stub"; return -ENOEXEC;
}
int lxd_grant(uint32_t id, uint64_t hpa, uint64_t pages, uint64_t *va)
{ (void)hpa; (void)pages; (void)va; return seen(id); }
int lxd_set_args(uint32_t id, const char *text, uint64_t len) { (void)text; (void)len; return seen(id); }
int lxd_start(uint32_t id, int core) { last_core = core; return seen(id); }
int lxd_stop(uint32_t id) { return seen(id); }
int lxd_destroy(uint32_t id) { return seen(id); }
int lxd_status(uint32_t id, struct lxds_domain_status *st) { (void)st; return seen(id); }
int lxd_list(uint32_t *ids, uint32_t max) { (void)ids; (void)max; return 0; }
void lxd_info(struct lxds_info *info) { memset(info, 0xA5, sizeof(*info)); }
int lxd_debug(uint32_t id, struct lxds_debug *req, void *buf) { (void)req; (void)buf; return seen(id); }

static int64_t call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct vcpu v = { .regs = { .rax = nr, .rdi = a0, .rsi = a1, .rdx = a2 } };

    assert_int_equal(linux_hypercall(&v), HC_RESUME);
    return (int64_t)v.regs.rax;
}

static void test_ids_above_2_32(void **state)
{
    static const uint64_t nrs[] = { LXDS_HC_START, LXDS_HC_STOP, LXDS_HC_DESTROY, LXDS_HC_STATUS,
                                    LXDS_HC_GRANT, LXDS_HC_SET_ARGS, LXDS_HC_DEBUG };
    (void)state;
    for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
        domain_calls = 0;
        assert_int_equal(call(nrs[i], (1ull << 32) + 1, (uintptr_t)ram, 1), -ENOENT);
        assert_int_equal(call(nrs[i], ~0ull, (uintptr_t)ram, 1), -ENOENT);
        assert_int_equal(domain_calls, 0);
    }
    domain_calls = 0;
    call(LXDS_HC_STOP, 1, 0, 0);                       /* an ordinary id gets through */
    assert_int_equal(domain_calls, 1);
    assert_int_equal(last_id, 1);
    call(LXDS_HC_START, 3, ~0ull, 0);                   /* -1: any core */
    assert_int_equal(last_core, -1);
    domain_calls = 0;
    assert_int_equal(call(LXDS_HC_START, 3, (1ull << 32) + 1, 0), -EINVAL);   /* not core 1 */
    assert_int_equal(call(LXDS_HC_START, 3, 0xFFFFFFFFull, 0), -EINVAL);
    assert_int_equal(domain_calls, 0);
    assert_int_equal(call((1ull << 32) | LXDS_HC_DESTROY, 1, 0, 0), -ENOSYS);
    assert_int_equal(call(~0ull, 1, 0, 0), -ENOSYS);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* A value near an interesting edge: the buffer's ends, 2^32, the top, or random. */
static uint64_t arg(void)
{
    uint64_t base = (uintptr_t)ram, edges[] = { base, base + sizeof(ram), 1ull << 32, 0, ~0ull };

    switch (rnd() % 4) {
    case 0: return edges[rnd() % 5] + (rnd() % 64) - 32;
    case 1: return base + rnd() % sizeof(ram);
    case 2: return rnd() % 70000;
    default: return rnd() >> (rnd() % 64);
    }
}

static void test_random_calls(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        uint64_t nr = rnd() % 16 ? rnd() % 13 : rnd(), a0 = arg(), a1 = arg(), a2 = arg();
        unsigned int before = domain_calls;

        call(nr, a0, a1, a2);
        if (domain_calls != before && nr != LXDS_HC_CREATE)
            assert_int_equal(last_id, a0);              /* never a truncated id */
    }
    assert_int_equal(creates_in_place, 0);              /* every image was copied in first */
    assert_int_equal(pool_out, 0);                      /* and its copy given back */
    printf("hypercall_args: %u CREATE calls reached lxd_create, each with the copy\n", creates);
}

/* A valid CREATE: lxd_create sees a copy with the same bytes, and the copy is freed. */
static void test_create_copies_image(void **state)
{
    (void)state;
    for (int i = 0; i < 5000; i++)
        ram[8192 + i] = (uint8_t)(i * 7);
    strcpy((char *)ram + 4096, "victim");
    unsigned int before = creates_same;
    assert_int_equal(call(LXDS_HC_CREATE, (uintptr_t)ram + 8192, 5000, (uintptr_t)ram + 4096), -ENOEXEC);
    assert_int_equal(creates_same, before + 1);
    assert_int_equal(creates_in_place, 0);
    assert_int_equal(pool_out, 0);
}

/* INFO writes only what the caller's size has room for: 1.1's 40 bytes when it gives none. */
static void test_info_size(void **state)
{
    uint64_t at = (uintptr_t)ram + 16384, end = (uintptr_t)ram + sizeof(ram);
    (void)state;
    memset(ram + 16384, 0, 64);
    assert_int_equal(call(LXDS_HC_INFO, at, 0, 0), 0);                  /* a 1.1 caller */
    assert_int_equal(ram[16384 + LXDS_INFO_SIZE_1_1 - 1], 0xA5);
    assert_int_equal(ram[16384 + LXDS_INFO_SIZE_1_1], 0);               /* nothing past its 40 */
    assert_int_equal(call(LXDS_HC_INFO, at, LXDS_INFO_SIZE_1_1 - 1, 0), -EINVAL);
    assert_int_equal(call(LXDS_HC_INFO, at, ~0ull, 0), 0);              /* more room: the whole struct */
    assert_int_equal(ram[16384 + sizeof(struct lxds_info) - 1], 0xA5);
    assert_int_equal(ram[16384 + sizeof(struct lxds_info)], 0);
    /* at the end of Linux's RAM: 40 bytes fit, the 1.2 struct does not */
    assert_int_equal(call(LXDS_HC_INFO, end - LXDS_INFO_SIZE_1_1, 0, 0), 0);
    assert_int_equal(call(LXDS_HC_INFO, end - LXDS_INFO_SIZE_1_1, sizeof(struct lxds_info), 0),
                     -EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_copies_image),
        cmocka_unit_test(test_ids_above_2_32),
        cmocka_unit_test(test_random_calls),
        cmocka_unit_test(test_info_size),
    };
    return cmocka_run_group_tests_name("hypercall_args", tests, NULL, NULL);
}
