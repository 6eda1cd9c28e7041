/*
 * Linux as the privileged guest: it runs identity-mapped (guest-physical =
 * host-physical) on the boot core, behind an EPT that maps its RAM, the
 * firmware tables and the machine's MMIO, but not the hypervisor's memory
 * nor the LXD pool.
 */
#ifndef LXDS_LINUX_GUEST_H
#define LXDS_LINUX_GUEST_H

#include <lxds/domain.h>
#include <lxds/multiboot2.h>

#define LINUX_MAX_RAM_RANGES 64

struct mem_range {
    uint64_t start, end;            /* [start, end) */
};

/* What the architecture's Linux loader needs. */
struct linux_load {
    uint64_t kernel_pa, kernel_len; /* the bzImage as GRUB loaded it */
    uint64_t initrd_pa, initrd_len; /* 0 when there is none */
    const char *cmdline;
    const struct mem_range *ram;    /* Linux's RAM, sorted */
    unsigned int nram;
    uint64_t cores;                 /* Linux's cores (cpus[] indexes): the others are hidden */
    const struct mb2_info *mbi;     /* for the firmware's memory map and ACPI */
};

/* The LXD pool: RAM kept from Linux for LXD images, stacks and channels. */
extern struct mem_range lxd_pool_range;

/* Whether [gpa, gpa + len) lies inside one range of Linux's RAM. */
bool linux_ram_contains(uint64_t gpa, uint64_t len);

/* Linux's exit policy (domains/linux_policy.c), completed from the firmware's tables. */
const struct exit_policy *linux_policy_init(void);
/* After Linux stopped: what it asked for ("reset", "sleep or power off") and where, or NULL. */
const char *linux_power_request(uint32_t *port, uint32_t *value);

/*
 * Linux's INIT and SIPI to one of its other cores (cpus[] index), emulated:
 * INIT makes a halted core wait for a SIPI; a SIPI to a waiting core starts
 * its vCPU in real mode at vector << 12 on that core.  NULL when acted on,
 * else why it was ignored (for the log).  Called on the sending core.
 */
const char *linux_ap_init(unsigned int cpu);
const char *linux_ap_sipi(unsigned int cpu, uint8_t vector);
/* "halted", "running", ... for the log. */
const char *linux_ap_state(unsigned int cpu);

/* Linux's hypercalls (domains/hypercall.c). */
enum hypercall_action linux_hypercall(struct vcpu *v);

/*
 * Finds the "linux" (and optional "initrd") Multiboot2 modules, splits the
 * memory, loads Linux and runs it on this core.  Returns only if there is
 * no Linux module (-ENOENT) or it cannot be loaded (negative errno, already
 * explained on the console); once Linux runs, its end powers the machine off.
 */
int linux_guest_start(const struct mb2_info *mbi);

#endif
