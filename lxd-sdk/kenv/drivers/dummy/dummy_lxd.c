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
	pr_info("dummy_lxd: packet pool of %llu bytes at %#llx\n", (unsigned long long)g->bytes,
		(unsigned long long)g->va);
	return 0;
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
