/*
 * hv_main: the boot core's path from GRUB to a running hypervisor.
 * boot/entry.asm gets here in long mode with the identity map of 0..4 GiB.
 */
#include <lxds/arch.h>
#include <lxds/cmdline.h>
#include <lxds/cpu.h>
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/linux_guest.h>
#include <lxds/memory.h>
#include <lxds/multiboot2.h>
#include <lxds/printk.h>
#include <lxds/string.h>
#include <lxds/version.h>


struct hv_config hv_config;

static void parse_boot_info(uint64_t mb2_phys, struct mb2_info *mbi)
{
    const char *why = "";
    int rc = mb2_parse((const void *)(uintptr_t)mb2_phys, MB2_MAX_INFO_SIZE, mbi, &why);

    if (rc)
        panic("bad Multiboot2 boot information at %#lx: %s (%s)", mb2_phys, why, errno_name(rc));
    printk("boot: loader \"%s\", command line \"%s\"\n",
           mbi->loader_name ? mbi->loader_name : "?", mbi->cmdline ? mbi->cmdline : "");
    for (uint32_t i = 0; i < mbi->module_count; i++)
        printk("boot: module %u at %#lx-%#lx (%lu KiB) \"%s\"\n", i, mbi->modules[i].start,
               mbi->modules[i].end, (mbi->modules[i].end - mbi->modules[i].start) >> 10,
               mbi->modules[i].cmdline);
    if (mbi->modules_dropped)
        pr_warn("boot: %u module(s) beyond the first %d ignored\n", mbi->modules_dropped,
                MB2_MAX_MODULES);
}

static void parse_cmdline(const struct mb2_info *mbi)
{
    char err[160];

    cmdline_defaults(&hv_config);
    if (cmdline_parse(mbi->cmdline, &hv_config, err, sizeof(err))) {
        pr_err("cmdline: %s\n", err);
        printk("cmdline: the options are:\n");
        /* a line at a time: the list is longer than one printk record */
        for (const char *h = cmdline_help(), *nl; *h; h = nl ? nl + 1 : h + strlen(h)) {
            nl = strchr(h, '\n');
            printk("%.*s\n", (int)(nl ? nl - h : (long)strlen(h)), h);
        }
        printk("lxds: refusing to boot with a bad command line\n");
        arch_poweroff();
    }
    log_threshold = hv_config.log_level;
    trace_errors = hv_config.trace;
}

static void require_virtualization(void)
{
    const char *why = arch_virt_detect();

    if (!why) {
        printk("lxds: using %s\n", arch_virt_name());
        return;
    }
    printk("lxds: no usable hardware virtualization on this CPU: %s, so lxds cannot run here. "
           "Use Bochs (make run-bochs), QEMU TCG with SVM (make run-qemu: -cpu qemu64,+svm,+npt), "
           "or QEMU with KVM and nested VT-x or SVM (-enable-kvm -cpu host).\n", why);
    arch_poweroff();
}

static void __noreturn refuse_split(const char *fmt, unsigned int a, int b)
{
    char line[160];

    fmt_snprintf(line, sizeof(line), fmt, a, b);
    pr_err("cmdline: %s\n", line);
    printk("lxds: refusing to boot with this split of the cores\n");
    arch_poweroff();
}

/*
 * The split (cmdline_split_cores): cores 0..linux_cores-1 (the boot core
 * first) run Linux, the last lxd_cores ones run LXDs, any between stay idle.
 */
static void split_cores(int online)
{
    unsigned int nlinux, nlxd;
    char msg[160];

    if (cmdline_split_cores(&hv_config, (unsigned int)online, arch_linux_smp_refusal(),
                            &nlinux, &nlxd, msg, sizeof(msg))) {
        pr_err("cmdline: %s\n", msg);
        printk("lxds: refusing to boot with this split of the cores\n");
        arch_poweroff();
    }
    if (msg[0])
        pr_warn("cmdline: %s\n", msg);
    for (unsigned int i = 0; i < nlinux; i++)
        if (i >= cpu_count || (cpus[i].state != CPU_PARKED && cpus[i].state != CPU_BUSY))
            refuse_split("linux_cores=%u: core %u is not online", nlinux, (int)i);
    hv_config.linux_cores = nlinux;
    hv_config.lxd_cores = (int)nlxd;
    printk("cores: %u for Linux, %u for LXDs", nlinux, nlxd);
    if ((unsigned int)online - nlinux - nlxd > 0)
        printk(", %u idle", (unsigned int)online - nlinux - nlxd);
    printk("\n");
}

static void start_cores(void)
{
    int online = arch_start_secondary_cpus();

    if (online < 0) {
        printk("lxds: not every core is under the hypervisor (%s, see above); powering off\n",
               errno_name(online));
        arch_poweroff();
    }
    printk("%d cores online\n", online);
    split_cores(online);
}

static void start_virtualization(void)
{
    int rc = arch_virt_init();

    if (rc) {
        printk("lxds: %s is present but unusable here (%s); see the lines above. "
               "Powering off.\n", arch_virt_name(), errno_name(rc));
        arch_poweroff();
    }
}

void __noreturn hv_main(uint64_t mb2_phys)
{
    struct mb2_info mbi;

    arch_early_init();
    printk("\nlxds %s: Lightweight Execution Domains hypervisor\n", LXDS_VERSION);
    parse_boot_info(mb2_phys, &mbi);
    parse_cmdline(&mbi);
    arch_describe_cpu();
    require_virtualization();
    memory_init(&mbi);
    arch_init_boot_cpu(&mbi);
    if (hv_config.test_exception[0])
        arch_raise_test_exception(hv_config.test_exception);
    start_virtualization();
    start_cores();
    if (hv_config.selftest)
        selftest_run();
    if (mbi.module_count == 0) {
        printk("lxds: no modules in the GRUB entry, so no Linux to run; powering off\n");
        arch_poweroff();
    }
    linux_guest_start(&mbi);
    printk("lxds: Linux could not be started (see above); powering off\n");
    arch_poweroff();
}
