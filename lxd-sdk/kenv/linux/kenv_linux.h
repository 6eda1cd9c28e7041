/* Shared inside the kernel-ABI layer (lxd-sdk/kenv/linux/), compiled with the guest's headers. */
#ifndef KENV_LINUX_H
#define KENV_LINUX_H

#include <linux/types.h>
#include "kenv_core.h"

/* Ends the domain with a formatted reason (BUG-class failures of the environment's rules). */
__printf(2, 3) __noreturn void kenv_fatal(unsigned long code, const char *fmt, ...);

/* The heap as the kernel sees it: at its direct-map address (PAGE_OFFSET + physical). */
void *kenv_kva(void *identity);
void *kenv_identity(const void *kva);

/* Brings jiffies up to the TSC. */
void kenv_jiffies_update(void);
/* One round of the loop's work from inside a wait (schedule, io_schedule). */
void kenv_schedule(void);

int kenv_mem_init(void);
/* struct page for more identity-mapped memory (granted pages): see kenv_mem.c */
int kenv_mem_add_pages(unsigned long start, unsigned long end);
int kenv_cpu_init(void);

#endif
