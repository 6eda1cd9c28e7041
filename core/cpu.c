/* The core table and the park loop where secondary cores wait for work. */
#include <lxds/arch.h>
#include <lxds/cpu.h>
#include <lxds/errno.h>

struct cpu cpus[CONFIG_MAX_CPUS];
unsigned int cpu_count;

const char *cpu_state_name(enum cpu_state s)
{
    switch (s) {
    case CPU_ABSENT: return "absent";
    case CPU_FAILED: return "failed";
    case CPU_PARKED: return "parked";
    case CPU_BUSY: return "busy";
    }
    return "?";
}

unsigned int cpu_online_count(void)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < cpu_count; i++)
        n += cpus[i].state == CPU_PARKED || cpus[i].state == CPU_BUSY;
    return n;
}

void cpu_park(unsigned int id)
{
    struct cpu *c = &cpus[id];

    __atomic_store_n(&c->state, CPU_PARKED, __ATOMIC_RELEASE);
    for (;;) {
        arch_irq_save();                            /* no wake-up lost between check and sleep */
        cpu_work_fn fn = __atomic_load_n(&c->work, __ATOMIC_ACQUIRE);
        if (!fn) {
            arch_wait_for_kick();
            continue;
        }
        void *arg = c->work_arg;
        __atomic_store_n(&c->work, NULL, __ATOMIC_RELAXED);
        fn(arg);
        __atomic_store_n(&c->state, CPU_PARKED, __ATOMIC_RELEASE);
    }
}

int cpu_run_on(unsigned int id, cpu_work_fn fn, void *arg)
{
    if (id >= cpu_count || cpus[id].state == CPU_ABSENT || cpus[id].state == CPU_FAILED)
        return -EINVAL;
    enum cpu_state expect = CPU_PARKED;
    if (!__atomic_compare_exchange_n(&cpus[id].state, &expect, CPU_BUSY, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return -EBUSY;
    cpus[id].work_arg = arg;
    __atomic_store_n(&cpus[id].work, fn, __ATOMIC_RELEASE);
    arch_kick_cpu(id);
    return 0;
}
