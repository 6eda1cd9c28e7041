/*
 * The domain side of the round-trip test: a small driver written as if for
 * Linux.  It calls the kernel by its real names (talloc_dev, tregister,
 * tconsume...), which resolve to the generated domain-side stubs, and hands
 * the kernel an ops table of its own static functions.
 */
#include <string.h>

#include "tmod_test.h"

struct tdriver_state tdriver;
static tmod_tnotify_fn tdriver_cb;

static int drv_open(struct tdev *dev)
{
	tcarrier_on(dev);            /* a nested call back into Linux */
	tdriver.opened++;
	return 0;
}

static int drv_xmit(struct tbuf *buf, struct tdev *dev)
{
	uint64_t s = 0;
	unsigned int i;

	(void)dev;
	for (i = 0; i < buf->len; i++)
		s += buf->data[i];
	__atomic_add_fetch(&tdriver.xmit_sum, s, __ATOMIC_RELAXED);
	__atomic_add_fetch(&tdriver.xmits, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&tdriver.stats.packets, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&tdriver.stats.bytes, buf->len, __ATOMIC_RELAXED);
	if (buf->proto != 0x0800)
		__atomic_add_fetch(&tdriver.stats.errors, 1, __ATOMIC_RELAXED);
	tconsume(buf);               /* one-way: no reply awaited */
	return 0;
}

static void drv_get_stats(struct tdev *dev, struct tstats *st)
{
	(void)dev;
	st->packets = __atomic_load_n(&tdriver.stats.packets, __ATOMIC_RELAXED);
	st->bytes = __atomic_load_n(&tdriver.stats.bytes, __ATOMIC_RELAXED);
	st->errors = __atomic_load_n(&tdriver.stats.errors, __ATOMIC_RELAXED);
}

static long drv_read(struct tdev *dev, char *ubuf, size_t count, long long *pos)
{
	static const char text[] = "hello from the domain\n";
	size_t left, n;

	(void)dev;
	if (*pos < 0 || (size_t)*pos >= sizeof(text) - 1)
		return 0;
	left = sizeof(text) - 1 - (size_t)*pos;
	n = count < left ? count : left;
	memcpy(ubuf, text + *pos, n);
	*pos += (long long)n;
	return (long)n;
}

const struct tdev_ops tdriver_ops = {
	.open = drv_open,
	.xmit = drv_xmit,
	.get_stats = drv_get_stats,
	.read = drv_read,
};

static void drv_setup(struct tdev *dev)
{
	static const uint8_t addr[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };

	tdriver.setup_dev = dev;
	memset(dev + 1, 0xab, TDEV_PRIV_SIZE);   /* netdev_priv()-style area (ASan checks it) */
	dev->mtu = 1500;
	dev->flags |= 0x10;
	memcpy(dev->addr, addr, sizeof(addr));
	dev->s8v = -5;
	dev->s16v = -300;
	dev->u16v = 60000;
	dev->s64v = -(1ll << 40);
	dev->ops = &tdriver_ops;
	dev->stats.packets = 11;
	dev->stats.bytes = 22;
	dev->stats.errors = 7;
	dev->kind = "tkind";
}

int domain_drv_init(void)
{
	struct tdev *dev = talloc_dev(0, "tdev%d", drv_setup);

	if (!dev)
		return -12;
	tdriver.dev = dev;
	if (dev != tdriver.setup_dev)
		return -100;         /* setup() and the return value must be one object */
	return tregister(dev);
}

void domain_drv_exit(void)
{
	tfree_dev(tdriver.dev);
	tdriver.dev = NULL;
}

uint32_t domain_drv_ping(uint32_t x)
{
	return x + 1;
}

uint32_t domain_drv_echo(uint32_t x)
{
	return tlinux_add(x) + 1;    /* nested: Linux -> domain -> Linux */
}

void domain_drv_kick(uint32_t v)
{
	if (tdriver.kick_hook)
		tdriver.kick_hook(v);
	__atomic_add_fetch(&tdriver.kicks, v, __ATOMIC_RELEASE);
}

int domain_drv_register_cb(tmod_tnotify_fn cb)
{
	tdriver_cb = cb;
	return 0;
}

int domain_drv_fire(uint32_t code)
{
	return tdriver_cb ? tdriver_cb(code, "fired") : -1;
}

/* The domain calling Linux: multi-slot requests, strings, an [out]
 * projection, from whatever thread the backend runs handlers on.  Returns a
 * bit per failed check. */
int domain_drv_selftest(void)
{
	uint8_t data[200];
	int64_t expect = 0;
	struct tstats st = { 0 };
	int bad = 0, i;

	for (i = 0; i < 200; i++) {
		data[i] = (uint8_t)(i * 3);
		expect += data[i] * (int64_t)(i + 1);
	}
	if (tsum(200, data) != expect)
		bad |= 1;
	if (tscalars(0xff, 0xffff, 0xffffffffu, ~0ull, -128, -32768, -2147483647 - 1,
		     -(1ll << 62), true) != 42)
		bad |= 2;
	if (tlog("from the domain", 5) != 15)
		bad |= 4;
	if (tlinux_add(1) != 1001)
		bad |= 8;
	if (tdriver.dev && (tstats_get(tdriver.dev, &st) != 0 || st.packets != 1500))
		bad |= 16;
	return bad;
}

/* The domain holds Linux's pointer as a token and hands it back. */
int domain_drv_keep(void *cookie)
{
	tdriver.cookie = cookie;
	return tcheck_cookie(cookie);
}

long domain_drv_fill(uint8_t seed, uint32_t n, uint8_t *out)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(seed + i);
	return n ? (long)n - 1 : 0;      /* length(return): one less than asked */
}
