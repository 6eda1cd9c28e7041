// SPDX-License-Identifier: GPL-2.0
/*
 * klxd_hcfuzz: a hypercall fuzzer for the tests of issue 10 (item 3c).
 *
 * On load it makes `calls` (default 100000) random and boundary-value
 * hypercalls: every number (and numbers past the last, above 2^32 and
 * all ones), addresses over the holes in Linux's RAM (the hypervisor's
 * image and reserve, the LXD pool, firmware areas), MMIO (local APIC, I/O
 * APIC, HPET, the PCI hole), the end of each RAM range (an object that
 * straddles it), the top of the address space; lengths of 0, 1, page
 * sizes, the limits and one past, 2^32, 2^63 and lengths that wrap the
 * address space; ids 0, past the last, the existing domain's id plus
 * 2^32, 2^32 and all ones.  After every call it reads the pool's free
 * bytes and the domain count (LXDS_HC_INFO): a refused call must leave
 * both as they were, and no call it makes may succeed except the
 * read-only ones (VERSION, INFO, LIST, STATUS, LOG_READ into its own
 * buffer).  Calls that would legitimately change something (the existing
 * domain's own id for START/STOP/DESTROY/GRANT/SET_ARGS/DEBUG) are never
 * generated; addresses inside Linux's RAM are only its own buffer, so the
 * hypervisor never writes where Linux keeps anything else.
 *
 * One summary line with the counts; the load fails with -EIO if any call
 * changed the pool or the domain count, or succeeded where it must not.
 */
#define pr_fmt(fmt) "klxd_hcfuzz: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/ioport.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/prandom.h>

#include <lxds/hypercall_abi.h>

static unsigned int calls = 100000;
module_param(calls, uint, 0);
MODULE_PARM_DESC(calls, "number of fuzzed hypercalls (default 100000)");
static unsigned long long seed = 0x6c786473;
module_param(seed, ullong, 0);
MODULE_PARM_DESC(seed, "PRNG seed (the same seed gives the same calls)");

#define BUF_ORDER   5                   /* 128 KiB of our own, physically contiguous */
#define BUF_BYTES   (PAGE_SIZE << BUF_ORDER)
#define OWN_SPAN    (BUF_BYTES / 2)     /* where writing calls land: offset < 64 KiB, <= 4 KiB each */
#define NAME_OFF    (BUF_BYTES * 3 / 4) /* never written by the hypervisor: names read from here */
#define NAME_SPAN   (BUF_BYTES / 4 - 64)
#define OWN_WRITE_MAX 4096
#define NR_MAX      16                  /* per-number counters: 0..LXDS_HC_DEBUG, then "other" */
#define MAX_ADDRS   256

static u8 *buf;
static u64 buf_pa;
static struct lxds_info *info;          /* the state checks' own page */
static u64 addrs[MAX_ADDRS];            /* not Linux's RAM, or straddling its end */
static unsigned int naddrs;
static u64 ram_ends[64];                /* one past the last byte of each RAM range */
static u64 ram_starts[64];
static unsigned int nram_ends;
static struct rnd_state rnd;
static u32 real_id = ~0u;               /* an existing domain's id, if any */

static long hc(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2)
{
	long ret;

	asm volatile("vmcall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "c"(0ul) : "memory");
	return ret;
}

static u64 rnd64(void)
{
	return ((u64)prandom_u32_state(&rnd) << 32) | prandom_u32_state(&rnd);
}

static u32 below(u32 n)
{
	return prandom_u32_state(&rnd) % n;
}

static void add_addr(u64 a)
{
	if (naddrs < MAX_ADDRS)
		addrs[naddrs++] = a;
}

static u64 prev_end = 0x100000;         /* below 1 MiB: Linux's own real-mode areas, not fuzzed */

/* Each System RAM range in address order (walk_iomem_res_desc skips what they contain). */
static int add_ram_range(struct resource *r, void *arg)
{
	(void)arg;
	if (nram_ends && ram_ends[nram_ends - 1] == r->start) {
		ram_ends[nram_ends - 1] = (u64)r->end + 1;      /* adjacent ranges: one */
		prev_end = (u64)r->end + 1;
		return 0;
	}
	if (r->start > prev_end) {                      /* a hole: not Linux's */
		add_addr(prev_end);
		add_addr(((prev_end + r->start) / 2) & PAGE_MASK);
		add_addr(r->start - PAGE_SIZE);
		add_addr(r->start - 1);
	}
	if (nram_ends < ARRAY_SIZE(ram_ends)) {
		ram_starts[nram_ends] = r->start;
		ram_ends[nram_ends++] = (u64)r->end + 1;
	}
	prev_end = max_t(u64, prev_end, (u64)r->end + 1);
	return 0;
}

/* The holes between the RAM ranges (where the hypervisor and the pool are), MMIO, the top. */
static void collect_addresses(void)
{
	static const u64 fixed[] = {
		0xfee00000ull, 0xfec00000ull, 0xfed00000ull, 0xe0000000ull, 0xfffff000ull,
		0x100000000ull, 0x10000000000ull, 0xffffffffffff000ull, ~0ull, ~0ull - 4095,
		~0ull - 7, 1ull << 63, 0x8000000000000000ull - 4096,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		add_addr(fixed[i]);
	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0, -1, NULL,
			    add_ram_range);
	add_addr(prev_end);                         /* past the last RAM range */
	add_addr(prev_end + 0x100000);
}

/* Whether [a, a + size) lies inside one of Linux's RAM ranges (where a write would land). */
static bool inside_ram(u64 a, u64 size)
{
	unsigned int i;

	if (a + size < a)
		return false;
	for (i = 0; i < nram_ends; i++)
		if (a >= ram_starts[i] && a + size <= ram_ends[i])
			return true;
	return false;
}

static u64 pick_addr_once(u64 size, bool may_write);

/*
 * A guest-physical address for a call that reads, or (may_write) writes,
 * `size` bytes there.  A writing call lands inside Linux's RAM only in our
 * own buffer where size fits (offset < 64 KiB, size <= 4 KiB); elsewhere
 * it straddles a RAM range's end or lies outside RAM.
 */
static u64 pick_addr(u64 size, bool may_write)
{
	for (;;) {
		u64 a = pick_addr_once(size, may_write);

		if (!may_write || !inside_ram(a, size) ||
		    (a >= buf_pa && a + size <= buf_pa + OWN_SPAN + OWN_WRITE_MAX))
			return a;
	}
}

static u64 pick_addr_once(u64 size, bool may_write)
{
	switch (below(8)) {
	case 0:
	case 1:                                     /* our own buffer: the only RAM we hand out */
		if (may_write && size <= OWN_WRITE_MAX)
			return buf_pa + below(OWN_SPAN);
		if (!may_write)
			return buf_pa + NAME_OFF + below(NAME_SPAN);
		return ~0ull - below(4096);
	case 2: {                                   /* straddling the end of a RAM range */
		u64 end = ram_ends[below(nram_ends)];
		u64 back = may_write ? 1 + below(size > 1 ? (u32)min_t(u64, size - 1, 4096) : 1)
				     : 1 + below(8192);
		if (may_write && back >= size)
			back = size ? size - 1 : 0;
		return back ? end - back : end;
	}
	case 3:
		return rnd64();                         /* anywhere: almost never RAM */
	case 4:
		return rnd64() & 0xffffffffull & ~0xfffull;     /* below 4 GiB, page-aligned */
	default:
		return addrs[below(naddrs)] + (below(4) ? 0 : below(4096));
	}
}

/* A name: mostly from the never-written part of our buffer (empty: refused early), now and
 * then a valid one (the junk image behind it is then refused by the ELF checks). */
static u64 pick_name(void)
{
	if (!below(64))
		return buf_pa + NAME_OFF;               /* "fuzz-img" */
	return pick_addr(LXDS_NAME_MAX, false);
}

/* Lengths and counts: boundary values first, then random. */
static u64 pick_len(u64 addr, u64 limit)
{
	static const u64 fixed[] = {
		0, 1, 7, 8, 4095, 4096, 4097, 65536, 65537, LXDS_MAX_IMAGE, LXDS_MAX_IMAGE + 1,
		0xffffffffull, 0x100000000ull, 1ull << 63, ~0ull, ~0ull - 4095,
	};

	switch (below(4)) {
	case 0:
		return fixed[below(ARRAY_SIZE(fixed))];
	case 1:
		return -addr;                           /* addr + len wraps to 0 */
	case 2:
		return limit ? below((u32)min_t(u64, limit, 0xffffffffull)) : 0;
	default:
		return rnd64() >> below(64);
	}
}

/* Ids: never the existing domain's own (a call with it could change things legitimately). */
static u64 pick_id(void)
{
	static const u64 fixed[] = { 0, 1, 2, 63, 64, 65, 0xffffffffull, 0x100000000ull, ~0ull };
	u64 id;

	switch (below(3)) {
	case 0:
		id = fixed[below(ARRAY_SIZE(fixed))];
		break;
	case 1:
		id = (u64)real_id + ((u64)(1 + below(0xffff)) << 32);  /* the real id, truncated */
		break;
	default:
		id = rnd64() >> below(64);
	}
	return id == real_id ? id + (1ull << 32) : id;
}

static bool read_state(u64 *free, u32 *domains)
{
	if (hc(LXDS_HC_INFO, virt_to_phys(info), 0, 0) != 0)
		return false;
	*free = info->pool_free_bytes;
	*domains = info->domains;
	return true;
}

/* Calls that may succeed on what we generate: they read, or write only into our buffer. */
static bool read_only(unsigned long nr)
{
	return nr == LXDS_HC_VERSION || nr == LXDS_HC_INFO || nr == LXDS_HC_LIST ||
	       nr == LXDS_HC_STATUS || nr == LXDS_HC_LOG_READ;
}

static unsigned long pick_nr(void)
{
	static const unsigned long other[] = {
		12, 13, 63, 64, 255, 0x100000000ul | LXDS_HC_CREATE, 0x100000000ul | LXDS_HC_DESTROY,
		~0ul, 1ul << 63,
	};

	if (below(16))
		return below(LXDS_HC_DEBUG + 1);
	return below(2) ? other[below(ARRAY_SIZE(other))] : rnd64();
}

static void make_call(unsigned long nr, unsigned long *a)
{
	switch (nr) {
	case LXDS_HC_INFO:
		a[0] = pick_addr(sizeof(struct lxds_info), true);
		break;
	case LXDS_HC_CREATE:
		a[0] = pick_addr(0, false);
		a[1] = pick_len(a[0], LXDS_MAX_IMAGE + 2);
		a[2] = pick_name();
		break;
	case LXDS_HC_START:
		a[0] = pick_id();
		a[1] = below(2) ? (unsigned long)(long)(int)below(70) - 1 : rnd64();
		break;
	case LXDS_HC_STOP:
	case LXDS_HC_DESTROY:
		a[0] = pick_id();
		break;
	case LXDS_HC_STATUS:
		a[0] = below(4) ? pick_id() : real_id;
		a[1] = pick_addr(sizeof(struct lxds_domain_status), true);
		break;
	case LXDS_HC_LIST:
		a[1] = pick_len(0, 2048);
		a[0] = pick_addr(a[1] <= 1024 ? a[1] * 4 : ~0ull, true);
		break;
	case LXDS_HC_GRANT:
		a[0] = pick_id();
		a[1] = pick_addr(0, false);
		if (below(2))
			a[1] &= PAGE_MASK;
		a[2] = pick_len(a[1], 4100);
		break;
	case LXDS_HC_LOG_READ:
		a[1] = pick_len(0, 70000);
		a[0] = pick_addr(a[1], true);
		a[2] = pick_addr(8, true);
		break;
	case LXDS_HC_SET_ARGS:
		a[0] = pick_id();
		a[1] = pick_addr(0, false);
		a[2] = pick_len(a[1], 300);
		break;
	case LXDS_HC_DEBUG:
		a[0] = pick_id();
		a[1] = pick_addr(sizeof(struct lxds_debug), true);
		break;
	default:                                /* VERSION, numbers past the last: anything */
		a[0] = rnd64();
		a[1] = rnd64();
		a[2] = rnd64();
	}
}

static int __init hcfuzz_init(void)
{
	u64 free0, free1;
	u32 dom0, dom1, ids[8];
	unsigned long tried[NR_MAX + 1] = { 0 }, refused[NR_MAX + 1] = { 0 };
	unsigned long changed = 0, bad_success = 0, ok = 0, total_refused = 0;
	unsigned int i;
	long n;

	buf = (u8 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, BUF_ORDER);
	info = (struct lxds_info *)get_zeroed_page(GFP_KERNEL);
	if (!buf || !info) {
		pr_err("no memory for the buffers\n");
		free_pages((unsigned long)buf, BUF_ORDER);
		free_page((unsigned long)info);
		return -ENOMEM;
	}
	buf_pa = virt_to_phys(buf);
	strcpy((char *)buf + NAME_OFF, "fuzz-img");
	prandom_seed_state(&rnd, seed);
	collect_addresses();
	n = hc(LXDS_HC_LIST, virt_to_phys(info), ARRAY_SIZE(ids), 0);
	memcpy(ids, info, sizeof(ids));
	if (n > 0)
		real_id = ids[0];
	if (!read_state(&free0, &dom0)) {
		pr_err("LXDS_HC_INFO into its own page failed\n");
		return -EIO;
	}
	pr_info("%u calls, seed %#llx; pool %llu bytes free, %u domain(s) (id %d kept out of the "
		"destructive calls), %u addresses outside Linux's RAM, %u RAM range ends, buffer at %#llx\n",
		calls, seed, free0, dom0, (int)real_id, naddrs, nram_ends, buf_pa);

	for (i = 0; i < calls; i++) {
		unsigned long a[3] = { 0, 0, 0 }, nr = pick_nr();
		unsigned int slot = nr <= LXDS_HC_DEBUG ? nr : NR_MAX;
		long ret;

		make_call(nr, a);
		ret = hc(nr, a[0], a[1], a[2]);
		tried[slot]++;
		if (ret < 0) {
			refused[slot]++;
			total_refused++;
		} else {
			ok++;
			if (!read_only(nr) && bad_success++ < 10)
				pr_err("call %u: nr %#lx (%#lx, %#lx, %#lx) succeeded: %ld\n", i, nr,
				       a[0], a[1], a[2], ret);
		}
		if (!read_state(&free1, &dom1) || free1 != free0 || dom1 != dom0) {
			if (changed++ < 10)
				pr_err("call %u: nr %#lx (%#lx, %#lx, %#lx) -> %ld changed the state: pool "
				       "%llu -> %llu bytes free, %u -> %u domains\n", i, nr, a[0], a[1],
				       a[2], ret, free0, free1, dom0, dom1);
			free0 = free1;
			dom0 = dom1;
		}
		if (!(i & 1023))
			cond_resched();
	}
	for (i = 0; i <= LXDS_HC_DEBUG; i++)
		pr_info("hypercall %u: %lu tried, %lu refused\n", i, tried[i], refused[i]);
	pr_info("other numbers: %lu tried, %lu refused\n", tried[NR_MAX], refused[NR_MAX]);
	pr_info("%u hypercalls: %lu refused, %lu read-only successes; %lu changed the pool or the "
		"domain count, %lu succeeded where they must not\n", calls, total_refused, ok, changed,
		bad_success);
	free_pages((unsigned long)buf, BUF_ORDER);
	free_page((unsigned long)info);
	return changed || bad_success ? -EIO : 0;
}

static void __exit hcfuzz_exit(void)
{
}

module_init(hcfuzz_init);
module_exit(hcfuzz_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds: hypercall fuzzer (tests)");
