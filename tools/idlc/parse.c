/*
 * idlc lexer and recursive-descent parser.  The grammar is in docs/idl.md;
 * every error is reported as "file:line: error: what was expected, found what".
 */
#include <ctype.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "idlc.h"

enum tok_kind { T_EOF, T_IDENT, T_INT, T_STRING, T_PUNCT };

struct tok {
	enum tok_kind kind;
	char text[256];
	long value;
	int line;
};

struct parser {
	const char *file;
	const char *p;
	int line;
	struct tok t;          /* current token */
	struct module *m;
	int failed;
};

/* Everything the compiler allocates lives until idl_free_all (one run). */
struct idl_block {
	struct idl_block *next;
	max_align_t data[];
};

static struct idl_block *idl_blocks;

void *idl_xalloc(size_t n)
{
	struct idl_block *b = calloc(1, sizeof(*b) + n);

	if (!b) {
		fprintf(stderr, "idlc: out of memory\n");
		exit(2);
	}
	b->next = idl_blocks;
	idl_blocks = b;
	return b->data;
}

void idl_free_all(void)
{
	while (idl_blocks) {
		struct idl_block *b = idl_blocks;

		idl_blocks = b->next;
		free(b);
	}
}

char *idl_strdup(const char *s)
{
	char *d = idl_xalloc(strlen(s) + 1);

	strcpy(d, s);
	return d;
}

static const struct scalar idl_scalars[] = {
	{ "u8", "uint8_t", 8, false, false },     { "u16", "uint16_t", 16, false, false },
	{ "u32", "uint32_t", 32, false, false },  { "u64", "uint64_t", 64, false, false },
	{ "s8", "int8_t", 8, true, false },       { "s16", "int16_t", 16, true, false },
	{ "s32", "int32_t", 32, true, false },    { "s64", "int64_t", 64, true, false },
	{ "bool", "bool", 1, false, true },       { "char", "char", 8, true, false },
	{ "int", "int", 32, true, false },        { "uint", "unsigned int", 32, false, false },
	{ "long", "long", 64, true, false },      { "ulong", "unsigned long", 64, false, false },
	{ "size_t", "size_t", 64, false, false }, { "ssize_t", "ssize_t", 64, true, false },
};

const struct scalar *idl_builtin_scalar(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(idl_scalars) / sizeof(idl_scalars[0]); i++)
		if (strcmp(idl_scalars[i].name, name) == 0)
			return &idl_scalars[i];
	return NULL;
}

static const struct scalar *parse_scalar_named(struct parser *ps, const char *name)
{
	int i;

	for (i = 0; i < ps->m->ntypedefs; i++)
		if (strcmp(ps->m->typedefs[i]->name, name) == 0)
			return ps->m->typedefs[i];
	return idl_builtin_scalar(name);
}

/* --- errors and lexer --------------------------------------------------------- */

static void parse_error(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = 1;
	fprintf(stderr, "%s:%d: error: ", ps->file, ps->t.line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *tok_show(const struct tok *t)
{
	return t->kind == T_EOF ? "end of file" : t->text;
}

static void lex_skip_space(struct parser *ps)
{
	for (;;) {
		while (isspace((unsigned char)*ps->p)) {
			if (*ps->p == '\n')
				ps->line++;
			ps->p++;
		}
		if (ps->p[0] == '/' && ps->p[1] == '/') {
			while (*ps->p && *ps->p != '\n')
				ps->p++;
		} else if (ps->p[0] == '/' && ps->p[1] == '*') {
			ps->p += 2;
			while (*ps->p && !(ps->p[0] == '*' && ps->p[1] == '/')) {
				if (*ps->p == '\n')
					ps->line++;
				ps->p++;
			}
			if (*ps->p)
				ps->p += 2;
		} else {
			return;
		}
	}
}

static void lex_next(struct parser *ps)
{
	struct tok *t = &ps->t;
	size_t n = 0;

	lex_skip_space(ps);
	t->line = ps->line;
	t->text[0] = '\0';
	if (!*ps->p) {
		t->kind = T_EOF;
		return;
	}
	if (isalpha((unsigned char)*ps->p) || *ps->p == '_') {
		while ((isalnum((unsigned char)*ps->p) || *ps->p == '_') && n < sizeof(t->text) - 1)
			t->text[n++] = *ps->p++;
		t->text[n] = '\0';
		t->kind = T_IDENT;
	} else if (isdigit((unsigned char)*ps->p)) {
		char *end;

		t->value = strtol(ps->p, &end, 0);
		n = (size_t)(end - ps->p) < sizeof(t->text) - 1 ? (size_t)(end - ps->p)
								: sizeof(t->text) - 1;
		memcpy(t->text, ps->p, n);
		t->text[n] = '\0';
		ps->p = end;
		t->kind = T_INT;
	} else if (*ps->p == '"') {
		ps->p++;
		while (*ps->p && *ps->p != '"' && *ps->p != '\n' && n < sizeof(t->text) - 1)
			t->text[n++] = *ps->p++;
		t->text[n] = '\0';
		if (*ps->p != '"') {
			t->kind = T_STRING;
			parse_error(ps, "unterminated string");
			return;
		}
		ps->p++;
		t->kind = T_STRING;
	} else {
		t->text[0] = *ps->p++;
		t->text[1] = '\0';
		t->kind = T_PUNCT;
	}
}

static bool tok_is(struct parser *ps, const char *s)
{
	return (ps->t.kind == T_PUNCT || ps->t.kind == T_IDENT) && strcmp(ps->t.text, s) == 0;
}

static bool accept(struct parser *ps, const char *s)
{
	if (ps->failed || !tok_is(ps, s))
		return false;
	lex_next(ps);
	return true;
}

static void expect(struct parser *ps, const char *s, const char *where)
{
	if (!accept(ps, s))
		parse_error(ps, "expected '%s' %s, found '%s'", s, where, tok_show(&ps->t));
}

static char *expect_ident(struct parser *ps, const char *what)
{
	char *s;

	if (ps->failed)
		return idl_strdup("?");
	if (ps->t.kind != T_IDENT) {
		parse_error(ps, "expected %s, found '%s'", what, tok_show(&ps->t));
		return idl_strdup("?");
	}
	s = idl_strdup(ps->t.text);
	lex_next(ps);
	return s;
}

static long expect_int(struct parser *ps, const char *what)
{
	long v;

	if (ps->failed)
		return 0;
	if (ps->t.kind != T_INT) {
		parse_error(ps, "expected %s (a number), found '%s'", what, tok_show(&ps->t));
		return 0;
	}
	v = ps->t.value;
	lex_next(ps);
	return v;
}

/* --- attributes --------------------------------------------------------------- */

static unsigned parse_sides(struct parser *ps, const char *attr)
{
	unsigned sides = 0;

	expect(ps, "(", "after the attribute name");
	do {
		if (accept(ps, "caller"))
			sides |= SIDE_CALLER;
		else if (accept(ps, "callee"))
			sides |= SIDE_CALLEE;
		else
			parse_error(ps, "%s(...) takes caller or callee, found '%s'", attr,
				    tok_show(&ps->t));
	} while (!ps->failed && accept(ps, ","));
	expect(ps, ")", "to close the attribute");
	return sides;
}

static char *parse_paren_ident(struct parser *ps, const char *what)
{
	char *s;

	expect(ps, "(", "after the attribute name");
	s = expect_ident(ps, what);
	expect(ps, ")", "to close the attribute");
	return s;
}

static void parse_one_attr(struct parser *ps, struct attrs *a)
{
	if (accept(ps, "in")) {
		a->dir |= DIR_IN;
	} else if (accept(ps, "out")) {
		a->dir |= DIR_OUT;
	} else if (accept(ps, "oneway")) {
		a->oneway = true;
	} else if (accept(ps, "user")) {
		a->user = true;
	} else if (accept(ps, "nullable")) {
		a->nullable = true;
	} else if (accept(ps, "linux")) {
		a->home = HOME_LINUX;
		a->home_set = true;
	} else if (accept(ps, "domain")) {
		a->home = HOME_DOMAIN;
		a->home_set = true;
	} else if (accept(ps, "alloc")) {
		a->alloc |= parse_sides(ps, "alloc");
	} else if (accept(ps, "dealloc")) {
		a->dealloc |= parse_sides(ps, "dealloc");
	} else if (accept(ps, "bind")) {
		a->bind |= parse_sides(ps, "bind");
	} else if (accept(ps, "count")) {
		a->count = parse_paren_ident(ps, "the name of the count argument or field");
	} else if (accept(ps, "len")) {
		a->len = parse_paren_ident(ps, "the name of the length argument or field");
	} else if (accept(ps, "length")) {
		expect(ps, "(", "after length");
		expect(ps, "return", "in length(return)");
		expect(ps, ")", "to close length(return)");
		a->len_return = true;
	} else if (accept(ps, "slots")) {
		expect(ps, "(", "after slots");
		a->slots = expect_int(ps, "the number of trampolines");
		expect(ps, ")", "to close slots(...)");
	} else if (accept(ps, "size")) {
		expect(ps, "(", "after size");
		if (ps->t.kind != T_STRING)
			parse_error(ps, "size(...) takes a quoted C expression, found '%s'",
				    tok_show(&ps->t));
		a->size = idl_strdup(ps->t.text);
		lex_next(ps);
		expect(ps, ")", "to close size(...)");
	} else if (accept(ps, "ctype")) {
		expect(ps, "(", "after ctype");
		if (ps->t.kind != T_STRING)
			parse_error(ps, "ctype(...) takes a quoted C type, found '%s'", tok_show(&ps->t));
		a->ctype = idl_strdup(ps->t.text);
		lex_next(ps);
		expect(ps, ")", "to close ctype(...)");
	} else {
		parse_error(ps, "unknown attribute '%s' (see docs/idl.md, Attributes)",
			    tok_show(&ps->t));
	}
}

static void parse_attrs(struct parser *ps, struct attrs *a)
{
	a->line = ps->t.line;
	if (!accept(ps, "["))
		return;
	do
		parse_one_attr(ps, a);
	while (!ps->failed && accept(ps, ","));
	expect(ps, "]", "to close the attribute list");
}

/* --- types ---------------------------------------------------------------------- */

static bool is_type_start(struct parser *ps)
{
	static const char *const kw[] = { "const", "void", "object", "projection", "string",
					  "array", "bulk", "rpc_ptr", "opaque", NULL };
	int i;

	if (ps->t.kind != T_IDENT)
		return false;
	for (i = 0; kw[i]; i++)
		if (strcmp(ps->t.text, kw[i]) == 0)
			return true;
	return parse_scalar_named(ps, ps->t.text) != NULL;
}

static void parse_base_type(struct parser *ps, struct type *ty)
{
	memset(ty, 0, sizeof(*ty));
	ty->is_const = accept(ps, "const");
	if (accept(ps, "void")) {
		ty->kind = TY_VOID;
	} else if (accept(ps, "object")) {
		ty->kind = TY_OBJECT;
		ty->ref = expect_ident(ps, "the name of an object projection");
	} else if (accept(ps, "projection")) {
		ty->kind = TY_PROJ;
		ty->ref = expect_ident(ps, "the name of a projection");
	} else if (accept(ps, "string")) {
		ty->kind = TY_STRING;
		expect(ps, "<", "after string");
		ty->bound = expect_int(ps, "the string's buffer size");
		expect(ps, ">", "to close string<...>");
	} else if (accept(ps, "array")) {
		char *el;

		ty->kind = TY_ARRAY;
		expect(ps, "<", "after array");
		el = expect_ident(ps, "the element type");
		ty->scalar = parse_scalar_named(ps, el);
		if (!ty->scalar)
			parse_error(ps, "array element type '%s' is not a scalar type", el);
		expect(ps, ",", "between element type and bound");
		ty->bound = expect_int(ps, "the array's bound");
		expect(ps, ">", "to close array<...>");
	} else if (accept(ps, "bulk")) {
		ty->kind = TY_BULK;
		expect(ps, "<", "after bulk");
		ty->ref = expect_ident(ps, "the name of a pool");
		expect(ps, ">", "to close bulk<...>");
	} else if (accept(ps, "opaque")) {
		ty->kind = TY_OPAQUE;
	} else if (accept(ps, "rpc_ptr")) {
		ty->kind = TY_FNPTR;
		ty->ref = expect_ident(ps, "the name of an rpc_ptr signature");
	} else if (ps->t.kind == T_IDENT && parse_scalar_named(ps, ps->t.text)) {
		ty->kind = TY_SCALAR;
		ty->scalar = parse_scalar_named(ps, ps->t.text);
		lex_next(ps);
	} else {
		parse_error(ps, "expected a type, found '%s'", tok_show(&ps->t));
	}
}

/* type [attrs] ['*'] name */
static void parse_var(struct parser *ps, struct var *v)
{
	v->line = ps->t.line;
	parse_base_type(ps, &v->ty);
	parse_attrs(ps, &v->at);
	v->ty.ptr = accept(ps, "*");
	v->name = expect_ident(ps, "a name");
}

static void parse_params(struct parser *ps, struct sig *s)
{
	expect(ps, "(", "to open the parameter list");
	if (accept(ps, ")"))
		return;
	if (tok_is(ps, "void")) {
		const char *save = ps->p;
		int line = ps->line;
		struct tok t = ps->t;

		lex_next(ps);
		if (accept(ps, ")"))
			return;
		ps->p = save;      /* "void *" or similar: not an empty list */
		ps->line = line;
		ps->t = t;
	}
	do {
		if (s->nparams >= IDLC_MAX_PARAMS) {
			parse_error(ps, "more than %d parameters", IDLC_MAX_PARAMS);
			return;
		}
		parse_var(ps, &s->params[s->nparams++]);
	} while (!ps->failed && accept(ps, ","));
	expect(ps, ")", "to close the parameter list");
}

/* [attrs] rettype [retattrs] ['*'] name ( params ) ; */
static struct sig *parse_sig(struct parser *ps, bool is_ptr)
{
	struct sig *s = idl_xalloc(sizeof(*s));

	s->line = ps->t.line;
	s->is_ptr = is_ptr;
	parse_attrs(ps, &s->at);
	parse_base_type(ps, &s->ret);
	parse_attrs(ps, &s->ret_at);
	s->ret.ptr = accept(ps, "*");
	s->name = expect_ident(ps, "the rpc's name");
	parse_params(ps, s);
	expect(ps, ";", "after the rpc declaration");
	return s;
}

static void add_sig(struct parser *ps, struct sig *s)
{
	if (ps->m->nsigs >= IDLC_MAX_ITEMS) {
		parse_error(ps, "more than %d rpcs", IDLC_MAX_ITEMS);
		return;
	}
	ps->m->sigs[ps->m->nsigs++] = s;
}

/* --- projections ------------------------------------------------------------------ */

static void parse_field(struct parser *ps, struct proj *pr)
{
	struct var *f;

	if (pr->nfields >= IDLC_MAX_ITEMS) {
		parse_error(ps, "more than %d fields", IDLC_MAX_ITEMS);
		return;
	}
	f = &pr->fields[pr->nfields];
	if (tok_is(ps, "rpc_ptr")) {
		const char *save = ps->p;
		int line = ps->line;
		struct tok t = ps->t;
		struct attrs skip = { 0 };

		lex_next(ps);
		parse_attrs(ps, &skip);
		if (is_type_start(ps)) {
			/* inline signature: rpc_ptr [attrs] ret name(params); */
			struct sig *s;
			char name[600];

			ps->p = save;
			ps->line = line;
			ps->t = t;
			lex_next(ps);
			s = parse_sig(ps, true);
			snprintf(name, sizeof(name), "%s_%s", pr->name, s->name);
			s->field = s->name;
			s->name = idl_strdup(name);
			add_sig(ps, s);
			f->name = s->field;
			f->line = s->line;
			f->ty.kind = TY_FNPTR;
			f->ty.ref = s->name;
			f->at.dir = DIR_IN | DIR_OUT;   /* an ops table crosses whole */
			pr->nfields++;
			return;
		}
		ps->p = save;
		ps->line = line;
		ps->t = t;
	}
	parse_var(ps, f);
	expect(ps, ";", "after the field");
	pr->nfields++;
}

static void parse_proj(struct parser *ps, bool object)
{
	struct proj *pr = idl_xalloc(sizeof(*pr));

	pr->object = object;
	pr->line = ps->t.line;
	expect(ps, "<", "after projection/object");
	expect(ps, "struct", "in <struct NAME>");
	pr->ctag = expect_ident(ps, "the C struct tag");
	expect(ps, ">", "to close <struct NAME>");
	pr->name = expect_ident(ps, "the projection's name");
	expect(ps, "{", "to open the projection");
	while (!ps->failed && !tok_is(ps, "}") && ps->t.kind != T_EOF)
		parse_field(ps, pr);
	expect(ps, "}", "to close the projection");
	accept(ps, ";");
	if (ps->m->nprojs >= IDLC_MAX_ITEMS) {
		parse_error(ps, "more than %d projections", IDLC_MAX_ITEMS);
		return;
	}
	ps->m->projs[ps->m->nprojs++] = pr;
}

/* --- module ---------------------------------------------------------------------- */

static void parse_typedef(struct parser *ps)
{
	struct scalar *sc = idl_xalloc(sizeof(*sc));
	const struct scalar *base;
	char *bname = expect_ident(ps, "a scalar type");

	base = parse_scalar_named(ps, bname);
	if (!base && !ps->failed)
		parse_error(ps, "typedef of '%s': only scalar types can be renamed", bname);
	if (base)
		*sc = *base;
	sc->name = expect_ident(ps, "the new type's name");
	sc->ctype = sc->name;
	expect(ps, ";", "after the typedef");
	if (ps->m->ntypedefs >= 64) {
		parse_error(ps, "more than 64 typedefs");
		return;
	}
	ps->m->typedefs[ps->m->ntypedefs++] = sc;
}

static void parse_item(struct parser *ps)
{
	if (accept(ps, "channel")) {
		if (ps->m->channel)
			parse_error(ps, "a module has one channel; '%s' is already declared",
				    ps->m->channel);
		ps->m->channel = expect_ident(ps, "the channel's name");
		expect(ps, ";", "after the channel");
	} else if (accept(ps, "pool")) {
		struct pool *p = idl_xalloc(sizeof(*p));

		p->line = ps->t.line;
		p->name = expect_ident(ps, "the pool's name");
		expect(ps, ";", "after the pool");
		if (ps->m->npools >= 8) {
			parse_error(ps, "more than 8 pools");
			return;
		}
		p->id = ps->m->npools;
		ps->m->pools[ps->m->npools++] = p;
	} else if (accept(ps, "typedef")) {
		parse_typedef(ps);
	} else if (accept(ps, "projection")) {
		parse_proj(ps, false);
	} else if (accept(ps, "object")) {
		parse_proj(ps, true);
	} else if (accept(ps, "rpc_ptr")) {
		add_sig(ps, parse_sig(ps, true));
	} else if (accept(ps, "rpc")) {
		add_sig(ps, parse_sig(ps, false));
	} else {
		parse_error(ps, "expected channel, pool, typedef, projection, object, rpc or "
			    "rpc_ptr, found '%s'", tok_show(&ps->t));
	}
}

int idl_parse(const char *file, const char *text, struct module *m)
{
	struct parser ps = { .file = file, .p = text, .line = 1, .m = m };

	m->file = idl_strdup(file);
	m->hash = 0xcbf29ce484222325ull;
	for (ps.p = text; *ps.p; ps.p++)
		m->hash = (m->hash ^ (unsigned char)*ps.p) * 0x100000001b3ull;
	ps.p = text;
	lex_next(&ps);
	while (!ps.failed && accept(&ps, "include")) {
		if (ps.t.kind != T_STRING) {
			parse_error(&ps, "include takes a quoted header, found '%s'", tok_show(&ps.t));
			break;
		}
		if (m->nincludes >= 32) {
			parse_error(&ps, "more than 32 includes");
			break;
		}
		m->includes[m->nincludes++] = idl_strdup(ps.t.text);
		lex_next(&ps);
		expect(&ps, ";", "after the include");
	}
	expect(&ps, "module", "to start the module");
	m->name = expect_ident(&ps, "the module's name");
	expect(&ps, "{", "to open the module");
	while (!ps.failed && !tok_is(&ps, "}") && ps.t.kind != T_EOF)
		parse_item(&ps);
	expect(&ps, "}", "to close the module");
	accept(&ps, ";");
	if (!ps.failed && ps.t.kind != T_EOF)
		parse_error(&ps, "text after the end of the module: '%s'", tok_show(&ps.t));
	return ps.failed ? -1 : 0;
}
