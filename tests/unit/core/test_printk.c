/*
 * printk's console lock against the two re-entries the hypervisor meets:
 * a fault or NMI on the core that holds the lock (printk goes on without
 * it), and an NMI on a core that is waiting for the lock (the NMI's printk
 * waits too and gets its turn).  Cores are threads, an NMI is a signal sent
 * to one thread.  The second case deadlocked with the ticket lock printk
 * used before: the alarm below then fails the test instead of hanging.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <lxds/arch.h>
#include <lxds/printk.h>

/* ---- the arch calls printk makes, for threads standing in for cores ---- */
static __thread unsigned int this_cpu;
static volatile int holder_inside, release_holder, waiter_spinning, nmi_done;
static volatile int nested_once;

unsigned int arch_cpu_id(void) { return this_cpu; }
unsigned long arch_irq_save(void) { return 0; }
void arch_irq_restore(unsigned long flags) { (void)flags; }

void arch_cpu_relax(void)
{
    if (this_cpu == 2)
        waiter_spinning = 1;
    sched_yield();
}

void arch_console_write(const char *s, size_t n)
{
    (void)n;
    if (this_cpu == 0 && strstr(s, "outer") && !nested_once) {
        nested_once = 1;
        printk("nested on the holder\n");       /* a fault/NMI while printing */
    }
    if (this_cpu == 1 && strstr(s, "holder")) {
        holder_inside = 1;
        while (!release_holder)
            sched_yield();
    }
}

static void read_log(char *buf, size_t len)
{
    uint64_t pos = 0;
    size_t n = log_read(&pos, buf, len - 1);

    buf[n] = 0;
}

static void on_alarm(int sig)
{
    static const char msg[] = "test_printk: printk deadlocked (no progress in 10 s)\n";

    (void)sig;
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(1);
}

static void test_reentry_on_holder(void **state)
{
    char log[4096];

    (void)state;
    this_cpu = 0;
    printk("outer line\n");
    read_log(log, sizeof(log));
    assert_non_null(strstr(log, "nested on the holder\n"));
    assert_non_null(strstr(log, "outer line\n"));
}

static void *holder(void *arg)
{
    (void)arg;
    this_cpu = 1;
    printk("holder line\n");
    return NULL;
}

static void nmi(int sig)
{
    (void)sig;
    printk("nmi on the waiter\n");
    nmi_done = 1;
}

static void *waiter(void *arg)
{
    (void)arg;
    this_cpu = 2;
    while (!holder_inside)
        sched_yield();
    printk("waiter line\n");
    return NULL;
}

static void test_nmi_on_waiting_core(void **state)
{
    pthread_t h, w;
    char log[8192];
    const char *a, *b, *c;

    (void)state;
    signal(SIGALRM, on_alarm);
    signal(SIGUSR1, nmi);
    alarm(10);
    assert_int_equal(pthread_create(&h, NULL, holder, NULL), 0);
    assert_int_equal(pthread_create(&w, NULL, waiter, NULL), 0);
    while (!waiter_spinning)
        sched_yield();
    pthread_kill(w, SIGUSR1);           /* the NMI lands while the waiter spins */
    usleep(50000);
    assert_int_equal(nmi_done, 0);      /* it waits for the holder, as it should */
    release_holder = 1;
    pthread_join(h, NULL);
    pthread_join(w, NULL);
    alarm(0);
    assert_int_equal(nmi_done, 1);
    read_log(log, sizeof(log));
    a = strstr(log, "holder line\n");
    b = strstr(log, "nmi on the waiter\n");
    c = strstr(log, "waiter line\n");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_true(a < b && b < c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reentry_on_holder),
        cmocka_unit_test(test_nmi_on_waiting_core),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
