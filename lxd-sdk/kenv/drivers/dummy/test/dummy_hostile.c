// SPDX-License-Identifier: GPL-2.0
/*
 * dummy_hostile.lxd, a TEST BUILD ONLY (never /lib/lxd/dummy.lxd): the
 * domain side of a compromised dummy driver.  dummy.c carries
 * test/dummy-hostile.patch, which calls dummy_hostile_calls() once its real
 * dummy0 is registered, and dummy_hostile_skb_word()/dummy_hostile_replay()
 * around every completion.  This file asks Linux, through the generated
 * stubs and through messages built by hand, for what a compromised driver
 * would: devices whose setup leaves absurd fields, ether_setup,
 * dev_addr_mod and register_netdevice on the registered device, nested
 * rtnl, a second link kind, forged, out-of-range, stale and mistyped
 * references, malformed messages, unknown rpcs, a flood, every packet's
 * pool slot given back twice, and forged completions (dummy_slots_done:
 * slot numbers out of range, never sent, repeated in one message; a count
 * over the bound, a count larger than the message; in the completion ring:
 * numbers out of range and never sent, its index jumped ahead and back).  Then it goes on
 * serving dummy0, or with keep_after=N keeps every packet after the N-th,
 * or with hold_ms=N keeps every packet and frees them together N ms later.
 *
 * The domain logs what it could see refused ("dummy hostile: N of N checked
 * calls refused, ..."); dummy_glue counts every refusal and logs the counts
 * when the domain goes (linux-guest/initramfs/tests/lxd-dummy.sh checks
 * both, and that dummy0 still works).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/skbuff.h>
#include <linux/delay.h>
#include <linux/workqueue.h>
#include <net/rtnetlink.h>

#include "dummy_common.h"
#include "dummy_pool.h"

#define HOSTILE_FLOOD    500     /* one-way garbage messages */
#define HOSTILE_REPLAYS  20      /* completions sent twice */

static int hostile_mode;
static unsigned int checked, refused, forged;

/* keep_after=N (load parameter): from its N+1-th packet on the driver
 * keeps every skb, so their pool slots never go back to Linux, while the
 * domain goes on running and reading its ring (lxd-dummy.sh: Linux's
 * senders must see drops, not a hang, and the domain is destroyed as
 * usual). */
static unsigned int keep_after;
module_param(keep_after, uint, 0444);

/* hold_ms=N (load parameter): the driver keeps every skb and frees all it
 * keeps together, N ms after the first of them (a work item): Linux's pool
 * slots all end up with the domain while its channel is empty, so Linux's
 * sender sleeps for a slot, and the domain must ring it as the work gives
 * the slots back (dummy_pool.h's want; lxd-dummy.sh counts the rings). */
static unsigned int hold_ms;
module_param(hold_ms, uint, 0444);
static struct sk_buff *hostile_held[DUMMY_POOL_DATA_SLOTS];
static unsigned int hostile_nheld;

static void hostile_release(struct work_struct *w)
{
	unsigned int i, n = hostile_nheld;

	(void)w;
	hostile_nheld = 0;
	for (i = 0; i < n; i++)
		dev_kfree_skb(hostile_held[i]);
}
static DECLARE_DELAYED_WORK(hostile_release_work, hostile_release);

bool dummy_hostile_keep(struct sk_buff *skb);
bool dummy_hostile_keep(struct sk_buff *skb)
{
	static unsigned int packets;

	++packets;
	if (hold_ms && hostile_nheld < ARRAY_SIZE(hostile_held)) {
		if (!hostile_nheld)
			schedule_delayed_work(&hostile_release_work, msecs_to_jiffies(hold_ms));
		hostile_held[hostile_nheld++] = skb;
		return true;
	}
	if (!keep_after || packets <= keep_after)
		return false;
	if (packets == keep_after + 1)
		pr_info("dummy hostile: from packet %u on, every skb and its pool slot kept\n",
			packets);
	return true;
}

static const struct net_device_ops hostile_netdev_ops;
static const struct ethtool_ops hostile_ethtool_ops;

/* The setup function of every device the hostile domain allocates: Linux's
 * ether_setup (allowed: Linux is setting this device up), then one absurd
 * field per mode.  Linux must refuse each device (dg_setup_ok). */
static void hostile_setup(struct net_device *dev)
{
	static const u8 addr[20] = { 2, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb };

	ether_setup(dev);
	dev->netdev_ops = &hostile_netdev_ops;
	dev->ethtool_ops = &hostile_ethtool_ops;
	switch (hostile_mode) {
	case 1:
		dev_addr_mod(dev, 0, addr, sizeof(addr));   /* 20 bytes into a 6-byte address */
		dev->addr_len = 200;
		break;
	case 2:
		dev->mtu = 0x7fffffff;
		dev->max_mtu = 0x7fffffff;
		break;
	case 3:
		dev->priv_flags |= IFF_L3MDEV_MASTER;
		break;
	case 4:
		dev->features |= NETIF_F_HW_TLS_TX;
		break;
	case 5:
		dev->flags |= IFF_UP | IFF_LOOPBACK;
		break;
	case 6:
		dev->type = ARPHRD_LOOPBACK;
		break;
	case 7:
		dev->netdev_ops = NULL;
		break;
	}
}

#define HOSTILE_CHECK(what, bad) do {					\
		checked++;						\
		if (bad) {						\
			refused++;					\
		} else {						\
			pr_err("dummy hostile: %s was NOT refused\n", what); \
		}							\
	} while (0)

/* A request built by hand: rpc, kind, words; glue_call's result. */
static int hostile_raw(u16 rpc, u16 kind, const u64 *w, unsigned int n)
{
	GLUE_MSG_BUF(48) req, reply;
	struct glue_wr wr;
	unsigned int i;

	glue_msg_init(&req.m, 48);
	glue_msg_init(&reply.m, 48);
	glue_wr_init(&wr, &req.m, rpc, kind);
	for (i = 0; i < n; i++)
		glue_put(&wr, w[i]);
	forged++;
	if (kind == CHAN_T_ONEWAY)
		return glue_send(dummy_domain_ctx, &req.m);
	return glue_call(dummy_domain_ctx, &req.m, &reply.m);
}

/* Linux's reference word for an object the domain holds a copy of. */
static u64 hostile_word(const void *p, u16 type)
{
	int err = 0;

	return glue_ref_export(dummy_domain_ctx, p, type, &err);
}

/* dummy_lxd.c's completion ring (dummy_pool.h) and its put */
extern struct dummy_cring *dummy_lxd_cring;
extern u32 dummy_lxd_cprod;
void dummy_lxd_ring_put(u32 slot);

/* Rings Linux (a dummy_slots_done with no slots) and waits up to 5 s until
 * it has read the completion ring up to prod (cons, written by Linux). */
static void hostile_ring_read(const char *what)
{
	struct dummy_cring *r = dummy_lxd_cring;
	unsigned int ms;

	dummy_slots_done(0, NULL);
	for (ms = 0; READ_ONCE(r->cons) != READ_ONCE(r->prod); ms++) {
		if (ms >= 5000) {
			pr_err("dummy hostile: Linux did not read the completion ring in 5 s (%s)\n", what);
			return;
		}
		msleep(1);
	}
}

/*
 * Forged completions in the ring: three numbers Linux must refuse (247, the
 * first past the data slots: the transmit ring's; far past the pool; 0x43, never sent:
 * nothing is sent before dummy0 is up), read; then prod 1 000 ahead of
 * what Linux read (a jump, refused whole), read; then prod back where the
 * domain's own count is (a jump back, refused whole too), read.  Linux
 * counts 3 slot numbers and 2 jumps, and the ring goes on from the
 * domain's own count.
 */
static void hostile_ring(void)
{
	static const u32 bad[3] = { DUMMY_POOL_DATA_SLOTS, 0x7fffffffu, 0x43 };
	struct dummy_cring *r = dummy_lxd_cring;
	int i;

	if (!r) {
		pr_err("dummy hostile: no completion ring (the pool is not attached)\n");
		return;
	}
	for (i = 0; i < 3; i++) {
		forged++;
		dummy_lxd_ring_put(bad[i]);
	}
	hostile_ring_read("three forged numbers");
	forged++;
	WRITE_ONCE(r->prod, dummy_lxd_cprod + 1000);
	hostile_ring_read("a jump ahead");
	forged++;
	WRITE_ONCE(r->prod, dummy_lxd_cprod);
	hostile_ring_read("a jump back");
}

void dummy_hostile_calls(struct net_device *dev);
void dummy_hostile_calls(struct net_device *dev)
{
	static struct rtnl_link_ops evil_ops = { .kind = "evil", .setup = hostile_setup };
	static const u8 mac[ETH_ALEN] = { 2, 0xee, 0xee, 0xee, 0xee, 0xee };
	u64 devw = hostile_word(dev, dummy_TYPE_net_device);
	u64 w[48];
	int i;

	pr_info("dummy hostile: forging calls against %s (Linux reference %#llx)\n", dev->name,
		(unsigned long long)devw);

	/* devices: a 1 MiB private area, then setups that leave absurd fields */
	HOSTILE_CHECK("alloc_netdev with a 1 MiB private area",
		      !alloc_netdev_mqs(1 << 20, "evil%d", NET_NAME_ENUM, hostile_setup, 1, 1));
	for (hostile_mode = 1; hostile_mode <= 7; hostile_mode++) {
		struct net_device *evil = alloc_netdev_mqs(0, "evil%d", NET_NAME_ENUM, hostile_setup, 1, 1);

		HOSTILE_CHECK("a device whose setup left absurd fields", !evil);
		if (evil)
			pr_err("dummy hostile: mode %d device allocated\n", hostile_mode);
	}
	hostile_mode = 0;

	/* the registered dummy0: Linux's configuration is not the domain's to rewrite */
	ether_setup(dev);                                   /* refused (void) */
	dev_addr_mod(dev, 0, mac, ETH_ALEN);                /* refused (void) */
	HOSTILE_CHECK("register_netdevice without rtnl", register_netdevice(dev) < 0);
	rtnl_lock();
	rtnl_lock();                                        /* refused: nested */
	HOSTILE_CHECK("register_netdevice of a registered device", register_netdevice(dev) < 0);
	HOSTILE_CHECK("a second rtnl_link_ops", __rtnl_link_register(&evil_ops) < 0);
	rtnl_unlock();
	rtnl_unlock();                                      /* refused: not held */

	/* references and messages made by hand */
	w[0] = GLUE_REF_YOURS | 0x1234;                     /* index past the table */
	HOSTILE_CHECK("register_netdevice of a reference past the table",
		      hostile_raw(dummy_RPC_register_netdevice, CHAN_T_REQUEST, w, 1) != 0);
	w[0] = GLUE_REF_YOURS | (77ull << 32) | 3;          /* a generation never given */
	HOSTILE_CHECK("ether_setup of a forged reference",
		      hostile_raw(dummy_RPC_ether_setup, CHAN_T_REQUEST, w, 1) != 0);
	w[0] = devw;                                        /* dummy0, named as an skb */
	w[1] = 0;
	HOSTILE_CHECK("skb_tstamp_tx on a net_device reference",
		      hostile_raw(dummy_RPC_skb_tstamp_tx, CHAN_T_REQUEST, w, 2) != 0);
	w[0] = 0;
	HOSTILE_CHECK("an rpc id Linux does not serve", hostile_raw(0x7777, CHAN_T_REQUEST, w, 1) != 0);
	w[0] = 1; w[1] = 2; w[2] = 3;
	HOSTILE_CHECK("rtnl_unlock with three words too many",
		      hostile_raw(dummy_RPC_rtnl_unlock, CHAN_T_REQUEST, w, 3) != 0);
	w[0] = devw;                                        /* a request sent as one-way */
	hostile_raw(dummy_RPC_eth_validate_addr, CHAN_T_ONEWAY, w, 1);

	/* pool slots given back that are not in flight (nothing is sent
	 * before dummy0 is up): past the pool (256 slots), far past it, and
	 * in range but never sent, one per message; then one message with
	 * five bad ones, 66 twice among them.  Linux refuses and counts each
	 * of these 9 numbers. */
	{
		static const u32 one[4] = { 256, 0x80000000u, 5000, 0x42 };
		static const u32 five[5] = { 0xffffffffu, 300, 0x42, 7, 0x42 };

		for (i = 0; i < 4; i++) {
			forged++;
			dummy_slots_done(1, &one[i]);
		}
		forged++;
		dummy_slots_done(5, five);
	}
	/* malformed: a count over the bound (40 > 32) with 40 slots' bytes
	 * (20 words), and a count of 6 with one word (2 slots) in the message;
	 * the generated handler refuses both messages */
	w[0] = 40;
	for (i = 0; i < 20; i++)
		w[1 + i] = ((u64)(2 * i + 1) << 32) | (u64)(2 * i);
	hostile_raw(dummy_RPC_dummy_slots_done, CHAN_T_ONEWAY, w, 21);
	w[0] = 6;
	w[1] = 1;
	hostile_raw(dummy_RPC_dummy_slots_done, CHAN_T_ONEWAY, w, 2);

	hostile_ring();

	/* a flood: completions with trailing garbage and garbage rpc ids */
	for (i = 0; i < HOSTILE_FLOOD; i++) {
		w[0] = 0;
		w[1] = (u64)i;
		hostile_raw(i & 1 ? 0xfff0 + (i & 7) : dummy_RPC_dummy_slots_done, CHAN_T_ONEWAY, w, 2);
	}
	pr_info("dummy hostile: %u of %u checked calls refused, %u forged messages sent; serving %s on\n",
		refused, checked, forged, dev->name);
}

/* The packet's pool slot + 1 (0: none), before the driver's
 * dev_kfree_skb gives it back (dummy_lxd.c). */
int dummy_lxd_slot_of(const struct sk_buff *skb);
u64 dummy_hostile_skb_word(struct sk_buff *skb);
u64 dummy_hostile_skb_word(struct sk_buff *skb)
{
	return (u64)(dummy_lxd_slot_of(skb) + 1);
}

void dummy_lxd_flush_completions(void);

/* The same slot given back again, right after the driver's own completion
 * (its batch sent first): Linux finds it free (its free list is first in,
 * first out, so the slot is not sent again this soon) and refuses it. */
void dummy_hostile_replay(u64 word);
void dummy_hostile_replay(u64 word)
{
	static unsigned int replays;
	u32 slot = (u32)(word - 1);

	if (replays >= HOSTILE_REPLAYS || !word)
		return;
	replays++;
	dummy_lxd_flush_completions();
	forged++;
	dummy_slots_done(1, &slot);
	if (replays == HOSTILE_REPLAYS)
		pr_info("dummy hostile: %u completions sent twice\n", replays);
}
