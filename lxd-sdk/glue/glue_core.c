/*
 * Portable part of the glue runtime (see include/lxds/glue.h): word
 * reader/writer, strings, the reference table, trampoline slots, buffer
 * pools, framing and reassembly of multi-slot messages.  Everything a peer
 * sends is treated as hostile: each read is bounds-checked and the first
 * failure is logged with the rpc and field it concerns.
 */
#include <lxds/glue.h>

#if defined(__KERNEL__)
#include <linux/string.h>
#else
#include <lxds/string.h>      /* libc's on the host, the SDK's in an LXD */
#endif

/* --- writer ---------------------------------------------------------------- */

void glue_msg_init(struct glue_msg *m, uint32_t cap)
{
	m->rpc = 0;
	m->kind = 0;
	m->nwords = 0;
	m->tag = 0;
	m->cap = cap;
}

int glue_msg_copy(struct glue_msg *dst, const struct glue_msg *src)
{
	if (src->nwords > dst->cap)
		return GLUE_E2BIG;
	dst->rpc = src->rpc;
	dst->kind = src->kind;
	dst->tag = src->tag;
	dst->nwords = src->nwords;
	memcpy(dst->w, src->w, (size_t)src->nwords * sizeof(uint64_t));
	return 0;
}

void glue_wr_init(struct glue_wr *w, struct glue_msg *m, uint16_t rpc, uint16_t kind)
{
	m->rpc = rpc;
	m->kind = kind;
	m->nwords = 0;
	m->tag = 0;
	w->m = m;
	w->err = 0;
}

void glue_put(struct glue_wr *w, uint64_t v)
{
	if (w->m->nwords >= w->m->cap) {
		w->err = GLUE_E2BIG;
		return;
	}
	w->m->w[w->m->nwords++] = v;
}

/* n bytes packed into ceil(n / 8) words (the tail of the last one zero). */
void glue_put_bytes(struct glue_wr *w, const void *p, size_t n)
{
	uint32_t words = (uint32_t)((n + 7) / 8);

	if (w->err)
		return;
	if (n > (size_t)GLUE_MAX_WORDS * 8 || words > w->m->cap - w->m->nwords) {
		w->err = GLUE_E2BIG;
		return;
	}
	if (words) {
		w->m->w[w->m->nwords + words - 1] = 0;
		memcpy(&w->m->w[w->m->nwords], p, n);   /* p may be NULL only when n is 0 */
	}
	w->m->nwords += words;
}

void glue_put_user(struct glue_wr *w, const void *user_src, size_t n)
{
	uint32_t words = (uint32_t)((n + 7) / 8);

	if (w->err)
		return;
	if (n > (size_t)GLUE_MAX_WORDS * 8 || words > w->m->cap - w->m->nwords) {
		w->err = GLUE_E2BIG;
		return;
	}
	if (words)
		w->m->w[w->m->nwords + words - 1] = 0;      /* no stale bytes in the tail */
	if (glue_copy_from_user(&w->m->w[w->m->nwords], user_src, n)) {
		w->err = GLUE_EFAULT;
		return;
	}
	w->m->nwords += words;
}

void glue_put_str(struct glue_wr *w, const char *s, size_t cap)
{
	size_t len;

	if (!s) {
		glue_put(w, GLUE_STR_NULL);
		return;
	}
	len = strnlen(s, cap);
	if (len >= cap) {      /* does not fit the receiver's bound */
		w->err = GLUE_E2BIG;
		return;
	}
	glue_put(w, len);
	glue_put_bytes(w, s, len);
}

/* --- reader ---------------------------------------------------------------- */

void glue_rd_init(struct glue_rd *r, struct glue_ctx *ctx, const struct glue_msg *m,
		  const char *what)
{
	r->ctx = ctx;
	r->m = m;
	r->pos = 0;
	r->err = 0;
	r->what = what;
}

void glue_rd_fail(struct glue_rd *r, int err, const char *why, const char *field)
{
	if (r->err)
		return;
	r->err = err;
	if (r->ctx)
		r->ctx->rejected++;
	glue_log(r->ctx, "%s: %s: %s: %s (error %d)", r->ctx ? r->ctx->name : "glue",
		 r->what ? r->what : "message", field ? field : "-", why, err);
}

uint64_t glue_get(struct glue_rd *r, const char *field)
{
	if (r->err)
		return 0;
	if (r->pos >= r->m->nwords) {
		glue_rd_fail(r, GLUE_EBADMSG, "message too short", field);
		return 0;
	}
	return r->m->w[r->pos++];
}

uint64_t glue_get_u(struct glue_rd *r, unsigned bits, const char *field)
{
	uint64_t v = glue_get(r, field);

	if (bits < 64 && (v >> bits) != 0) {
		glue_rd_fail(r, GLUE_ERANGE, "unsigned value out of range", field);
		return 0;
	}
	return v;
}

int64_t glue_get_s(struct glue_rd *r, unsigned bits, const char *field)
{
	int64_t v = (int64_t)glue_get(r, field);

	if (bits < 64) {
		int64_t lim = (int64_t)1 << (bits - 1);

		if (v < -lim || v >= lim) {
			glue_rd_fail(r, GLUE_ERANGE, "signed value out of range", field);
			return 0;
		}
	}
	return v;
}

bool glue_get_bool(struct glue_rd *r, const char *field)
{
	uint64_t v = glue_get(r, field);

	if (v > 1) {
		glue_rd_fail(r, GLUE_ERANGE, "bool is neither 0 nor 1", field);
		return false;
	}
	return v == 1;
}

void glue_get_bytes(struct glue_rd *r, void *p, size_t n, const char *field)
{
	if (r->err)
		return;
	if ((n + 7) / 8 > r->m->nwords - r->pos) {
		glue_rd_fail(r, GLUE_EBADMSG, "message too short for its data", field);
		return;
	}
	if (n)
		memcpy(p, &r->m->w[r->pos], n);
	r->pos += (uint32_t)((n + 7) / 8);
}

void glue_get_user(struct glue_rd *r, void *user_dst, size_t n, const char *field)
{
	if (r->err)
		return;
	if ((n + 7) / 8 > r->m->nwords - r->pos) {
		glue_rd_fail(r, GLUE_EBADMSG, "message too short for its data", field);
		return;
	}
	if (glue_copy_to_user(user_dst, &r->m->w[r->pos], n)) {
		glue_rd_fail(r, GLUE_EFAULT, "cannot copy to user memory", field);
		return;
	}
	r->pos += (uint32_t)((n + 7) / 8);
}

char *glue_get_str(struct glue_rd *r, char *buf, size_t cap, const char *field)
{
	uint64_t len = glue_get(r, field);

	if (r->err)
		return NULL;
	if (len == GLUE_STR_NULL)
		return NULL;
	if (len >= cap) {
		glue_rd_fail(r, GLUE_E2BIG, "string longer than its bound", field);
		return NULL;
	}
	glue_get_bytes(r, buf, len, field);
	if (r->err)
		return NULL;
	buf[len] = '\0';
	return buf;
}

int glue_rd_end(struct glue_rd *r)
{
	if (!r->err && r->pos != r->m->nwords)
		glue_rd_fail(r, GLUE_EBADMSG, "trailing words after the last field", NULL);
	return r->err;
}

/* --- reference table --------------------------------------------------------- */

static uint32_t glue_hash(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (uint32_t)(v % GLUE_REF_SLOTS);
}

static uint64_t glue_ref_word(const struct glue_reftab *t, int32_t i)
{
	return ((uint64_t)t->e[i].gen << 32) | (uint64_t)(i + 1);
}

static void glue_reftab_init(struct glue_reftab *t)
{
	int32_t i;

	for (i = 0; i < GLUE_REF_SLOTS; i++) {
		t->e[i].next_ptr = i + 1 < GLUE_REF_SLOTS ? i + 1 : -1;
		t->e[i].next_other = -1;
		t->e[i].gen = 1;
		t->ptr_head[i] = -1;
		t->other_head[i] = -1;
	}
	t->free_head = 0;
}

static int32_t glue_ref_find_ptr(struct glue_reftab *t, const void *ptr)
{
	int32_t i = t->ptr_head[glue_hash((uintptr_t)ptr)];

	while (i >= 0 && t->e[i].ptr != ptr)
		i = t->e[i].next_ptr;
	return i;
}

static int32_t glue_ref_find_other(struct glue_reftab *t, uint64_t other)
{
	int32_t i = t->other_head[glue_hash(other)];

	while (i >= 0 && t->e[i].other_ref != other)
		i = t->e[i].next_other;
	return i;
}

static int32_t glue_ref_insert(struct glue_reftab *t, void *ptr, uint16_t type,
			       uint64_t other, bool owned)
{
	int32_t i = t->free_head;
	uint32_t h;

	if (i < 0)
		return -1;
	t->free_head = t->e[i].next_ptr;
	t->e[i].ptr = ptr;
	t->e[i].type = type;
	t->e[i].owned = owned;
	t->e[i].other_ref = other;
	h = glue_hash((uintptr_t)ptr);
	t->e[i].next_ptr = t->ptr_head[h];
	t->ptr_head[h] = i;
	t->e[i].next_other = -1;
	if (other) {
		h = glue_hash(other);
		t->e[i].next_other = t->other_head[h];
		t->other_head[h] = i;
	}
	t->used++;
	return i;
}

static void glue_unlink(int32_t *head, struct glue_ref_entry *e, int32_t i, bool by_ptr)
{
	int32_t *p = head;

	while (*p >= 0 && *p != i)
		p = by_ptr ? &e[*p].next_ptr : &e[*p].next_other;
	if (*p == i)
		*p = by_ptr ? e[i].next_ptr : e[i].next_other;
}

static void glue_ref_remove(struct glue_reftab *t, int32_t i)
{
	glue_unlink(&t->ptr_head[glue_hash((uintptr_t)t->e[i].ptr)], t->e, i, true);
	if (t->e[i].other_ref)
		glue_unlink(&t->other_head[glue_hash(t->e[i].other_ref)], t->e, i, false);
	t->e[i].ptr = NULL;
	t->e[i].type = 0;
	t->e[i].owned = 0;
	t->e[i].other_ref = 0;
	t->e[i].next_other = -1;
	t->e[i].gen = t->e[i].gen + 1 == 0x80000000u ? 1 : t->e[i].gen + 1;
	t->e[i].next_ptr = t->free_head;
	t->free_head = i;
	t->used--;
}

uint64_t glue_ref_export(struct glue_ctx *ctx, const void *ptr, uint16_t type, int *err)
{
	struct glue_reftab *t = &ctx->refs;
	uint64_t word = 0;
	int32_t i;

	if (!ptr)
		return 0;
	glue_lock(ctx);
	i = glue_ref_find_ptr(t, ptr);
	if (i >= 0 && t->e[i].type != type) {
		*err = GLUE_EINVAL;
		glue_log(ctx, "%s: object %p sent as type %u but registered as type %u",
			 ctx->name, ptr, type, t->e[i].type);
	} else {
		if (i < 0)
			i = glue_ref_insert(t, (void *)(uintptr_t)ptr, type, 0, false);
		if (i < 0) {
			*err = GLUE_ENOSPC;
			glue_log(ctx, "%s: reference table full", ctx->name);
		} else if (t->e[i].other_ref) {
			word = t->e[i].other_ref | GLUE_REF_YOURS;
		} else {
			word = glue_ref_word(t, i);
		}
	}
	glue_unlock(ctx);
	return word;
}

/*
 * Many YOURS words naming this side's objects of one type, given back at
 * once (a batch of completions): each is checked as glue_ref_import checks
 * a YOURS word (index range, generation, type) and, if good, forgotten as
 * glue_ref_drop would (its reference goes stale: the same word again, in
 * this batch or a later one, misses); all under one hold of the table's
 * lock.  Only objects this side registered itself qualify (never a private
 * copy the glue owns: that one would have to be freed).  out[i] is the
 * object or NULL if words[i] was refused; the number taken.
 */
uint32_t glue_ref_take(struct glue_ctx *ctx, const uint64_t *words, uint32_t n, uint16_t type,
		       void **out)
{
	struct glue_reftab *t = &ctx->refs;
	uint32_t i, taken = 0;

	glue_lock(ctx);
	for (i = 0; i < n; i++) {
		uint64_t w = words[i], idx = w & 0xffffffffull;
		uint32_t gen = (uint32_t)((w >> 32) & 0x7fffffffu);
		struct glue_ref_entry *e = idx && idx <= GLUE_REF_SLOTS ? &t->e[idx - 1] : NULL;

		out[i] = NULL;
		if (!(w & GLUE_REF_YOURS) || !e || e->type != type || type == 0 || e->gen != gen ||
		    e->owned)
			continue;
		out[i] = e->ptr;
		glue_ref_remove(t, (int32_t)(idx - 1));
		taken++;
	}
	glue_unlock(ctx);
	return taken;
}

/* A YOURS word: our own index and generation, checked before use. */
static void *glue_ref_import_own(struct glue_rd *r, struct glue_reftab *t, uint64_t word,
				 uint16_t type, const char *field)
{
	uint64_t idx = (word & 0xffffffffull);
	uint32_t gen = (uint32_t)((word >> 32) & 0x7fffffffu);

	if (idx == 0 || idx > GLUE_REF_SLOTS) {
		glue_rd_fail(r, GLUE_ENOENT, "reference index out of range", field);
		return NULL;
	}
	if (t->e[idx - 1].type == 0 || t->e[idx - 1].gen != gen) {
		glue_rd_fail(r, GLUE_ESTALE, "stale or unknown reference", field);
		return NULL;
	}
	if (t->e[idx - 1].type != type) {
		glue_rd_fail(r, GLUE_EINVAL, "reference names an object of another type", field);
		return NULL;
	}
	return t->e[idx - 1].ptr;
}

/* A word naming the sender's own entry, found by other_ref (lock held).
 * Not found and allowed a private copy: *need_alloc, and NULL. */
static void *glue_ref_import_other(struct glue_rd *r, struct glue_reftab *t, uint64_t word,
				   uint16_t type, size_t alloc_size, const char *field,
				   bool *need_alloc)
{
	int32_t i = glue_ref_find_other(t, word);

	if (i >= 0) {
		if (t->e[i].type != type) {
			glue_rd_fail(r, GLUE_EINVAL, "reference names an object of another type",
				     field);
			return NULL;
		}
		return t->e[i].ptr;
	}
	if (alloc_size == 0) {
		glue_rd_fail(r, GLUE_ENOENT, "unknown reference (no alloc allowed here)", field);
		return NULL;
	}
	if ((word & 0xffffffffull) == 0 || (word & 0xffffffffull) > GLUE_REF_SLOTS) {
		glue_rd_fail(r, GLUE_ENOENT, "reference index out of range", field);
		return NULL;
	}
	if (t->free_head < 0) {
		glue_rd_fail(r, GLUE_ENOSPC, "reference table full", field);
		return NULL;
	}
	*need_alloc = true;
	return NULL;
}

/* The private copy for word, allocated outside the lock (the backend's lock
 * may be a spinlock): inserted, or the entry another thread inserted
 * meanwhile is used and the copy freed. */
static void *glue_ref_import_alloc(struct glue_rd *r, struct glue_reftab *t, uint64_t word,
				   uint16_t type, size_t alloc_size, const char *field)
{
	void *fresh = glue_zalloc(alloc_size), *p = NULL;
	bool again = false;

	if (!fresh) {
		glue_rd_fail(r, GLUE_ENOMEM, "no memory for a private copy", field);
		return NULL;
	}
	glue_lock(r->ctx);
	p = glue_ref_import_other(r, t, word, type, alloc_size, field, &again);
	if (again) {
		glue_ref_insert(t, fresh, type, word, true);   /* a free entry: checked */
		p = fresh;
		fresh = NULL;
	}
	glue_unlock(r->ctx);
	glue_free(fresh);
	return p;
}

void *glue_ref_import(struct glue_rd *r, uint64_t word, uint16_t type, size_t alloc_size,
		      const char *field)
{
	struct glue_reftab *t = &r->ctx->refs;
	bool need_alloc = false;
	void *p;

	if (r->err || word == 0)
		return NULL;
	glue_lock(r->ctx);
	if (word & GLUE_REF_YOURS)
		p = glue_ref_import_own(r, t, word & ~GLUE_REF_YOURS, type, field);
	else
		p = glue_ref_import_other(r, t, word, type, alloc_size, field, &need_alloc);
	glue_unlock(r->ctx);
	if (need_alloc)
		p = glue_ref_import_alloc(r, t, word, type, alloc_size, field);
	return p;
}

void glue_ref_drop(struct glue_ctx *ctx, const void *ptr, uint16_t type)
{
	struct glue_reftab *t = &ctx->refs;
	void *owned = NULL;
	int32_t i;

	if (!ptr)
		return;
	glue_lock(ctx);
	i = glue_ref_find_ptr(t, ptr);
	if (i >= 0 && t->e[i].type == type) {
		if (t->e[i].owned)
			owned = t->e[i].ptr;
		glue_ref_remove(t, i);
	}
	glue_unlock(ctx);
	glue_free(owned);
}

/*
 * String copies the glue made for pointer members are kept in the reference
 * table as owned entries of type GLUE_TYPE_STRING (never sent), so that a
 * replaced copy and glue_ctx_release free them.
 */
const char *glue_str_keep(struct glue_rd *r, const char *old, const char *s, const char *field)
{
	struct glue_reftab *t = &r->ctx->refs;
	size_t n;
	char *copy;
	int32_t i;

	if (r->err)
		return old;
	if (!s)
		return NULL;
	if (old && strcmp(old, s) == 0)
		return old;
	n = strlen(s) + 1;
	copy = glue_zalloc(n);
	if (!copy) {
		glue_rd_fail(r, GLUE_ENOMEM, "no memory for a string copy", field);
		return old;
	}
	memcpy(copy, s, n);
	glue_lock(r->ctx);
	i = glue_ref_insert(t, copy, GLUE_TYPE_STRING, 0, true);
	glue_unlock(r->ctx);
	if (i < 0) {
		glue_free(copy);
		glue_rd_fail(r, GLUE_ENOSPC, "reference table full (string copy)", field);
		return old;
	}
	glue_ref_drop(r->ctx, old, GLUE_TYPE_STRING);   /* our earlier copy, if it was one */
	return copy;
}

/* Entry by entry: copies are freed outside the lock (it may be a spinlock). */
void glue_ctx_release(struct glue_ctx *ctx)
{
	struct glue_reftab *t = &ctx->refs;
	void *owned;
	int32_t i;

	for (i = 0; i < GLUE_REF_SLOTS; i++) {
		owned = NULL;
		glue_lock(ctx);
		if (t->e[i].type != 0) {
			if (t->e[i].owned)
				owned = t->e[i].ptr;
			glue_ref_remove(t, i);
		}
		glue_unlock(ctx);
		glue_free(owned);
	}
}

uint32_t glue_ref_count(struct glue_ctx *ctx)
{
	uint32_t n;

	glue_lock(ctx);
	n = ctx->refs.used;
	glue_unlock(ctx);
	return n;
}

/* --- trampolines ---------------------------------------------------------------- */

int glue_tramp_get(struct glue_tramp *t, unsigned n, struct glue_ctx *ctx, uint64_t ref)
{
	int found = -1;
	unsigned i;

	glue_lock(ctx);
	for (i = 0; i < n && found < 0; i++)
		if (t[i].ctx == ctx && t[i].ref == ref)
			found = (int)i;
	for (i = 0; i < n && found < 0; i++)
		if (!t[i].ctx) {
			t[i].ctx = ctx;
			t[i].ref = ref;
			found = (int)i;
		}
	glue_unlock(ctx);
	return found;
}

/* --- pools -------------------------------------------------------------------- */

int glue_pool_set(struct glue_ctx *ctx, unsigned id, void *base, size_t size)
{
	if (id >= GLUE_MAX_POOLS)
		return GLUE_EINVAL;
	ctx->pools[id].base = base;
	ctx->pools[id].size = size;
	return 0;
}

int glue_pool_export(struct glue_ctx *ctx, unsigned id, const void *p, uint64_t len,
		     uint64_t *off)
{
	const struct glue_pool *pool = id < GLUE_MAX_POOLS ? &ctx->pools[id] : NULL;
	uintptr_t a = (uintptr_t)p, b;

	if (!pool || !pool->base) {
		glue_log(ctx, "%s: pool %u is not mapped", ctx->name, id);
		return GLUE_EINVAL;
	}
	b = (uintptr_t)pool->base;
	if (a < b || a - b > pool->size || len > pool->size - (a - b)) {
		glue_log(ctx, "%s: buffer %p+%llu is outside pool %u", ctx->name, p,
			 (unsigned long long)len, id);
		return GLUE_EFAULT;
	}
	*off = a - b;
	return 0;
}

void *glue_pool_at(const struct glue_ctx *ctx, unsigned id, uint64_t off, uint64_t len)
{
	const struct glue_pool *pool = id < GLUE_MAX_POOLS ? &ctx->pools[id] : NULL;

	if (!pool || !pool->base || off > pool->size || len > pool->size - off)
		return NULL;
	return pool->base + off;
}

void *glue_pool_import(struct glue_rd *r, unsigned id, uint64_t off, uint64_t len,
		       const char *field)
{
	void *p;

	if (r->err)
		return NULL;
	if (id >= GLUE_MAX_POOLS || !r->ctx->pools[id].base) {
		glue_rd_fail(r, GLUE_EINVAL, "buffer pool not mapped on this side", field);
		return NULL;
	}
	p = glue_pool_at(r->ctx, id, off, len);
	if (!p)
		glue_rd_fail(r, GLUE_EFAULT, "buffer offset/length outside the pool", field);
	return p;
}

/* --- context, framing, reassembly ------------------------------------------------ */

void glue_ctx_init(struct glue_ctx *ctx, const char *name, glue_dispatch_fn dispatch)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->name = name;
	ctx->dispatch = dispatch;
	glue_reftab_init(&ctx->refs);
}

static uint64_t glue_slot_hdr(const struct glue_msg *m, uint32_t seq, uint32_t nslots)
{
	return glue_slot_hdr_word(m->rpc, seq, nslots, m->nwords);
}

int glue_frame_count(const struct glue_msg *m)
{
	if (m->nwords > GLUE_MAX_WORDS || m->nwords > m->cap)
		return GLUE_E2BIG;
	return m->nwords ? (int)((m->nwords + GLUE_SLOT_WORDS - 1) / GLUE_SLOT_WORDS) : 1;
}

void glue_frame_one(const struct glue_msg *m, uint32_t seq, uint32_t nslots,
		    struct chan_msg *slot)
{
	uint32_t i;

	slot->hdr.word = 0;
	slot->hdr.type = m->kind;
	slot->hdr.tag = m->tag;
	slot->w[0] = glue_slot_hdr(m, seq, nslots);
	for (i = 0; i < GLUE_SLOT_WORDS; i++) {
		uint32_t k = seq * GLUE_SLOT_WORDS + i;

		slot->w[1 + i] = k < m->nwords ? m->w[k] : 0;
	}
}

int glue_frame(const struct glue_msg *m, struct chan_msg *slots)
{
	int n = glue_frame_count(m);
	int s;

	for (s = 0; s < n; s++)
		glue_frame_one(m, (uint32_t)s, (uint32_t)n, &slots[s]);
	return n;
}

int glue_call(struct glue_ctx *ctx, struct glue_msg *req, struct glue_msg *reply)
{
	if (!ctx->ops) {
		glue_log(ctx, "%s: no backend started", ctx->name);
		return GLUE_EPIPE;
	}
	return ctx->ops->call(ctx, req, reply);
}

int glue_send(struct glue_ctx *ctx, struct glue_msg *msg)
{
	if (!ctx->ops) {
		glue_log(ctx, "%s: no backend started", ctx->name);
		return GLUE_EPIPE;
	}
	return ctx->ops->send(ctx, msg);
}

struct glue_slot_fields {
	uint32_t rpc, seq, nslots, nwords, magic, rsvd;
};

static struct glue_slot_fields glue_slot_decode(uint64_t h)
{
	struct glue_slot_fields f = {
		.rpc = (uint32_t)(h & 0xffff), .seq = (uint32_t)((h >> 16) & 0xff),
		.nslots = (uint32_t)((h >> 24) & 0xff), .nwords = (uint32_t)((h >> 32) & 0xffff),
		.rsvd = (uint32_t)((h >> 48) & 0xff), .magic = (uint32_t)(h >> 56),
	};
	return f;
}

static enum glue_rx_result glue_rx_bad(struct glue_ctx *ctx, struct glue_rx *rx,
				       const struct chan_msg *slot, const char *why)
{
	ctx->rejected++;
	glue_log(ctx, "%s: refused slot (kind %u tag %#x): %s", ctx->name, slot->hdr.type,
		 slot->hdr.tag, why);
	rx->msg.m.kind = slot->hdr.type;
	rx->msg.m.tag = slot->hdr.tag;
	return GLUE_RX_BAD;
}

static enum glue_rx_result glue_rx_first(struct glue_ctx *ctx, struct glue_rx *rx,
					 const struct chan_msg *slot, struct glue_slot_fields f)
{
	if (f.nslots < 1 || f.nslots > GLUE_MAX_SLOTS)
		return glue_rx_bad(ctx, rx, slot, "slot count out of range");
	if (f.nwords > f.nslots * GLUE_SLOT_WORDS ||
	    (f.nslots > 1 && f.nwords <= (f.nslots - 1) * GLUE_SLOT_WORDS))
		return glue_rx_bad(ctx, rx, slot, "word count does not match slot count");
	rx->msg.m.rpc = (uint16_t)f.rpc;
	rx->msg.m.kind = slot->hdr.type;
	rx->msg.m.tag = slot->hdr.tag;
	rx->msg.m.nwords = f.nwords;
	rx->nslots = f.nslots;
	rx->expect = 0;
	return GLUE_RX_MORE;
}

enum glue_rx_result glue_rx_feed(struct glue_ctx *ctx, struct glue_rx *rx,
				 const struct chan_msg *slot)
{
	struct glue_slot_fields f = glue_slot_decode(slot->w[0]);
	enum glue_rx_result res;
	uint32_t i;

	if (f.magic != GLUE_SLOT_MAGIC || f.rsvd != 0)
		return glue_rx_bad(ctx, rx, slot, "bad slot header");
	if (rx->expect == 0) {
		if (f.seq != 0)
			return glue_rx_bad(ctx, rx, slot, "continuation slot without a first slot");
		res = glue_rx_first(ctx, rx, slot, f);
		if (res != GLUE_RX_MORE)
			return res;
	} else if (f.seq == 0) {
		/* A new message while one is incomplete: the old one is cut short.
		 * Report it (rx->m names it) and let the caller feed this slot again. */
		ctx->rejected++;
		glue_log(ctx, "%s: truncated message (rpc %u tag %#x): got %u of %u slots",
			 ctx->name, rx->msg.m.rpc, rx->msg.m.tag, rx->expect, rx->nslots);
		rx->expect = 0;
		return GLUE_RX_TRUNCATED;
	} else if (f.seq != rx->expect || f.rpc != rx->msg.m.rpc || f.nslots != rx->nslots ||
		   f.nwords != rx->msg.m.nwords || slot->hdr.type != rx->msg.m.kind ||
		   slot->hdr.tag != rx->msg.m.tag) {
		rx->expect = 0;
		return glue_rx_bad(ctx, rx, slot, "continuation slot does not match its message");
	}
	for (i = 0; i < GLUE_SLOT_WORDS; i++)
		rx->msg.m.w[rx->expect * GLUE_SLOT_WORDS + i] = slot->w[1 + i];
	rx->expect++;
	if (rx->expect < rx->nslots)
		return GLUE_RX_MORE;
	rx->expect = 0;
	return GLUE_RX_DONE;
}

void glue_handle(struct glue_ctx *ctx, const struct glue_msg *req, struct glue_msg *reply)
{
	int err;

	reply->nwords = 0;
	err = ctx->dispatch(ctx, req, reply);
	if (err && reply->cap >= 1) {
		reply->nwords = 1;
		reply->w[0] = (uint64_t)(int64_t)err;
	}
	reply->rpc = req->rpc;
	reply->kind = CHAN_T_REPLY;
	reply->tag = req->tag;
}
