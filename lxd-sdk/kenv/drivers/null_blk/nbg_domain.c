// SPDX-License-Identifier: GPL-2.0
/*
 * The blk-mq functions null_blk calls, inside its domain (issue 13,
 * docs/lxd-null_blk.md).  The block layer stays in Linux; this shim keeps
 * the driver's view of the objects Linux owns and tells Linux, through the
 * rpcs of null_blk.idl (their stubs are in the generated null_blk_domain.c),
 * what to do with the real ones:
 *
 *   - the tag set is the driver's own struct; Linux makes the real one
 *     (nbg_alloc_tag_set) and may lower its depth: the shared pool has one
 *     data slot per (hardware queue, tag);
 *   - __blk_mq_alloc_disk makes private copies of the gendisk, its
 *     request_queue and one blk_mq_hw_ctx per hardware queue, and runs the
 *     driver's init_hctx here, where its driver_data is used;
 *   - queue limits, flags and the capacity are kept here and sent with
 *     device_add_disk (nbg_add_disk), where Linux checks and applies them;
 *   - one private struct request (with the driver's PDU after it, as
 *     blk_mq_rq_to_pdu expects) and one bio per tag.  nbg_submit (from
 *     Linux, one-way) fills them in: the bio's single bio_vec covers the
 *     request's slot of the pool (struct pages exist for it: the pool is
 *     granted memory, kenv_mem_add_pages), and calls the driver's queue_rq;
 *   - blk_mq_start_request does nothing (Linux started the request before
 *     sending it), blk_mq_complete_request runs the driver's ->complete
 *     here, blk_mq_end_request sends nbg_end (one-way) and frees the slot.
 *
 * One tag set and one disk (nr_devices=1, shared_tags=0), request-based
 * (queue_mode=2): __blk_alloc_disk (bio-based) fails.  Every value Linux
 * sends is checked before use.
 */
#define pr_fmt(fmt) "null_blk glue: " fmt

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <asm/msr.h>
#include <lxds/hypercall_abi.h>

#include "null_blk_common.h"
#include "nbg_stamps.h"

int kenv_mem_add_pages(unsigned long start, unsigned long end);
void *kenv_kva(void *identity);
/* glue_async.c's (lxds/glue_async.h does not mix with Linux's headers) */
int glue_async_send_framed(struct glue_ctx *ctx, const struct chan_msg *slot);
int glue_async_set_framed_oneway(struct glue_ctx *ctx, u16 rpc, u32 nwords,
				 bool (*fn)(const u64 *w));
int glue_async_set_framed_inline(struct glue_ctx *ctx, bool on);
static bool nbg_submit_framed_rx(const u64 *w);
static void nbg_end_framed(u64 hwtag, u64 status);
static void nbg_part_framed(u64 hwtag, u64 bytes);
u64 glue_async_framed(struct glue_ctx *ctx);
u64 glue_async_framed_inline(struct glue_ctx *ctx);

/*
 * nbg_submit served inline, in the idle hook's poll (no job, no dispatcher
 * turn, no thread), when it arrives while the domain idles.  Safe because
 * nothing null_blk's queue_rq and completion reach here waits for another
 * thread or for Linux: the kenv's locks never park (a mutex is a trylock
 * that stops the domain if it is held), nbg_end is one-way and its send
 * waits for room by spinning there, and the only other rpcs they send,
 * nbg_stop_queues and nbg_start_queues (mbps throttling), are one-way too.
 * A call into Linux from there would be refused by glue_async (GLUE_EDEADLK,
 * logged): null_blk.idl keeps every rpc the request path sends one-way.
 */
static bool inline_submit = true;
module_param(inline_submit, bool, 0444);
MODULE_PARM_DESC(inline_submit, "serve nbg_submit in the idle hook, without a thread (default 1; 0: each in its own async thread)");

/* timing=1 (at load: lxdctl load null_blk.lxd ... timing=1): the cost lines
 * below give each submit's ticks; off, they count submits only, and the
 * request path reads no TSC but for the stamps Linux asks for with its own
 * timing=1 (nbg_stamps.h).  A measurement, off by default. */
static bool timing;
module_param(timing, bool, 0444);
MODULE_PARM_DESC(timing, "measurement only: time each nbg_submit for the cost lines (default 0: counts only)");

/*
 * A read longer than read_piece_kb KiB runs through the driver's queue_rq
 * in pieces of that size, one after another, each in the same request (its
 * extent and segment moved on; null_blk's blocks are read the same way the
 * block layer's max_sectors would cut them, without Linux paying for a
 * request per piece).  After each piece but the last the domain sends
 * nbg_part: Linux copies that much out of the pool while the driver reads
 * the next piece, and nbg_end leaves it only the last piece to copy.  Only
 * while the driver ends its requests inside queue_rq (irqmode 0 or 1: the
 * shim learns it from the requests it does not cut); a piece that ends later
 * ends the whole read as BLK_STS_RESOURCE (Linux sends it again) and stops
 * the cutting.  0: reads go whole.
 */
static unsigned int read_piece_kb = 16;
module_param(read_piece_kb, uint, 0444);
MODULE_PARM_DESC(read_piece_kb, "reads longer than this run in pieces of it, Linux copying each out as it ends (default 16; 0: whole)");

#define NBG_HOSTILE_STOP_SECTOR 65536ull  /* 32 MiB in */
#define NBG_HOSTILE_FLOOD 2000u          /* stale parts sent at once */

struct nbg_slot {
	struct request *rq;             /* sizeof(struct request) + the driver's cmd_size */
	struct bio bio;
	struct bio_vec bvec;
	u32 hwtag;                      /* as Linux sent it: echoed in nbg_end */
	bool busy;
	bool in_queue_rq;               /* the driver's queue_rq runs for it */
	bool pieces;                    /* a read in pieces (read_piece_kb) */
	bool last_piece;                /* ... at its last piece */
	bool piece_ended;               /* ... the piece ended inside queue_rq, well */
	struct nbg_stamps *stamps;      /* this request's, or NULL (nbg_stamps.h) */
};

static struct {
	struct blk_mq_tag_set *set;
	unsigned int nr_hw, depth, max_sectors;
	struct nbg_slot *slots;         /* nr_hw * depth */
	void *pool;                     /* direct-map address of the granted pool */
	size_t pool_bytes;
	/* the one disk */
	int disk_id;                    /* Linux's number, or -1 */
	bool added;
	struct gendisk *disk;
	struct request_queue *q;
	struct blk_mq_hw_ctx **hctx;
	sector_t capacity;
	unsigned int lbs, pbs, max_hw_sectors, max_discard_sectors;
	unsigned long virt_boundary;
	u64 flags_set, flags_clear;
	bool wc, fua;
	unsigned long bad_submits;
	u32 piece;                      /* read_piece_kb in whole logical blocks, at add_disk */
	bool sync_ends;                 /* the last whole request ended inside queue_rq */
	unsigned long pieces_async;     /* pieces that ended after queue_rq (irqmode 2) */
} nbg = { .disk_id = -1 };

/* What one nbg_submit costs here (TSC: in Bochs, emulated instructions;
 * with timing=1, else the counts only): the driver's queue_rq, its
 * completion and the nbg_end send, which all run inside it (irqmode 0 or
 * 1).  Printed when the kind of request (op, size) changes, so a
 * benchmark's runs get a line each (docs/bench-nullblk.md); shorter runs
 * (a mixed workload) are not printed: in Bochs the console costs more than
 * the I/O.  A measurement only. */
#define NBG_COST_MIN_RUN 64
static struct {
	u32 op, bytes;                  /* the kind being counted */
	u64 n, tsc, end_tsc;            /* submits, ticks in nbg_submit, of which in nbg_end */
} nbg_cost;

/* The line for the run of submits counted so far (timed or not). */
static void nbg_cost_print(void)
{
	u64 n = nbg_cost.n;
	unsigned long long framed = glue_async_framed(null_blk_domain_ctx);
	unsigned long long inl = glue_async_framed_inline(null_blk_domain_ctx);

	if (timing)
		pr_info("cost: op %u, %u bytes: %llu submits, %llu ticks each in nbg_submit "
			"(%llu sending nbg_end); %llu submits read framed so far, "
			"%llu of them inline\n", nbg_cost.op, nbg_cost.bytes, n,
			nbg_cost.tsc / n, nbg_cost.end_tsc / n, framed, inl);
	else
		pr_info("cost: op %u, %u bytes: %llu submits (not timed: timing=1 times "
			"them); %llu submits read framed so far, %llu of them inline\n",
			nbg_cost.op, nbg_cost.bytes, n, framed, inl);
}

static void nbg_cost_account(u32 op, u32 bytes, u64 ticks)
{
	if (nbg_cost.n && (op != nbg_cost.op || bytes != nbg_cost.bytes)) {
		if (nbg_cost.n >= NBG_COST_MIN_RUN)
			nbg_cost_print();
		nbg_cost.n = nbg_cost.tsc = nbg_cost.end_tsc = 0;
	}
	nbg_cost.op = op;
	nbg_cost.bytes = bytes;
	nbg_cost.n++;
	nbg_cost.tsc += ticks;
}

/* The pool: grant 1 (grant 0 is the channel), at its direct-map alias. */
static int nbg_pool_init(void)
{
	const struct lxd_boot_info *bi = (const struct lxd_boot_info *)LXD_BOOT_INFO_VA;
	unsigned long va, bytes;
	int rc;

	if (nbg.pool)
		return 0;
	if (bi->ngrants < 2) {
		pr_err("no shared pool: Linux granted %u range(s), the pool is the second\n",
		       bi->ngrants);
		return -ENOMEM;
	}
	va = bi->grants[1].va;
	bytes = bi->grants[1].bytes;
	if (va != LXD_GRANT_VA + LXD_GRANT_STRIDE || !bytes || bytes > LXD_GRANT_STRIDE ||
	    (bytes & ~PAGE_MASK)) {
		pr_err("the pool grant (%#lx, %lu bytes) is not where the ABI puts it\n", va, bytes);
		return -EINVAL;
	}
	rc = kenv_mem_add_pages(va, va + bytes);
	if (rc) {
		pr_err("struct pages for the pool: %d\n", rc);
		return rc;
	}
	nbg.pool = kenv_kva((void *)va);
	nbg.pool_bytes = bytes;
	rc = glue_pool_set(null_blk_domain_ctx, null_blk_POOL_io_data, nbg.pool, bytes);
	if (rc) {
		pr_err("glue_pool_set: %d\n", rc);
		nbg.pool = NULL;
		return rc;
	}
	pr_info("shared pool: %lu KiB at %px\n", bytes >> 10, nbg.pool);
	/* nbg_submit, as Linux frames it (nbg_submit_framed), read straight
	 * from its slot from now on (nbg_submit_framed_rx) */
	rc = glue_async_set_framed_oneway(null_blk_domain_ctx, null_blk_RPC_nbg_submit,
					  null_blk_W_nbg_submit_NWORDS, nbg_submit_framed_rx);
	if (rc)
		pr_warn("nbg_submit cannot be taken framed (%d): the generic way\n", rc);
	else if (inline_submit)
		glue_async_set_framed_inline(null_blk_domain_ctx, true);
	return 0;
}

static void nbg_free_slots(void)
{
	unsigned int i;

	if (!nbg.slots)
		return;
	for (i = 0; i < nbg.nr_hw * nbg.depth; i++)
		kfree(nbg.slots[i].rq);
	kfree(nbg.slots);
	nbg.slots = NULL;
}

/* ---- the major number: Linux's ---- */

int __register_blkdev(unsigned int major, const char *name, void (*probe)(dev_t devt))
{
	if (probe)
		pr_warn("register_blkdev(%s): the probe callback is not supported, ignored\n", name);
	return nbg_register_blkdev(major, name);
}

void unregister_blkdev(unsigned int major, const char *name)
{
	nbg_unregister_blkdev(major, name);
}

/* ---- the tag set ---- */

int blk_mq_alloc_tag_set(struct blk_mq_tag_set *set)
{
	u32 depth = 0, max_sectors = 0;
	unsigned int i;
	int rc;

	if (nbg.set) {
		pr_err("a second tag set: one per domain (shared_tags=0, nr_devices=1)\n");
		return -EBUSY;
	}
	if (!set->ops || !set->ops->queue_rq || !set->nr_hw_queues || !set->queue_depth)
		return -EINVAL;
	rc = nbg_pool_init();
	if (rc)
		return rc;
	rc = nbg_alloc_tag_set(set->nr_hw_queues, set->queue_depth, set->flags, set->nr_maps,
			       &depth, &max_sectors);
	if (rc)
		return rc;
	if (!depth || depth > set->queue_depth || !max_sectors ||
	    (size_t)set->nr_hw_queues * depth * max_sectors * SECTOR_SIZE > nbg.pool_bytes) {
		pr_err("Linux's tag set (depth %u, %u sectors a request) does not fit the pool\n",
		       depth, max_sectors);
		nbg_free_tag_set();
		return -EINVAL;
	}
	nbg.nr_hw = set->nr_hw_queues;
	nbg.depth = depth;
	nbg.max_sectors = max_sectors;
	nbg.slots = kcalloc(nbg.nr_hw * depth, sizeof(*nbg.slots), GFP_KERNEL);
	if (!nbg.slots)
		goto nomem;
	for (i = 0; i < nbg.nr_hw * depth; i++) {
		nbg.slots[i].rq = kzalloc(sizeof(struct request) + set->cmd_size, GFP_KERNEL);
		if (!nbg.slots[i].rq)
			goto nomem;
	}
	set->queue_depth = depth;
	nbg.set = set;
	pr_info("tag set: %u hardware queue(s) of depth %u, up to %u KiB a request\n",
		nbg.nr_hw, depth, max_sectors / 2);
	return 0;
nomem:
	nbg_free_slots();
	nbg_free_tag_set();
	return -ENOMEM;
}

void blk_mq_free_tag_set(struct blk_mq_tag_set *set)
{
	if (!set || set != nbg.set)
		return;
	nbg_free_tag_set();
	nbg_free_slots();
	nbg.set = NULL;
}

/* Linux maps CPUs to its hardware queues itself; the driver's map_queues
 * (the only caller) never runs in the domain. */
void blk_mq_map_queues(struct blk_mq_queue_map *qmap)
{
	pr_warn("blk_mq_map_queues: not used in a domain (Linux maps its queues)\n");
}

/* configfs's submit_queues (no configfs in a domain) */
void blk_mq_update_nr_hw_queues(struct blk_mq_tag_set *set, int nr_hw_queues)
{
	pr_warn("blk_mq_update_nr_hw_queues(%d): not supported in a domain\n", nr_hw_queues);
}

/* ---- the disk ---- */

static void nbg_free_disk_copies(void)
{
	unsigned int i;

	if (nbg.hctx) {
		for (i = 0; i < nbg.nr_hw; i++)
			kfree(nbg.hctx[i]);
		kfree(nbg.hctx);
	}
	kfree(nbg.q);
	kfree(nbg.disk);
	nbg.hctx = NULL;
	nbg.q = NULL;
	nbg.disk = NULL;
}

static void nbg_exit_hctxs(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (nbg.set->ops->exit_hctx)
			nbg.set->ops->exit_hctx(nbg.hctx[i], i);
}

struct gendisk *__blk_mq_alloc_disk(struct blk_mq_tag_set *set, void *queuedata,
				    struct lock_class_key *lkclass)
{
	unsigned int i;
	int id, rc;

	if (!set || set != nbg.set)
		return ERR_PTR(-EINVAL);
	if (nbg.disk) {
		pr_err("a second disk: one per domain (nr_devices=1)\n");
		return ERR_PTR(-EBUSY);
	}
	nbg.disk = kzalloc(sizeof(*nbg.disk), GFP_KERNEL);
	nbg.q = kzalloc(sizeof(*nbg.q), GFP_KERNEL);
	nbg.hctx = kcalloc(nbg.nr_hw, sizeof(*nbg.hctx), GFP_KERNEL);
	if (!nbg.disk || !nbg.q || !nbg.hctx)
		goto nomem;
	for (i = 0; i < nbg.nr_hw; i++) {
		nbg.hctx[i] = kzalloc(sizeof(*nbg.hctx[i]), GFP_KERNEL);
		if (!nbg.hctx[i])
			goto nomem;
	}
	id = nbg_alloc_disk();
	if (id < 0) {
		nbg_free_disk_copies();
		return ERR_PTR(id);
	}
	nbg.disk_id = id;
	nbg.q->queuedata = queuedata;
	nbg.q->mq_ops = set->ops;
	nbg.q->tag_set = set;
	nbg.q->nr_hw_queues = nbg.nr_hw;
	nbg.q->disk = nbg.disk;
	nbg.q->limits.logical_block_size = 512;
	nbg.q->limits.physical_block_size = 512;
	nbg.disk->queue = nbg.q;
	nbg.lbs = nbg.pbs = 512;
	nbg.max_hw_sectors = nbg.max_discard_sectors = 0;
	nbg.virt_boundary = 0;
	nbg.flags_set = nbg.flags_clear = 0;
	nbg.wc = nbg.fua = false;
	nbg.capacity = 0;
	for (i = 0; i < nbg.nr_hw; i++) {
		struct blk_mq_hw_ctx *h = nbg.hctx[i];

		h->queue = nbg.q;
		h->queue_num = i;
		h->flags = set->flags;
		h->type = HCTX_TYPE_DEFAULT;
		h->numa_node = NUMA_NO_NODE;
		if (set->ops->init_hctx) {
			rc = set->ops->init_hctx(h, set->driver_data, i);
			if (rc) {
				nbg_exit_hctxs(i);
				nbg_put_disk(id);
				nbg.disk_id = -1;
				nbg_free_disk_copies();
				return ERR_PTR(rc);
			}
		}
	}
	return nbg.disk;
nomem:
	nbg_free_disk_copies();
	return ERR_PTR(-ENOMEM);
}

/* queue_mode=0 (bio-based) would hand the driver Linux's bios: not supported. */
struct gendisk *__blk_alloc_disk(int node, struct lock_class_key *lkclass)
{
	pr_err("queue_mode=0 (bio-based) is not supported in a domain: use queue_mode=2\n");
	return NULL;
}

void bio_endio(struct bio *bio)
{
	pr_err("bio_endio: no bio-based I/O in a domain\n");
}

static bool nbg_is_ours(struct request_queue *q, const char *what)
{
	if (q && q == nbg.q)
		return true;
	pr_err("%s: not the domain's queue\n", what);
	return false;
}

#ifdef NBG_HOSTILE
/*
 * null_blk_hostile.lxd (the same driver and shim built with NBG_HOSTILE):
 * before its real add_disk the domain tries what a compromised driver
 * would, and logs what Linux answered; every one must be refused, and the
 * disk must still work afterwards (linux-guest/initramfs/tests/
 * lxd-nullblk.sh).  Each real completion is also sent twice (a replay).
 */
static void nbg_hostile_calls(struct gendisk *disk)
{
	u32 depth = 0, maxs = 0;
	int refused = 0, rc;

#define NBG_TRY(what, call) do {						\
		rc = (call);							\
		pr_info("hostile: %s -> %d\n", what, rc);			\
		refused += rc < 0;						\
	} while (0)
	NBG_TRY("register_blkdev(0, \"sda\")", nbg_register_blkdev(0, "sda"));
	NBG_TRY("register_blkdev(8, \"nullb\")", nbg_register_blkdev(8, "nullb"));
	NBG_TRY("a second tag set", nbg_alloc_tag_set(1, 32, 0, 1, &depth, &maxs));
	NBG_TRY("a second disk", nbg_alloc_disk());
	NBG_TRY("add_disk named sda", nbg_add_disk(nbg.disk_id, "sda", disk->major, 0, 1, nbg.capacity,
						   nbg.lbs, nbg.pbs, 0, 0, 0, 0, 0, 0, false, false));
	NBG_TRY("add_disk with another major", nbg_add_disk(nbg.disk_id, disk->disk_name, 8, 0, 1,
							    nbg.capacity, nbg.lbs, nbg.pbs, 0, 0, 0, 0, 0,
							    0, false, false));
	NBG_TRY("add_disk of 2^50 sectors", nbg_add_disk(nbg.disk_id, disk->disk_name, disk->major, 0, 1,
							 1ull << 50, nbg.lbs, nbg.pbs, 0, 0, 0, 0, 0,
							 0, false, false));
	NBG_TRY("add_disk with block size 3000", nbg_add_disk(nbg.disk_id, disk->disk_name, disk->major,
							      0, 1, nbg.capacity, 3000, 3000, 0, 0, 0,
							      0, 0, 0, false, false));
	NBG_TRY("add_disk setting queue flag 30", nbg_add_disk(nbg.disk_id, disk->disk_name, disk->major,
							       0, 1, nbg.capacity, nbg.lbs, nbg.pbs, 0,
							       0, 0, 0, 1ull << 30, 0, false, false));
	NBG_TRY("add_disk with discard granularity 3000",
		nbg_add_disk(nbg.disk_id, disk->disk_name, disk->major, 0, 1, nbg.capacity, nbg.lbs,
			     nbg.pbs, 0, 8, 3000, 0, 0, 0, false, false));
	NBG_TRY("add_disk of disk 5", nbg_add_disk(5, disk->disk_name, disk->major, 0, 1, nbg.capacity,
						   nbg.lbs, nbg.pbs, 0, 0, 0, 0, 0, 0, false, false));
#undef NBG_TRY
	/* ends of requests that are not in flight (no answer: counted by Linux) */
	nbg_end(0x00000000, BLK_STS_OK);
	nbg_end(0xff00ffff, BLK_STS_OK);
	nbg_end(0x0001001f, BLK_STS_OK);
	/* and ends whose words do not fit hwtag (u32) or status (u8), framed
	 * as real ends are: Linux's framed reader must leave them to the
	 * generated one, which refuses them; the low bits name a tag, so a
	 * reader that truncated would end it */
	nbg_end_framed(1ull << 40 | 0x0001001f, BLK_STS_OK);
	nbg_end_framed(0x0001001f, 0x100);
	nbg_put_disk(7);
	nbg_del_disk(-1);
	pr_info("hostile: %d of 11 calls refused, 5 forged ends sent\n", refused);
}
#else
static void nbg_hostile_calls(struct gendisk *disk)
{
}
#endif

int device_add_disk(struct device *parent, struct gendisk *disk,
		    const struct attribute_group **groups)
{
	int rc;

	if (!disk || disk != nbg.disk || nbg.added)
		return -EINVAL;
	disk->disk_name[DISK_NAME_LEN - 1] = '\0';
	nbg_hostile_calls(disk);
	rc = nbg_add_disk(nbg.disk_id, disk->disk_name, disk->major, disk->first_minor,
			  disk->minors, nbg.capacity, nbg.lbs, nbg.pbs, nbg.max_hw_sectors,
			  nbg.max_discard_sectors, nbg.q->limits.discard_granularity,
			  nbg.virt_boundary, nbg.flags_set,
			  nbg.flags_clear, nbg.wc, nbg.fua);
	if (!rc) {
		nbg.added = true;
		nbg.piece = min(read_piece_kb, 64u) * 1024;
		nbg.piece -= nbg.piece % max(nbg.lbs, 512u);
	}
	return rc;
}

void del_gendisk(struct gendisk *disk)
{
	if (!disk || disk != nbg.disk || !nbg.added)
		return;
	nbg_del_disk(nbg.disk_id);
	nbg.added = false;
}

void put_disk(struct gendisk *disk)
{
	if (!disk || disk != nbg.disk)
		return;
	nbg_exit_hctxs(nbg.nr_hw);
	nbg_put_disk(nbg.disk_id);
	nbg.disk_id = -1;
	nbg_free_disk_copies();
}

void set_capacity(struct gendisk *disk, sector_t size)
{
	if (!disk || disk != nbg.disk)
		return;
	nbg.capacity = size;
	if (nbg.added)
		nbg_set_capacity(nbg.disk_id, size);
}

/* ---- queue limits and flags: kept, sent with device_add_disk ---- */

void blk_queue_flag_set(unsigned int flag, struct request_queue *q)
{
	if (!nbg_is_ours(q, "blk_queue_flag_set") || flag >= 64)
		return;
	set_bit(flag, &q->queue_flags);
	nbg.flags_set |= 1ull << flag;
	nbg.flags_clear &= ~(1ull << flag);
}

void blk_queue_flag_clear(unsigned int flag, struct request_queue *q)
{
	if (!nbg_is_ours(q, "blk_queue_flag_clear") || flag >= 64)
		return;
	clear_bit(flag, &q->queue_flags);
	nbg.flags_clear |= 1ull << flag;
	nbg.flags_set &= ~(1ull << flag);
}

void blk_queue_logical_block_size(struct request_queue *q, unsigned int size)
{
	if (!nbg_is_ours(q, "blk_queue_logical_block_size"))
		return;
	q->limits.logical_block_size = size;
	nbg.lbs = size;
}

void blk_queue_physical_block_size(struct request_queue *q, unsigned int size)
{
	if (!nbg_is_ours(q, "blk_queue_physical_block_size"))
		return;
	q->limits.physical_block_size = size;
	nbg.pbs = size;
}

void blk_queue_max_hw_sectors(struct request_queue *q, unsigned int max)
{
	if (!nbg_is_ours(q, "blk_queue_max_hw_sectors"))
		return;
	q->limits.max_hw_sectors = max;
	nbg.max_hw_sectors = max;
}

void blk_queue_max_discard_sectors(struct request_queue *q, unsigned int max)
{
	if (!nbg_is_ours(q, "blk_queue_max_discard_sectors"))
		return;
	q->limits.max_discard_sectors = max;
	nbg.max_discard_sectors = max;
}

void blk_queue_virt_boundary(struct request_queue *q, unsigned long mask)
{
	if (!nbg_is_ours(q, "blk_queue_virt_boundary"))
		return;
	q->limits.virt_boundary_mask = mask;
	nbg.virt_boundary = mask;
}

void blk_queue_write_cache(struct request_queue *q, bool wc, bool fua)
{
	if (!nbg_is_ours(q, "blk_queue_write_cache"))
		return;
	nbg.wc = wc;
	nbg.fua = fua;
}

/* mbps throttling: Linux stops and restarts its hardware queues */
void blk_mq_stop_hw_queues(struct request_queue *q)
{
	if (nbg_is_ours(q, "blk_mq_stop_hw_queues") && nbg.disk_id >= 0)
		nbg_stop_queues(nbg.disk_id);
}

void blk_mq_start_stopped_hw_queues(struct request_queue *q, bool async)
{
	if (nbg_is_ours(q, "blk_mq_start_stopped_hw_queues") && nbg.disk_id >= 0)
		nbg_start_queues(nbg.disk_id);
}

/* ---- requests ---- */

/* Linux started the request before it sent it (one message fewer). */
void blk_mq_start_request(struct request *rq)
{
}

/* The completion "interrupt" runs the driver's ->complete at once, here. */
void blk_mq_complete_request(struct request *rq)
{
	if (nbg.set && nbg.set->ops->complete)
		nbg.set->ops->complete(rq);
	else
		blk_mq_end_request(rq, BLK_STS_IOERR);
}

static struct nbg_slot *nbg_slot_of(struct request *rq)
{
	unsigned int hw;

	if (!rq || !rq->mq_hctx || !nbg.slots)
		return NULL;
	hw = rq->mq_hctx->queue_num;
	if (hw >= nbg.nr_hw || rq->tag < 0 || (unsigned int)rq->tag >= nbg.depth)
		return NULL;
	return &nbg.slots[hw * nbg.depth + rq->tag];
}

/*
 * nbg_end framed in place in one channel slot (glue_frame_oneway1: the
 * generated stub's words, at the positions idlc gives them) and sent as the
 * stub would send it, without its writer, the glue_msg it frames from and
 * the framing copy: the end of every request goes this way.  Linux checks
 * both words as it checks the stub's.
 */
static void nbg_send_framed2(u16 rpc, u32 nwords, u32 at0, u64 w0, u32 at1, u64 w1)
{
	struct chan_msg framed;
	int err;

	glue_frame_oneway1(&framed, rpc, nwords);
	framed.w[1 + at0] = w0;
	framed.w[1 + at1] = w1;
	err = glue_async_send_framed(null_blk_domain_ctx, &framed);
	if (err)
		pr_err("rpc %u of %#llx: send failed (error %d)\n", rpc, w0, err);
}

static void nbg_end_framed(u64 hwtag, u64 status)
{
	BUILD_BUG_ON(null_blk_W_nbg_end_NWORDS != 2);
	nbg_send_framed2(null_blk_RPC_nbg_end, null_blk_W_nbg_end_NWORDS,
			 null_blk_W_nbg_end_hwtag, hwtag, null_blk_W_nbg_end_status, status);
}

/* nbg_part the same way (read_piece_kb): Linux's generated reader checks
 * both words, nbg_part the rest. */
static void nbg_part_framed(u64 hwtag, u64 bytes)
{
	BUILD_BUG_ON(null_blk_W_nbg_part_NWORDS != 2);
	nbg_send_framed2(null_blk_RPC_nbg_part, null_blk_W_nbg_part_NWORDS,
			 null_blk_W_nbg_part_hwtag, hwtag, null_blk_W_nbg_part_bytes, bytes);
}

void blk_mq_end_request(struct request *rq, blk_status_t error)
{
	struct nbg_slot *s = nbg_slot_of(rq);
	u64 t0;

	if (!s || s->rq != rq || !s->busy) {
		pr_err("blk_mq_end_request of a request not in flight (%px)\n", rq);
		return;
	}
	if (!s->pieces) {
		nbg.sync_ends = s->in_queue_rq;
	} else if (!s->last_piece && error == BLK_STS_OK) {
		if (s->in_queue_rq) {
			s->piece_ended = true;  /* nbg_submit_pieces goes on */
			return;
		}
		/* after its queue_rq returned: nothing here can run the next
		 * piece; Linux sends the read again, and it goes whole */
		nbg.sync_ends = false;
		if (nbg.pieces_async++ < 4)
			pr_warn("a piece of %#x ended after queue_rq: reads go whole\n", s->hwtag);
		error = BLK_STS_RESOURCE;
	}
	t0 = timing || s->stamps ? rdtsc() : 0;
	if (s->stamps)
		WRITE_ONCE(s->stamps->dom_end, t0);
	s->busy = false;
	nbg_end_framed(s->hwtag, (__force u8)error);
	if (timing)
		nbg_cost.end_tsc += rdtsc() - t0;
#ifdef NBG_HOSTILE
	nbg_end(s->hwtag, BLK_STS_OK);      /* a replay: Linux must ignore it */
#endif
}

void blk_mq_end_request_batch(struct io_comp_batch *iob)
{
	struct request *rq;

	while ((rq = rq_list_pop(&iob->req_list)) != NULL)
		blk_mq_end_request(rq, BLK_STS_OK);
}

/* The stamps area of slot idx (nbg_stamps.h) if Linux marked it for this
 * request (a measurement; the data leaves it free), else NULL. */
static struct nbg_stamps *nbg_stamps_of(unsigned int idx, u32 hwtag, u32 bytes)
{
	size_t slot = (size_t)nbg.max_sectors * SECTOR_SIZE;
	struct nbg_stamps *st;

	if (!nbg.pool || slot != NBG_STAMPS_SLOT_BYTES || bytes > NBG_STAMPS_MAX_LEN ||
	    (size_t)(idx + 1) * slot > nbg.pool_bytes)
		return NULL;
	st = nbg.pool + (size_t)idx * slot + NBG_STAMPS_OFF;
	return READ_ONCE(st->hwtag) == hwtag ? st : NULL;
}

#ifdef NBG_HOSTILE
/*
 * Once, in the first read cut in pieces, after its first nbg_part (done
 * bytes of len): parts Linux must refuse, logging each: the same bytes
 * again, the whole length (that is nbg_end's), the tag's previous
 * generation, and bytes past the read.  The read must still come back
 * whole and right.
 */
static void nbg_hostile_parts(struct nbg_slot *s, u32 done, u32 len)
{
	static bool sent;
	unsigned int i;

	if (sent)
		return;
	sent = true;
	nbg_part_framed(s->hwtag, done);
	nbg_part_framed(s->hwtag, len);
	nbg_part_framed(s->hwtag - (1u << 16), done + 512);
	nbg_part_framed(s->hwtag, len + 4096);
	pr_info("hostile: 4 forged parts sent\n");
	/* a flood of parts Linux must refuse (the previous generation's):
	 * each costs Linux a counter and a rate-limited line, nothing else */
	for (i = 0; i < NBG_HOSTILE_FLOOD; i++)
		nbg_part_framed(s->hwtag - (1u << 16), done + 4 + 4 * (i % 1024));
	pr_info("hostile: a flood of %u stale parts sent\n", NBG_HOSTILE_FLOOD);
}

/*
 * Before the first part of that read (done bytes of it in the slot): a
 * flood of honest-looking parts, 4 bytes more each, that Linux takes and
 * copies out a few bytes at a time (each is a part of a read in flight,
 * past the last).  The data is in the slot already, so the read must still
 * come back right; Linux's core must go on.
 */
static void nbg_hostile_part_flood(struct nbg_slot *s, u32 done)
{
	static bool sent;
	u32 b, n = 0;

	if (sent)
		return;
	sent = true;
	for (b = 4; b < done; b += 4, n++)
		nbg_part_framed(s->hwtag, b);
	pr_info("hostile: a flood of %u parts of 4 bytes sent\n", n);
}

/* Once, for the first write with data: a part of it (Linux must refuse:
 * parts are a read's). */
static void nbg_hostile_write_part(u32 hwtag, u32 opf, u32 len)
{
	static bool sent;

	if (sent || (opf & REQ_OP_MASK) != REQ_OP_WRITE || len < 1024)
		return;
	sent = true;
	nbg_part_framed(hwtag, 512);
	pr_info("hostile: a part of a write sent\n");
}
#else
static void nbg_hostile_parts(struct nbg_slot *s, u32 done, u32 len)
{
}

static void nbg_hostile_part_flood(struct nbg_slot *s, u32 done)
{
}

static void nbg_hostile_write_part(u32 hwtag, u32 opf, u32 len)
{
}
#endif

/* The extent of slot s's request: bytes at sector, and its one segment,
 * len bytes of the pool at data (0: none). */
static void nbg_set_extent(struct nbg_slot *s, u64 sector, u32 bytes, u32 len, void *data)
{
	struct request *rq = s->rq;

	rq->__sector = sector;
	rq->__data_len = bytes;
	rq->nr_phys_segments = len ? 1 : 0;
	rq->bio = rq->biotail = NULL;
	if (len) {
		struct bio *bio = &s->bio;

		s->bvec.bv_page = virt_to_page(data);
		s->bvec.bv_offset = offset_in_page(data);
		s->bvec.bv_len = len;
		bio->bi_next = NULL;
		bio->bi_opf = rq->cmd_flags;
		bio->bi_io_vec = &s->bvec;
		bio->bi_vcnt = 1;
		bio->bi_max_vecs = 1;
		bio->bi_iter.bi_sector = sector;
		bio->bi_iter.bi_size = len;
		bio->bi_iter.bi_idx = 0;
		bio->bi_iter.bi_bvec_done = 0;
		rq->bio = rq->biotail = bio;
	}
}

/* The driver's queue_rq for slot s's request as it stands; a request it
 * did not queue ends now, with that status (false). */
static bool nbg_queue_rq(struct nbg_slot *s, unsigned int hw)
{
	struct blk_mq_queue_data bd = { .rq = s->rq, .last = true };
	blk_status_t st;

	s->in_queue_rq = true;
	st = nbg.set->ops->queue_rq(nbg.hctx[hw], &bd);
	s->in_queue_rq = false;
	if (st == BLK_STS_OK || !s->busy)
		return st == BLK_STS_OK;
	s->busy = false;
	nbg_end(s->hwtag, st == BLK_STS_RESOURCE || st == BLK_STS_DEV_RESOURCE ?
		BLK_STS_RESOURCE : st);
	return false;
}

/* The bytes of a read's pieces (read_piece_kb, whole logical blocks), or 0:
 * this one goes whole. */
static u32 nbg_piece_bytes(u32 opf, u32 len)
{
	u32 piece = nbg.piece;

	return len > piece && piece && nbg.sync_ends && (opf & REQ_OP_MASK) == REQ_OP_READ ?
		piece : 0;
}

/* A read in pieces (read_piece_kb): each through queue_rq in turn, and
 * nbg_part after each that ended there, but the last. */
static void nbg_submit_pieces(struct nbg_slot *s, unsigned int hw, u64 sector, u32 len,
			      void *data, u32 piece)
{
	u32 done = 0, n;

	s->pieces = true;
	for (;;) {
		n = min(piece, len - done);
		nbg_set_extent(s, sector + (done >> SECTOR_SHIFT), n, n, data + done);
		s->last_piece = done + n == len;
		s->piece_ended = false;
		/* the last piece, an error, or a piece that ends later: its
		 * end (blk_mq_end_request) is the read's */
		if (!nbg_queue_rq(s, hw) || !s->piece_ended)
			return;
		done += n;
		nbg_hostile_part_flood(s, done);
		nbg_part_framed(s->hwtag, done);
		nbg_hostile_parts(s, done, len);
	}
}

/* One request from Linux (null_blk.idl): fill in the tag's request and bio,
 * run the driver's queue_rq (a long read in pieces). */
void nbg_submit(u32 hwtag, u32 opf, u64 sector, u32 bytes, u32 len, void *data)
{
	unsigned int hw = hwtag >> 24, tag = hwtag & 0xffff;
	struct nbg_slot *s;
	struct request *rq;
	u32 piece;
	u64 t0 = timing ? rdtsc() : 0;

	if (!nbg.set || !nbg.q || hw >= nbg.nr_hw || tag >= nbg.depth ||
	    (len && (len != bytes || len > nbg.max_sectors * SECTOR_SIZE || !data))) {
		if (nbg.bad_submits++ < 8)
			pr_err("nbg_submit(%#x, op %#x, %u bytes, data %u) refused\n", hwtag, opf,
			       bytes, len);
		return;
	}
#ifdef NBG_HOSTILE
	/* a read or write at 32 MiB: Linux's queues stopped, the request
	 * never ended (lxd-nullblk.sh then destroys this domain with it and
	 * one more request waiting in the stopped queue: both must fail) */
	if (sector == NBG_HOSTILE_STOP_SECTOR) {
		pr_info("hostile: request at sector %llu swallowed, Linux's queues stopped\n",
			(unsigned long long)sector);
		nbg_stop_queues(nbg.disk_id);
		return;
	}
#endif
	s = &nbg.slots[hw * nbg.depth + tag];
	if (s->busy) {
		if (nbg.bad_submits++ < 8)
			pr_err("nbg_submit: tag %#x is still in flight\n", hwtag);
		return;
	}
	rq = s->rq;
	s->hwtag = hwtag;
	s->stamps = nbg_stamps_of(hw * nbg.depth + tag, hwtag, bytes);
	if (s->stamps)
		WRITE_ONCE(s->stamps->dom_submit, t0 ?: rdtsc());
	rq->q = nbg.q;
	rq->mq_hctx = nbg.hctx[hw];
	rq->tag = tag;
	rq->internal_tag = -1;
	rq->cmd_flags = opf;
	rq->rq_flags = 0;
	s->busy = true;
	nbg_hostile_write_part(hwtag, opf, len);
	piece = len == bytes ? nbg_piece_bytes(opf, len) : 0;
	if (piece) {
		nbg_submit_pieces(s, hw, sector, len, data, piece);
	} else {
		s->pieces = false;
		nbg_set_extent(s, sector, bytes, len, data);
		nbg_queue_rq(s, hw);
	}
	nbg_cost_account(opf & REQ_OP_MASK, bytes, timing ? rdtsc() - t0 : 0);
}

/*
 * nbg_submit as Linux frames it (nbg_submit_framed in nbg_linux_main.c),
 * read straight from its slot (glue_async_set_framed_oneway), in the idle
 * hook (inline_submit) or in a job's own thread: its words at idlc's positions, checked as the generated
 * reader checks them (hwtag, opf, bytes and len u32; data NULL or len
 * bytes inside the pool).  Words it would refuse are left to it (false):
 * it refuses and logs them.
 */
#define NBG_W(arg) null_blk_W_nbg_submit_##arg
static bool nbg_submit_framed_rx(const u64 *w)
{
	u64 hwtag = w[NBG_W(hwtag)], opf = w[NBG_W(opf)], bytes = w[NBG_W(bytes)];
	u64 len = w[NBG_W(len)], off = w[NBG_W(data)];
	void *data = NULL;

	BUILD_BUG_ON(null_blk_W_nbg_submit_NWORDS != 6);
	if ((hwtag | opf | bytes | len) >> 32)
		return false;
	if (off != GLUE_STR_NULL) {
		data = glue_pool_at(null_blk_domain_ctx, null_blk_POOL_io_data, off, len);
		if (!data)
			return false;
	}
	nbg_submit((u32)hwtag, (u32)opf, w[NBG_W(sector)], (u32)bytes, (u32)len, data);
	return true;
}
#undef NBG_W
