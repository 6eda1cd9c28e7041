/*
 * Included (-include) into both generated sides of the round-trip test and
 * into the test's own sources.  In one test process both sides coexist, so
 * each side's dispatcher calls its implementations through a prefix:
 * the Linux side is built with IDL_IMPL(n)=linux_##n, the domain side with
 * IDL_IMPL(n)=domain_##n.  The domain side's caller stubs keep the real names
 * (talloc_dev, tregister, ...), which the test driver calls unmodified.
 */
#ifndef TMOD_TEST_H
#define TMOD_TEST_H

#include "tmod_common.h"

/* --- the fake kernel (tmod_kernel.c): what the Linux side runs --- */
struct tdev *linux_talloc_dev(int priv, const char *name, tmod_tdev_setup_fn_fn setup);
int_ret linux_tregister(struct tdev *dev);
void linux_tcarrier_on(struct tdev *dev);
void linux_tconsume(struct tbuf *buf);
void linux_tfree_dev(struct tdev *dev);
int linux_tlog(const char *msg, uint32_t level);
int64_t linux_tsum(uint32_t n, const uint8_t *data);
int64_t linux_tscalars(uint8_t a, uint16_t b, uint32_t c, uint64_t d, int8_t e, int16_t f,
		       int32_t g, int64_t h, bool i);
uint64_t linux_tpool_sum(uint32_t len, void *data);
int linux_tstats_get(struct tdev *dev, struct tstats *st);
uint32_t linux_tlinux_add(uint32_t x);
int linux_tcheck_cookie(void *cookie);
void linux_tnote(uint32_t v);
int linux_notify(uint32_t code, const char *what);

struct tkernel_state {
	struct tdev *registered;
	int carrier_on;
	int consumed;             /* tbufs freed by tconsume */
	int notified;
	uint32_t last_code;
	char last_what[32];
	char last_log[128];
	uint32_t last_level;
	int setup_seen_in_alloc;  /* setup() ran inside talloc_dev */
	uint64_t notes, notes_sum; /* tnote: how many, and the sum of v */
};
extern struct tkernel_state tkernel;

/* --- the driver (tmod_driver.c): what the domain side runs --- */
int domain_drv_init(void);
void domain_drv_exit(void);
uint32_t domain_drv_ping(uint32_t x);
uint32_t domain_drv_echo(uint32_t x);
void domain_drv_kick(uint32_t v);
int domain_drv_register_cb(tmod_tnotify_fn cb);
int domain_drv_fire(uint32_t code);
long domain_drv_fill(uint8_t seed, uint32_t n, uint8_t *out);
int domain_drv_selftest(void);
int domain_drv_keep(void *cookie);

struct tdriver_state {
	struct tdev *dev;          /* from talloc_dev */
	struct tdev *setup_dev;    /* what setup() was given */
	int opened;
	uint64_t kicks;
	uint64_t xmit_sum;         /* sum of every byte the driver saw */
	int xmits;
	struct tstats stats;
	void *cookie;              /* what drv_keep received */
	void (*kick_hook)(uint32_t v); /* a test's code on the domain's core, run by drv_kick */
};
extern struct tdriver_state tdriver;
extern const struct tdev_ops tdriver_ops;

#endif
