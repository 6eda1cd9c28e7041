/* Unit tests for the async runtime: eager ASYNC, blocking, DO_FINISH
 * scopes, waits, yields, the idle hook and the stack pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <lxds/async.h>

static struct async_rt rt;
static char trace[256];
static size_t trace_len;

static void mark(char c)
{
	if (trace_len + 1 < sizeof(trace))
		trace[trace_len++] = c;
	trace[trace_len] = '\0';
}

static int setup(void **state)
{
	(void)state;
	trace_len = 0;
	trace[0] = '\0';
	return async_rt_init(&rt, ASYNC_DEFAULT_STACK, 2048);
}

static int teardown(void **state)
{
	(void)state;
	async_rt_fini(&rt);
	return 0;
}

static void mark_arg(void *arg)
{
	mark(*(char *)arg);
}

static void yield_then_mark(void *arg)
{
	async_yield();
	mark(*(char *)arg);
}

static void test_async_runs_eagerly(void **state)
{
	char a = 'a';

	(void)state;
	DO_FINISH(
		mark('<');
		assert_int_equal(ASYNC(mark_arg, &a), 0);
		mark('>');
	);
	assert_string_equal(trace, "<a>");
}

static void test_blocked_async_lets_parent_continue(void **state)
{
	char a = 'a', b = 'b';

	(void)state;
	DO_FINISH(
		ASYNC(yield_then_mark, &a);
		mark('1');
		ASYNC(yield_then_mark, &b);
		mark('2');
	);
	mark('3');
	/* Both children blocked at once; DO_FINISH waited for both, in order. */
	assert_string_equal(trace, "12ab3");
}

/* A child that begins ASYNCs of its own without a DO_FINISH: the enclosing
 * scope must still wait for the grandchildren. */
static void spawn_two_yielders(void *arg)
{
	(void)arg;
	static char x = 'x', y = 'y';
	ASYNC(yield_then_mark, &x);
	ASYNC(yield_then_mark, &y);
	mark('c');
}

static void test_finish_waits_for_grandchildren(void **state)
{
	(void)state;
	DO_FINISH(ASYNC(spawn_two_yielders, NULL));
	mark('.');
	assert_string_equal(trace, "cxy.");
}

static void nested_scope(void *arg)
{
	static char i = 'i';
	(void)arg;
	DO_FINISH(ASYNC(yield_then_mark, &i));
	mark('n');  /* only after the inner ASYNC finished */
}

static void test_nested_finish(void **state)
{
	char o = 'o';

	(void)state;
	DO_FINISH(
		ASYNC(nested_scope, NULL);
		ASYNC(yield_then_mark, &o);
		mark('p');
	);
	/* The inner scope's owner resumes as soon as its last ASYNC returns,
	 * ahead of threads already queued ('o'). */
	assert_string_equal(trace, "pino");
}

struct waiter {
	struct async_wait w;
	char name;
};

static void await_then_mark(void *arg)
{
	struct waiter *wt = arg;

	AWAIT(&wt->w);
	mark(wt->name);
}

static void test_await_and_wake_out_of_order(void **state)
{
	struct waiter w[4];
	int i;

	(void)state;
	DO_FINISH(
		for (i = 0; i < 4; i++) {
			async_wait_init(&w[i].w);
			w[i].name = (char)('0' + i);
			ASYNC(await_then_mark, &w[i]);
		}
		mark('|');
		async_wake(&w[2].w);
		async_wake(&w[0].w);
		async_wake(&w[3].w);
		async_wake(&w[1].w);
	);
	assert_string_equal(trace, "|2031");
}

static void test_wake_before_await(void **state)
{
	struct waiter w;

	(void)state;
	async_wait_init(&w.w);
	w.name = 'w';
	async_wake(&w.w);
	DO_FINISH(ASYNC(await_then_mark, &w));
	assert_string_equal(trace, "w");
}

static int idle_calls, idle_not_in_idle;
static struct async_wait *idle_target;

static void idle_wake(void *arg)
{
	(void)arg;
	if (!async_in_idle())
		idle_not_in_idle++;
	if (++idle_calls == 3)
		async_wake(idle_target);
}

static void test_idle_hook_runs_when_all_blocked(void **state)
{
	struct async_wait w;

	(void)state;
	async_wait_init(&w);
	idle_target = &w;
	idle_calls = 0;
	async_set_idle(&rt, idle_wake, NULL);
	assert_false(async_in_idle());
	AWAIT(&w);  /* main itself blocks; only the idle hook can wake it */
	assert_int_equal(idle_calls, 3);
	assert_int_equal(idle_not_in_idle, 0);   /* the hook knows where it runs */
	assert_false(async_in_idle());
	async_set_idle(&rt, NULL, NULL);
}

static void count_yields(void *arg)
{
	int i;

	for (i = 0; i < 100; i++) {
		(*(int *)arg)++;
		async_yield();
	}
}

static void test_many_threads_yield_round_robin(void **state)
{
	static int counters[500];
	int i;

	(void)state;
	memset(counters, 0, sizeof(counters));
	DO_FINISH(
		for (i = 0; i < 500; i++)
			assert_int_equal(ASYNC(count_yields, &counters[i]), 0);
	);
	for (i = 0; i < 500; i++)
		assert_int_equal(counters[i], 100);
	assert_true(rt.stacks <= 500);
}

static void test_stack_pool_reuses_stacks(void **state)
{
	char a = 'a';
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		DO_FINISH(ASYNC(mark_arg, &a); ASYNC(yield_then_mark, &a);
			  ASYNC(yield_then_mark, &a));
	/* mark_arg returns its stack before the next ASYNC, and two threads
	 * are blocked at a time at most, so the pool never grew past two. */
	assert_int_equal(rt.stacks, 2);
	assert_int_equal(trace_len, 255);
}

static void test_stack_limit_gives_enomem(void **state)
{
	struct async_rt small;
	char a = 'a';

	(void)state;
	async_rt_fini(&rt);
	assert_int_equal(async_rt_init(&small, ASYNC_DEFAULT_STACK, 2), 0);
	DO_FINISH(
		assert_int_equal(ASYNC(yield_then_mark, &a), 0);
		assert_int_equal(ASYNC(yield_then_mark, &a), 0);
		assert_int_equal(ASYNC(yield_then_mark, &a), IPC_ENOMEM);
	);
	assert_string_equal(trace, "aa");
	async_rt_fini(&small);
	assert_int_equal(async_rt_init(&small, 100, 2), IPC_EINVAL);
	assert_int_equal(async_rt_init(&rt, ASYNC_DEFAULT_STACK, 2048), 0);
}

/* Uses most of a 16 KiB stack, across a block, to catch a wrong stack top
 * or a thread control block that gets overwritten. */
static bool deep(int depth)
{
	volatile char buf[512];
	bool ok;

	memset((char *)buf, depth, sizeof(buf));
	if (depth > 0)
		ok = deep(depth - 1);
	else
		ok = (async_yield(), true);
	return ok && buf[7] == (char)depth && buf[511] == (char)depth;
}

/* Marks 'd' if every frame kept its contents (asserting here would longjmp
 * across stacks). */
static void deep_thread(void *arg)
{
	if (deep(*(int *)arg))
		mark('d');
}

static void test_deep_stack_survives_switches(void **state)
{
	int depth = 12;

	(void)state;
	DO_FINISH(ASYNC(deep_thread, &depth); ASYNC(deep_thread, &depth));
	assert_string_equal(trace, "dd");
}

static void stray(void *arg)
{
	async_yield();
	(*(int *)arg)++;
}

static void test_fini_waits_for_stray_asyncs(void **state)
{
	int n = 0;

	(void)state;
	ASYNC(stray, &n);  /* outside any DO_FINISH */
	ASYNC(stray, &n);
	assert_int_equal(n, 0);
	async_rt_fini(&rt);
	assert_int_equal(n, 2);
	assert_int_equal(async_rt_init(&rt, ASYNC_DEFAULT_STACK, 2048), 0);
}

/*
 * Both ways a thread can end: never blocked (async_ctx_start returns to the
 * parent with ret) and blocked first (it resumes another thread through
 * async_ctx_resume, a tail jump).  Mixed in one scope, many times, so a
 * misaligned resume shows as a crash or a bad trace; callee-saved registers
 * live across the ASYNCs must survive both ways.  ASYNC's result comes from
 * the assembly on both ways too (eax of whichever path resumed the parent:
 * async_spawn tail-jumps into async_ctx_start): it must be 0 each time.
 */
static void test_exit_paths_mixed(void **state)
{
	char a = 'a', b = 'b';
	volatile uint64_t live = 0x1234;
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		uint64_t x = live + (uint64_t)i;   /* likely kept in a callee-saved register */

		trace_len = 0;
		DO_FINISH(
			assert_int_equal(ASYNC(mark_arg, &a), 0);         /* returns: ret path */
			assert_int_equal(ASYNC(yield_then_mark, &b), 0);  /* blocks: resumed by a switch */
			assert_int_equal(ASYNC(mark_arg, &a), 0);
			assert_int_equal(ASYNC(yield_then_mark, &b), 0);
			mark('|');
		);
		assert_string_equal(trace, "aa|bb");
		assert_int_equal(x, live + (uint64_t)i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_async_runs_eagerly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocked_async_lets_parent_continue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_waits_for_grandchildren, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_await_and_wake_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wake_before_await, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_hook_runs_when_all_blocked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_threads_yield_round_robin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stack_pool_reuses_stacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stack_limit_gives_enomem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_stack_survives_switches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fini_waits_for_stray_asyncs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_paths_mixed, setup, teardown),
	};

	return cmocka_run_group_tests_name("async", tests, NULL, NULL);
}
