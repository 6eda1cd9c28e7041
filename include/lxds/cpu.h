/* The cores the hypervisor runs on: their table and how a parked core gets work. */
#ifndef LXDS_CPU_H
#define LXDS_CPU_H

#include <lxds/types.h>

#define CONFIG_MAX_CPUS 64

enum cpu_state {
    CPU_ABSENT,         /* no such core */
    CPU_FAILED,         /* did not start, or stopped after a fault */
    CPU_PARKED,         /* started, waiting for work */
    CPU_BUSY,           /* running handed-over work */
};

typedef void (*cpu_work_fn)(void *arg);

struct cpu {
    unsigned int id;                /* index in cpus[]; 0 is the boot core */
    uint32_t arch_id;               /* the APIC ID on x86 */
    enum cpu_state state;
    cpu_work_fn work;               /* set by cpu_run_on(), cleared when taken */
    void *work_arg;
};

extern struct cpu cpus[CONFIG_MAX_CPUS];
extern unsigned int cpu_count;      /* entries of cpus[] in use, started or not */

const char *cpu_state_name(enum cpu_state s);
unsigned int cpu_online_count(void);

/* Called by each secondary core once it is set up: waits for work forever. */
void __attribute__((noreturn)) cpu_park(unsigned int id);

/* Hands fn(arg) to a parked core. -EBUSY if it is not parked, -EINVAL if absent. */
int cpu_run_on(unsigned int id, cpu_work_fn fn, void *arg);

/* The built-in self tests (core/selftest.c): the number of failed checks, 0 = all passed. */
unsigned int selftest_run(void);

#endif
