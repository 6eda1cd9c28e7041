/*
 * libFuzzer target: the generated receive side of tmod.idl against a hostile
 * peer.  The input is
 *
 *     byte 0       which side receives (bit 0: Linux, else the domain)
 *     byte 1       how many 64-byte channel slots follow (at most 16)
 *     slots        raw slots, fed through reassembly and the generated
 *                  dispatcher of that side, exactly as a backend does
 *     the rest     "reply material": whenever the code under test calls
 *                  across (a nested call, a trampoline, a stub the harness
 *                  calls afterwards), the hostile peer's reply is cut from it
 *
 * Invariants: nothing crashes or reads out of bounds (ASan/UBSan), every
 * reply fits its buffer and carries a status word, and after the contexts
 * are released no glue-owned memory is left (LeakSanitizer).
 *
 * This file is also the fuzz backend (glue_call & co.) and the fuzzed sides'
 * implementations (linux_* / domain_*): plain, bounded versions of the fake
 * kernel and driver of the round-trip test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_SLOTS  16
#define POOL_BYTES      4096

#define fuzz_assert(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct glue_ctx fz_linux, fz_domain;
static const uint8_t *fz_reply_data;
static size_t fz_reply_left;
static uint8_t fz_pool_linux[POOL_BYTES], fz_pool_domain[POOL_BYTES];

/* --- fuzz backend ------------------------------------------------------------ */

static uint64_t fz_take(size_t n)
{
	uint64_t v = 0;

	if (n > fz_reply_left)
		n = fz_reply_left;
	memcpy(&v, fz_reply_data, n);
	fz_reply_data += n;
	fz_reply_left -= n;
	return v;
}

/* The peer's answer, cut from the input; checked as the host backend does. */
static int fz_call(struct glue_ctx *ctx, struct glue_msg *req, struct glue_msg *reply)
{
	uint32_t n, i;

	(void)ctx;
	if (fz_reply_left == 0)
		return GLUE_EPIPE;
	n = (uint32_t)fz_take(1) % (reply->cap + 2);
	if (n > reply->cap)
		return GLUE_EBADMSG;           /* longer than the caller's worst case */
	reply->rpc = req->rpc;
	reply->kind = CHAN_T_REPLY;
	reply->nwords = n;
	for (i = 0; i < n; i++)
		reply->w[i] = fz_take(i == 0 ? 1 : 8);   /* status mostly 0 */
	if (n < 1)
		return GLUE_EBADMSG;
	if (reply->w[0] != 0)
		return GLUE_EIO;
	return 0;
}

static int fz_send(struct glue_ctx *ctx, struct glue_msg *msg)
{
	(void)ctx;
	fuzz_assert(msg->nwords <= msg->cap);
	return 0;
}

static const struct glue_backend_ops fz_ops = { .call = fz_call, .send = fz_send };

void *glue_zalloc(size_t size) { return calloc(1, size); }
void glue_free(void *p) { free(p); }
void glue_log(struct glue_ctx *ctx, const char *fmt, ...) { (void)ctx; (void)fmt; }
void glue_lock(struct glue_ctx *ctx) { (void)ctx; }
void glue_unlock(struct glue_ctx *ctx) { (void)ctx; }

int glue_copy_from_user(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	return 0;
}

int glue_copy_to_user(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	return 0;
}

/* --- the Linux side's functions (bounded fakes) ----------------------------------- */

static struct tdev *fz_devs[8];        /* what linux_talloc_dev allocated */
static struct tdev fz_kdev;            /* a device Linux owns from the start */
static struct tbuf fz_kbuf;

struct tdev *linux_talloc_dev(int priv, const char *name, tmod_tdev_setup_fn_fn setup)
{
	unsigned i;

	(void)priv;
	for (i = 0; i < 8; i++)
		if (!fz_devs[i]) {
			fz_devs[i] = calloc(1, sizeof(struct tdev));
			snprintf(fz_devs[i]->name, sizeof(fz_devs[i]->name), "%s", name);
			setup(fz_devs[i]);
			return fz_devs[i];
		}
	return NULL;
}

int_ret linux_tregister(struct tdev *dev)
{
	if (dev->ops && dev->ops->open)
		return dev->ops->open(dev);     /* a trampoline: reply from the input */
	return -22;
}

void linux_tcarrier_on(struct tdev *dev) { dev->up = true; }
void linux_tconsume(struct tbuf *buf) { buf->len = 0; }

void linux_tfree_dev(struct tdev *dev)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		if (fz_devs[i] == dev) {
			free(dev);
			fz_devs[i] = NULL;
		}
}

int linux_tlog(const char *msg, uint32_t level)
{
	return msg ? (int)strlen(msg) + (int)level : -1;
}

int64_t linux_tsum(uint32_t n, const uint8_t *data)
{
	int64_t s = 0;

	while (n--)
		s += data[n];
	return s;
}

int64_t linux_tscalars(uint8_t a, uint16_t b, uint32_t c, uint64_t d, int8_t e, int16_t f,
		       int32_t g, int64_t h, bool i)
{
	return (int64_t)(a + b + c + d) + e + f + g + h + i;
}

uint64_t linux_tpool_sum(uint32_t len, void *data)
{
	const uint8_t *p = data;
	uint64_t s = 0;

	while (len--)
		s += p[len];
	return s;
}

int linux_tstats_get(struct tdev *dev, struct tstats *st)
{
	st->packets = (uint64_t)dev->mtu;
	return 0;
}

uint32_t linux_tlinux_add(uint32_t x) { return x + 1000; }
int linux_tcheck_cookie(void *cookie) { return cookie == (void *)&fz_kdev; }
void linux_tnote(uint32_t v) { (void)v; }

/* --- the domain side's functions --------------------------------------------------- */

static tmod_tnotify_fn fz_cb;

static void fz_setup(struct tdev *dev)
{
	dev->mtu = 1500;
}

static int fz_open(struct tdev *dev)
{
	tcarrier_on(dev);
	return 0;
}

static int fz_xmit(struct tbuf *buf, struct tdev *dev)
{
	uint64_t s = 0;
	unsigned int i;

	(void)dev;
	for (i = 0; i < buf->len; i++)   /* data is in the pool, len bounded by it */
		s += buf->data[i];
	tconsume(buf);
	return (int)(s & 1);
}

static void fz_get_stats(struct tdev *dev, struct tstats *st)
{
	(void)dev;
	st->packets = 1;
}

static long fz_read(struct tdev *dev, char *ubuf, size_t count, long long *pos)
{
	(void)dev;
	memset(ubuf, 'r', count);
	*pos += (long long)count;
	return (long)count;
}

int domain_drv_init(void)
{
	struct tdev *d = talloc_dev(0, "fz%d", fz_setup);

	if (!d)
		return -12;
	tregister(d);
	tfree_dev(d);
	return 0;
}

void domain_drv_exit(void) {}
uint32_t domain_drv_ping(uint32_t x) { return x + 1; }
uint32_t domain_drv_echo(uint32_t x) { return tlinux_add(x) + 1; }
void domain_drv_kick(uint32_t v) { (void)v; }

int domain_drv_register_cb(tmod_tnotify_fn cb)
{
	fz_cb = cb;
	return 0;
}

int domain_drv_fire(uint32_t code)
{
	return fz_cb ? fz_cb(code, "fired") : -1;
}

int domain_drv_keep(void *cookie)
{
	return tcheck_cookie(cookie);
}

int domain_drv_selftest(void)
{
	uint8_t data[3] = { 1, 2, 3 };

	return (int)tsum(3, data);
}

long domain_drv_fill(uint8_t seed, uint32_t n, uint8_t *out)
{
	memset(out, seed, n);
	return (long)n;
}

/* --- the harness ------------------------------------------------------------------------ */

/* Registers the objects and functions a peer could name from a seed. */
static void fz_fixtures(void)
{
	static union glue_msg_full none;
	struct glue_rd r;
	uint64_t word;
	int err = 0;

	memset(&fz_kdev, 0, sizeof(fz_kdev));
	memset(&fz_kbuf, 0, sizeof(fz_kbuf));
	/* Linux: entry 1 is a device, entry 2 a buffer */
	word = glue_ref_export(&fz_linux, &fz_kdev, tmod_TYPE_tdev, &err);
	glue_ref_export(&fz_linux, &fz_kbuf, tmod_TYPE_tbuf, &err);
	/* the domain: a private copy of that device, then the driver's functions */
	glue_msg_init(&none.m, 0);
	glue_rd_init(&r, &fz_domain, &none.m, "fixture");
	glue_ref_import(&r, word, tmod_TYPE_tdev, sizeof(struct tdev), "fixture");
	glue_ref_export(&fz_domain, (const void *)fz_open, tmod_TYPE_tdev_ops_open, &err);
	glue_ref_export(&fz_domain, (const void *)fz_xmit, tmod_TYPE_tdev_ops_xmit, &err);
	glue_ref_export(&fz_domain, (const void *)fz_get_stats, tmod_TYPE_tdev_ops_get_stats, &err);
	glue_ref_export(&fz_domain, (const void *)fz_read, tmod_TYPE_tdev_ops_read, &err);
	fuzz_assert(err == 0);
}

static void fz_deliver(struct glue_ctx *ctx, const struct glue_msg *m)
{
	static union glue_msg_full reply;

	if (m->kind == CHAN_T_REPLY)
		return;                 /* no call of ours is waiting in this harness */
	glue_msg_init(&reply.m, GLUE_MAX_WORDS);
	glue_handle(ctx, m, &reply.m);
	fuzz_assert(reply.m.nwords <= reply.m.cap);
	/* a request always gets a status word (one-way messages get nothing) */
	fuzz_assert(m->kind != CHAN_T_REQUEST || reply.m.nwords >= 1);
	fuzz_assert(reply.m.kind == CHAN_T_REPLY && reply.m.tag == m->tag);
}

static void fz_feed(struct glue_ctx *ctx, const uint8_t *slots, unsigned n)
{
	static struct glue_rx rx;
	unsigned i;

	memset(&rx, 0, sizeof(rx));
	glue_msg_init(&rx.msg.m, GLUE_MAX_WORDS);
	for (i = 0; i < n; i++) {
		struct chan_msg s;
		enum glue_rx_result res;

		memcpy(&s, slots + (size_t)i * sizeof(s), sizeof(s));
		/* what chan_try_recv lets through */
		s.hdr.status = CHAN_SLOT_READY;
		if (s.hdr.type >= CHAN_T_LIMIT || !(CHAN_ACCEPT_ALL & CHAN_ACCEPT(s.hdr.type)))
			continue;
		res = glue_rx_feed(ctx, &rx, &s);
		if (res == GLUE_RX_TRUNCATED)
			res = glue_rx_feed(ctx, &rx, &s);
		if (res == GLUE_RX_DONE) {
			fuzz_assert(rx.msg.m.nwords <= GLUE_MAX_WORDS);
			fz_deliver(ctx, &rx.msg.m);
		}
	}
}

/* Our own calls, answered by the hostile peer: the caller side's checks. */
static void fz_calls(void)
{
	uint8_t out[300], data[4] = { 1, 2, 3, 4 };
	struct tstats st;
	struct tdev *d;

	d = talloc_dev(0, "x", fz_setup);
	if (d)
		tstats_get(d, &st);
	tsum(4, data);
	tlog("hello", 1);
	drv_fill(1, 300, out);
	drv_fire(1);
	drv_ping(1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned nslots, i;

	if (size < 2)
		return 0;
	setenv("GLUE_QUIET", "1", 1);
	glue_ctx_init(&fz_linux, "linux", tmod_linux_dispatch);
	glue_ctx_init(&fz_domain, "domain", tmod_domain_dispatch);
	fz_linux.ops = &fz_ops;
	fz_domain.ops = &fz_ops;
	tmod_linux_ctx = &fz_linux;
	tmod_domain_ctx = &fz_domain;
	glue_pool_set(&fz_linux, tmod_POOL_tpool, fz_pool_linux, POOL_BYTES);
	glue_pool_set(&fz_domain, tmod_POOL_tpool, fz_pool_domain, POOL_BYTES);
	fz_cb = NULL;
	fz_fixtures();

	nslots = data[1] % (FUZZ_MAX_SLOTS + 1);
	if ((size - 2) / 64 < nslots)
		nslots = (unsigned)((size - 2) / 64);
	fz_reply_data = data + 2 + (size_t)nslots * 64;
	fz_reply_left = size - 2 - (size_t)nslots * 64;
	fz_feed(data[0] & 1 ? &fz_linux : &fz_domain, data + 2, nslots);
	fz_calls();

	tmod_linux_release(&fz_linux);     /* also unbinds this input's trampolines */
	tmod_domain_release(&fz_domain);
	for (i = 0; i < 8; i++) {
		free(fz_devs[i]);
		fz_devs[i] = NULL;
	}
	return 0;
}
