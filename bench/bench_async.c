/*
 * Single-core async runtime benchmarks: ASYNC create+destroy, switches,
 * one and four blocking ASYNCs; glibc swapcontext for comparison.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#include <lxds/async.h>

#define ASYNC_ITERS 1000000

/* The raw primitive from lxd-sdk/async/ctx_x86_64.asm. */
void async_ctx_switch(void **save_sp, void *load_sp);
void async_ctx_start(void **save_sp, void *stack_top, void (*entry)(void *), void *arg);

typedef void (*bench_body)(void);

static double bench_loop(bench_body body, double per_iter_ops)
{
	double s[BENCH_REPEATS];
	int rep;

	body();  /* warm-up: fills the stack pool and the caches */
	for (rep = 0; rep < BENCH_REPEATS; rep++) {
		uint64_t t0 = bench_tsc();

		body();
		s[rep] = (double)(bench_tscp() - t0) / ASYNC_ITERS / per_iter_ops;
	}
	return bench_median(s, BENCH_REPEATS);
}

static void noop(void *arg)
{
	(void)arg;
}

static void yield_once(void *arg)
{
	(void)arg;
	async_yield();
}

static void yield_loop(void *arg)
{
	long i;

	for (i = 0; i < (long)arg; i++)
		async_yield();
}

static void body_create(void)
{
	int i;

	DO_FINISH(
		for (i = 0; i < ASYNC_ITERS; i++)
			ASYNC(noop, NULL);
	);
}

static void body_yield(void)
{
	DO_FINISH(
		ASYNC(yield_loop, (void *)(long)ASYNC_ITERS);
		ASYNC(yield_loop, (void *)(long)ASYNC_ITERS);
	);
}

static void body_block1(void)
{
	int i;

	for (i = 0; i < ASYNC_ITERS; i++)
		DO_FINISH(ASYNC(yield_once, NULL));
}

static void body_block4(void)
{
	int i;

	for (i = 0; i < ASYNC_ITERS; i++)
		DO_FINISH(
			ASYNC(yield_once, NULL);
			ASYNC(yield_once, NULL);
			ASYNC(yield_once, NULL);
			ASYNC(yield_once, NULL);
		);
}

/* Raw stack switch: main and one context bounce back and forth. */
static void *raw_main_sp, *raw_child_sp;

static void raw_child(void *arg)
{
	(void)arg;
	for (;;)
		async_ctx_switch(&raw_child_sp, raw_main_sp);
}

static void body_raw(void)
{
	int i;

	for (i = 0; i < ASYNC_ITERS; i++)
		async_ctx_switch(&raw_main_sp, raw_child_sp);
}

static ucontext_t uc_main, uc_child;

static void uc_child_fn(void)
{
	for (;;)
		swapcontext(&uc_child, &uc_main);
}

static void body_swapcontext(void)
{
	int i;

	for (i = 0; i < ASYNC_ITERS; i++)
		swapcontext(&uc_main, &uc_child);
}

void bench_async_run(void)
{
	static char raw_stack[65536] __attribute__((aligned(64)));
	static char uc_stack[65536] __attribute__((aligned(64)));
	struct async_rt rt;

	printf("(c) async runtime, one core\n");
	bench_pin(0);
	async_rt_init(&rt, ASYNC_DEFAULT_STACK, 64);
	bench_record("async", "ASYNC create+destroy (no block)", bench_loop(body_create, 1),
		     0, "<= 25 (paper: 36)");
	bench_record("async", "switch (async_yield, 2 threads)", bench_loop(body_yield, 2),
		     0, "<= 15 (paper: 29)");
	bench_record("async", "one blocking ASYNC", bench_loop(body_block1, 1), 0,
		     "<= 80 (paper: 124)");
	bench_record("async", "four blocking ASYNCs", bench_loop(body_block4, 1), 0,
		     "<= 240 (paper: 374)");
	async_rt_fini(&rt);

	async_ctx_start(&raw_main_sp, raw_stack + sizeof(raw_stack), raw_child, NULL);
	bench_record("switch", "raw async_ctx_switch", bench_loop(body_raw, 2), 0, "");

	getcontext(&uc_child);
	uc_child.uc_stack.ss_sp = uc_stack;
	uc_child.uc_stack.ss_size = sizeof(uc_stack);
	uc_child.uc_link = NULL;
	makecontext(&uc_child, uc_child_fn, 0);
	bench_record("switch", "glibc swapcontext", bench_loop(body_swapcontext, 2), 0,
		     "(paper machine: ~450)");
}
