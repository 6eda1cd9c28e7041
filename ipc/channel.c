/*
 * Channel set-up: sizing, initialising and attaching to a shared area.
 * The send/receive fast path is inline in <lxds/channel.h>.
 */
#include <lxds/channel.h>

size_t chan_mem_size(uint32_t slots)
{
	size_t bytes = (size_t)slots * 2 * CHAN_SLOT_SIZE;

	return (bytes + IPC_PAGE_SIZE - 1) & ~(IPC_PAGE_SIZE - 1);
}

static bool chan_is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

static int chan_check_area(const void *mem, size_t bytes)
{
	if (mem == NULL || ((uintptr_t)mem & (IPC_PAGE_SIZE - 1)) != 0)
		return IPC_EINVAL;
	/* Two rings of at least two slots each, each ring a power of two. */
	if (bytes < 4 * CHAN_SLOT_SIZE || !chan_is_pow2(bytes / (2 * CHAN_SLOT_SIZE)) ||
	    bytes % (2 * CHAN_SLOT_SIZE) != 0)
		return IPC_EINVAL;
	return 0;
}

int chan_mem_init(void *mem, size_t bytes)
{
	volatile uint64_t *w = mem;
	size_t i;
	int ret = chan_check_area(mem, bytes);

	if (ret)
		return ret;
	/* Volatile stores: the area is shared, and zero is CHAN_SLOT_FREE. */
	for (i = 0; i < bytes / sizeof(*w); i++)
		w[i] = 0;
	return 0;
}

/* Sends without a probe after both probes found slots in use: half the
 * shorter probe's distance, at least 1 (a backoff of 0 means grouped mode). */
static uint32_t chan_tx_backoff(uint32_t ahead)
{
	uint32_t near = ahead < CHAN_TX_NEAR ? ahead : CHAN_TX_NEAR;

	return (near + 1) / 2 ? (near + 1) / 2 : 1;
}

static void chan_ring_setup(struct chan_ring *r, struct chan_msg *slots, uint64_t nslots,
			    uint32_t accept)
{
	r->slots = slots;
	r->pos = 0;
	r->mask = nslots - 1;
	r->accept = accept;
	r->lazy = CHAN_RX_LAZY < nslots / 2 ? CHAN_RX_LAZY : (uint32_t)(nslots / 2);
	if (r->lazy < 1)
		r->lazy = 1;
	r->rejected = 0;
	r->freed = 0;
	r->avail = 0;
	r->probe_at = 0;
	r->ahead = CHAN_TX_AHEAD < nslots / 2 ? CHAN_TX_AHEAD : (uint32_t)(nslots / 2);
	r->backoff = chan_tx_backoff(r->ahead);
	r->patience = CHAN_TX_PATIENCE;
}

void chan_set_tx_ahead(struct chan *c, uint32_t ahead)
{
	uint64_t half = (c->tx.mask + 1) / 2;

	c->tx.ahead = ahead > half ? (uint32_t)half : ahead;
	if (c->tx.backoff != 0)   /* grouped mode keeps probing at every look */
		c->tx.backoff = chan_tx_backoff(c->tx.ahead);
	c->tx.avail = c->tx.pos;   /* look again before the next send */
	c->tx.probe_at = 0;
}

void chan_set_rx_lazy(struct chan *c, uint32_t lazy)
{
	uint64_t half = (c->rx.mask + 1) / 2;

	chan_rx_release(c);
	if (lazy < 1)
		lazy = 1;
	if (lazy > half)
		lazy = (uint32_t)half;
	c->rx.lazy = lazy;
}

int chan_attach(struct chan *c, void *mem, size_t bytes, int side, uint32_t accept)
{
	struct chan_msg *ring0 = mem;
	uint64_t nslots = bytes / (2 * CHAN_SLOT_SIZE);
	int ret = chan_check_area(mem, bytes);

	if (ret)
		return ret;
	if (side != 0 && side != 1)
		return IPC_EINVAL;
	if (side == 0) {
		chan_ring_setup(&c->tx, ring0, nslots, 0);
		chan_ring_setup(&c->rx, ring0 + nslots, nslots, accept);
	} else {
		chan_ring_setup(&c->tx, ring0 + nslots, nslots, 0);
		chan_ring_setup(&c->rx, ring0, nslots, accept);
	}
	return 0;
}

void chan_set_tx_grouped(struct chan *c, bool grouped)
{
	c->tx.backoff = grouped ? 0 : chan_tx_backoff(c->tx.ahead);
	c->tx.patience = grouped ? 0 : CHAN_TX_PATIENCE;
	c->tx.probe_at = 0;
}
