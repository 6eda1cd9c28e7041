// Boost.Context switch cost: the low-level fcontext primitive that
// Boost.Context's fibers are built on, bounced between two contexts.
#include "bench.h"

#include <boost/context/detail/fcontext.hpp>
#include <cstdio>
#include <cstdlib>

namespace ctx = boost::context::detail;

static const int boost_iters = 1000000;

static void boost_child(ctx::transfer_t t)
{
	for (;;)
		t = ctx::jump_fcontext(t.fctx, nullptr);
}

extern "C" void bench_boost_run(void)
{
	static char stack[65536] __attribute__((aligned(64)));
	ctx::fcontext_t child = ctx::make_fcontext(stack + sizeof(stack), sizeof(stack), boost_child);
	double s[BENCH_REPEATS];

	for (int rep = -1; rep < BENCH_REPEATS; rep++) {
		uint64_t t0 = bench_tsc();

		for (int i = 0; i < boost_iters; i++)
			child = ctx::jump_fcontext(child, nullptr).fctx;
		if (rep >= 0)
			s[rep] = double(bench_tscp() - t0) / boost_iters / 2;
	}
	bench_record("switch", "Boost.Context jump_fcontext", bench_median(s, BENCH_REPEATS), 0,
		     "(paper machine: ~13)");
}
