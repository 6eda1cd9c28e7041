/*
 * lxd-ioctl-fuzz: /dev/lxd ioctl fuzz as root (issue 10 item 3d).
 *
 *   lxd-ioctl-fuzz [COUNT [SEED]]        (default 20000 calls)
 *
 * Random and boundary-value ioctls on /dev/lxd: every command with its
 * size and direction, the same numbers with other sizes and directions,
 * numbers past the last and other magics; argument pointers NULL, 1, a
 * kernel address, an unmapped page, a buffer that ends at an unmapped page
 * (the struct straddles it), and a valid buffer of random bytes with its
 * fields set to boundary values (lengths 0, limits and past them, huge;
 * user pointers NULL, kernel, unmapped).  The existing domains' ids are
 * never given to the calls that would change them (START, STOP, DESTROY,
 * ARGS, CHANNEL, PING, DEBUG).  After every call the pool's free bytes and
 * the domain count (LXD_IOC_INFO) must be as before.  Prints one line with
 * the counts; exit 0 when nothing changed, 1 otherwise.  The caller checks
 * the kernel log for oopses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "klxd_ioctl.h"

static uint64_t rng = 0x6c78646966757a7aull;

static uint64_t rnd64(void)
{
    rng ^= rng << 13;               /* xorshift64 */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(rnd64() % n);
}

static const unsigned long cmds[] = {
    LXD_IOC_VERSION, LXD_IOC_INFO, LXD_IOC_CREATE, LXD_IOC_START, LXD_IOC_STOP,
    LXD_IOC_DESTROY, LXD_IOC_STATUS, LXD_IOC_LIST, LXD_IOC_LOG_READ, LXD_IOC_CHANNEL,
    LXD_IOC_PING, LXD_IOC_ARGS, LXD_IOC_DEBUG,
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static uint32_t existing[64];
static unsigned int nexisting;
static uint8_t *edge;               /* the last mapped byte is edge[-1]; edge itself is unmapped */

static bool is_existing(uint32_t id)
{
    for (unsigned int i = 0; i < nexisting; i++)
        if (existing[i] == id)
            return true;
    return false;
}

static uint32_t pick_id(void)
{
    static const uint32_t fixed[] = { 0, 1, 2, 63, 64, 65, 0x7fffffff, 0x80000000u, ~0u };
    uint32_t id = below(2) ? fixed[below(sizeof(fixed) / sizeof(fixed[0]))] : (uint32_t)rnd64();

    return is_existing(id) ? id + 1000 : id;
}

static uint64_t pick_ptr(void)
{
    static const uint64_t fixed[] = {
        0, 1, 0xffffffff81000000ull, 0xffff888000000000ull, 0x1000, ~0ull, 0x7ffffffff000ull,
    };

    if (below(3))
        return fixed[below(sizeof(fixed) / sizeof(fixed[0]))];
    return (uint64_t)(uintptr_t)(edge - 1 - below(64));      /* runs into the unmapped page */
}

static uint64_t pick_len(void)
{
    static const uint64_t fixed[] = {
        0, 1, 8, 4095, 4096, 65536, 65537, LXDS_MAX_IMAGE, LXDS_MAX_IMAGE + 1, 0xffffffffull,
        1ull << 32, ~0ull,
    };

    return below(2) ? fixed[below(sizeof(fixed) / sizeof(fixed[0]))] : rnd64() >> below(64);
}

/* Fills an argument struct for cmd: random bytes, then fields at boundary values. */
static void fill(unsigned long cmd, uint8_t *a, size_t size)
{
    for (size_t i = 0; i < size; i++)
        a[i] = (uint8_t)rnd64();
    if (cmd == LXD_IOC_CREATE) {
        struct lxd_ioc_create *c = (void *)a;
        c->image = pick_ptr();
        c->len = pick_len();
        if (below(2))
            memcpy(c->name, "ioctl-fuzz", 11);
    } else if (cmd == LXD_IOC_START) {
        ((struct lxd_ioc_start *)a)->id = pick_id();
    } else if (cmd == LXD_IOC_STOP || cmd == LXD_IOC_DESTROY) {
        *(uint32_t *)a = pick_id();
    } else if (cmd == LXD_IOC_STATUS) {
        ((struct lxds_domain_status *)a)->id = below(4) ? pick_id() : existing[0];
    } else if (cmd == LXD_IOC_LIST) {
        struct lxd_ioc_list *l = (void *)a;
        l->ids = pick_ptr();
        l->max = (uint32_t)pick_len();
    } else if (cmd == LXD_IOC_LOG_READ) {
        struct lxd_ioc_log *l = (void *)a;
        l->buf = pick_ptr();
        l->len = (uint32_t)pick_len();
    } else if (cmd == LXD_IOC_CHANNEL) {
        struct lxd_ioc_channel *c = (void *)a;
        c->id = pick_id();
        c->pages = (uint32_t)pick_len();
        /* channel counts around the limit, and anything */
        c->count = below(2) ? below(KLXD_MAX_CHANNELS + 3) : (uint32_t)rnd64();
    } else if (cmd == LXD_IOC_PING) {
        struct lxd_ioc_ping *p = (void *)a;
        p->id = pick_id();
        p->count = (uint32_t)pick_len();
        p->timeout_ms = 1 + below(10);
    } else if (cmd == LXD_IOC_ARGS) {
        struct lxd_ioc_args *g = (void *)a;
        g->id = pick_id();
        g->len = (uint32_t)pick_len();
        g->text = pick_ptr();
    } else if (cmd == LXD_IOC_DEBUG) {
        struct lxd_ioc_debug *d = (void *)a;
        d->id = pick_id();
        d->data = pick_ptr();
        d->req.len = (uint32_t)pick_len();
    }
}

static int state(int fd, uint64_t *free_bytes, uint32_t *domains)
{
    struct lxds_info info;

    if (ioctl(fd, LXD_IOC_INFO, &info))
        return -1;
    *free_bytes = info.pool_free_bytes;
    *domains = info.domains;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long calls = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
    uint64_t free0, free1 = 0;
    uint32_t dom0, dom1 = 0, ids[64];
    unsigned long refused = 0, ok = 0, changed = 0, unexpected = 0;
    static uint8_t arg[4096] __attribute__((aligned(64)));

    if (argc > 2)
        rng = strtoull(argv[2], NULL, 0) | 1;
    int fd = open(KLXD_DEVICE, O_RDWR);
    if (fd < 0) {
        perror("lxd-ioctl-fuzz: " KLXD_DEVICE);
        return 2;
    }
    uint8_t *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (two == MAP_FAILED || munmap(two + 4096, 4096)) {
        perror("lxd-ioctl-fuzz: mmap");
        return 2;
    }
    edge = two + 4096;
    struct lxd_ioc_list l = { .ids = (uint64_t)(uintptr_t)ids, .max = 64 };
    if (ioctl(fd, LXD_IOC_LIST, &l) == 0)
        nexisting = l.count < 64 ? l.count : 64;
    memcpy(existing, ids, sizeof(ids));
    if (state(fd, &free0, &dom0)) {
        perror("lxd-ioctl-fuzz: LXD_IOC_INFO");
        return 2;
    }
    printf("lxd-ioctl-fuzz: %lu calls; pool %llu bytes free, %u domain(s), %u kept out of the "
           "destructive calls\n", calls, (unsigned long long)free0, dom0, nexisting);
    for (unsigned long i = 0; i < calls; i++) {
        unsigned long cmd = cmds[below(NCMDS)];
        size_t size = _IOC_SIZE(cmd);
        void *p = arg;

        switch (below(8)) {
        case 0:                                     /* other size or direction, same number */
            cmd = _IOC(below(4), LXD_IOC_MAGIC, _IOC_NR(cmd), below(2) ? below(4096) : size + 8);
            break;
        case 1:                                     /* past the last number, or another magic */
            cmd = below(2) ? _IOC(below(4), LXD_IOC_MAGIC, 13 + below(243), below(512))
                           : (unsigned long)(uint32_t)rnd64();
            break;
        }
        if (_IOC_TYPE(cmd) == LXD_IOC_MAGIC && _IOC_NR(cmd) == _IOC_NR(LXD_IOC_PING) &&
            _IOC_SIZE(cmd) != size)
            size = _IOC_SIZE(cmd) < sizeof(arg) ? _IOC_SIZE(cmd) : sizeof(arg);
        switch (below(6)) {
        case 0:
            p = NULL;
            break;
        case 1:
            p = (void *)(uintptr_t)pick_ptr();
            break;
        case 2: {                                   /* the struct straddles the unmapped page */
            uint8_t *q = edge - (size > 1 ? 1 + below((uint32_t)size - 1) : 1);
            for (uint8_t *b = q; b < edge; b++)
                *b = (uint8_t)rnd64();              /* random bytes only: no typed field fits */
            p = q;
            break;
        }
        default:
            fill(cmd, arg, size < sizeof(arg) ? size : sizeof(arg));
        }
        if (p && (uint8_t *)p >= two && (uint8_t *)p < edge) {
            /* the only ids a straddling struct could hold are random: keep existing ones out */
            if ((size_t)(edge - (uint8_t *)p) >= 4 && is_existing(*(uint32_t *)p))
                *(uint32_t *)p += 1000;
        }
        errno = 0;
        long r = ioctl(fd, cmd, p);
        if (r < 0)
            refused++;
        else
            ok++;
        /* a successful call that changes something would be a destructive call on a fuzzed id */
        if (r >= 0 && (cmd == LXD_IOC_CREATE || cmd == LXD_IOC_START || cmd == LXD_IOC_STOP ||
                       cmd == LXD_IOC_DESTROY || cmd == LXD_IOC_CHANNEL || cmd == LXD_IOC_ARGS) &&
            unexpected++ < 10)
            printf("lxd-ioctl-fuzz: call %lu: cmd %#lx succeeded (%ld)\n", i, cmd, r);
        if (state(fd, &free1, &dom1) || free1 != free0 || dom1 != dom0) {
            if (changed++ < 10)
                printf("lxd-ioctl-fuzz: call %lu: cmd %#lx -> %ld (errno %d) changed the state: "
                       "pool %llu -> %llu bytes free, %u -> %u domains\n", i, cmd, r, errno,
                       (unsigned long long)free0, (unsigned long long)free1, dom0, dom1);
            free0 = free1;
            dom0 = dom1;
        }
    }
    printf("lxd-ioctl-fuzz: %lu ioctls: %lu refused, %lu accepted; %lu changed the pool or the "
           "domain count, %lu destructive ones succeeded\n", calls, refused, ok, changed, unexpected);
    close(fd);
    return changed || unexpected ? 1 : 0;
}
