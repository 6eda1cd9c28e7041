/*
 * LXD domains: created by Linux from an ELF image, each with its own EPT,
 * run on a core of its own, stopped, destroyed.  Life cycle:
 *   (free) -> loaded -> running -> stopped | crashed -> (destroyed = free)
 * All calls are made by the boot core (Linux's hypercalls) and return 0 or
 * a negative errno that changed nothing.
 */
#ifndef LXDS_LXD_DOMAIN_H
#define LXDS_LXD_DOMAIN_H

#include <lxds/hypercall_abi.h>
#include <lxds/types.h>

int lxd_create(const void *image, uint64_t len, const char *name, const char **why);
int lxd_grant(uint32_t id, uint64_t hpa, uint64_t pages, uint64_t *va);
int lxd_set_args(uint32_t id, const char *text, uint64_t len);
int lxd_start(uint32_t id, int core);
int lxd_stop(uint32_t id);
int lxd_destroy(uint32_t id);
int lxd_status(uint32_t id, struct lxds_domain_status *st);
int lxd_list(uint32_t *ids, uint32_t max);
void lxd_info(struct lxds_info *info);
/* LXDS_HC_DEBUG on domain id; buf: LXDS_DBG_MEM_MAX bytes (hypervisor memory). */
int lxd_debug(uint32_t id, struct lxds_debug *req, void *buf);

#endif
