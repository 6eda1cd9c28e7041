/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The glue runtime's Linux backend (include/lxds/glue.h, docs/idl.md "Runtime
 * API"): idlc-generated Linux-side code (M_linux.c) over a klxd channel.
 * A glue module links klxd_glue.c, lxd-sdk/glue/glue_core.c and M_linux.c
 * and calls, from process context:
 *
 *	glue_ctx_init(&ctx, "lxdecho", lxdecho_linux_dispatch);
 *	err = klxd_glue_start(&ctx, domain_id);   // the domain's channel must exist
 *	...  generated stubs now call into the domain (many threads at once);
 *	...  requests from the domain run on a workqueue
 *	klxd_glue_stop(&ctx);                      // waiters get -EPIPE
 *
 * Every call waits at most klxd's timeout_ms (fixed when the call starts;
 * nothing the domain sends moves it), and ends with -EPIPE as soon as the
 * receiver learns (LXDS_HC_STATUS, every 200 ms) that the domain no longer
 * runs.  Glue calls sleep: process context only.
 */
#ifndef KLXD_GLUE_H
#define KLXD_GLUE_H

#include <linux/types.h>
#include <lxds/glue.h>

#define KLXD_GLUE_CALLS     64     /* calls in flight per context */
#define KLXD_GLUE_MAX_JOBS  256    /* requests from the domain queued or running */

int klxd_glue_start(struct glue_ctx *ctx, u32 domain_id);
void klxd_glue_stop(struct glue_ctx *ctx);
/* Whether the domain was found dead (then every call fails with -EPIPE). */
bool klxd_glue_peer_dead(struct glue_ctx *ctx);
/* Whether domain is gone for good (its memory, and any grant to it, with it). */
bool klxd_glue_domain_destroyed(u32 domain);

#endif
