/*
 * idlc code generator.  For module M it writes:
 *
 *   M_common.h   rpc and type ids, function-pointer typedefs, the marshalling
 *                of every projection (M_<proj>_put / M_<proj>_get), shared by
 *                both sides;
 *   M_linux.c    the Linux side: caller stubs for rpcs the domain runs,
 *                the dispatcher for rpcs Linux runs, trampolines;
 *   M_domain.c   the domain side: caller stubs with the real kernel names
 *                (so an unmodified driver links against them), the
 *                dispatcher for the driver's entry points, trampolines.
 *
 * The generated code calls only include/lxds/glue.h.  Its local names start
 * with idl_ (the checker refuses IDL names that do).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "idlc.h"

struct gen {
	FILE *f;
	const struct module *m;
	const char *side;        /* "linux" or "domain" */
	int home;                /* HOME_* of this side */
};

static void emit(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(g->f, fmt, ap);
	va_end(ap);
}

/* --- C types ------------------------------------------------------------------- */

static const char *const_prefix(const struct type *ty)
{
	return ty->is_const ? "const " : "";
}

/* The C type of a parameter or return value, as the real prototype spells it. */
static void c_type(const struct gen *g, const struct type *ty, const struct attrs *at,
		   char *buf, size_t n)
{
	if (at && at->ctype) {
		snprintf(buf, n, "%s", at->ctype);
		return;
	}
	switch (ty->kind) {
	case TY_VOID:
		snprintf(buf, n, "void");
		break;
	case TY_SCALAR:
		snprintf(buf, n, "%s%s%s", ty->ptr ? const_prefix(ty) : "", ty->scalar->ctype,
			 ty->ptr ? " *" : "");
		break;
	case TY_OBJECT:
	case TY_PROJ:
		snprintf(buf, n, "%sstruct %s *", const_prefix(ty), ty->proj->ctag);
		break;
	case TY_STRING:
		snprintf(buf, n, "const char *");
		break;
	case TY_ARRAY:
		snprintf(buf, n, "%s%s *", const_prefix(ty), ty->scalar->ctype);
		break;
	case TY_BULK:
		snprintf(buf, n, "%svoid *", const_prefix(ty));
		break;
	case TY_FNPTR:
		snprintf(buf, n, "%s_%s_fn", g->m->name, ty->sig->name);
		break;
	case TY_OPAQUE:
		snprintf(buf, n, "%svoid *", const_prefix(ty));
		break;
	}
}

/* "type name" with the '*' attached to the name, e.g. "struct net_device *dev". */
static void c_decl(const struct gen *g, const struct var *v, char *buf, size_t n)
{
	char t[300];
	size_t len;

	c_type(g, &v->ty, &v->at, t, sizeof(t));
	len = strlen(t);
	snprintf(buf, n, "%s%s%s", t, len && t[len - 1] == '*' ? "" : " ", v->name);
}

static void c_params(const struct gen *g, const struct sig *s, char *buf, size_t n)
{
	char d[400];
	int i;

	buf[0] = '\0';
	if (s->nparams == 0)
		snprintf(buf, n, "void");
	for (i = 0; i < s->nparams; i++) {
		c_decl(g, &s->params[i], d, sizeof(d));
		if (i)
			strncat(buf, ", ", n - strlen(buf) - 1);
		strncat(buf, d, n - strlen(buf) - 1);
	}
}

static void c_args(const struct sig *s, char *buf, size_t n)
{
	int i;

	buf[0] = '\0';
	for (i = 0; i < s->nparams; i++) {
		if (i)
			strncat(buf, ", ", n - strlen(buf) - 1);
		strncat(buf, s->params[i].name, n - strlen(buf) - 1);
	}
}

static void c_ret(const struct gen *g, const struct sig *s, char *buf, size_t n)
{
	c_type(g, &s->ret, &s->ret_at, buf, n);
}

/* "name(params)" with the return type before it, for a definition. */
static void c_proto(const struct gen *g, const struct sig *s, const char *name, char *buf,
		    size_t n)
{
	char r[300], p[2000];
	size_t len;

	c_ret(g, s, r, sizeof(r));
	c_params(g, s, p, sizeof(p));
	len = strlen(r);
	snprintf(buf, n, "%s%s%s(%s)", r, len && r[len - 1] == '*' ? "" : " ", name, p);
}

/* Expression that reads a scalar of type sc from reader rd. */
static void c_get_scalar(const struct scalar *sc, const char *rd, const char *what, char *buf,
			 size_t n)
{
	if (sc->is_bool)
		snprintf(buf, n, "glue_get_bool(%s, \"%s\")", rd, what);
	else if (sc->is_signed)
		snprintf(buf, n, "(%s)glue_get_s(%s, %u, \"%s\")", sc->ctype, rd, sc->bits, what);
	else
		snprintf(buf, n, "(%s)glue_get_u(%s, %u, \"%s\")", sc->ctype, rd, sc->bits, what);
}

static void c_put_scalar(const struct scalar *sc, const char *expr, char *buf, size_t n)
{
	if (sc->is_bool)
		snprintf(buf, n, "(uint64_t)((%s) ? 1 : 0)", expr);
	else if (sc->is_signed)
		snprintf(buf, n, "(uint64_t)(int64_t)(%s)", expr);
	else
		snprintf(buf, n, "(uint64_t)(%s)", expr);
}

/* Size expression of a private copy the receiving side may allocate:
 * sizeof the struct, or the IDL's size("...") (room for driver data after it). */
static void c_alloc_size(const struct var *v, bool is_callee_side_known, unsigned receiver,
			 char *buf, size_t n)
{
	unsigned a = v->at.alloc;
	char sz[400];

	if (v->at.size)
		snprintf(sz, sizeof(sz), "(%s)", v->at.size);
	else
		snprintf(sz, sizeof(sz), "sizeof(struct %s)", v->ty.proj->ctag);
	if (!is_callee_side_known) {
		/* projection marshalling: the receiver depends on dir */
		if (a == (SIDE_CALLER | SIDE_CALLEE))
			snprintf(buf, n, "%s", sz);
		else if (a == SIDE_CALLEE)
			snprintf(buf, n, "(dir == GLUE_DIR_IN ? %s : 0)", sz);
		else if (a == SIDE_CALLER)
			snprintf(buf, n, "(dir == GLUE_DIR_OUT ? %s : 0)", sz);
		else
			snprintf(buf, n, "0");
		return;
	}
	if (a & receiver)
		snprintf(buf, n, "%s", sz);
	else
		snprintf(buf, n, "0");
}

/* Does anything of pr cross in dir (so that put/get is worth calling)? */
static bool proj_has(const struct proj *pr, unsigned dir)
{
	int i;

	for (i = 0; i < pr->nfields; i++)
		if (pr->fields[i].at.dir & dir)
			return true;
	return false;
}

static const char *dir_mask(unsigned d)
{
	if (d == (DIR_IN | DIR_OUT))
		return "(GLUE_DIR_IN | GLUE_DIR_OUT)";
	return d == DIR_OUT ? "GLUE_DIR_OUT" : "GLUE_DIR_IN";
}

/* --- common header: ids and projection marshalling --------------------------------- */

static void gen_field_put(struct gen *g, const struct proj *pr, const struct var *f)
{
	const char *M = g->m->name;
	char e[300], put[400];

	emit(g, "\tif (dir & %s) {\n", dir_mask(f->at.dir));
	switch (f->ty.kind) {
	case TY_SCALAR:
		snprintf(e, sizeof(e), "obj->%s", f->name);
		c_put_scalar(f->ty.scalar, e, put, sizeof(put));
		emit(g, "\t\tglue_put(w, %s);\n", put);
		break;
	case TY_STRING:
		emit(g, "\t\tglue_put_str(w, obj->%s, %ld);\n", f->name, f->ty.bound);
		break;
	case TY_ARRAY:
		emit(g, "\t\tglue_put_bytes(w, obj->%s, %ld * sizeof(%s));\n", f->name, f->ty.bound,
		     f->ty.scalar->ctype);
		break;
	case TY_PROJ:
		emit(g, "\t\t%s_%s_put(ctx, w, &obj->%s, dir);\n", M, f->ty.proj->name, f->name);
		break;
	case TY_OBJECT:
		emit(g, "\t\tglue_put(w, glue_ref_export(ctx, obj->%s, %s_TYPE_%s, &w->err));\n",
		     f->name, M, f->ty.proj->ctag);
		emit(g, "\t\tif (obj->%s)\n\t\t\t%s_%s_put(ctx, w, obj->%s, dir);\n", f->name, M,
		     f->ty.proj->name, f->name);
		break;
	case TY_BULK:
		emit(g, "\t\tuint64_t idl_off = GLUE_STR_NULL;\n\n");
		emit(g, "\t\tif (obj->%s && glue_pool_export(ctx, %s_POOL_%s, obj->%s, "
		     "(uint64_t)obj->%s, &idl_off))\n\t\t\tw->err = GLUE_EFAULT;\n", f->name, M,
		     f->ty.pool->name, f->name, f->at.len);
		emit(g, "\t\tglue_put(w, idl_off);\n");
		break;
	case TY_FNPTR:
		emit(g, "\t\tglue_put(w, %s_%s_export(ctx, obj->%s, &w->err));\n", M,
		     f->ty.sig->name, f->name);
		break;
	case TY_OPAQUE:
		emit(g, "\t\tglue_put(w, glue_ref_export(ctx, obj->%s, GLUE_TYPE_OPAQUE, &w->err));\n",
		     f->name);
		break;
	default:
		break;
	}
	emit(g, "\t}\n");
	(void)pr;
}

static void gen_field_get(struct gen *g, const struct proj *pr, const struct var *f)
{
	const char *M = g->m->name;
	char what[300], get[500], size[300];

	snprintf(what, sizeof(what), "%s.%s", pr->name, f->name);
	emit(g, "\tif (dir & %s) {\n", dir_mask(f->at.dir));
	switch (f->ty.kind) {
	case TY_SCALAR:
		c_get_scalar(f->ty.scalar, "r", what, get, sizeof(get));
		emit(g, "\t\tobj->%s = (__typeof__(obj->%s))%s;\n", f->name, f->name, get);
		break;
	case TY_STRING:
		if (f->ty.ptr) {
			emit(g, "\t\tchar idl_buf[%ld];\n", f->ty.bound);
			emit(g, "\t\tconst char *idl_s = glue_get_str(r, idl_buf, sizeof(idl_buf), "
			     "\"%s\");\n\n", what);
			emit(g, "\t\tif (!r->err)\n\t\t\tobj->%s = (__typeof__(obj->%s))glue_str_keep(r, "
			     "obj->%s, idl_s, \"%s\");\n", f->name, f->name, f->name, what);
		} else {
			emit(g, "\t\tif (!glue_get_str(r, obj->%s, %ld, \"%s\"))\n\t\t\tobj->%s[0] = "
			     "'\\0';\n", f->name, f->ty.bound, what, f->name);
		}
		break;
	case TY_ARRAY:
		emit(g, "\t\tglue_get_bytes(r, obj->%s, %ld * sizeof(%s), \"%s\");\n", f->name,
		     f->ty.bound, f->ty.scalar->ctype, what);
		break;
	case TY_PROJ:
		emit(g, "\t\t%s_%s_get(r, &obj->%s, dir);\n", M, f->ty.proj->name, f->name);
		break;
	case TY_OBJECT:
		c_alloc_size(f, false, 0, size, sizeof(size));
		emit(g, "\t\tstruct %s *idl_p = glue_ref_import(r, glue_get(r, \"%s\"), "
		     "%s_TYPE_%s,\n\t\t\t\t\t\t%s, \"%s\");\n\n", f->ty.proj->ctag, what, M,
		     f->ty.proj->ctag, size, what);
		emit(g, "\t\tif (r->err)\n\t\t\treturn;\n");
		emit(g, "\t\tobj->%s = idl_p;\n", f->name);
		emit(g, "\t\tif (idl_p)\n\t\t\t%s_%s_get(r, idl_p, dir);\n", M, f->ty.proj->name);
		break;
	case TY_BULK:
		emit(g, "\t\tuint64_t idl_off = glue_get(r, \"%s\");\n\n", what);
		emit(g, "\t\tif (idl_off == GLUE_STR_NULL)\n\t\t\tobj->%s = NULL;\n", f->name);
		emit(g, "\t\telse\n\t\t\tobj->%s = glue_pool_import(r, %s_POOL_%s, idl_off, "
		     "(uint64_t)obj->%s, \"%s\");\n", f->name, M, f->ty.pool->name, f->at.len, what);
		break;
	case TY_FNPTR:
		emit(g, "\t\tobj->%s = %s_%s_import(r, glue_get(r, \"%s\"), \"%s\");\n", f->name, M,
		     f->ty.sig->name, what, what);
		break;
	case TY_OPAQUE:
		emit(g, "\t\tobj->%s = glue_ref_import(r, glue_get(r, \"%s\"), GLUE_TYPE_OPAQUE, 1, "
		     "\"%s\");\n", f->name, what, what);
		break;
	default:
		break;
	}
	emit(g, "\t}\n");
}

static void gen_proj_asserts(struct gen *g, const struct proj *pr)
{
	int i;

	for (i = 0; i < pr->nfields; i++) {
		const struct var *f = &pr->fields[i];

		if (f->ty.kind == TY_ARRAY)
			emit(g, "_Static_assert(sizeof(((struct %s *)0)->%s) >= %ld * sizeof(%s),\n"
			     "\t       \"%s.%s: the C member is smaller than array<%s, %ld>\");\n",
			     pr->ctag, f->name, f->ty.bound, f->ty.scalar->ctype, pr->name, f->name,
			     f->ty.scalar->name, f->ty.bound);
		if (f->ty.kind == TY_STRING && !f->ty.ptr)
			emit(g, "_Static_assert(sizeof(((struct %s *)0)->%s) >= %ld,\n"
			     "\t       \"%s.%s: the C member is smaller than string<%ld>\");\n",
			     pr->ctag, f->name, f->ty.bound, pr->name, f->name, f->ty.bound);
	}
}

static void gen_proj(struct gen *g, const struct proj *pr)
{
	const char *M = g->m->name;
	int i;

	gen_proj_asserts(g, pr);
	emit(g, "\n/* %s %s: struct %s */\n", pr->object ? "object" : "projection", pr->name,
	     pr->ctag);
	emit(g, "static void %s_%s_put(struct glue_ctx *ctx, struct glue_wr *w, const struct %s "
	     "*obj,\n\t\t\tunsigned dir)\n{\n", M, pr->name, pr->ctag);
	if (pr->nfields == 0)
		emit(g, "\t(void)ctx;\n\t(void)w;\n\t(void)obj;\n\t(void)dir;\n");
	for (i = 0; i < pr->nfields; i++)
		gen_field_put(g, pr, &pr->fields[i]);
	emit(g, "\t(void)ctx;\n}\n\n");
	emit(g, "static void %s_%s_get(struct glue_rd *r, struct %s *obj, unsigned dir)\n{\n", M,
	     pr->name, pr->ctag);
	if (pr->nfields == 0)
		emit(g, "\t(void)r;\n\t(void)obj;\n\t(void)dir;\n");
	for (i = 0; i < pr->nfields; i++)
		gen_field_get(g, pr, &pr->fields[i]);
	emit(g, "}\n");
}

static void gen_stub_prototypes(struct gen *g);

/* Does v cross as exactly one word of the request (gen_caller_put_param)? */
static bool is_one_word(const struct var *v)
{
	switch (v->ty.kind) {
	case TY_SCALAR:
		return !v->ty.ptr;
	case TY_OBJECT:
		return !proj_has(v->ty.proj, DIR_IN);
	case TY_BULK:
	case TY_FNPTR:
	case TY_OPAQUE:
		return true;
	default:
		return false;
	}
}

/*
 * For each one-way rpc whose arguments are one word each: where each word
 * is in the request, so that a caller that must write the message itself
 * (a packet path that cannot afford the stub, docs/idl.md) follows the IDL
 * when it changes, and a build check on _NWORDS catches an added argument.
 * The order is the stub's: one-word arguments, then data (bulk) arguments.
 */
static void gen_oneway_words(struct gen *g)
{
	const struct module *m = g->m;
	int i, j, pass, w;

	for (i = 0; i < m->nsigs; i++) {
		const struct sig *s = m->sigs[i];
		bool ok = s->at.oneway && !s->is_ptr;

		for (j = 0; ok && j < s->nparams; j++)
			ok = is_one_word(&s->params[j]);
		if (!ok)
			continue;
		emit(g, "/* %s's request words (one per argument, the stub's order) */\nenum {\n",
		     s->name);
		w = 0;
		for (pass = 0; pass < 2; pass++)
			for (j = 0; j < s->nparams; j++)
				if ((s->params[j].ty.kind == TY_BULK) == (pass == 1))
					emit(g, "\t%s_W_%s_%s = %d,\n", m->name, s->name,
					     s->params[j].name, w++);
		emit(g, "\t%s_W_%s_NWORDS = %d\n};\n\n", m->name, s->name, w);
	}
}

static void gen_common(struct gen *g)
{
	const struct module *m = g->m;
	const char *M = m->name;
	char p[2000], r[300];
	int i, j;

	emit(g, "/* Generated by idlc from %s: do not edit.  See docs/idl.md. */\n", m->file);
	emit(g, "#ifndef %s_COMMON_H\n#define %s_COMMON_H\n\n", M, M);
	emit(g, "#include <lxds/glue.h>\n");
	for (i = 0; i < m->nincludes; i++) {
		const char *inc = m->includes[i];

		emit(g, "#include %s%s%s\n", inc[0] == '<' ? "" : "\"", inc, inc[0] == '<' ? "" : "\"");
	}
	emit(g, "\n/* Channel: %s */\n\n", m->channel);
	emit(g, "/* The interface's version (a hash of the IDL text): both sides must be\n"
	     " * built from the same IDL; compare it when the channel is set up. */\n");
	emit(g, "#define %s_IDL_HASH 0x%016llxull\n\n", M, m->hash);
	emit(g, "/* rpc ids (bits 0..15 of every slot header, see include/lxds/glue.h) */\nenum %s_rpc {\n", M);
	for (i = 0; i < m->nsigs; i++)
		emit(g, "\t%s_RPC_%s = %d,%s\n", M, m->sigs[i]->name, m->sigs[i]->id,
		     m->sigs[i]->is_ptr ? "   /* through a function pointer */" : "");
	emit(g, "\t%s_RPC_LIMIT = %d\n};\n\n", M, m->nsigs + 1);
	emit(g, "/* object type ids: a received reference is checked against these */\n");
	emit(g, "enum %s_type {\n\t%s_TYPE_NONE = 0,\n", M, M);
	for (i = 0; i < m->nprojs; i++) {
		bool first = true;

		if (!m->projs[i]->object)
			continue;
		for (j = 0; j < i; j++)
			if (m->projs[j]->object && m->projs[j]->type_id == m->projs[i]->type_id)
				first = false;
		if (first)
			emit(g, "\t%s_TYPE_%s = %d,\n", M, m->projs[i]->ctag, m->projs[i]->type_id);
	}
	for (i = 0; i < m->nsigs; i++)
		if (m->sigs[i]->is_ptr)
			emit(g, "\t%s_TYPE_%s = %d,\n", M, m->sigs[i]->name, m->sigs[i]->type_id);
	emit(g, "};\n\n");
	if (m->npools) {
		emit(g, "/* shared buffer pools: glue_pool_set(ctx, id, base, size) on each side */\n");
		emit(g, "enum %s_pool {\n", M);
		for (i = 0; i < m->npools; i++)
			emit(g, "\t%s_POOL_%s = %d,\n", M, m->pools[i]->name, m->pools[i]->id);
		emit(g, "};\n\n");
	}
	gen_oneway_words(g);
	emit(g, "#define GLUE_DIR_IN   1   /* caller to callee: the request */\n");
	emit(g, "#define GLUE_DIR_OUT  2   /* callee to caller: the reply */\n\n");
	emit(g, "/* function pointer types */\n");
	for (i = 0; i < m->nsigs; i++) {
		if (!m->sigs[i]->is_ptr)
			continue;
		c_ret(g, m->sigs[i], r, sizeof(r));
		c_params(g, m->sigs[i], p, sizeof(p));
		emit(g, "typedef %s (*%s_%s_fn)(%s);\n", r, M, m->sigs[i]->name, p);
	}
	emit(g, "\n/* each side's context, set up before the first call */\n");
	emit(g, "extern struct glue_ctx *%s_linux_ctx;\nextern struct glue_ctx *%s_domain_ctx;\n", M, M);
	emit(g, "int %s_linux_dispatch(struct glue_ctx *ctx, const struct glue_msg *req,\n"
	     "\t\t\tstruct glue_msg *reply);\n", M);
	emit(g, "int %s_domain_dispatch(struct glue_ctx *ctx, const struct glue_msg *req,\n"
	     "\t\t\t struct glue_msg *reply);\n", M);
	emit(g, "/* When the peer is gone (before a reload): frees ctx's private copies and\n"
	     " * references and unbinds its trampolines, so nothing of the old peer is\n"
	     " * reachable through this side's glue. */\n");
	emit(g, "void %s_linux_release(struct glue_ctx *ctx);\nvoid %s_domain_release(struct glue_ctx "
	     "*ctx);\n\n", M, M);
	gen_stub_prototypes(g);
	emit(g, "\n#endif\n");
}

/* Prototypes of every caller stub (each is defined by one side's file). */
static void gen_stub_prototypes(struct gen *g)
{
	char proto[2600];
	int i;

	emit(g, "/* caller stubs: the domain side defines those of rpcs Linux runs (with\n"
	     " * the kernel's own names), the Linux side those of rpcs the domain runs */\n");
	for (i = 0; i < g->m->nsigs; i++) {
		if (g->m->sigs[i]->is_ptr)
			continue;
		c_proto(g, g->m->sigs[i], g->m->sigs[i]->name, proto, sizeof(proto));
		emit(g, "%s;\n", proto);
	}
}

/* M_marshal.h: included by the two side files only. */
static void gen_marshal(struct gen *g)
{
	const struct module *m = g->m;
	const char *M = m->name;
	char proto[600];
	int i;

	emit(g, "/* Generated by idlc from %s: do not edit.  See docs/idl.md.\n", m->file);
	emit(g, " * Marshalling shared by %s_linux.c and %s_domain.c (static: each side\n"
	     " * file includes it once). */\n", M, M);
	emit(g, "#ifndef %s_MARSHAL_H\n#define %s_MARSHAL_H\n\n#include \"%s_common.h\"\n\n",
	     M, M, M);
	emit(g, "/* function pointers: each side defines these with its own trampolines */\n");
	for (i = 0; i < m->nsigs; i++) {
		if (!m->sigs[i]->is_ptr)
			continue;
		emit(g, "static uint64_t %s_%s_export(struct glue_ctx *ctx, %s_%s_fn fp, int *err)\n"
		     "\t__attribute__((unused));\n", M, m->sigs[i]->name, M, m->sigs[i]->name);
		emit(g, "static %s_%s_fn %s_%s_import(struct glue_rd *r, uint64_t word, const char "
		     "*field)\n\t__attribute__((unused));\n", M, m->sigs[i]->name, M, m->sigs[i]->name);
	}
	emit(g, "\n/* projections: put writes the fields that cross in dir, get reads them */\n");
	for (i = 0; i < m->nprojs; i++) {
		snprintf(proto, sizeof(proto), "%s_%s", M, m->projs[i]->name);
		emit(g, "static void %s_put(struct glue_ctx *ctx, struct glue_wr *w,\n\t\t\tconst "
		     "struct %s *obj, unsigned dir) __attribute__((unused));\n", proto,
		     m->projs[i]->ctag);
		emit(g, "static void %s_get(struct glue_rd *r, struct %s *obj, unsigned dir)\n"
		     "\t__attribute__((unused));\n", proto, m->projs[i]->ctag);
	}
	for (i = 0; i < m->nprojs; i++)
		gen_proj(g, m->projs[i]);
	emit(g, "\n#endif\n");
}

/* --- caller side ------------------------------------------------------------------ */

/* Array and bulk parameters travel after all the others. */
static bool is_data(const struct var *v)
{
	return v->ty.kind == TY_ARRAY || v->ty.kind == TY_BULK;
}

/* What a failed stub returns, given its return type. */
static void c_fail_return(const struct sig *s, const char *err, char *buf, size_t n)
{
	if (s->ret.kind == TY_VOID)
		snprintf(buf, n, "return;");
	else if (s->ret.kind == TY_OBJECT || s->ret.kind == TY_OPAQUE)
		snprintf(buf, n, "return NULL;");
	else if (s->ret.scalar->is_signed)
		snprintf(buf, n, "return (%s)%s;", s->ret.scalar->ctype, err);
	else if (s->ret.scalar->is_bool)
		snprintf(buf, n, "return false;");
	else
		snprintf(buf, n, "return 0;");
}

static void gen_caller_put_param(struct gen *g, const struct var *v)
{
	const char *M = g->m->name;
	char put[400];

	switch (v->ty.kind) {
	case TY_SCALAR:
		if (!v->ty.ptr) {
			c_put_scalar(v->ty.scalar, v->name, put, sizeof(put));
			emit(g, "\tglue_put(&idl_w, %s);\n", put);
			break;
		}
		emit(g, "\tglue_put(&idl_w, %s != NULL);\n", v->name);
		if (v->at.dir & DIR_IN) {
			char e[300];

			snprintf(e, sizeof(e), "*%s", v->name);
			c_put_scalar(v->ty.scalar, e, put, sizeof(put));
			emit(g, "\tif (%s)\n\t\tglue_put(&idl_w, %s);\n", v->name, put);
		}
		break;
	case TY_OBJECT:
		emit(g, "\tglue_put(&idl_w, glue_ref_export(idl_ctx, %s, %s_TYPE_%s, &idl_w.err));\n",
		     v->name, M, v->ty.proj->ctag);
		if (proj_has(v->ty.proj, DIR_IN))
			emit(g, "\tif (%s)\n\t\t%s_%s_put(idl_ctx, &idl_w, %s, GLUE_DIR_IN);\n",
			     v->name, M, v->ty.proj->name, v->name);
		break;
	case TY_PROJ:
		emit(g, "\tglue_put(&idl_w, %s != NULL);\n", v->name);
		if (proj_has(v->ty.proj, DIR_IN))
			emit(g, "\tif (%s)\n\t\t%s_%s_put(idl_ctx, &idl_w, %s, GLUE_DIR_IN);\n",
			     v->name, M, v->ty.proj->name, v->name);
		break;
	case TY_STRING:
		emit(g, "\tglue_put_str(&idl_w, %s, %ld);\n", v->name, v->ty.bound);
		break;
	case TY_ARRAY:
		if (!(v->at.dir & DIR_IN))
			break;
		emit(g, "\tif (%s && !%s) {\n\t\tidl_w.err = GLUE_EFAULT;\n", v->at.count, v->name);
		if (v->at.user) {
			emit(g, "\t} else {\n\t\tglue_put_user(&idl_w, (const void *)%s, (size_t)%s * "
			     "sizeof(%s));\n\t}\n", v->name, v->at.count, v->ty.scalar->ctype);
		} else {
			emit(g, "\t} else {\n\t\tglue_put_bytes(&idl_w, (const void *)%s, (size_t)%s * "
			     "sizeof(%s));\n\t}\n", v->name, v->at.count, v->ty.scalar->ctype);
		}
		break;
	case TY_BULK:
		emit(g, "\t{\n\t\tuint64_t idl_off = GLUE_STR_NULL;\n\n");
		emit(g, "\t\tif (%s && glue_pool_export(idl_ctx, %s_POOL_%s, %s, (uint64_t)%s, "
		     "&idl_off))\n\t\t\tidl_w.err = GLUE_EFAULT;\n", v->name, M, v->ty.pool->name,
		     v->name, v->at.len);
		emit(g, "\t\tglue_put(&idl_w, idl_off);\n\t}\n");
		break;
	case TY_FNPTR:
		emit(g, "\tglue_put(&idl_w, %s_%s_export(idl_ctx, %s, &idl_w.err));\n", M,
		     v->ty.sig->name, v->name);
		break;
	case TY_OPAQUE:
		emit(g, "\tglue_put(&idl_w, glue_ref_export(idl_ctx, %s, GLUE_TYPE_OPAQUE, &idl_w.err));\n",
		     v->name);
		break;
	default:
		break;
	}
}

static void gen_caller_get_param(struct gen *g, const struct sig *s, const struct var *v)
{
	const char *M = g->m->name;
	char what[300], get[500];

	snprintf(what, sizeof(what), "%s.%s", s->name, v->name);
	if (v->at.dealloc & SIDE_CALLEE)
		return;   /* the callee freed it: nothing comes back */
	switch (v->ty.kind) {
	case TY_SCALAR:
		if (!v->ty.ptr || !(v->at.dir & DIR_OUT) || v->ty.is_const)
			break;
		c_get_scalar(v->ty.scalar, "&idl_r", what, get, sizeof(get));
		emit(g, "\tif (%s)\n\t\t*%s = %s;\n", v->name, v->name, get);
		break;
	case TY_OBJECT:
	case TY_PROJ:
		if (v->ty.is_const || !proj_has(v->ty.proj, DIR_OUT))
			break;
		emit(g, "\tif (%s)\n\t\t%s_%s_get(&idl_r, %s, GLUE_DIR_OUT);\n", v->name, M,
		     v->ty.proj->name, v->name);
		break;
	case TY_ARRAY:
		if (!(v->at.dir & DIR_OUT))
			break;
		emit(g, "\t{\n\t\tuint64_t idl_n = glue_get(&idl_r, \"%s count\");\n\n", what);
		emit(g, "\t\tif (idl_n > (uint64_t)%s)\n\t\t\tglue_rd_fail(&idl_r, GLUE_E2BIG, "
		     "\"more elements than asked for\", \"%s\");\n", v->at.count, what);
		emit(g, "\t\telse if (idl_n && !%s)\n\t\t\tglue_rd_fail(&idl_r, GLUE_EFAULT, "
		     "\"data for a NULL buffer\", \"%s\");\n", v->name, what);
		if (v->at.user) {
			emit(g, "\t\telse\n\t\t\tglue_get_user(&idl_r, (void *)%s, (size_t)idl_n * "
			     "sizeof(%s), \"%s\");\n", v->name, v->ty.scalar->ctype, what);
		} else {
			emit(g, "\t\telse\n\t\t\tglue_get_bytes(&idl_r, (void *)%s, (size_t)idl_n * "
			     "sizeof(%s), \"%s\");\n", v->name, v->ty.scalar->ctype, what);
		}
		emit(g, "\t}\n");
		break;
	default:
		break;
	}
}

static void gen_clamp_counts(struct gen *g, const struct sig *s)
{
	int i, j;

	for (i = 0; i < s->nparams; i++) {
		const struct var *v = &s->params[i];

		if (v->ty.kind != TY_ARRAY)
			continue;
		for (j = 0; j < s->nparams; j++)
			if (strcmp(s->params[j].name, v->at.count) == 0 &&
			    s->params[j].ty.scalar->is_signed)
				emit(g, "\tif (%s < 0)\n\t\t%s = 0;\n", v->at.count, v->at.count);
		emit(g, "\tif ((uint64_t)%s > %ld)   /* at most the bound crosses */\n\t\t%s = %ld;\n",
		     v->at.count, v->ty.bound, v->at.count, v->ty.bound);
	}
}

/*
 * The body of a caller: marshal, call (or send), unmarshal.  ctx_expr names
 * the context; fn_word, if set, is the function reference that goes first.
 */
static void gen_caller_body(struct gen *g, const struct sig *s, const char *ctx_expr,
			    const char *fn_word)
{
	const char *M = g->m->name;
	char fail[300], r[300], get[500], size[300];
	int i;

	c_ret(g, s, r, sizeof(r));
	emit(g, "\tstruct glue_ctx *idl_ctx = %s;\n", ctx_expr);
	emit(g, "\tGLUE_MSG_BUF(%ld) idl_req_buf;\n", s->req_words > 0 ? s->req_words : 1);
	if (!s->at.oneway)
		emit(g, "\tGLUE_MSG_BUF(%ld) idl_reply_buf;\n", s->rep_words);
	emit(g, "\tstruct glue_msg *idl_req = &idl_req_buf.m;\n");
	if (!s->at.oneway)
		emit(g, "\tstruct glue_msg *idl_reply = &idl_reply_buf.m;\n\tstruct glue_rd idl_r;\n");
	emit(g, "\tstruct glue_wr idl_w;\n\tint idl_err;\n");
	if (s->ret.kind == TY_SCALAR || s->ret.kind == TY_OPAQUE)
		emit(g, "\t%s%sidl_ret;\n", r, s->ret.kind == TY_OPAQUE ? "" : " ");
	else if (s->ret.kind == TY_OBJECT)
		emit(g, "\tstruct %s *idl_ret;\n", s->ret.proj->ctag);
	emit(g, "\n");
	c_fail_return(s, "GLUE_EPIPE", fail, sizeof(fail));
	emit(g, "\tif (!idl_ctx) {\n\t\tglue_log(NULL, \"%s: %s called with no channel (not up yet, or released)\");"
	     "\n\t\t%s\n\t}\n", M, s->name, fail);
	gen_clamp_counts(g, s);
	emit(g, "\tglue_msg_init(idl_req, %ld);\n", s->req_words > 0 ? s->req_words : 1);
	if (!s->at.oneway)
		emit(g, "\tglue_msg_init(idl_reply, %ld);\n", s->rep_words);
	emit(g, "\tglue_wr_init(&idl_w, idl_req, %s_RPC_%s, %s);\n", M, s->name,
	     s->at.oneway ? "CHAN_T_ONEWAY" : "CHAN_T_REQUEST");
	if (fn_word)
		emit(g, "\tglue_put(&idl_w, %s);\n", fn_word);
	/* scalars, references, strings first; then array and bulk data, whose
	 * counts the receiver has read by then */
	for (i = 0; i < s->nparams; i++)
		if (!is_data(&s->params[i]))
			gen_caller_put_param(g, &s->params[i]);
	for (i = 0; i < s->nparams; i++)
		if (is_data(&s->params[i]))
			gen_caller_put_param(g, &s->params[i]);
	c_fail_return(s, "idl_w.err", fail, sizeof(fail));
	emit(g, "\tif (idl_w.err) {\n\t\tglue_log(idl_ctx, \"%%s: %s: cannot marshal the arguments "
	     "(error %%d)\", idl_ctx->name, idl_w.err);\n\t\t%s\n\t}\n", s->name, fail);
	if (s->at.oneway) {
		emit(g, "\tidl_err = glue_send(idl_ctx, idl_req);\n");
		emit(g, "\tif (idl_err)\n\t\tglue_log(idl_ctx, \"%%s: %s: send failed (error %%d)\", "
		     "idl_ctx->name, idl_err);\n", s->name);
		for (i = 0; i < s->nparams; i++)
			if (s->params[i].at.dealloc & SIDE_CALLER)
				emit(g, "\tglue_ref_drop(idl_ctx, %s, %s_TYPE_%s);\n", s->params[i].name, M,
				     s->params[i].ty.proj->ctag);
		return;
	}
	c_fail_return(s, "idl_err", fail, sizeof(fail));
	emit(g, "\tidl_err = glue_call(idl_ctx, idl_req, idl_reply);\n");
	emit(g, "\tif (idl_err) {\n\t\tglue_log(idl_ctx, \"%%s: %s: call failed (error %%d)\", "
	     "idl_ctx->name, idl_err);\n\t\t%s\n\t}\n", s->name, fail);
	emit(g, "\tglue_rd_init(&idl_r, idl_ctx, idl_reply, \"%s reply\");\n", s->name);
	emit(g, "\t(void)glue_get(&idl_r, \"status\");\n");
	if (s->ret.kind == TY_SCALAR) {
		c_get_scalar(s->ret.scalar, "&idl_r", "return", get, sizeof(get));
		emit(g, "\tidl_ret = %s;\n", get);
	} else if (s->ret.kind == TY_OBJECT) {
		struct var rv = { .ty = s->ret, .at = s->ret_at };

		c_alloc_size(&rv, true, SIDE_CALLER, size, sizeof(size));
		emit(g, "\tidl_ret = glue_ref_import(&idl_r, glue_get(&idl_r, \"return\"), %s_TYPE_%s,"
		     " %s,\n\t\t\t\t  \"%s return\");\n", M, s->ret.proj->ctag, size, s->name);
		emit(g, "\tif (idl_ret)\n\t\t%s_%s_get(&idl_r, idl_ret, GLUE_DIR_OUT);\n", M,
		     s->ret.proj->name);
	} else if (s->ret.kind == TY_OPAQUE) {
		emit(g, "\tidl_ret = glue_ref_import(&idl_r, glue_get(&idl_r, \"return\"), "
		     "GLUE_TYPE_OPAQUE, 1,\n\t\t\t\t  \"%s return\");\n", s->name);
	}
	for (i = 0; i < s->nparams; i++)
		gen_caller_get_param(g, s, &s->params[i]);
	emit(g, "\tglue_rd_end(&idl_r);\n");
	for (i = 0; i < s->nparams; i++)
		if (s->params[i].at.dealloc & SIDE_CALLER)
			emit(g, "\tglue_ref_drop(idl_ctx, %s, %s_TYPE_%s);\n", s->params[i].name, M,
			     s->params[i].ty.proj->ctag);
	c_fail_return(s, "idl_r.err", fail, sizeof(fail));
	emit(g, "\tif (idl_r.err)\n\t\t%s\n", fail);
	if (s->ret.kind != TY_VOID)
		emit(g, "\treturn idl_ret;\n");
}

static void gen_stub(struct gen *g, const struct sig *s)
{
	char proto[2600], ctx[200];

	c_proto(g, s, s->name, proto, sizeof(proto));
	snprintf(ctx, sizeof(ctx), "%s_%s_ctx", g->m->name, g->side);
	emit(g, "/* rpc %s: runs on the %s side */\n%s\n{\n", s->name,
	     s->at.home == HOME_LINUX ? "Linux" : "domain", proto);
	gen_caller_body(g, s, ctx, NULL);
	emit(g, "}\n\n");
}

/* --- function pointers: trampolines, export/import -------------------------------------- */

static void gen_fnptr(struct gen *g, const struct sig *s)
{
	const char *M = g->m->name, *S = g->side;
	char name[400], proto[2600], args[1000], fn[300];
	long i, n = s->at.slots;

	snprintf(fn, sizeof(fn), "%s_%s_fn", M, s->name);
	emit(g, "/* rpc_ptr %s: a function pointer the peer sent becomes one of these %ld\n"
	     " * trampolines; calling it calls the peer's function. */\n", s->name, n);
	emit(g, "static struct glue_tramp %s_%s_%s_slots[%ld];\n\n", M, S, s->name, n);
	/* the call through a slot */
	{
		struct sig t = *s;
		char full[2700];

		snprintf(name, sizeof(name), "%s_%s_%s_call", M, S, s->name);
		c_proto(g, &t, name, proto, sizeof(proto));
		/* insert the slot parameter first */
		{
			char *paren = strchr(proto, '(');
			bool none = strcmp(paren, "(void)") == 0;

			*paren = '\0';
			snprintf(full, sizeof(full), "static %s(struct glue_tramp *idl_slot%s%s", proto,
				 none ? ")" : ", ", none ? "" : paren + 1);
		}
		emit(g, "%s\n{\n", full);
		gen_caller_body(g, s, "idl_slot->ctx", "idl_slot->ref | GLUE_REF_YOURS");
		emit(g, "}\n\n");
	}
	c_args(s, args, sizeof(args));
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s_%s_%s_tramp_%ld", M, S, s->name, i);
		c_proto(g, s, name, proto, sizeof(proto));
		emit(g, "static %s\n{\n\t%s%s_%s_%s_call(&%s_%s_%s_slots[%ld]%s%s);\n}\n\n", proto,
		     s->ret.kind == TY_VOID ? "" : "return ", M, S, s->name, M, S, s->name, i,
		     s->nparams ? ", " : "", args);
	}
	emit(g, "static const %s %s_%s_%s_tramps[%ld] = {\n", fn, M, S, s->name, n);
	for (i = 0; i < n; i++)
		emit(g, "\t%s_%s_%s_tramp_%ld,\n", M, S, s->name, i);
	emit(g, "};\n\n");
	emit(g, "/* Names fp to the peer: a trampoline of ours names the peer's own function. */\n");
	emit(g, "static uint64_t %s_%s_export(struct glue_ctx *ctx, %s fp, int *err)\n{\n", M,
	     s->name, fn);
	emit(g, "\tunsigned i;\n\n\tif (!fp)\n\t\treturn 0;\n");
	emit(g, "\tfor (i = 0; i < %ld; i++)\n\t\tif (fp == %s_%s_%s_tramps[i] && "
	     "%s_%s_%s_slots[i].ctx == ctx)\n\t\t\treturn %s_%s_%s_slots[i].ref | GLUE_REF_YOURS;\n",
	     n, M, S, s->name, M, S, s->name, M, S, s->name);
	emit(g, "\treturn glue_ref_export(ctx, (const void *)fp, %s_TYPE_%s, err);\n}\n\n", M,
	     s->name);
	emit(g, "/* A received function reference: ours (checked by type), or the peer's\n"
	     " * (bound to a trampoline). */\n");
	emit(g, "static %s %s_%s_import(struct glue_rd *r, uint64_t word, const char *field)\n{\n",
	     fn, M, s->name);
	emit(g, "\tint i;\n\n\tif (r->err || word == 0)\n\t\treturn NULL;\n");
	emit(g, "\tif (word & GLUE_REF_YOURS)\n\t\treturn (%s)glue_ref_import(r, word, %s_TYPE_%s, "
	     "0, field);\n", fn, M, s->name);
	emit(g, "\tif ((word & 0xffffffffu) == 0 || (word & 0xffffffffu) > GLUE_REF_SLOTS) {\n"
	     "\t\tglue_rd_fail(r, GLUE_ENOENT, \"function reference out of range\", field);\n"
	     "\t\treturn NULL;\n\t}\n");
	emit(g, "\ti = glue_tramp_get(%s_%s_%s_slots, %ld, r->ctx, word);\n", M, S, s->name, n);
	emit(g, "\tif (i < 0) {\n\t\tglue_rd_fail(r, GLUE_ENOSPC, \"no free trampoline (raise "
	     "slots(N) of %s)\", field);\n\t\treturn NULL;\n\t}\n", s->name);
	emit(g, "\treturn %s_%s_%s_tramps[i];\n}\n\n", M, S, s->name);
}

/* --- callee side ---------------------------------------------------------------------- */

static void gen_callee_locals(struct gen *g, const struct sig *s)
{
	char t[300];
	int i;

	for (i = 0; i < s->nparams; i++) {
		const struct var *v = &s->params[i];
		const char *nm = v->name;

		switch (v->ty.kind) {
		case TY_SCALAR:
			if (v->ty.ptr)
				emit(g, "\t%s idl_val_%s = 0;\n\t%s *%s = NULL;\n", v->ty.scalar->ctype, nm,
				     v->ty.scalar->ctype, nm);
			else
				emit(g, "\t%s %s = 0;\n", v->ty.scalar->ctype, nm);
			break;
		case TY_OBJECT:
			emit(g, "\tstruct %s *%s = NULL;\n", v->ty.proj->ctag, nm);
			break;
		case TY_PROJ:
			emit(g, "\tstruct %s idl_val_%s;\n\tstruct %s *%s = NULL;\n", v->ty.proj->ctag,
			     nm, v->ty.proj->ctag, nm);
			break;
		case TY_STRING:
			emit(g, "\tchar idl_buf_%s[%ld];\n\tconst char *%s = NULL;\n", nm, v->ty.bound, nm);
			break;
		case TY_ARRAY:
			emit(g, "\t%s idl_buf_%s[%ld];\n\t%s *%s = idl_buf_%s;\n", v->ty.scalar->ctype,
			     nm, v->ty.bound, v->ty.scalar->ctype, nm, nm);
			break;
		case TY_BULK:
		case TY_OPAQUE:
			emit(g, "\tvoid *%s = NULL;\n", nm);
			break;
		case TY_FNPTR:
			c_type(g, &v->ty, NULL, t, sizeof(t));
			emit(g, "\t%s %s = NULL;\n", t, nm);
			break;
		default:
			break;
		}
	}
}

static void gen_callee_get_param(struct gen *g, const struct sig *s, const struct var *v)
{
	const char *M = g->m->name, *nm = v->name;
	char what[300], get[500], size[300];

	snprintf(what, sizeof(what), "%s.%s", s->name, nm);
	switch (v->ty.kind) {
	case TY_SCALAR:
		c_get_scalar(v->ty.scalar, "&idl_r", what, get, sizeof(get));
		if (!v->ty.ptr) {
			emit(g, "\t%s = %s;\n", nm, get);
			break;
		}
		emit(g, "\tif (glue_get_bool(&idl_r, \"%s\"))\n\t\t%s = &idl_val_%s;\n", what, nm, nm);
		if (v->at.dir & DIR_IN)
			emit(g, "\tif (%s)\n\t\tidl_val_%s = %s;\n", nm, nm, get);
		break;
	case TY_OBJECT:
		c_alloc_size(v, true, SIDE_CALLEE, size, sizeof(size));
		emit(g, "\t%s = glue_ref_import(&idl_r, glue_get(&idl_r, \"%s\"), %s_TYPE_%s, %s, "
		     "\"%s\");\n", nm, what, M, v->ty.proj->ctag, size, what);
		if (proj_has(v->ty.proj, DIR_IN))
			emit(g, "\tif (%s)\n\t\t%s_%s_get(&idl_r, %s, GLUE_DIR_IN);\n", nm, M,
			     v->ty.proj->name, nm);
		break;
	case TY_PROJ:
		emit(g, "\tmemset(&idl_val_%s, 0, sizeof(idl_val_%s));\n", nm, nm);
		emit(g, "\tif (glue_get_bool(&idl_r, \"%s\")) {\n\t\t%s = &idl_val_%s;\n", what, nm, nm);
		if (proj_has(v->ty.proj, DIR_IN))
			emit(g, "\t\t%s_%s_get(&idl_r, %s, GLUE_DIR_IN);\n", M, v->ty.proj->name, nm);
		emit(g, "\t}\n");
		break;
	case TY_STRING:
		emit(g, "\t%s = glue_get_str(&idl_r, idl_buf_%s, sizeof(idl_buf_%s), \"%s\");\n", nm,
		     nm, nm, what);
		break;
	case TY_ARRAY:
		emit(g, "\tmemset(idl_buf_%s, 0, sizeof(idl_buf_%s));\n", nm, nm);
		emit(g, "\tif (%s(uint64_t)%s > %ld)\n\t\tglue_rd_fail(&idl_r, GLUE_E2BIG, \"count "
		     "over the array's bound\", \"%s\");\n", "", v->at.count, v->ty.bound, what);
		if (v->at.dir & DIR_IN)
			emit(g, "\telse\n\t\tglue_get_bytes(&idl_r, idl_buf_%s, (size_t)%s * sizeof(%s), "
			     "\"%s\");\n", nm, v->at.count, v->ty.scalar->ctype, what);
		break;
	case TY_BULK:
		emit(g, "\t{\n\t\tuint64_t idl_off = glue_get(&idl_r, \"%s\");\n\n", what);
		emit(g, "\t\tif (idl_off != GLUE_STR_NULL)\n\t\t\t%s = glue_pool_import(&idl_r, "
		     "%s_POOL_%s, idl_off, (uint64_t)%s, \"%s\");\n\t}\n", nm, M, v->ty.pool->name,
		     v->at.len, what);
		break;
	case TY_FNPTR:
		emit(g, "\t%s = %s_%s_import(&idl_r, glue_get(&idl_r, \"%s\"), \"%s\");\n", nm, M,
		     v->ty.sig->name, what, what);
		break;
	case TY_OPAQUE:
		emit(g, "\t%s = glue_ref_import(&idl_r, glue_get(&idl_r, \"%s\"), GLUE_TYPE_OPAQUE, 1, "
		     "\"%s\");\n", nm, what, what);
		break;
	default:
		break;
	}
}

static void gen_callee_put_param(struct gen *g, const struct sig *s, const struct var *v)
{
	const char *M = g->m->name, *nm = v->name;
	char put[400], e[300];

	if (v->at.dealloc & SIDE_CALLEE)
		return;
	switch (v->ty.kind) {
	case TY_SCALAR:
		if (!v->ty.ptr || !(v->at.dir & DIR_OUT) || v->ty.is_const)
			break;
		snprintf(e, sizeof(e), "*%s", nm);
		c_put_scalar(v->ty.scalar, e, put, sizeof(put));
		emit(g, "\tif (%s)\n\t\tglue_put(&idl_w, %s);\n", nm, put);
		break;
	case TY_OBJECT:
	case TY_PROJ:
		if (v->ty.is_const || !proj_has(v->ty.proj, DIR_OUT))
			break;
		emit(g, "\tif (%s)\n\t\t%s_%s_put(idl_ctx, &idl_w, %s, GLUE_DIR_OUT);\n", nm, M,
		     v->ty.proj->name, nm);
		break;
	case TY_ARRAY:
		if (!(v->at.dir & DIR_OUT))
			break;
		emit(g, "\t{\n\t\tuint64_t idl_n = (uint64_t)%s;\n\n", v->at.count);
		if (v->at.len_return) {
			if (s->ret.scalar->is_signed)
				emit(g, "\t\tif (idl_ret < 0)\n\t\t\tidl_n = 0;\n\t\telse ");
			else
				emit(g, "\t\t");
			emit(g, "if ((uint64_t)idl_ret < idl_n)\n\t\t\tidl_n = (uint64_t)idl_ret;\n");
		}
		emit(g, "\t\tglue_put(&idl_w, idl_n);\n");
		emit(g, "\t\tglue_put_bytes(&idl_w, idl_buf_%s, (size_t)idl_n * sizeof(%s));\n\t}\n", nm,
		     v->ty.scalar->ctype);
		break;
	default:
		break;
	}
	(void)s;
}

static void gen_callee_call(struct gen *g, const struct sig *s)
{
	char call[2000], fn[400];
	int i;

	if (s->is_ptr)
		snprintf(fn, sizeof(fn), "idl_fn");
	else
		snprintf(fn, sizeof(fn), "IDL_IMPL(%s)", s->name);
	snprintf(call, sizeof(call), "%s(", fn);
	for (i = 0; i < s->nparams; i++) {
		const struct var *v = &s->params[i];
		char a[400];

		if (v->at.ctype)
			snprintf(a, sizeof(a), "%s(%s)%s", i ? ", " : "", v->at.ctype, v->name);
		else
			snprintf(a, sizeof(a), "%s%s", i ? ", " : "", v->name);
		strncat(call, a, sizeof(call) - strlen(call) - 1);
	}
	strncat(call, ")", sizeof(call) - strlen(call) - 1);
	if (s->ret.kind == TY_VOID)
		emit(g, "\t%s;\n", call);
	else
		emit(g, "\tidl_ret = %s;\n", call);
}

/* A pointer argument is non-NULL unless the IDL says [nullable]: the real
 * function need not defend itself against a peer that sends NULL. */
static void gen_callee_nonnull(struct gen *g, const struct sig *s)
{
	int i;

	for (i = 0; i < s->nparams; i++) {
		const struct var *v = &s->params[i];
		bool ptr = v->ty.ptr || v->ty.kind == TY_BULK || v->ty.kind == TY_FNPTR ||
			   v->ty.kind == TY_OPAQUE;

		if (!ptr || v->at.nullable || v->ty.kind == TY_ARRAY)
			continue;
		emit(g, "\tif (!%s && !idl_r.err)\n\t\tglue_rd_fail(&idl_r, GLUE_EINVAL, \"NULL for an "
		     "argument that is not [nullable]\", \"%s.%s\");\n", v->name, s->name, v->name);
	}
}

static void gen_handler(struct gen *g, const struct sig *s)
{
	const char *M = g->m->name, *S = g->side;
	char r[300], size[300];
	int i;

	emit(g, "/* %s %s: unmarshal, check, call, reply */\n", s->is_ptr ? "rpc_ptr" : "rpc",
	     s->name);
	emit(g, "static int %s_%s_handle_%s(struct glue_ctx *idl_ctx, const struct glue_msg "
	     "*idl_req,\n\t\t\t\tstruct glue_msg *idl_reply)\n{\n", M, S, s->name);
	emit(g, "\tstruct glue_rd idl_r;\n");
	if (!s->at.oneway)
		emit(g, "\tstruct glue_wr idl_w;\n");
	if (s->is_ptr)
		emit(g, "\t%s_%s_fn idl_fn;\n", M, s->name);
	c_ret(g, s, r, sizeof(r));
	if (s->ret.kind == TY_SCALAR)
		emit(g, "\t%s idl_ret;\n", s->ret.scalar->ctype);
	else if (s->ret.kind == TY_OBJECT)
		emit(g, "\tstruct %s *idl_ret;\n", s->ret.proj->ctag);
	else if (s->ret.kind == TY_OPAQUE)
		emit(g, "\t%svoid *idl_ret;\n", const_prefix(&s->ret));
	gen_callee_locals(g, s);
	emit(g, "\n\tglue_rd_init(&idl_r, idl_ctx, idl_req, \"%s\");\n", s->name);
	emit(g, "\tif (idl_req->kind != %s) {\n\t\tglue_rd_fail(&idl_r, GLUE_EBADMSG, \"%s\", "
	     "NULL);\n\t\treturn idl_r.err;\n\t}\n", s->at.oneway ? "CHAN_T_ONEWAY" : "CHAN_T_REQUEST",
	     s->at.oneway ? "a oneway rpc sent as a request" : "a request sent as oneway");
	if (s->is_ptr) {
		emit(g, "\tidl_fn = (%s_%s_fn)glue_ref_import(&idl_r, glue_get(&idl_r, \"function\"), "
		     "%s_TYPE_%s, 0,\n\t\t\t\t\t\t\"%s function\");\n", M, s->name, M, s->name, s->name);
		emit(g, "\tif (!idl_fn && !idl_r.err)\n\t\tglue_rd_fail(&idl_r, GLUE_EINVAL, \"call "
		     "through a NULL function reference\", \"%s\");\n", s->name);
	}
	for (i = 0; i < s->nparams; i++)
		if (!is_data(&s->params[i]))
			gen_callee_get_param(g, s, &s->params[i]);
	for (i = 0; i < s->nparams; i++)
		if (is_data(&s->params[i]))
			gen_callee_get_param(g, s, &s->params[i]);
	gen_callee_nonnull(g, s);
	emit(g, "\tif (glue_rd_end(&idl_r))\n\t\treturn idl_r.err;\n");
	gen_callee_call(g, s);
	if (!s->at.oneway) {
		emit(g, "\tglue_wr_init(&idl_w, idl_reply, %s_RPC_%s, CHAN_T_REPLY);\n", M, s->name);
		emit(g, "\tglue_put(&idl_w, 0);   /* status */\n");
		if (s->ret.kind == TY_SCALAR) {
			char put[300];

			c_put_scalar(s->ret.scalar, "idl_ret", put, sizeof(put));
			emit(g, "\tglue_put(&idl_w, %s);\n", put);
		} else if (s->ret.kind == TY_OBJECT) {
			emit(g, "\tglue_put(&idl_w, glue_ref_export(idl_ctx, idl_ret, %s_TYPE_%s, "
			     "&idl_w.err));\n", M, s->ret.proj->ctag);
			emit(g, "\tif (idl_ret)\n\t\t%s_%s_put(idl_ctx, &idl_w, idl_ret, GLUE_DIR_OUT);\n",
			     M, s->ret.proj->name);
		} else if (s->ret.kind == TY_OPAQUE) {
			emit(g, "\tglue_put(&idl_w, glue_ref_export(idl_ctx, idl_ret, GLUE_TYPE_OPAQUE, "
			     "&idl_w.err));\n");
		}
		for (i = 0; i < s->nparams; i++)
			gen_callee_put_param(g, s, &s->params[i]);
	} else {
		emit(g, "\t(void)idl_reply;\n");
	}
	for (i = 0; i < s->nparams; i++)
		if (s->params[i].at.dealloc & SIDE_CALLEE)
			emit(g, "\tglue_ref_drop(idl_ctx, %s, %s_TYPE_%s);\n", s->params[i].name, M,
			     s->params[i].ty.proj->ctag);
	if (!s->at.oneway)
		emit(g, "\tif (idl_w.err) {\n\t\tglue_log(idl_ctx, \"%%s: %s: reply does not fit "
		     "(error %%d)\", idl_ctx->name, idl_w.err);\n\t\treturn idl_w.err;\n\t}\n", s->name);
	emit(g, "\treturn 0;\n}\n\n");
	(void)size;
}

static void gen_release(struct gen *g)
{
	const char *M = g->m->name, *S = g->side;
	int i;

	emit(g, "void %s_%s_release(struct glue_ctx *ctx)\n{\n", M, S);
	emit(g, "\tunsigned i;\n\n\tglue_lock(ctx);\n");
	for (i = 0; i < g->m->nsigs; i++) {
		const struct sig *s = g->m->sigs[i];

		if (!s->is_ptr)
			continue;
		emit(g, "\tfor (i = 0; i < %ld; i++)\n\t\tif (%s_%s_%s_slots[i].ctx == ctx) {\n"
		     "\t\t\t%s_%s_%s_slots[i].ctx = NULL;\n\t\t\t%s_%s_%s_slots[i].ref = 0;\n\t\t}\n",
		     s->at.slots, M, S, s->name, M, S, s->name, M, S, s->name);
	}
	emit(g, "\tglue_unlock(ctx);\n\t(void)i;\n\tglue_ctx_release(ctx);\n}\n\n");
}

static bool runs_here(const struct gen *g, const struct sig *s)
{
	return s->is_ptr || s->at.home == g->home;
}

static void gen_dispatch(struct gen *g)
{
	const char *M = g->m->name, *S = g->side;
	int i;

	emit(g, "/* Every request or one-way message the peer sends to this side. */\n");
	emit(g, "int %s_%s_dispatch(struct glue_ctx *idl_ctx, const struct glue_msg *idl_req,\n"
	     "\t\t\tstruct glue_msg *idl_reply)\n{\n", M, S);
	emit(g, "\tswitch (idl_req->rpc) {\n");
	for (i = 0; i < g->m->nsigs; i++)
		if (runs_here(g, g->m->sigs[i]))
			emit(g, "\tcase %s_RPC_%s:\n\t\treturn %s_%s_handle_%s(idl_ctx, idl_req, "
			     "idl_reply);\n", M, g->m->sigs[i]->name, M, S, g->m->sigs[i]->name);
	emit(g, "\tdefault:\n\t\tidl_ctx->rejected++;\n");
	emit(g, "\t\tglue_log(idl_ctx, \"%%s: rpc id %%u is not served on the %s side; refused\",\n"
	     "\t\t\t idl_ctx->name, idl_req->rpc);\n\t\treturn GLUE_ENOSYS;\n\t}\n}\n", S);
}

static void gen_side(struct gen *g)
{
	const struct module *m = g->m;
	const char *M = m->name;
	int i;

	emit(g, "/* Generated by idlc from %s: do not edit.  See docs/idl.md.\n", m->file);
	emit(g, " * The %s side of module %s. */\n", g->side, M);
	emit(g, "#include \"%s_marshal.h\"\n\n", M);
	emit(g, "#if defined(__KERNEL__)\n#include <linux/string.h>\n#else\n#include <lxds/string.h>\n"
	     "#endif\n\n");
	emit(g, "/* The function an rpc that runs here calls; a build may rename it. */\n");
	emit(g, "#ifndef IDL_IMPL\n#define IDL_IMPL(name) name\n#endif\n\n");
	emit(g, "struct glue_ctx *%s_%s_ctx;\n\n", M, g->side);
	for (i = 0; i < m->nsigs; i++)
		if (m->sigs[i]->is_ptr)
			gen_fnptr(g, m->sigs[i]);
	emit(g, "/* ---- caller stubs: rpcs the %s side runs ---- */\n\n",
	     g->home == HOME_LINUX ? "domain" : "Linux");
	for (i = 0; i < m->nsigs; i++)
		if (!m->sigs[i]->is_ptr && m->sigs[i]->at.home != g->home)
			gen_stub(g, m->sigs[i]);
	gen_release(g);
	emit(g, "/* ---- handlers: rpcs this side runs ---- */\n\n");
	for (i = 0; i < m->nsigs; i++)
		if (runs_here(g, m->sigs[i]))
			gen_handler(g, m->sigs[i]);
	gen_dispatch(g);
}

static int gen_file(const struct module *m, const char *dir, const char *suffix, int home,
		    void (*fn)(struct gen *))
{
	char path[4096];
	struct gen g = { .m = m, .home = home, .side = home == HOME_LINUX ? "linux" : "domain" };

	snprintf(path, sizeof(path), "%s/%s_%s", dir, m->name, suffix);
	g.f = fopen(path, "w");
	if (!g.f) {
		perror(path);
		return -1;
	}
	fn(&g);
	if (fclose(g.f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

int idl_generate(const struct module *m, const char *dir)
{
	if (gen_file(m, dir, "common.h", HOME_LINUX, gen_common) ||
	    gen_file(m, dir, "marshal.h", HOME_LINUX, gen_marshal) ||
	    gen_file(m, dir, "linux.c", HOME_LINUX, gen_side) ||
	    gen_file(m, dir, "domain.c", HOME_DOMAIN, gen_side))
		return -1;
	return 0;
}
