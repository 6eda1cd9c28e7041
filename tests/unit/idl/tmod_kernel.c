/*
 * The Linux side of the round-trip test: a fake kernel whose functions the
 * generated Linux dispatcher calls (IDL_IMPL(n) = linux_##n).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmod_test.h"

struct tkernel_state tkernel;

struct tdev *linux_talloc_dev(int priv, const char *name, tmod_tdev_setup_fn_fn setup)
{
	struct tdev *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	snprintf(d->name, sizeof(d->name), name ? name : "tdev?", 0);
	d->priv = priv > 0 ? calloc(1, (size_t)priv) : NULL;
	d->flags = 0x1;
	if (setup) {
		setup(d);          /* a nested call into the domain */
		tkernel.setup_seen_in_alloc = d->mtu == 1500;
	}
	return d;
}

int_ret linux_tregister(struct tdev *dev)
{
	int err;

	if (!dev->ops || !dev->ops->open)
		return -22;
	err = dev->ops->open(dev);  /* trampoline: into the domain and back */
	if (err)
		return err;
	__atomic_store_n(&tkernel.registered, dev, __ATOMIC_RELEASE);
	return 0;
}

void linux_tcarrier_on(struct tdev *dev)
{
	dev->up = true;
	tkernel.carrier_on++;
}

void linux_tconsume(struct tbuf *buf)
{
	free(buf);
	__atomic_add_fetch(&tkernel.consumed, 1, __ATOMIC_RELEASE);
}

void linux_tfree_dev(struct tdev *dev)
{
	if (tkernel.registered == dev)
		tkernel.registered = NULL;
	free(dev->priv);
	free(dev);
}

int linux_tlog(const char *msg, uint32_t level)
{
	snprintf(tkernel.last_log, sizeof(tkernel.last_log), "%s", msg ? msg : "(null)");
	tkernel.last_level = level;
	return msg ? (int)strlen(msg) : -1;
}

int64_t linux_tsum(uint32_t n, const uint8_t *data)
{
	int64_t s = 0;
	uint32_t i;

	for (i = 0; i < n; i++)
		s += data[i] * (int64_t)(i + 1);
	return s;
}

int64_t linux_tscalars(uint8_t a, uint16_t b, uint32_t c, uint64_t d, int8_t e, int16_t f,
		       int32_t g, int64_t h, bool i)
{
	if (a != 0xff || b != 0xffff || c != 0xffffffffu || d != ~0ull || e != -128 ||
	    f != -32768 || g != -2147483647 - 1 || h != -(1ll << 62) || !i)
		return -1;
	return 42;
}

uint64_t linux_tpool_sum(uint32_t len, void *data)
{
	const uint8_t *p = data;
	uint64_t s = 0;
	uint32_t i;

	for (i = 0; i < len; i++)
		s += p[i];
	return s;
}

int linux_tstats_get(struct tdev *dev, struct tstats *st)
{
	st->packets = dev->mtu;
	st->bytes = dev->flags;
	st->errors = -3;
	return 0;
}

uint32_t linux_tlinux_add(uint32_t x)
{
	return x + 1000;
}

/* One-way messages are handled by several worker threads: counted with
 * atomics; the order they arrive in is not checked here (workers race). */
void linux_tnote(uint32_t v)
{
	__atomic_add_fetch(&tkernel.notes_sum, v, __ATOMIC_RELAXED);
	__atomic_add_fetch(&tkernel.notes, 1, __ATOMIC_RELEASE);
}

/* An opaque pointer Linux handed out comes back as itself. */
int linux_tcheck_cookie(void *cookie)
{
	return cookie == (void *)&tkernel;
}

int linux_notify(uint32_t code, const char *what)
{
	tkernel.notified++;
	tkernel.last_code = code;
	snprintf(tkernel.last_what, sizeof(tkernel.last_what), "%s", what ? what : "");
	return (int)code * 2;
}
