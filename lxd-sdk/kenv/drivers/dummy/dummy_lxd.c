// SPDX-License-Identifier: GPL-2.0
/*
 * The domain's half of dummy_glue (docs/lxd-dummy.md): the two glue entry
 * points dummy.idl declares [domain] besides the driver's own functions, and
 * the stand-in for the one Linux global the driver takes by address.
 * Compiled by Kbuild with the guest kernel's headers, linked into dummy.lxd
 * beside drivers/net/dummy.c (unmodified) and the generated dummy_domain.c.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/rwsem.h>
#include <net/net_namespace.h>
#include <net/rtnetlink.h>
#include <linux/if_link.h>
#include <asm/msr.h>

#include <lxds/hypercall_abi.h>
#include "dummy_common.h"

/*
 * dummy_init_module takes down_write(&pernet_ops_rwsem) around its
 * registration: Linux's lock against network namespaces coming and going.
 * In the domain it is a local rw-semaphore (the kenv's); Linux's side of the
 * same registration runs under rtnl (taken on the domain's behalf).
 */
DECLARE_RWSEM(pernet_ops_rwsem);

#define DUMMY_LXD_POOL_GRANT 1   /* grant 0 is the channel */

void glue_async_set_pass_end(struct glue_ctx *ctx, bool (*fn)(bool idle));
static bool dl_flush_at_pass_end(bool idle);

/*
 * Linux granted the pool before the domain started (dummy_glue.ko); the
 * hypervisor put it in the boot info.  The size Linux names must be the
 * grant's: otherwise Linux's offsets and the domain's mapping disagree.
 */
int dummy_lxd_attach_pool(u64 bytes)
{
	const struct lxd_boot_info *bi = (const void *)(uintptr_t)LXD_BOOT_INFO_VA;
	const struct lxd_grant *g;
	int err;

	if (bi->ngrants <= DUMMY_LXD_POOL_GRANT || bi->ngrants > LXDS_MAX_GRANTS) {
		pr_err("dummy_lxd: no packet pool granted (%u grants)\n", bi->ngrants);
		return -ENOENT;
	}
	g = &bi->grants[DUMMY_LXD_POOL_GRANT];
	if (g->bytes != bytes || bytes == 0) {
		pr_err("dummy_lxd: Linux says the pool has %llu bytes, the grant has %llu\n",
		       (unsigned long long)bytes, (unsigned long long)g->bytes);
		return -EINVAL;
	}
	err = glue_pool_set(dummy_domain_ctx, dummy_POOL_skb_data, (void *)(uintptr_t)g->va,
			    (size_t)g->bytes);
	if (err)
		return err;
	glue_async_set_pass_end(dummy_domain_ctx, dl_flush_at_pass_end);
	pr_info("dummy_lxd: packet pool of %llu bytes at %#llx\n", (unsigned long long)g->bytes,
		(unsigned long long)g->va);
	return 0;
}

/*
 * Completions in batches (docs/bench-net.md).  The driver's dev_kfree_skb
 * ends in kfree_skb_reason, which is this function (the generated stub of
 * the one-way rpc is renamed dl_kfree_skb_one by Kbuild): the skb's
 * reference (Linux's word for it) joins the batch and the domain's private
 * copy goes at once, as the stub's dealloc would; the batch goes to Linux
 * as one dummy_kfree_skb_batch message when it is full, when the reason
 * changes, or when the last request of the dispatch pass has run (no
 * request is left queued: glue_async_queued; and, whatever the pass's last
 * request was, from the dispatcher's end-of-pass hook).  A completion then
 * waits at most until the end of the pass it was freed in; unless
 * completion_hold (TSC ticks; in Bochs, emulated instructions) is set: a
 * batch not full yet is held until its oldest completion is that old
 * (checked at each pass end, and while idle), to gather several packets'
 * completions when each pass brings one.  completion_batch=0, the default,
 * sends every completion alone, as before: batches did not pay in Bochs
 * (per pass, one packet each; held, a sender waiting for its completions
 * waits for the hold too).
 */
#define DL_BATCH_MAX 32u                 /* dummy.idl's bound on refs */
static uint completion_batch;           /* off by default: docs/bench-net.md */
module_param(completion_batch, uint, 0444);
MODULE_PARM_DESC(completion_batch, "completions per message, at most 32 (0, the default, or 1: each alone, through kfree_skb_reason)");
static ulong completion_hold;
module_param(completion_hold, ulong, 0444);
MODULE_PARM_DESC(completion_hold, "TSC ticks a batch not full may wait for more completions (0: it goes at the end of its pass)");

/* glue_async.c's (lxds/glue_async.h does not mix with Linux's headers;
 * glue_async_set_pass_end above): requests received and not started yet. */
unsigned glue_async_queued(struct glue_ctx *ctx);

void dl_kfree_skb_one(struct sk_buff *skb, enum skb_drop_reason reason);

static u64 dl_refs[DL_BATCH_MAX];
static u32 dl_nrefs;
static u64 dl_first_tsc;                 /* when the batch's first completion came */
static enum skb_drop_reason dl_reason;

/* The batch to Linux.  Taken out before the send, which may yield to other
 * request threads (the ring full) that add to the next batch meanwhile. */
void dummy_lxd_flush_completions(void);
void dummy_lxd_flush_completions(void)
{
	u64 refs[DL_BATCH_MAX];
	u32 n = dl_nrefs;

	if (!n)
		return;
	memcpy(refs, dl_refs, n * sizeof(refs[0]));
	dl_nrefs = 0;
	dummy_kfree_skb_batch(dl_reason, n, refs);
}

void kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason)
{
	u32 max = min_t(u32, completion_batch, DL_BATCH_MAX);
	int err = 0;
	u64 word;

	if (!skb)
		return;
	if (max <= 1) {
		dl_kfree_skb_one(skb, reason);
		return;
	}
	if (dl_nrefs && reason != dl_reason)
		dummy_lxd_flush_completions();
	word = glue_ref_export(dummy_domain_ctx, skb, dummy_TYPE_sk_buff, &err);
	if (err || !(word & GLUE_REF_YOURS)) {
		/* not an skb Linux sent: the stub sends it and logs what it says */
		dl_kfree_skb_one(skb, reason);
		return;
	}
	glue_ref_drop(dummy_domain_ctx, skb, dummy_TYPE_sk_buff);
	if (!dl_nrefs && completion_hold)
		dl_first_tsc = rdtsc();
	dl_refs[dl_nrefs++] = word;
	dl_reason = reason;
	if (dl_nrefs >= max)
		dummy_lxd_flush_completions();
}

/* Whether the batch should go now (it has something, and no hold or the
 * hold is over). */
static bool dl_due(void)
{
	return dl_nrefs && (!completion_hold || rdtsc() - dl_first_tsc >= completion_hold);
}

/* The dispatcher's end of a pass (glue_async_set_pass_end): idle, whether
 * the batch is due; else send it if due, and say whether it did. */
static bool dl_flush_at_pass_end(bool idle)
{
	if (!dl_due())
		return false;
	if (!idle)
		dummy_lxd_flush_completions();
	return true;
}

/* After a packet: if it was the last request of this pass, its
 * completions go now (if due). */
static void dl_pass_end(void)
{
	if (dl_nrefs && !glue_async_queued(dummy_domain_ctx) && dl_due())
		dummy_lxd_flush_completions();
}

/*
 * One packet: make the glue's private sk_buff look like Linux's to the
 * driver (the data it may read is the head Linux copied into the pool; the
 * room after the struct is its skb_shared_info, zeroed: no timestamp asked,
 * no fragments the domain could follow), then run the driver's own
 * ndo_start_xmit on the domain's copy of the device.  The driver frees the
 * skb (dev_kfree_skb: the one-way kfree_skb_reason back to Linux).
 */
/* A measurement (docs/bench-net.md): every DL_STATS_EVERY packets, the TSC
 * spent in dummy_lxd_xmit (the driver and the completion's send) and the
 * TSC between the first and the last of them (the domain's time per packet,
 * whatever it did meanwhile: polling, dispatch, thread switches, idling). */
#define DL_STATS_EVERY 1000
static u64 dl_n, dl_in, dl_first;

static void dl_account(u64 t0)
{
	u64 t1 = rdtsc();

	if (dl_n == 0)
		dl_first = t0;
	dl_in += t1 - t0;
	if (++dl_n < DL_STATS_EVERY)
		return;
	pr_info("dummy_lxd: stats: %u packets: %llu tsc/pkt in dummy_lxd_xmit, %llu tsc/pkt from first to last\n",
		DL_STATS_EVERY, (unsigned long long)(dl_in / DL_STATS_EVERY),
		(unsigned long long)((t1 - dl_first) / DL_STATS_EVERY));
	dl_n = 0;
	dl_in = 0;
}

void dummy_lxd_xmit(struct sk_buff *skb, struct net_device *dev, u32 len, u16 protocol,
		    u32 headlen, void *data)
{
	struct skb_shared_info *sh = (struct skb_shared_info *)(skb + 1);
	u64 t0 = rdtsc();
	netdev_tx_t rc;

	if (headlen > len || !dev->netdev_ops || !dev->netdev_ops->ndo_start_xmit) {
		pr_err("dummy_lxd: packet refused (len %u, head %u, device %s)\n", len, headlen,
		       dev->name);
		kfree_skb(skb);
		dl_pass_end();
		return;
	}
	skb->head = (unsigned char *)skb;
	skb->end = (sk_buff_data_t)((unsigned char *)sh - skb->head);
	skb->data = data;
	skb->len = len;
	skb->data_len = len - headlen;
	skb->protocol = (__force __be16)protocol;
	skb->dev = dev;
	refcount_set(&skb->users, 1);
	memset(sh, 0, sizeof(*sh));
	rc = dev->netdev_ops->ndo_start_xmit(skb, dev);
	if (rc != NETDEV_TX_OK) {
		/* dummy never says busy; there is no queue here to retry from */
		pr_err("dummy_lxd: %s: ndo_start_xmit returned %d; packet dropped\n", dev->name, rc);
		kfree_skb(skb);
	}
	dl_pass_end();
	dl_account(t0);
}

/*
 * rtnl_link_ops.validate for ip link add: Linux sends the one attribute a
 * driver of this kind looks at (IFLA_ADDRESS, at most MAX_ADDR_LEN bytes by
 * Linux's own netlink policy); here it becomes a netlink attribute again and
 * the driver's own validate judges it.  ops is the driver's own table (the
 * reference Linux got at __rtnl_link_register).
 */
int dummy_lxd_link_validate(struct rtnl_link_ops *ops, bool has_addr, u32 len, const void *addr,
			    u32 n)
{
	struct {
		struct nlattr nla;
		u8 data[MAX_ADDR_LEN];
	} __aligned(NLA_ALIGNTO) a;
	struct nlattr *tb[IFLA_MAX + 1] = { NULL };

	BUILD_BUG_ON(offsetof(typeof(a), data) != NLA_HDRLEN);
	if (!ops || !ops->validate)
		return 0;
	if (has_addr) {
		if (len != n || n > sizeof(a.data)) {
			pr_err("dummy_lxd: validate: an address of %u bytes with %u given; refused\n", len, n);
			return -EINVAL;
		}
		memcpy(a.data, addr, n);
		a.nla.nla_len = NLA_HDRLEN + n;
		a.nla.nla_type = IFLA_ADDRESS;
		tb[IFLA_ADDRESS] = &a.nla;
	}
	return ops->validate(tb, NULL, NULL);
}

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds: dummy's domain-side IDL glue (linked into dummy.lxd)");
