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
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/rtnetlink.h>
#include <linux/if_link.h>
#include <asm/msr.h>

#include <lxds/hypercall_abi.h>
#include "dummy_common.h"
#include "dummy_pool.h"

/*
 * dummy_init_module takes down_write(&pernet_ops_rwsem) around its
 * registration: Linux's lock against network namespaces coming and going.
 * In the domain it is a local rw-semaphore (the kenv's); Linux's side of the
 * same registration runs under rtnl (taken on the domain's behalf).
 */
DECLARE_RWSEM(pernet_ops_rwsem);

#define DUMMY_LXD_POOL_GRANT 1   /* grant 0 is the channel */
#define DL_SLOT_BYTES        DUMMY_SLOT_BYTES

void glue_async_set_pass_end(struct glue_ctx *ctx, bool (*fn)(bool idle));
static bool dl_flush_at_pass_end(bool idle);

/*
 * The domain's private sk_buffs, one per pool slot (Linux sends no skb:
 * it freed its own once the head was in the slot).  Slot i's packet runs
 * the driver on dl_skbs[i]; the driver's dev_kfree_skb (kfree_skb_reason,
 * below) gives slot i back to Linux.  The room after each sk_buff is its
 * skb_shared_info (skb_shinfo() must point somewhere real).
 */
struct dl_skb {
	struct sk_buff skb;
	struct skb_shared_info sh;
};
static struct dl_skb *dl_skbs;
static bool *dl_busy;                    /* slot i's skb is with the driver */
static u32 dl_nslots;
static uintptr_t dl_pool_va;
/* The completion ring in the pool (dummy_pool.h) and the numbers written
 * into it (not static: the hostile test build forges ring indexes). */
struct dummy_cring *dummy_lxd_cring;
u32 dummy_lxd_cprod;
/* The transmit ring in the pool (dummy_pool.h): Linux's entries, read in
 * order from dl_tcons; each goes through the generated dispatch as if it
 * came on the channel (dl_trx reassembles it, one slot). */
static const struct dummy_txring *dl_txr;
static u64 dl_tcons;
static struct glue_rx dl_trx;
static union glue_msg_full dl_treply;
static u64 dl_trefused;                  /* entries refused, since the pool was attached */
static u64 dl_xrefused;                  /* dummy_lxd_xmit's own refusals, from either path */

/*
 * Linux granted the pool before the domain started (dummy_glue.ko); the
 * hypervisor put it in the boot info.  The size Linux names must be the
 * grant's: otherwise Linux's offsets and the domain's mapping disagree.
 */
int dummy_lxd_attach_pool(u64 bytes)
{
	const struct lxd_boot_info *bi = (const void *)(uintptr_t)LXD_BOOT_INFO_VA;
	const struct lxd_grant *g;
	u32 n;
	int err;

	if (bi->ngrants <= DUMMY_LXD_POOL_GRANT || bi->ngrants > LXDS_MAX_GRANTS) {
		pr_err("dummy_lxd: no packet pool granted (%u grants)\n", bi->ngrants);
		return -ENOENT;
	}
	g = &bi->grants[DUMMY_LXD_POOL_GRANT];
	if (g->bytes != bytes || bytes != DUMMY_POOL_BYTES) {
		pr_err("dummy_lxd: Linux says the pool has %llu bytes, the grant has %llu\n",
		       (unsigned long long)bytes, (unsigned long long)g->bytes);
		return -EINVAL;
	}
	if (dl_skbs)
		return -EBUSY;
	n = DUMMY_POOL_DATA_SLOTS;
	dl_skbs = kcalloc(n, sizeof(*dl_skbs), GFP_KERNEL);
	dl_busy = kcalloc(n, sizeof(*dl_busy), GFP_KERNEL);
	if (!dl_skbs || !dl_busy) {
		pr_err("dummy_lxd: no memory for %u private sk_buffs\n", n);
		kfree(dl_skbs);
		kfree(dl_busy);
		dl_skbs = NULL;
		dl_busy = NULL;
		return -ENOMEM;
	}
	err = glue_pool_set(dummy_domain_ctx, dummy_POOL_skb_data, (void *)(uintptr_t)g->va,
			    (size_t)g->bytes);
	if (err)
		return err;
	dl_pool_va = (uintptr_t)g->va;
	dummy_lxd_cring = (struct dummy_cring *)(uintptr_t)(g->va + DUMMY_CRING_OFFSET);
	glue_msg_init(&dl_trx.msg.m, GLUE_MAX_WORDS);
	glue_msg_init(&dl_treply.m, GLUE_MAX_WORDS);
	dl_txr = (const struct dummy_txring *)(uintptr_t)(g->va + DUMMY_TXR_OFFSET);
	dl_nslots = n;
	glue_async_set_pass_end(dummy_domain_ctx, dl_flush_at_pass_end);
	pr_info("dummy_lxd: packet pool of %llu bytes at %#llx\n", (unsigned long long)g->bytes,
		(unsigned long long)g->va);
	return 0;
}

/*
 * Completions: pool slots back to Linux (docs/bench-net.md).  The driver's
 * dev_kfree_skb ends in kfree_skb_reason, which is this file's: the private
 * skb is done with, and its slot's number goes into the completion ring in
 * the pool (dummy_pool.h: no message; Linux reads the ring when it needs
 * slots, and is rung only when a sender of its waits).
 *
 * completion_ring=0: as before the ring existed, the slot joins a batch,
 * and the batch goes
 * to Linux as one dummy_slots_done message when it is full, or once its
 * oldest slot is completion_hold TSC ticks old (in Bochs, emulated
 * instructions; checked after each packet, at each dispatch pass end and
 * while idle).  Linux does not wait for these: its skb was freed at xmit; it
 * needs the slots back only before it runs out (DG_INFLIGHT in flight), so
 * a full batch of 32 is the common case.  completion_batch=0 or 1 sends
 * every slot alone.
 */
#define DL_BATCH_MAX 32u                 /* dummy.idl's bound on slots */
static uint completion_batch = DL_BATCH_MAX;
module_param(completion_batch, uint, 0444);
MODULE_PARM_DESC(completion_batch, "slots per completion message, at most 32, the default (0 or 1: each alone)");
static ulong completion_hold = 200000;
module_param(completion_hold, ulong, 0444);
MODULE_PARM_DESC(completion_hold, "TSC ticks a batch not full may wait for more slots (default 200000; 0: it goes at the end of its dispatch pass)");
static bool completion_ring = true;
module_param(completion_ring, bool, 0444);
MODULE_PARM_DESC(completion_ring, "slots back through the completion ring in the pool (default); 0: in dummy_slots_done messages (completion_batch, completion_hold)");

/* glue_async.c's (lxds/glue_async.h does not mix with Linux's headers;
 * glue_async_set_pass_end above): requests received and not started yet. */
unsigned glue_async_queued(struct glue_ctx *ctx);

static u32 dl_slots[DL_BATCH_MAX];
static u32 dl_nslot_batch;
static u64 dl_first_tsc;                 /* when the batch's first slot came */
static u64 dl_not_ours;                  /* kfree_skb of an skb that is no slot's */

/* The batch to Linux.  Taken out before the send, which may yield to other
 * request threads (the ring full) that add to the next batch meanwhile. */
void dummy_lxd_flush_completions(void);
void dummy_lxd_flush_completions(void)
{
	u32 slots[DL_BATCH_MAX];
	u32 n = dl_nslot_batch;

	if (!n)
		return;
	memcpy(slots, dl_slots, n * sizeof(slots[0]));
	dl_nslot_batch = 0;
	dummy_slots_done(n, slots);
}

/*
 * A slot's number into the completion ring; Linux rung if a sender of its
 * waits for a slot (dummy_pool.h).  (dummy_hostile.c writes numbers Linux
 * must refuse through this too.)
 */
void dummy_lxd_ring_put(u32 slot);
void dummy_lxd_ring_put(u32 slot)
{
	struct dummy_cring *r = dummy_lxd_cring;

	WRITE_ONCE(r->slot[dummy_lxd_cprod % DUMMY_CRING_ENTRIES], slot);
	smp_wmb();                        /* the number before prod */
	WRITE_ONCE(r->prod, ++dummy_lxd_cprod);
	smp_mb();                         /* prod before want is read */
	/* cleared and read in one: a want Linux sets after this stays */
	if (unlikely(READ_ONCE(r->want)) && xchg(&r->want, 0))
		dummy_slots_done(0, &slot);
}

/* The slot whose private skb this is, or -1. */
int dummy_lxd_slot_of(const struct sk_buff *skb);
int dummy_lxd_slot_of(const struct sk_buff *skb)
{
	uintptr_t off = (uintptr_t)skb - (uintptr_t)dl_skbs;

	if (!dl_skbs || (uintptr_t)skb < (uintptr_t)dl_skbs || off % sizeof(*dl_skbs) ||
	    off / sizeof(*dl_skbs) >= dl_nslots)
		return -1;
	return (int)(off / sizeof(*dl_skbs));
}

void kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason)
{
	u32 max = min_t(u32, completion_batch, DL_BATCH_MAX);
	int slot;

	(void)reason;                     /* Linux consumed its skb already */
	if (!skb)
		return;
	slot = dummy_lxd_slot_of(skb);
	if (slot < 0 || !dl_busy[slot]) {
		if (!dl_not_ours++)
			pr_err("dummy_lxd: kfree_skb of an skb that is no pool slot's, or freed twice; ignored\n");
		return;
	}
	if (!refcount_dec_and_test(&skb->users))
		return;                   /* skb_get'd: the last kfree_skb completes it */
	dl_busy[slot] = false;
	if (completion_ring) {
		dummy_lxd_ring_put((u32)slot);
		return;
	}
	if (max <= 1) {
		u32 one = (u32)slot;

		dummy_slots_done(1, &one);
		return;
	}
	if (!dl_nslot_batch && completion_hold)
		dl_first_tsc = rdtsc();
	dl_slots[dl_nslot_batch++] = (u32)slot;
	if (dl_nslot_batch >= max)
		dummy_lxd_flush_completions();
}

/* Whether the batch should go now (it has something, and no hold or the
 * hold is over). */
static bool dl_due(void)
{
	return dl_nslot_batch &&
	       (!completion_hold || rdtsc() - dl_first_tsc >= completion_hold);
}

/* --- the transmit ring (dummy_pool.h) ----------------------------------------- */

/* Linux published the next entry (its seq is its index + 1). */
static bool dl_txd_ready(void)
{
	return dl_txr &&
	       smp_load_acquire(&dl_txr->e[dl_tcons % DUMMY_TXR_ENTRIES].seq) == dl_tcons + 1;
}

/* A refused entry: counted; the first 16 logged, then every 1024th (a
 * Linux that writes garbage in a loop must not flood the log). */
static void dl_txd_refused(u64 idx, const char *why)
{
	dl_trefused++;
	if (dl_trefused <= 16 || !(dl_trefused % 1024))
		pr_err("dummy_lxd: transmit ring entry %llu refused (%s); %llu refused so far\n",
		       (unsigned long long)idx, why, (unsigned long long)dl_trefused);
}

/*
 * Every entry Linux has published, in order, each copied out of the pool
 * once (Linux may rewrite it meanwhile: what was copied is what is checked
 * and used) and handed to the generated dispatch as a one-way message from
 * the channel: dummy_lxd_xmit's words checked there (the device a reference
 * Linux holds, the data inside the pool) and by dummy_lxd_xmit (the slot
 * free here, the data its slot's).  Only dummy_lxd_xmit comes this way.
 * At most a ring's worth per call, so that a Linux that keeps the ring full
 * does not keep the dispatcher from the channel (its caller comes back at
 * the next pass end).  True if there was any.
 */
static bool dl_txd_drain(void)
{
	struct chan_msg slot;
	u64 idx, xref;
	int i;
	u32 n = 0;

	while (n < DUMMY_TXR_ENTRIES && dl_txd_ready()) {
		const struct dummy_txd *e = &dl_txr->e[dl_tcons % DUMMY_TXR_ENTRIES];

		idx = dl_tcons++;
		n++;
		slot.hdr.word = 0;
		slot.hdr.type = CHAN_T_ONEWAY;
		for (i = 0; i < 7; i++)
			slot.w[i] = READ_ONCE(e->w[i]);
		if ((u16)slot.w[0] != dummy_RPC_dummy_lxd_xmit) {
			dl_txd_refused(idx, "not dummy_lxd_xmit");
			continue;
		}
		if (glue_rx_feed(dummy_domain_ctx, &dl_trx, &slot) != GLUE_RX_DONE) {
			dl_trx.expect = 0;     /* a first slot of several: not from this ring */
			dl_txd_refused(idx, "not a one-slot glue message");
			continue;
		}
		xref = dl_xrefused;
		glue_handle(dummy_domain_ctx, &dl_trx.msg.m, &dl_treply.m);
		if (dl_treply.m.nwords && dl_treply.m.w[0])
			dl_txd_refused(idx, "by the generated glue");
		else if (dl_xrefused != xref)
			dl_txd_refused(idx, "by dummy_lxd_xmit");
	}
	return n > 0;
}

/* The dispatcher's end of a pass (glue_async_set_pass_end): idle, whether
 * there is work (transmit entries, a batch of completions due); else that
 * work done, and whether there was any. */
static bool dl_flush_at_pass_end(bool idle)
{
	bool ring = dl_txd_ready();

	if (idle)
		return ring || dl_due();
	if (ring)
		dl_txd_drain();
	if (dl_due()) {
		dummy_lxd_flush_completions();
		return true;
	}
	return ring;
}

/* After a packet: if it was the last request of this pass, its
 * completions go now (if due). */
static void dl_pass_end(void)
{
	if (dl_nslot_batch && !glue_async_queued(dummy_domain_ctx) && dl_due())
		dummy_lxd_flush_completions();
}

/*
 * One packet: make slot's private sk_buff look like Linux's to the driver
 * (the data it may read is the head Linux copied into the pool; the room
 * after the struct is its skb_shared_info, zeroed: no timestamp asked, no
 * fragments the domain could follow), then run the driver's own
 * ndo_start_xmit on the domain's copy of the device.  The driver frees the
 * skb (dev_kfree_skb: the slot goes back to Linux in the next batch).
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

void dummy_lxd_xmit(struct net_device *dev, u32 len, u16 protocol, u32 headlen, u32 slot,
		    void *data)
{
	struct sk_buff *skb;
	struct skb_shared_info *sh;
	u64 t0 = rdtsc();
	netdev_tx_t rc;

	/* Linux names the slot and the data: they must agree, and the slot
	 * must not be with the driver still (then it is not given back) */
	if (slot >= dl_nslots || dl_busy[slot] ||
	    (uintptr_t)data != dl_pool_va + (uintptr_t)slot * DL_SLOT_BYTES) {
		pr_err("dummy_lxd: packet in slot %u (of %u) refused: busy, or its data elsewhere\n",
		       slot, dl_nslots);
		dl_xrefused++;
		dl_pass_end();
		return;
	}
	skb = &dl_skbs[slot].skb;
	sh = &dl_skbs[slot].sh;
	memset(skb, 0, sizeof(*skb));
	dl_busy[slot] = true;
	refcount_set(&skb->users, 1);
	if (headlen > len || !dev->netdev_ops || !dev->netdev_ops->ndo_start_xmit) {
		pr_err("dummy_lxd: packet refused (len %u, head %u, device %s)\n", len, headlen,
		       dev->name);
		dl_xrefused++;
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
