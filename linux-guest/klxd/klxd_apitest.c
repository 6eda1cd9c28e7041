// SPDX-License-Identifier: GPL-2.0
/*
 * klxd_apitest: exercises klxd's in-kernel API (klxd.h) the way a glue
 * module would, against an echo LXD: insmod klxd_apitest.ko domain=ID
 * [calls=N].  It takes the domain's channel, makes N klxd_call()s, checks
 * every reply against the echo transform (each payload word complemented),
 * prints one line with the result and stays loaded (rmmod it after); a
 * failed call or a wrong reply makes the load fail with the error.
 */
#define pr_fmt(fmt) "klxd_apitest: " fmt

#include <linux/module.h>
#include <linux/err.h>
#include "klxd.h"

static uint domain;
module_param(domain, uint, 0444);
MODULE_PARM_DESC(domain, "id of a running echo LXD with a channel");
static uint calls = 1000;
module_param(calls, uint, 0444);
MODULE_PARM_DESC(calls, "klxd_call()s to make (default 1000)");

static int __init apitest_init(void)
{
	struct klxd_channel *ch = klxd_channel_get(domain);
	struct chan_msg req = { 0 }, reply;
	uint i, good = 0, bad = 0;
	int err = 0, w;

	if (IS_ERR(ch)) {
		pr_err("klxd_channel_get(%u) failed: %ld\n", domain, PTR_ERR(ch));
		return PTR_ERR(ch);
	}
	for (i = 0; i < calls; i++) {
		bool ok = true;

		for (w = 0; w < CHAN_PAYLOAD_WORDS; w++)
			req.w[w] = ((u64)i << 32) | (u64)(w * 0x1111);
		err = klxd_call(ch, &req, &reply);
		if (err) {
			pr_err("call %u: klxd_call failed: %d\n", i, err);
			break;
		}
		for (w = 0; w < CHAN_PAYLOAD_WORDS; w++)
			ok &= reply.w[w] == ~req.w[w];
		ok &= reply.hdr.type == CHAN_T_REPLY;
		good += ok;
		if (!ok && bad++ == 0)
			pr_err("call %u: wrong reply (w[0] %#llx for request %#llx)\n", i,
			       reply.w[0], req.w[0]);
	}
	klxd_channel_put(ch);
	pr_info("%u/%u calls to domain %u correct\n", good, calls, domain);
	if (err)
		return err;
	return good == calls ? 0 : -EIO;
}

static void __exit apitest_exit(void)
{
}

module_init(apitest_init);
module_exit(apitest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds: test of klxd's in-kernel API against an echo LXD");
