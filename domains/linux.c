/*
 * The Linux domain: from GRUB's modules to Linux running deprivileged on the
 * boot core (memory split, EPT, vCPU), and the end of the run when it stops.
 * What Linux may do to the machine is its exit policy (domains/linux_policy.c).
 */
#include <lxds/arch.h>
#include <lxds/cmdline.h>
#include <lxds/cpu.h>
#include <lxds/domain.h>
#include <lxds/errno.h>
#include <lxds/format.h>
#include <lxds/linux_guest.h>
#include <lxds/lxd_pool.h>
#include <lxds/memory.h>
#include <lxds/printk.h>
#include <lxds/spinlock.h>
#include <lxds/string.h>

#define HV_RESERVE      MiB(16)         /* kept by the hypervisor for its own tables */


struct mem_range lxd_pool_range;

static struct mem_range linux_ram[LINUX_MAX_RAM_RANGES];
static unsigned int linux_nram;
static struct domain linux_dom;
static struct vcpu linux_vcpu;

/*
 * Linux's other cores (linux_cores=N): each is parked in the hypervisor
 * until Linux starts it with INIT, then SIPI (arch/x86/linux_apic.c hands
 * them here, never to the hardware).  Then its own core creates a vCPU of
 * the Linux domain (its own VMCS, Linux's EPT and policy) in real mode at
 * the SIPI vector and runs it until it stops.
 */
enum linux_ap_state {
    AP_HALTED,          /* as the firmware left it: a SIPI alone is ignored */
    AP_WAIT_SIPI,       /* after INIT */
    AP_STARTING,        /* a SIPI was taken; its core is creating the vCPU */
    AP_RUNNING,
    AP_RESETTING,       /* INIT while running: its vCPU is being stopped, then waits for SIPI */
    AP_STOPPED,         /* its vCPU stopped (a fault): this core of Linux is gone until INIT */
};

static const char *const ap_state_name[] = {
    [AP_HALTED] = "halted", [AP_WAIT_SIPI] = "waiting for SIPI", [AP_STARTING] = "starting",
    [AP_RUNNING] = "running", [AP_RESETTING] = "being reset", [AP_STOPPED] = "stopped",
};

struct linux_ap {
    unsigned int cpu;
    enum linux_ap_state state;
    uint8_t vector;
    struct vcpu vcpu;
};

static struct linux_ap linux_aps[CONFIG_MAX_CPUS];
static spinlock_t linux_ap_lock = SPINLOCK_INIT;

/* The module whose command line starts with word, or NULL. */
static const struct mb2_module *find_module(const struct mb2_info *mbi, const char *word)
{
    size_t n = strlen(word);

    for (uint32_t i = 0; i < mbi->module_count; i++) {
        const char *c = mbi->modules[i].cmdline;
        if (!strncmp(c, word, n) && (c[n] == ' ' || c[n] == '\0'))
            return &mbi->modules[i];
    }
    return NULL;
}

static void add_ram(uint64_t start, uint64_t end)
{
    if (linux_nram && linux_ram[linux_nram - 1].end == start) {
        linux_ram[linux_nram - 1].end = end;
        return;
    }
    if (linux_nram == LINUX_MAX_RAM_RANGES) {
        pr_warn("linux: more than %d RAM ranges; %#lx-%#lx not given to Linux\n",
                LINUX_MAX_RAM_RANGES, start, end);
        return;
    }
    linux_ram[linux_nram++] = (struct mem_range){ start, end };
}

/*
 * The split: the LXD pool and a hypervisor reserve from the top of RAM, the
 * firmware's usable memory below 1 MiB, and every other free frame to Linux.
 */
static int split_memory(const struct mb2_info *mbi)
{
    uint64_t pool = hv_config.lxd_pool_bytes, reserve;

    if (frame_alloc_get_high(&hv_frames, pool / PAGE_SIZE, MiB(2) / PAGE_SIZE, &lxd_pool_range.start)) {
        pr_err("linux: no room for a %lu MiB LXD pool (lxd_pool=)\n", pool >> 20);
        return -ENOMEM;
    }
    lxd_pool_range.end = lxd_pool_range.start + pool;
    if (frame_alloc_get_high(&hv_frames, HV_RESERVE / PAGE_SIZE, 1, &reserve)) {
        pr_err("linux: no room for the hypervisor's %lu MiB reserve\n", HV_RESERVE >> 20);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < mbi->mmap_count; i++) {
        struct mb2_mem_region r = mb2_mem_region_at(mbi, i);
        uint64_t end = MIN(r.base + r.len, MiB(1));
        if (r.type == MB2_MEM_AVAILABLE && r.base < end)
            add_ram(ALIGN_UP(r.base, PAGE_SIZE), ALIGN_DOWN(end, PAGE_SIZE));
    }
    for (uint64_t f = MiB(1) / PAGE_SIZE; f < hv_frames.nframes; f++) {
        uint64_t pa = hv_frames.base + f * PAGE_SIZE;
        if (!frame_alloc_is_used(&hv_frames, pa)) {
            frame_alloc_reserve(&hv_frames, pa, PAGE_SIZE);
            add_ram(pa, pa + PAGE_SIZE);
        }
    }
    frame_alloc_put(&hv_frames, reserve, HV_RESERVE / PAGE_SIZE);
    uint64_t total = 0;
    for (unsigned int i = 0; i < linux_nram; i++)
        total += linux_ram[i].end - linux_ram[i].start;
    printk("linux: %lu MiB of RAM in %u range(s); LXD pool %#lx-%#lx (%lu MiB); "
           "hypervisor keeps %lu MiB\n", total >> 20, linux_nram, lxd_pool_range.start,
           lxd_pool_range.end, pool >> 20, (hv_frames.free_frames * PAGE_SIZE) >> 20);
    return 0;
}

bool linux_ram_contains(uint64_t gpa, uint64_t len)
{
    uint64_t end = gpa + len;

    if (end < gpa)
        return false;
    for (unsigned int i = 0; i < linux_nram; i++)
        if (gpa >= linux_ram[i].start && end <= linux_ram[i].end)
            return true;
    return false;
}

/*
 * Linux's EPT: the machine's address space below 4 GiB as uncached MMIO,
 * minus all RAM the firmware calls usable, then Linux's own RAM (write-back,
 * above 4 GiB too) and the firmware's reserved and ACPI areas put back
 * (wherever they are).  Above 4 GiB nothing else is mapped: a 64-bit BAR
 * placed there by the firmware is not reachable yet (an EPT violation
 * names it).
 */
static int build_linux_ept(const struct mb2_info *mbi)
{
    struct ept *ept = &linux_dom.ept;
    int rc = trace_error(ept_map(ept, 0, 0, GiB(4), EPT_RWX, EPT_MT_UC));

    for (uint32_t i = 0; !rc && i < mbi->mmap_count; i++) {
        struct mb2_mem_region r = mb2_mem_region_at(mbi, i);
        uint64_t s = ALIGN_DOWN(r.base, PAGE_SIZE), e = ALIGN_UP(r.base + r.len, PAGE_SIZE);
        if (r.type == MB2_MEM_AVAILABLE) {
            if (s < GiB(4))     /* above 4 GiB nothing is mapped to unmap */
                rc = trace_error(ept_unmap(ept, s, MIN(e, GiB(4)) - s));
        } else
            rc = trace_error(ept_map(ept, s, s, e - s, EPT_RWX,
                         r.type == MB2_MEM_RESERVED ? EPT_MT_UC : EPT_MT_WB));
    }
    for (unsigned int i = 0; !rc && i < linux_nram; i++)
        rc = trace_error(ept_map(ept, linux_ram[i].start, linux_ram[i].start,
                     linux_ram[i].end - linux_ram[i].start, EPT_RWX, EPT_MT_WB));
    if (rc)
        pr_err("linux: building its EPT failed (%s)\n", errno_name(rc));
    else
        printk("linux: EPT built (%lu table pages); hypervisor and LXD pool unmapped\n",
               ept->tables);
    return rc;
}

static void free_module(const struct mb2_module *m)
{
    if (m)
        mem_free_frames(m->start, (ALIGN_UP(m->end, PAGE_SIZE) - m->start) / PAGE_SIZE);
}

/* Cores 0..linux_cores-1 (cpus[] indexes; core/main.c checked they are online). */
static uint64_t linux_core_mask(void)
{
    unsigned int n = hv_config.linux_cores;

    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static struct domain_ops linux_ops = { .hypercall = linux_hypercall };

static const char *module_args(const struct mb2_module *m)
{
    const char *s = strchr(m->cmdline, ' ');

    return s ? s + 1 : "";
}

/*
 * After a Linux vCPU stopped, on its core: Linux's power-off or reset
 * request (from whichever of its cores) ends the run; the boot vCPU's end
 * does too; an AP that faulted stops alone and the machine goes on.
 */
static void linux_vcpu_ended(struct vcpu *v)
{
    uint32_t port, value;
    const char *asked = linux_power_request(&port, &value);

    if (v->stop == VCPU_STOP_REQUESTED && asked) {
        /* a reset would restart the machine with the LXD pool's memory intact: power off */
        printk("linux: asked to %s (port %#x <- %#x): the run ends%s%s\n", asked, port, value,
               asked[0] == 'r' ? " with a power-off, not a reset" :
               asked[0] == 's' ? " with a power-off" : "",
               v == &linux_vcpu ? "" : " (asked on one of its other cores)");
        arch_poweroff();
    }
    char who[40];
    if (v == &linux_vcpu)
        fmt_snprintf(who, sizeof(who), "the guest");
    else
        fmt_snprintf(who, sizeof(who), "its cpu %u", arch_cpu_id());
    printk("linux: %s stopped: %s at RIP %#lx (address %#lx, detail %#lx)\n", who,
           vcpu_stop_name(v->stop), v->stop_rip, v->stop_addr, v->stop_detail);
    if (v->stop == VCPU_STOP_EPT_VIOLATION)
        printk("linux: it touched %#lx, which is %s: Linux was stopped, the hypervisor "
               "and the LXDs were not reached\n", v->stop_addr,
               v->stop_addr >= lxd_pool_range.start &&
               v->stop_addr < lxd_pool_range.end ? "LXD pool memory" : "not Linux's memory");
    if (v == &linux_vcpu)
        arch_poweroff();
    printk("linux: only its cpu %u stopped; its other cores, the hypervisor and the LXDs go on\n",
           arch_cpu_id());
}

/* On the AP's own core (cpu_run_on): the vCPU after INIT-SIPI, run until it stops. */
static void linux_ap_main(void *arg)
{
    struct linux_ap *ap = arg;
    struct vcpu_boot boot = { .sipi_start = true, .sipi_vector = ap->vector };
    struct vcpu *v = &ap->vcpu;
    int rc;

    memset(v, 0, sizeof(*v));
    v->dom = &linux_dom;
    v->kind = VCPU_KIND_LINUX;
    v->id = ap->cpu;
    rc = arch_vcpu_create(v, &boot);
    if (rc) {
        pr_err("linux: cannot create the vCPU of its cpu %u (%s); that core stays off\n",
               ap->cpu, errno_name(rc));
        __atomic_store_n(&ap->state, AP_STOPPED, __ATOMIC_RELEASE);
        return;
    }
    __atomic_store_n(&ap->state, AP_RUNNING, __ATOMIC_RELEASE);
    printk("linux: cpu %u started by Linux's INIT-SIPI: real mode at %#x:0000 (physical %#x)\n",
           ap->cpu, ap->vector << 8, ap->vector << 12);
    arch_vcpu_run(v);
    if (__atomic_load_n(&ap->state, __ATOMIC_ACQUIRE) == AP_RESETTING &&
        v->stop == VCPU_STOP_REQUESTED) {
        arch_vcpu_destroy(v);
        printk("linux: cpu %u reset by Linux's INIT: its vCPU is gone, the core waits for a "
               "SIPI\n", ap->cpu);
        __atomic_store_n(&ap->state, AP_WAIT_SIPI, __ATOMIC_RELEASE);
        return;
    }
    linux_vcpu_ended(v);
    arch_vcpu_destroy(v);
    __atomic_store_n(&ap->state, AP_STOPPED, __ATOMIC_RELEASE);
}

/*
 * INIT to one of Linux's other cores.  As on the CPU: a halted or stopped
 * core waits for a SIPI; a running one is reset (Linux's CPU hotplug brings
 * an offlined core back with INIT-SIPI-SIPI): its vCPU is asked to stop,
 * made to exit (arch_force_guest_exit: on VT-x its preemption timer, within
 * about 10 ms) and destroyed on its core.
 */
const char *linux_ap_init(unsigned int cpu)
{
    struct linux_ap *ap = &linux_aps[cpu];
    const char *why = NULL;
    bool reset = false;

    if (cpu == linux_vcpu.home_cpu)
        return "it is Linux's boot core, running: refused";
    spin_lock(&linux_ap_lock);
    switch (ap->state) {
    case AP_HALTED:
    case AP_WAIT_SIPI:
    case AP_STOPPED:
        ap->state = AP_WAIT_SIPI;
        break;
    case AP_RUNNING:
        ap->state = AP_RESETTING;
        ap->vcpu.stop_requested = true;
        reset = true;
        break;
    case AP_RESETTING:
        break;
    case AP_STARTING:
        why = "its vCPU is being created: refused";
        break;
    }
    spin_unlock(&linux_ap_lock);
    if (reset) {
        printk("linux: INIT to its running cpu %u: its vCPU is stopped and the core waits for "
               "a SIPI\n", cpu);
        arch_force_guest_exit(cpu);
    }
    return why;
}

const char *linux_ap_sipi(unsigned int cpu, uint8_t vector)
{
    struct linux_ap *ap = &linux_aps[cpu];
    enum linux_ap_state was;
    int rc;

    if (cpu == linux_vcpu.home_cpu)
        return "it is Linux's boot core, running: ignored";
    /* right after an INIT to a running core: wait (at most 500 ms) until it is reset */
    for (unsigned int t = 0; t < 500000 &&
         __atomic_load_n(&ap->state, __ATOMIC_ACQUIRE) == AP_RESETTING; t += 50)
        arch_udelay(50);
    spin_lock(&linux_ap_lock);
    was = ap->state;
    if (was == AP_WAIT_SIPI) {
        ap->state = AP_STARTING;
        ap->vector = vector;
        ap->cpu = cpu;
    }
    spin_unlock(&linux_ap_lock);
    switch (was) {
    case AP_WAIT_SIPI:
        break;
    case AP_STARTING:
    case AP_RUNNING:
        return "it has left wait-for-SIPI: ignored, as the CPU does";
    case AP_RESETTING:
        return "it did not stop within 500 ms of the INIT: ignored";
    case AP_HALTED:
        return "no INIT before it (the core is not waiting for a SIPI): ignored";
    case AP_STOPPED:
        return "its vCPU stopped after a fault: ignored";
    }
    rc = cpu_run_on(cpu, linux_ap_main, ap);
    for (unsigned int t = 0; rc == -EBUSY && t < 100000; t += 50) {
        arch_udelay(50);                /* a core just reset is still leaving its work */
        rc = cpu_run_on(cpu, linux_ap_main, ap);
    }
    if (rc) {
        __atomic_store_n(&ap->state, AP_WAIT_SIPI, __ATOMIC_RELEASE);
        return cpus[cpu].state == CPU_BUSY ? "its core is busy in the hypervisor: ignored"
                                           : "its core is not parked: ignored";
    }
    return NULL;
}

const char *linux_ap_state(unsigned int cpu)
{
    return cpu < CONFIG_MAX_CPUS ? ap_state_name[linux_aps[cpu].state] : "?";
}

int linux_guest_start(const struct mb2_info *mbi)
{
    const struct mb2_module *kernel = find_module(mbi, "linux");
    const struct mb2_module *initrd = find_module(mbi, "initrd");
    const char *why = "";
    struct vcpu_boot boot;
    int rc;

    if (!kernel) {
        printk("lxds: no Linux to run: the GRUB entry has no module named 'linux' "
               "(module2 /boot/bzImage linux console=ttyS0 ...)\n");
        return -ENOENT;
    }
    rc = split_memory(mbi);
    if (rc)
        return rc;
    struct linux_load load = {
        .kernel_pa = kernel->start, .kernel_len = kernel->end - kernel->start,
        .initrd_pa = initrd ? initrd->start : 0,
        .initrd_len = initrd ? initrd->end - initrd->start : 0,
        .cmdline = module_args(kernel), .ram = linux_ram, .nram = linux_nram,
        .cores = linux_core_mask(), .mbi = mbi,
    };
    rc = arch_linux_load(&load, &boot, &why);
    if (rc) {
        pr_err("linux: cannot load the 'linux' module (%lu bytes at %#lx): %s\n",
               load.kernel_len, load.kernel_pa, why);
        return rc;
    }
    free_module(kernel);
    free_module(initrd);
    rc = pool_init(lxd_pool_range.start, lxd_pool_range.end);
    if (rc) {
        pr_err("linux: cannot set up the LXD pool (%s)\n", errno_name(rc));
        return rc;
    }
    linux_ops.policy = linux_policy_init();
    rc = domain_init(&linux_dom, "linux", &linux_ops, NULL);
    if (!rc)
        rc = build_linux_ept(mbi);
    if (!rc)        /* Linux's cores: the boot core, where its vCPU runs, and its APs */
        rc = arch_linux_apic_protect(&linux_dom.ept, linux_core_mask());
    if (rc)
        return rc;
    linux_vcpu.dom = &linux_dom;
    linux_vcpu.kind = VCPU_KIND_LINUX;
    rc = arch_vcpu_create(&linux_vcpu, &boot);
    if (rc) {
        pr_err("linux: cannot create its vCPU (%s)\n", errno_name(rc));
        return rc;
    }
    printk("linux: starting at %#lx with \"%s\"; COM1 is Linux's from here, the hypervisor "
           "log goes on on COM2 and in memory\n", boot.rip, load.cmdline);
    arch_console_handover();
    printk("lxds: hypervisor log continues here (COM2); Linux has COM1\n");
    arch_vcpu_run(&linux_vcpu);
    linux_vcpu_ended(&linux_vcpu);
    arch_poweroff();
}
