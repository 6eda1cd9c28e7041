/* Shared helpers for the ipc/async benchmarks: TSC timing, pinning,
 * two-thread runs and the results table. */
#ifndef LXDS_BENCH_H
#define LXDS_BENCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BENCH_REPEATS 7   /* each measurement is the median of this many runs */

static inline uint64_t bench_tsc(void)
{
	uint32_t lo, hi;

	/* lfence keeps earlier instructions from drifting past the read. */
	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t bench_tscp(void)
{
	uint32_t lo, hi, aux;

	/* rdtscp waits for earlier instructions to finish; lfence stops later
	 * ones from starting before the read. */
	__asm__ __volatile__("rdtscp; lfence" : "=a"(lo), "=d"(hi), "=c"(aux) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

extern double bench_tsc_ghz;   /* TSC ticks per nanosecond */

void bench_calibrate(void);
void bench_pin(int cpu);

/* Runs a() on CPU 0 (this thread) and b() on CPU 1 (a new thread), both
 * released at the same moment; returns when both have returned. */
void bench_pair(void (*a)(void *), void (*b)(void *), void *arg);

double bench_median(double *v, int n);

/* One row of the results table.  cycles is per operation (0 if the row is a
 * rate only); mops is millions of operations per second (0 if latency only). */
void bench_record(const char *group, const char *name, double cycles, double mops,
		  const char *target);
double bench_lookup(const char *name);  /* cycles of a recorded row, 0 if none */

/* True if the group `name` should run: `only` is NULL (all) or names it. */
int bench_want(const char *only, const char *name);

void bench_ipc_run(const char *only);   /* groups "rtt", "stream", "calls" */
void bench_ipc_floor_again(void);
void bench_turns_run(void);     /* group "turns": side by side, permuted */
void bench_sweep_run(void);     /* "sweep" (named only): ring size x rx.lazy */
void bench_async_run(void);
void bench_boost_run(void);   /* C++ (bench_boost.cpp) */

#ifdef __cplusplus
}
#endif

#endif
