// SPDX-License-Identifier: GPL-2.0
/*
 * One CPU: the per-CPU variables the kernel's inline code reads through
 * %gs, the CPU masks, `current`, find_bit, random bytes.
 *
 * The domain runs with GS base 0 (the hypervisor's entry state) and the
 * image's .data..percpu linked as ordinary data (kenv.ld), so %gs:var is
 * var itself: this_cpu_off and __per_cpu_offset[0] are 0, and a dynamic
 * per-CPU pointer (alloc_percpu) is its own CPU 0 copy.  CPU 0 is the only
 * possible, present, online and active CPU.
 */
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/find.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <asm/current.h>
#include <asm/processor.h>

#include "kenv_linux.h"

DEFINE_PER_CPU_READ_MOSTLY(int, cpu_number);
DEFINE_PER_CPU_READ_MOSTLY(unsigned long, this_cpu_off);
DEFINE_PER_CPU(struct task_struct *, current_task);
unsigned long __per_cpu_offset[NR_CPUS] __read_mostly;

unsigned int nr_cpu_ids __read_mostly = 1;
struct cpumask __cpu_possible_mask __read_mostly = { .bits = { 1 } };
struct cpumask __cpu_online_mask __read_mostly = { .bits = { 1 } };
struct cpumask __cpu_present_mask __read_mostly = { .bits = { 1 } };
struct cpumask __cpu_active_mask __read_mostly = { .bits = { 1 } };
atomic_t __num_online_cpus __read_mostly = ATOMIC_INIT(1);
struct cpuinfo_x86 boot_cpu_data __read_mostly;

/* The one task: the domain itself (a zeroed task_struct with a name). */
static struct task_struct kenv_task;

int kenv_cpu_init(void)
{
	if (this_cpu_read(cpu_number) != 0 || this_cpu_read(this_cpu_off) != 0 ||
	    (unsigned long)this_cpu_ptr(&cpu_number) != (unsigned long)&cpu_number) {
		pr_err("kenv: %%gs does not reach the per-CPU data (GS base is not 0)\n");
		return -EINVAL;
	}
	kenv_task.pid = 1;
	kenv_task.tgid = 1;
	kenv_task.__state = TASK_RUNNING;
	strscpy(kenv_task.comm, kenv_domain_name(), sizeof(kenv_task.comm));
	this_cpu_write(current_task, &kenv_task);
	boot_cpu_data.x86_cache_alignment = 64;
	boot_cpu_data.x86_clflush_size = 64;
	return 0;
}

/* ---- find_bit (lib/find_bit.c's out-of-line entry points) ---- */

static unsigned long kenv_find(const unsigned long *addr, unsigned long size,
			       unsigned long start, unsigned long invert)
{
	for (; start < size; start++)
		if (((addr[start / BITS_PER_LONG] ^ invert) >> (start % BITS_PER_LONG)) & 1)
			return start;
	return size;
}

unsigned long _find_next_bit(const unsigned long *addr, unsigned long size, unsigned long offset)
{
	return kenv_find(addr, size, offset, 0);
}

unsigned long _find_next_zero_bit(const unsigned long *addr, unsigned long size,
				  unsigned long offset)
{
	return kenv_find(addr, size, offset, ~0ul);
}

unsigned long _find_first_bit(const unsigned long *addr, unsigned long size)
{
	return kenv_find(addr, size, 0, 0);
}

unsigned long _find_first_zero_bit(const unsigned long *addr, unsigned long size)
{
	return kenv_find(addr, size, 0, ~0ul);
}

unsigned long _find_last_bit(const unsigned long *addr, unsigned long size)
{
	while (size--)
		if ((addr[size / BITS_PER_LONG] >> (size % BITS_PER_LONG)) & 1)
			return size;
	return size;
}

unsigned int cpumask_local_spread(unsigned int i, int node)
{
	return 0;
}

/* ---- random bytes: xorshift64* seeded from the TSC (not cryptographic) ---- */

static u64 kenv_rng_state;

static u64 kenv_rng(void)
{
	if (!kenv_rng_state)
		kenv_rng_state = rdtsc() | 1;
	kenv_rng_state ^= kenv_rng_state >> 12;
	kenv_rng_state ^= kenv_rng_state << 25;
	kenv_rng_state ^= kenv_rng_state >> 27;
	return kenv_rng_state * 0x2545F4914F6CDD1DULL;
}

void get_random_bytes(void *buf, size_t len)
{
	u8 *b = buf;

	while (len) {
		u64 r = kenv_rng();
		size_t n = min(len, sizeof(r));

		memcpy(b, &r, n);
		b += n;
		len -= n;
	}
}

u32 get_random_u32(void)
{
	return (u32)kenv_rng();
}

u64 get_random_u64(void)
{
	return kenv_rng();
}

/* ---- scheduling: one context; waiting means running the loop's work ---- */

int __cond_resched(void)
{
	kenv_heartbeat();
	return 0;
}

void schedule(void)
{
	kenv_schedule();
}

void io_schedule(void)
{
	kenv_schedule();
}

/* Runs the loop's work once and says how much of the timeout is left. */
long schedule_timeout(long timeout)
{
	unsigned long end;

	kenv_jiffies_update();
	end = jiffies + (timeout > 0 ? timeout : 0);
	kenv_schedule();
	kenv_jiffies_update();
	if (timeout == MAX_SCHEDULE_TIMEOUT)
		return timeout;
	return time_after(end, jiffies) ? (long)(end - jiffies) : 0;
}

long io_schedule_timeout(long timeout)
{
	return schedule_timeout(timeout);
}

int wake_up_process(struct task_struct *p)
{
	return 1;
}
