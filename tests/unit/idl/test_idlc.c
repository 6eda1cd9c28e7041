/*
 * Tests of the compiler itself (build/host/idlc, run as a program):
 *   - golden output: each golden/<case>.idl compiles to exactly the files
 *     checked in under golden/<case>/ (update-golden.sh rewrites them after a
 *     deliberate change), and the generated C compiles with -Wall -Wextra
 *     -Werror;
 *   - errors: malformed or rule-breaking IDL is refused with exit status 1
 *     and a "file:line: error: ..." message naming the problem.
 * Run from the repository root (as tools/test-runner.sh does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define IDLC       "build/host/idlc"
#define GOLDEN     "tests/unit/idl/golden"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/idlc-test.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* --- golden output ------------------------------------------------------------- */

static const char *const suffixes[] = { "common.h", "marshal.h", "linux.c", "domain.c" };

static void check_golden(const char *name, const char *module)
{
	char out[128], got[256], want[256];
	unsigned i;

	snprintf(out, sizeof(out), "%s/%s", tmpdir, name);
	assert_int_equal(run("mkdir -p %s", out), 0);
	assert_int_equal(run(IDLC " -o %s " GOLDEN "/%s.idl", out, name), 0);
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char *a, *b;

		snprintf(got, sizeof(got), "%s/%s_%s", out, module, suffixes[i]);
		snprintf(want, sizeof(want), GOLDEN "/%s/%s_%s", name, module, suffixes[i]);
		a = slurp(got);
		b = slurp(want);
		assert_non_null(a);
		assert_non_null(b);
		if (strcmp(a, b) != 0)
			run("diff -u %s %s | head -40", want, got);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	/* the output is C that builds cleanly, for either side */
	assert_int_equal(run("gcc -std=gnu11 -Wall -Wextra -Werror -fsyntax-only -Iinclude -I" GOLDEN
			     " -I%s %s/%s_linux.c", out, out, module), 0);
	assert_int_equal(run("gcc -std=gnu11 -Wall -Wextra -Werror -fsyntax-only -Iinclude -I" GOLDEN
			     " -I%s %s/%s_domain.c", out, out, module), 0);
}

static void test_golden_scalars(void **s) { (void)s; check_golden("scalars", "gscalar"); }
static void test_golden_objects(void **s) { (void)s; check_golden("objects", "gobj"); }
static void test_golden_fnptr(void **s) { (void)s; check_golden("fnptr", "gfn"); }
static void test_golden_data(void **s) { (void)s; check_golden("data", "gdata"); }
static void test_golden_oneway(void **s) { (void)s; check_golden("oneway", "gone"); }

/*
 * The dummy-net sketch (tools/idlc/examples/dummy.idl) compiles, and the
 * domain side defines, with the kernel's own names, every function of
 * `nm -u dummy.o` (Linux 6.1, the guest's config) that must run in Linux.
 */
static void check_dummy_idl(const char *idl, const char *sub, const char *completion)
{
	static const char *const crossing[] = {
		"struct net_device *alloc_netdev_mqs(", "void ether_setup(",
		"int register_netdevice(", "void free_netdev(", "int __rtnl_link_register(",
		"void __rtnl_link_unregister(", "void rtnl_link_unregister(", "void rtnl_lock(void)",
		"void rtnl_unlock(void)", "void netif_carrier_on(", "void netif_carrier_off(",
		"int eth_validate_addr(", "int eth_mac_addr(", "int ethtool_op_get_ts_info(",
		"void dev_addr_mod(", "void skb_tstamp_tx(",
	};
	char out[128], path[256];
	char *text;
	unsigned i;

	snprintf(out, sizeof(out), "%s/%s", tmpdir, sub);
	assert_int_equal(run("mkdir -p %s", out), 0);
	assert_int_equal(run(IDLC " -o %s %s", out, idl), 0);
	snprintf(path, sizeof(path), "%s/dummy_domain.c", out);
	text = slurp(path);
	assert_non_null(text);
	for (i = 0; i < sizeof(crossing) / sizeof(crossing[0]); i++) {
		char line[128];

		snprintf(line, sizeof(line), "\n%s", crossing[i]);
		if (!strstr(text, line))
			print_error("dummy_domain.c defines no \"%s...\"\n", crossing[i]);
		assert_non_null(strstr(text, line));
	}
	/* the packet's completion: the skb (the example), or its pool slot
	 * back (dummy.lxd: Linux freed the skb at xmit) */
	{
		char line[128];

		snprintf(line, sizeof(line), "\n%s", completion);
		if (!strstr(text, line))
			print_error("dummy_domain.c defines no \"%s...\"\n", completion);
		assert_non_null(strstr(text, line));
	}
	free(text);
}

static void test_example_dummy(void **s)
{
	(void)s;
	check_dummy_idl("tools/idlc/examples/dummy.idl", "dummy", "void kfree_skb_reason(");
}

/* The IDL dummy.lxd is built from (issue 12): the same crossings, plus the
 * glue's own entry points in the domain. */
static void test_dummy_lxd_idl(void **s)
{
	char path[256];
	char *text;

	(void)s;
	check_dummy_idl("lxd-sdk/kenv/drivers/dummy/dummy.idl", "dummy_lxd", "void dummy_slots_done(");
	snprintf(path, sizeof(path), "%s/dummy_lxd/dummy_linux.c", tmpdir);
	text = slurp(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nvoid dummy_lxd_xmit("));
	assert_non_null(strstr(text, "\nint dummy_lxd_attach_pool("));
	free(text);
}

/* The misc-device example: file_operations run in the domain. */
static void test_example_miscdev(void **s)
{
	char out[128], path[256];
	char *text;

	(void)s;
	snprintf(out, sizeof(out), "%s/misc", tmpdir);
	assert_int_equal(run("mkdir -p %s", out), 0);
	assert_int_equal(run(IDLC " -o %s tools/idlc/examples/miscdev.idl", out), 0);
	snprintf(path, sizeof(path), "%s/lxdecho_domain.c", out);
	text = slurp(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nint misc_register(struct miscdevice *misc)"));
	assert_non_null(strstr(text, "\nvoid misc_deregister(struct miscdevice *misc)"));
	free(text);
	snprintf(path, sizeof(path), "%s/lxdecho_linux.c", out);
	text = slurp(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nint lxdecho_init(void)"));
	assert_non_null(strstr(text, "glue_put_user(&idl_w, (const void *)buf"));
	assert_non_null(strstr(text, "glue_get_user(&idl_r, (void *)buf"));
	free(text);
}

/* The null_blk sketch: blk-mq's crossings, completions one-way. */
static void test_example_null_blk(void **s)
{
	static const char *const crossing[] = {
		"int blk_mq_alloc_tag_set(", "void blk_mq_free_tag_set(",
		"struct gendisk *__blk_mq_alloc_disk(", "int device_add_disk(", "void del_gendisk(",
		"void put_disk(", "void set_capacity(", "void blk_mq_start_request(",
		"void blk_mq_end_request(", "int __register_blkdev(", "void unregister_blkdev(",
	};
	char out[128], path[256];
	char *text;
	unsigned i;

	(void)s;
	snprintf(out, sizeof(out), "%s/nullb", tmpdir);
	assert_int_equal(run("mkdir -p %s", out), 0);
	assert_int_equal(run(IDLC " -o %s tools/idlc/examples/null_blk.idl", out), 0);
	snprintf(path, sizeof(path), "%s/null_blk_domain.c", out);
	text = slurp(path);
	assert_non_null(text);
	for (i = 0; i < sizeof(crossing) / sizeof(crossing[0]); i++) {
		char line[128];

		snprintf(line, sizeof(line), "\n%s", crossing[i]);
		assert_non_null(strstr(text, line));
	}
	/* completions do not wait for a reply */
	assert_non_null(strstr(text, "null_blk_RPC_blk_mq_end_request, CHAN_T_ONEWAY"));
	free(text);
}

/* --- errors -------------------------------------------------------------------------- */

struct bad_case {
	const char *text;
	const char *message;    /* expected in stderr, after "bad.idl:" */
};

#define M(body) "module m {\n\tchannel c;\n" body "}\n"

static const struct bad_case bad_cases[] = {
	{ "modul m {}\n", "bad.idl:1: error: expected 'module' to start the module, found 'modul'" },
	{ M("\trpc [fast] void f();\n"), "bad.idl:3: error: unknown attribute 'fast'" },
	{ M("\trpc void f()\n\trpc void g();\n"),
	  "bad.idl:4: error: expected ';' after the rpc declaration, found 'rpc'" },
	{ M("\trpc void f(object nope *x);\n"), "bad.idl:3: error: unknown projection 'nope'" },
	{ M("\tobject <struct s> o { u32 a; }\n\trpc void f(object o x);\n"),
	  "bad.idl:4: error: parameter 'x' must be a pointer" },
	{ M("\trpc void f(array<u8, 8> *d);\n"),
	  "bad.idl:3: error: array parameter 'd' needs count(ARG)" },
	{ M("\trpc void f(array<u8, 8> [count(zz)] *d);\n"),
	  "bad.idl:3: error: count(zz): no scalar 'zz' among the parameters of 'd'" },
	{ M("\trpc [oneway] int f();\n"), "bad.idl:3: error: oneway rpc 'f' must return void" },
	{ M("\trpc [oneway] void f(u32 [out] *x);\n"),
	  "bad.idl:3: error: oneway rpc 'f': parameter 'x' cannot be [out]" },
	{ M("\tobject <struct s> a {\n\t\tobject a *self;\n\t}\n"),
	  "bad.idl:3: error: projection 'a' contains itself" },
	{ M("\trpc void f(u32 n, array<u8, 4096> [count(n)] *d);\n"),
	  "bad.idl:3: error: 'f': a request can take 513 words, more than 192" },
	{ M("\trpc void f();\n\trpc void f();\n"), "bad.idl:4: error: rpc 'f' declared twice" },
	{ "module m {\n\trpc void f();\n}\n", "bad.idl:1: error: module 'm' declares no channel" },
	{ M("\trpc void f(u32 [alloc(callee)] x);\n"),
	  "bad.idl:3: error: 'x': alloc/dealloc/bind apply to objects only" },
	{ M("\trpc void f(string<0> *s);\n"), "bad.idl:3: error: string bound 0 is not in 1..4096" },
	{ "include \"x.h;\n" M(""), "bad.idl:1: error: unterminated string" },
	{ M("\trpc void f(u32 idl_x);\n"),
	  "bad.idl:3: error: 'idl_x': names starting with idl_ are the generated code's" },
	{ M("\trpc_ptr [linux] void cb(u32 x);\n"),
	  "bad.idl:3: error: rpc_ptr 'cb': the side that runs it is the side that sent the pointer" },
	{ M("\tprojection <struct s> p { u32 a; }\n\trpc void f(object p *x);\n"),
	  "bad.idl:4: error: 'p' is declared as a projection; write 'projection p'" },
	{ M("\trpc void f(u32 n, array<u8, 8> [out, count(n), length(return)] *d);\n"),
	  "bad.idl:3: error: length(return) needs a scalar return value" },
	{ M("") "extra\n", "bad.idl:4: error: text after the end of the module: 'extra'" },
	{ M("\trpc void f(u32 n, bulk<nop> [len(n)] *d);\n"), "bad.idl:3: error: unknown pool 'nop'" },
	{ M("\ttypedef string x;\n"),
	  "bad.idl:3: error: typedef of 'string': only scalar types can be renamed" },
	{ M("\tobject <struct s> o {\n\t\tu32 *p;\n\t}\n"),
	  "bad.idl:4: error: field 'p': pointers to scalars, projections and arrays cross only as "
	  "rpc arguments" },
	{ M("\trpc void f(u32 a, u32 a);\n"), "bad.idl:3: error: parameter 'a' declared twice" },
	{ M("\tobject <struct s> o { u32 a; }\n\trpc void f(object o [size(\"8\")] *x);\n"),
	  "bad.idl:4: error: 'x': size(...) goes with alloc(...)" },
	{ M("\trpc void f(opaque h);\n"), "bad.idl:3: error: opaque parameter 'h' must be a pointer" },
	{ M("\trpc void f(u32 [nullable] x);\n"),
	  "bad.idl:3: error: 'x': nullable applies to pointer arguments" },
	{ M("\trpc void f(rpc_ptr nosig cb);\n"),
	  "bad.idl:3: error: unknown rpc_ptr signature 'nosig'" },
	{ M("\trpc void f(u32 x) [oneway];\n"),
	  "bad.idl:3: error: expected ';' after the rpc declaration, found '['" },
	{ M("\tobject <struct s> o {\n\t\tbulk<p> [len(n)] d;\n\t\tu32 n;\n\t}\n\tpool p;\n"),
	  "bad.idl:4: error: len(n): no scalar 'n' declared before 'd'" },
};

static void test_errors(void **state)
{
	char path[128], errpath[128];
	unsigned i, failed = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.idl", tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/err", tmpdir);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		FILE *f = fopen(path, "w");
		char *err;
		int rc;

		assert_non_null(f);
		fputs(bad_cases[i].text, f);
		fclose(f);
		rc = run(IDLC " --check %s 2>%s", path, errpath);
		err = slurp(errpath);
		assert_non_null(err);
		if (rc != 1 || !strstr(err, bad_cases[i].message)) {
			print_error("case %u: exit %d, wanted 1 and \"%s\"\n  got: %s", i, rc,
				    bad_cases[i].message, err);
			failed++;
		}
		free(err);
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_scalars),
		cmocka_unit_test(test_golden_objects),
		cmocka_unit_test(test_golden_fnptr),
		cmocka_unit_test(test_golden_data),
		cmocka_unit_test(test_golden_oneway),
		cmocka_unit_test(test_example_dummy),
		cmocka_unit_test(test_dummy_lxd_idl),
		cmocka_unit_test(test_example_miscdev),
		cmocka_unit_test(test_example_null_blk),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
