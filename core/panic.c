/* panic: say where and why, then stop the machine so no test waits on a hang. */
#include <lxds/arch.h>
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/printk.h>

bool trace_errors;

void __noreturn panic_at(const char *file, int line, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printk("\nPANIC on cpu %u at %s:%d: %s\n", arch_cpu_id(), file, line, msg);
    arch_poweroff();
}

int trace_error_at(int err, const char *file, int line)
{
    if (err < 0 && trace_errors)
        printk("trace: %s:%d returns %s (%d)\n", file, line, errno_name(err), err);
    return err;
}
