/*
 * The channel's fast path as it was before issue 17 (commit e87db3c), kept
 * only so the benchmark can run it side by side with the current one: the
 * sender loads the status of every slot before writing it.  Same struct
 * chan, same wire format; bench use only.
 */
#ifndef LXDS_BENCH_CHAN_V1_H
#define LXDS_BENCH_CHAN_V1_H

#include <lxds/channel.h>

static inline int v1_try_send(struct chan *c, const struct chan_msg *m)
{
	struct chan_msg *s = chan_slot(&c->tx);

	if (chan_hdr_status(ipc_load_acquire64(&s->hdr.word)) != CHAN_SLOT_FREE)
		return IPC_EAGAIN;
	chan_fill(s, m);
	c->tx.pos++;
	return 0;
}

static inline void v1_send(struct chan *c, const struct chan_msg *m)
{
	while (v1_try_send(c, m) != 0)
		ipc_cpu_relax();
}

static inline void v1_send_batch(struct chan *c, const struct chan_msg *m, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		while (done < n && v1_try_send(c, &m[done]) == 0)
			done++;
		if (done < n)
			ipc_cpu_relax();
	}
}

#endif
