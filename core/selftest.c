/*
 * `selftest` on the command line: every core other than the boot core runs
 * the architecture's VT-x self-tests in parallel; the boot core waits (with
 * a deadline, so a stuck core is reported instead of hanging the run),
 * prints the tally and checks that no frame leaked.
 */
#include <lxds/arch.h>
#include <lxds/cpu.h>
#include <lxds/memory.h>
#include <lxds/printk.h>

#define SELFTEST_DEADLINE_US (600u * 1000 * 1000)  /* emulated time; generous for Bochs */

struct selftest_result {
    unsigned int passed, failed;
    volatile bool done;
};

static struct selftest_result results[CONFIG_MAX_CPUS];

static void selftest_work(void *arg)
{
    struct selftest_result *r = arg;

    arch_virt_selftest(&r->passed, &r->failed);
    __atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
}

static bool wait_done(struct selftest_result *r)
{
    for (unsigned int waited = 0; waited < SELFTEST_DEADLINE_US; waited += 1000) {
        if (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
            return true;
        arch_udelay(1000);
    }
    return false;
}

/* Returns the number of failed checks (0 = all passed). */
unsigned int selftest_run(void)
{
    uint64_t free_before = mem_free_frame_count();
    unsigned int passed = 0, failed = 0, started = 0;

    printk("selftest: %s self-tests on every core but the boot core\n", arch_virt_name());
    for (unsigned int c = 1; c < cpu_count; c++)
        if (cpu_run_on(c, selftest_work, &results[c]) == 0)
            started++;
    if (!started) {
        printk("selftest: no other core online; running on the boot core\n");
        selftest_work(&results[0]);
    }
    for (unsigned int c = started ? 1 : 0; c < (started ? cpu_count : 1); c++) {
        if (c && cpus[c].state != CPU_BUSY && !results[c].done)
            continue;
        if (!wait_done(&results[c])) {
            pr_err("selftest: cpu %u did not finish its self-tests in time\n", c);
            failed++;
            continue;
        }
        printk("selftest: cpu %u: %u passed, %u failed\n", c, results[c].passed,
               results[c].failed);
        passed += results[c].passed;
        failed += results[c].failed;
    }
    uint64_t free_after = mem_free_frame_count();
    if (free_after != free_before) {
        pr_err("selftest: %ld frame(s) leaked (%lu free before, %lu after)\n",
               (long)(free_before - free_after), free_before, free_after);
        failed++;
    } else {
        printk("selftest: no frame leaked (%lu free before and after)\n", free_after);
    }
    printk("selftest: %u passed, %u failed\n", passed, failed);
    return failed;
}
