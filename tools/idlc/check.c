/*
 * idlc semantic checks: resolves names, applies the language's rules
 * (docs/idl.md, "Rules the compiler enforces"), assigns rpc and type ids, and
 * bounds every message so that it fits GLUE_MAX_WORDS.
 */
#include <stdarg.h>
#include <string.h>

#include "idlc.h"

#define CHECK_MAX_WORDS   192     /* GLUE_MAX_WORDS in include/lxds/glue.h */
#define CHECK_MAX_BOUND   4096

static int check_errors;

static void check_error(const struct module *m, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: error: ", m->file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	check_errors++;
}

static struct proj *find_proj(const struct module *m, const char *name)
{
	int i;

	for (i = 0; i < m->nprojs; i++)
		if (strcmp(m->projs[i]->name, name) == 0)
			return m->projs[i];
	return NULL;
}

static struct sig *find_sig(const struct module *m, const char *name)
{
	int i;

	for (i = 0; i < m->nsigs; i++)
		if (strcmp(m->sigs[i]->name, name) == 0)
			return m->sigs[i];
	return NULL;
}

static struct pool *find_pool(const struct module *m, const char *name)
{
	int i;

	for (i = 0; i < m->npools; i++)
		if (strcmp(m->pools[i]->name, name) == 0)
			return m->pools[i];
	return NULL;
}

static long elem_bytes(const struct scalar *sc)
{
	return sc->bits < 8 ? 1 : sc->bits / 8;
}

/* Resolves a type's reference; checks the kind of thing it names. */
static void check_resolve(struct module *m, struct type *ty, int line)
{
	switch (ty->kind) {
	case TY_OBJECT:
	case TY_PROJ:
		ty->proj = find_proj(m, ty->ref);
		if (!ty->proj)
			check_error(m, line, "unknown projection '%s'", ty->ref);
		else if (ty->proj->object != (ty->kind == TY_OBJECT))
			check_error(m, line, "'%s' is declared as %s; write '%s %s'", ty->ref,
				    ty->proj->object ? "an object" : "a projection",
				    ty->proj->object ? "object" : "projection", ty->ref);
		break;
	case TY_FNPTR:
		ty->sig = find_sig(m, ty->ref);
		if (!ty->sig || !ty->sig->is_ptr)
			check_error(m, line, "unknown rpc_ptr signature '%s'", ty->ref);
		break;
	case TY_BULK:
		ty->pool = find_pool(m, ty->ref);
		if (!ty->pool)
			check_error(m, line, "unknown pool '%s'", ty->ref);
		break;
	case TY_STRING:
		if (ty->bound < 1 || ty->bound > CHECK_MAX_BOUND)
			check_error(m, line, "string bound %ld is not in 1..%d", ty->bound,
				    CHECK_MAX_BOUND);
		break;
	case TY_ARRAY:
		if (ty->bound < 1 || elem_bytes(ty->scalar) * ty->bound > CHECK_MAX_BOUND)
			check_error(m, line, "array bound %ld is not in 1..%d bytes", ty->bound,
				    CHECK_MAX_BOUND);
		break;
	default:
		break;
	}
}

static void check_attrs_fit(struct module *m, const struct var *v, bool is_param)
{
	const struct type *ty = &v->ty;

	if ((v->at.alloc || v->at.dealloc || v->at.bind) && ty->kind != TY_OBJECT)
		check_error(m, v->line, "'%s': alloc/dealloc/bind apply to objects only", v->name);
	if (v->at.size && !v->at.alloc)
		check_error(m, v->line, "'%s': size(...) goes with alloc(...)", v->name);
	if (v->at.dealloc && !is_param)
		check_error(m, v->line, "'%s': dealloc applies to rpc arguments only", v->name);
	if (v->at.count && ty->kind != TY_ARRAY)
		check_error(m, v->line, "'%s': count(...) applies to arrays only", v->name);
	if (v->at.len && ty->kind != TY_BULK)
		check_error(m, v->line, "'%s': len(...) applies to bulk buffers only", v->name);
	if (v->at.nullable && (!is_param || ty->kind == TY_ARRAY ||
			       (ty->kind == TY_SCALAR && !ty->ptr)))
		check_error(m, v->line, "'%s': nullable applies to pointer arguments (arrays "
			    "always get a buffer)", v->name);
	if (v->at.user && ty->kind != TY_ARRAY)
		check_error(m, v->line, "'%s': user applies to arrays only", v->name);
	if (v->at.oneway || v->at.home_set || v->at.slots)
		check_error(m, v->line, "'%s': oneway/linux/domain/slots apply to rpcs only",
			    v->name);
}

/* The scalar sibling named by count(...) / len(...): for fields it must come
 * before index (the receiver reads fields in order); rpc parameters are all
 * read before any array or bulk data, so any parameter will do (nvars). */
static const struct var *check_sibling(struct module *m, const struct var *vars, int index,
				       int nvars, const char *name, const char *attr)
{
	int i;

	for (i = 0; i < nvars; i++)
		if (strcmp(vars[i].name, name) == 0) {
			if (vars[i].ty.kind != TY_SCALAR || vars[i].ty.ptr) {
				check_error(m, vars[index].line, "%s(%s): '%s' is not a scalar", attr,
					    name, name);
				return NULL;
			}
			return &vars[i];
		}
	check_error(m, vars[index].line,
		    "%s(%s): no scalar '%s' %s'%s'", attr, name, name,
		    nvars == index ? "declared before " : "among the parameters of ",
		    vars[index].name);
	return NULL;
}

static void check_field(struct module *m, struct proj *pr, int index)
{
	struct var *f = &pr->fields[index];

	check_resolve(m, &f->ty, f->line);
	check_attrs_fit(m, f, false);
	if (!f->at.dir)       /* an ops-table entry crosses whenever its table does */
		f->at.dir = f->ty.kind == TY_FNPTR ? (DIR_IN | DIR_OUT) : DIR_IN;
	switch (f->ty.kind) {
	case TY_VOID:
		check_error(m, f->line, "field '%s' cannot be void", f->name);
		break;
	case TY_OBJECT:
		if (!f->ty.ptr)
			check_error(m, f->line, "object field '%s' must be a pointer ('*%s')", f->name,
				    f->name);
		break;
	case TY_SCALAR:
	case TY_PROJ:
	case TY_ARRAY:
		if (f->ty.ptr)
			check_error(m, f->line,
				    "field '%s': pointers to scalars, projections and arrays cross "
				    "only as rpc arguments (embed the member, or make it an object)",
				    f->name);
		break;
	case TY_OPAQUE:
		if (!f->ty.ptr)
			check_error(m, f->line, "opaque field '%s' must be a pointer ('*%s')", f->name,
				    f->name);
		break;
	case TY_BULK:
		if (!f->at.len)
			check_error(m, f->line, "bulk field '%s' needs len(FIELD)", f->name);
		else
			check_sibling(m, pr->fields, index, index, f->at.len, "len");
		break;
	default:
		break;
	}
	if (f->ty.kind == TY_ARRAY && f->at.count)
		check_error(m, f->line, "array field '%s' has a fixed size; count(...) is for "
			    "arguments", f->name);
}

static void check_param(struct module *m, struct sig *s, int index)
{
	struct var *v = &s->params[index];

	if (strncmp(v->name, "idl_", 4) == 0)
		check_error(m, v->line, "'%s': names starting with idl_ are the generated code's",
			    v->name);
	check_resolve(m, &v->ty, v->line);
	check_attrs_fit(m, v, true);
	if (!v->at.dir)
		v->at.dir = DIR_IN;
	switch (v->ty.kind) {
	case TY_VOID:
		check_error(m, v->line, "parameter '%s' cannot be void", v->name);
		break;
	case TY_OBJECT:
	case TY_PROJ:
	case TY_STRING:
		if (!v->ty.ptr)
			check_error(m, v->line, "parameter '%s' must be a pointer ('*%s')", v->name,
				    v->name);
		if (v->ty.kind == TY_STRING && (v->at.dir & DIR_OUT))
			check_error(m, v->line, "string parameter '%s' is [in] only; use an [out] "
				    "array for a buffer", v->name);
		break;
	case TY_ARRAY:
		if (!v->ty.ptr)
			check_error(m, v->line, "array parameter '%s' must be a pointer", v->name);
		if (!v->at.count)
			check_error(m, v->line, "array parameter '%s' needs count(ARG)", v->name);
		else
			check_sibling(m, s->params, index, s->nparams, v->at.count, "count");
		if (v->at.dir == (DIR_IN | DIR_OUT))
			check_error(m, v->line, "array '%s' is [in] or [out], not both", v->name);
		if (v->at.len_return && !(v->at.dir & DIR_OUT))
			check_error(m, v->line, "length(return) applies to [out] arrays", v->name);
		if (v->at.len_return && (s->ret.kind != TY_SCALAR || s->ret.ptr))
			check_error(m, v->line, "length(return) needs a scalar return value");
		break;
	case TY_BULK:
		if (!v->at.len)
			check_error(m, v->line, "bulk parameter '%s' needs len(ARG)", v->name);
		else
			check_sibling(m, s->params, index, s->nparams, v->at.len, "len");
		if (v->at.dir & DIR_OUT)
			check_error(m, v->line, "bulk parameter '%s' is [in] only (the pool is "
				    "shared: the callee writes into the same buffer)", v->name);
		break;
	case TY_OPAQUE:
		if (!v->ty.ptr)
			check_error(m, v->line, "opaque parameter '%s' must be a pointer", v->name);
		if (v->at.dir & DIR_OUT)
			check_error(m, v->line, "opaque parameter '%s' is [in] only", v->name);
		break;
	case TY_FNPTR:
		if (v->at.dir & DIR_OUT)
			check_error(m, v->line, "rpc_ptr parameter '%s' is [in] only", v->name);
		if (v->ty.ptr)
			check_error(m, v->line, "rpc_ptr parameter '%s' is already a pointer; drop "
				    "the '*'", v->name);
		break;
	default:
		break;
	}
	if (s->at.oneway && (v->at.dir & DIR_OUT))
		check_error(m, v->line, "oneway rpc '%s': parameter '%s' cannot be [out]", s->name,
			    v->name);
}

static void check_sig(struct module *m, struct sig *s)
{
	int i, j;

	for (i = 0; i < s->nparams; i++) {
		check_param(m, s, i);
		for (j = 0; j < i; j++)
			if (strcmp(s->params[i].name, s->params[j].name) == 0)
				check_error(m, s->params[i].line, "parameter '%s' declared twice",
					    s->params[i].name);
	}
	check_resolve(m, &s->ret, s->line);
	switch (s->ret.kind) {
	case TY_VOID:
		if (s->ret.ptr)
			check_error(m, s->line, "'%s' returns void *: return an object instead",
				    s->name);
		break;
	case TY_SCALAR:
		if (s->ret.ptr)
			check_error(m, s->line, "'%s' returns a pointer to a scalar", s->name);
		break;
	case TY_OBJECT:
	case TY_OPAQUE:
		if (!s->ret.ptr)
			check_error(m, s->line, "'%s' returns a pointer: write '*'", s->name);
		break;
	default:
		check_error(m, s->line, "'%s': an rpc returns void, a scalar, an object or an opaque pointer",
			    s->name);
	}
	if (s->ret_at.size && !s->ret_at.alloc)
		check_error(m, s->line, "'%s': size(...) goes with alloc(...)", s->name);
	if ((s->ret_at.alloc || s->ret_at.bind) && s->ret.kind != TY_OBJECT)
		check_error(m, s->line, "'%s': alloc/bind on a return value that is not an object",
			    s->name);
	if (s->ret_at.dealloc)
		check_error(m, s->line, "'%s': a return value cannot be dealloc'ed", s->name);
	if (s->at.oneway && s->ret.kind != TY_VOID)
		check_error(m, s->line, "oneway rpc '%s' must return void", s->name);
	if (s->is_ptr && s->at.home_set)
		check_error(m, s->line, "rpc_ptr '%s': the side that runs it is the side that "
			    "sent the pointer; linux/domain apply to rpcs", s->name);
	if (!s->at.slots)
		s->at.slots = 8;
	if (s->at.slots < 1 || s->at.slots > 64)
		check_error(m, s->line, "slots(%ld) is not in 1..64", s->at.slots);
	if (s->at.dir || s->at.alloc || s->at.dealloc || s->at.bind || s->at.count || s->at.len)
		check_error(m, s->line, "'%s': only oneway, linux, domain, slots apply to an rpc",
			    s->name);
}

/* Objects nest through fields; a cycle would make marshalling recurse forever. */
static void check_cycles(struct module *m, struct proj *pr)
{
	int i;

	if (pr->visiting == 2)
		return;
	if (pr->visiting == 1) {
		check_error(m, pr->line, "projection '%s' contains itself through its fields; "
			    "project the inner one with another projection", pr->name);
		return;
	}
	pr->visiting = 1;
	for (i = 0; i < pr->nfields; i++)
		if (pr->fields[i].ty.proj)
			check_cycles(m, pr->fields[i].ty.proj);
	pr->visiting = 2;
}

static long words_of_bytes(long n)
{
	return (n + 7) / 8;
}

static long proj_words(const struct proj *pr, unsigned dir);

/* Worst-case words a parameter (param) or a field (already known to cross in
 * dir) adds to a message travelling in dir. */
static long var_words(const struct var *v, unsigned dir, bool param)
{
	const struct type *ty = &v->ty;
	bool in = dir == DIR_IN, crosses = !param || (v->at.dir & dir);

	switch (ty->kind) {
	case TY_SCALAR:
		if (!param)
			return 1;
		if (!ty->ptr)
			return in ? 1 : 0;
		return (in ? 1 : 0) + ((v->at.dir & dir) ? 1 : 0);
	case TY_OBJECT:
		return (!param || in ? 1 : 0) + (ty->proj ? proj_words(ty->proj, dir) : 0);
	case TY_PROJ:
		return (param && in ? 1 : 0) + (ty->proj ? proj_words(ty->proj, dir) : 0);
	case TY_STRING:
		return crosses ? 1 + words_of_bytes(ty->bound - 1) : 0;
	case TY_ARRAY:
		if (!crosses)
			return 0;
		return (param && !in ? 1 : 0) + words_of_bytes(ty->bound * elem_bytes(ty->scalar));
	case TY_BULK:
	case TY_FNPTR:
	case TY_OPAQUE:
		return crosses ? 1 : 0;
	default:
		return 0;
	}
}

static long proj_words(const struct proj *pr, unsigned dir)
{
	long n = 0;
	int i;

	if (pr->visiting != 2)
		return 0;               /* in a cycle, already reported */
	for (i = 0; i < pr->nfields; i++) {
		const struct var *f = &pr->fields[i];

		if (f->at.dir & dir)
			n += var_words(f, dir, false);
	}
	return n;
}

static void check_sizes(struct module *m, struct sig *s)
{
	long req = s->is_ptr ? 1 : 0, rep = 1;
	int i;

	for (i = 0; i < s->nparams; i++) {
		req += var_words(&s->params[i], DIR_IN, true);
		if (!s->params[i].at.dealloc)
			rep += var_words(&s->params[i], DIR_OUT, true);
	}
	if (s->ret.kind == TY_SCALAR || s->ret.kind == TY_OPAQUE)
		rep += 1;
	else if (s->ret.kind == TY_OBJECT && s->ret.proj)
		rep += 1 + proj_words(s->ret.proj, DIR_OUT);
	s->req_words = req;
	s->rep_words = rep;
	if (req > CHECK_MAX_WORDS)
		check_error(m, s->line, "'%s': a request can take %ld words, more than %d", s->name,
			    req, CHECK_MAX_WORDS);
	if (rep > CHECK_MAX_WORDS)
		check_error(m, s->line, "'%s': a reply can take %ld words, more than %d", s->name,
			    rep, CHECK_MAX_WORDS);
}

static void check_unique(struct module *m)
{
	int i, j;

	for (i = 0; i < m->nprojs; i++)
		for (j = 0; j < i; j++)
			if (strcmp(m->projs[i]->name, m->projs[j]->name) == 0)
				check_error(m, m->projs[i]->line, "projection '%s' declared twice",
					    m->projs[i]->name);
	for (i = 0; i < m->nsigs; i++)
		for (j = 0; j < i; j++)
			if (strcmp(m->sigs[i]->name, m->sigs[j]->name) == 0)
				check_error(m, m->sigs[i]->line, "rpc '%s' declared twice",
					    m->sigs[i]->name);
	for (i = 0; i < m->npools; i++)
		for (j = 0; j < i; j++)
			if (strcmp(m->pools[i]->name, m->pools[j]->name) == 0)
				check_error(m, m->pools[i]->line, "pool '%s' declared twice",
					    m->pools[i]->name);
}

/* Object projections of one C struct share a type id: a reference names the
 * object, whichever projection carried it. */
static void check_type_ids(struct module *m)
{
	int i, j, next = 1;

	for (i = 0; i < m->nprojs; i++) {
		struct proj *pr = m->projs[i];

		if (!pr->object)
			continue;
		for (j = 0; j < i; j++)
			if (m->projs[j]->object && strcmp(m->projs[j]->ctag, pr->ctag) == 0) {
				pr->type_id = m->projs[j]->type_id;
				break;
			}
		if (!pr->type_id)
			pr->type_id = next++;
	}
	for (i = 0; i < m->nsigs; i++) {
		m->sigs[i]->id = i + 1;
		if (m->sigs[i]->is_ptr)
			m->sigs[i]->type_id = next++;
	}
}

int idl_check(struct module *m)
{
	int i, j;

	check_errors = 0;
	if (!m->channel)
		check_error(m, 1, "module '%s' declares no channel ('channel NAME;')", m->name);
	check_unique(m);
	for (i = 0; i < m->nprojs; i++) {
		for (j = 0; j < m->projs[i]->nfields; j++)
			check_field(m, m->projs[i], j);
	}
	for (i = 0; i < m->nprojs; i++)
		check_cycles(m, m->projs[i]);
	for (i = 0; i < m->nsigs; i++)
		check_sig(m, m->sigs[i]);
	if (check_errors == 0)
		for (i = 0; i < m->nsigs; i++)
			check_sizes(m, m->sigs[i]);
	check_type_ids(m);
	return check_errors ? -1 : 0;
}
