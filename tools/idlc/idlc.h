/*
 * idlc: the lxds interface definition language compiler (docs/idl.md).
 *
 *   parse.c   lexer and recursive-descent parser -> the tree below
 *   check.c   name resolution and the rules the language imposes
 *   gen.c     C output: <m>_common.h, <m>_linux.c, <m>_domain.c
 *   main.c    command line
 */
#ifndef IDLC_H
#define IDLC_H

#include <stdbool.h>
#include <stdio.h>

#define IDLC_MAX_ITEMS   256
#define IDLC_MAX_PARAMS  16

enum idl_dir { DIR_IN = 1, DIR_OUT = 2 };
enum idl_side_bit { SIDE_CALLER = 1, SIDE_CALLEE = 2 };
enum idl_home { HOME_LINUX = 0, HOME_DOMAIN = 1 };

enum ty_kind { TY_VOID, TY_SCALAR, TY_OBJECT, TY_PROJ, TY_STRING, TY_ARRAY, TY_BULK, TY_FNPTR,
	       TY_OPAQUE };

struct scalar {
	const char *name;       /* IDL name */
	const char *ctype;      /* C spelling */
	unsigned bits;
	bool is_signed;
	bool is_bool;
};

struct proj;
struct sig;
struct pool;

struct type {
	enum ty_kind kind;
	const struct scalar *scalar;   /* TY_SCALAR, or TY_ARRAY's element */
	char *ref;                     /* projection / signature / pool name */
	struct proj *proj;
	struct sig *sig;
	struct pool *pool;
	long bound;                    /* string / array bound */
	bool ptr;
	bool is_const;
};

struct attrs {
	unsigned dir;                  /* DIR_* bits, 0 = not given */
	unsigned alloc, dealloc, bind; /* SIDE_* bits */
	char *count;                   /* array: count(name) */
	char *len;                     /* bulk: len(name) */
	bool len_return;               /* out array: length(return) */
	bool user;                     /* array points to user memory */
	bool nullable;                 /* pointer argument may be NULL */
	bool oneway;
	int home;                      /* rpc: HOME_LINUX / HOME_DOMAIN */
	bool home_set;
	long slots;                    /* rpc_ptr: trampolines per side */
	char *ctype;                   /* ctype("...") override */
	char *size;                    /* size("...") of an allocated copy */
	int line;
};

struct var {
	char *name;
	struct type ty;
	struct attrs at;
	int line;
};

struct sig {
	char *name;                    /* rpc name, or signature name */
	char *field;                   /* inline rpc_ptr: the field name */
	struct type ret;
	struct attrs ret_at;
	struct attrs at;
	struct var params[IDLC_MAX_PARAMS];
	int nparams;
	bool is_ptr;                   /* rpc_ptr */
	int line;
	int id;                        /* rpc id (1..) */
	int type_id;                   /* rpc_ptr: object type id */
	long req_words, rep_words;     /* worst-case message sizes */
};

struct proj {
	char *name;
	char *ctag;                    /* struct tag in C */
	bool object;
	struct var fields[IDLC_MAX_ITEMS];
	int nfields;
	int line;
	int type_id;                   /* object: type id */
	int visiting;                  /* cycle check */
};

struct pool {
	char *name;
	int id;
	int line;
};

struct module {
	char *file;
	unsigned long long hash;       /* FNV-1a of the IDL text: the interface's version */
	char *name;
	char *channel;
	char *includes[32];
	int nincludes;
	struct proj *projs[IDLC_MAX_ITEMS];
	int nprojs;
	struct sig *sigs[IDLC_MAX_ITEMS];   /* rpcs and rpc_ptr signatures */
	int nsigs;
	struct pool *pools[8];
	int npools;
	struct scalar *typedefs[64];
	int ntypedefs;
};

/* parse.c: returns 0, or prints "file:line: error: ..." and returns -1. */
int idl_parse(const char *file, const char *text, struct module *m);
const struct scalar *idl_builtin_scalar(const char *name);

/* check.c */
int idl_check(struct module *m);

/* gen.c: writes the three files into dir. */
int idl_generate(const struct module *m, const char *dir);

void *idl_xalloc(size_t n);
void idl_free_all(void);
char *idl_strdup(const char *s);

#endif
