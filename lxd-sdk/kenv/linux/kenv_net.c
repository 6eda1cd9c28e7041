// SPDX-License-Identifier: GPL-2.0
/*
 * Network helpers that work on the domain's own data only.  The isolated
 * driver keeps its own copy of its net_device (the IDL glue keeps Linux's
 * in step); its statistics live in the domain, so reading them is local.
 */
#include <linux/netdevice.h>
#include <linux/u64_stats_sync.h>

#include "kenv_linux.h"

/* Sums the per-CPU loopback-style counters (one CPU here, but any number works). */
void dev_lstats_read(struct net_device *dev, u64 *packets, u64 *bytes)
{
	int cpu;

	*packets = 0;
	*bytes = 0;
	for_each_possible_cpu(cpu) {
		const struct pcpu_lstats *s = per_cpu_ptr(dev->lstats, cpu);
		unsigned int seq;
		u64 p, b;

		do {
			seq = u64_stats_fetch_begin_irq(&s->syncp);
			p = u64_stats_read(&s->packets);
			b = u64_stats_read(&s->bytes);
		} while (u64_stats_fetch_retry_irq(&s->syncp, seq));
		*packets += p;
		*bytes += b;
	}
}
