// SPDX-License-Identifier: GPL-2.0
/*
 * lxdecho_glue: Linux's side of the lxdecho example (issue 11 item 4): the
 * driver lxd-sdk/kenv/drivers/lxdecho/lxdecho.c runs in an LXD, and this
 * module serves its calls into Linux with the code idlc generated from
 * lxdecho.idl (lxdecho_linux.c) over klxd's glue backend (klxd_glue.c).
 *
 *	lxdctl load /lib/lxd/lxdecho.lxd          # the domain: its module_init
 *	insmod lxdecho_glue.ko domain=ID          # calls misc_register, served here
 *	echo hello > /dev/lxdecho; cat /dev/lxdecho
 *
 * The domain's misc_register becomes Linux's own misc_register of the
 * glue's copy of the miscdevice, whose file_operations are trampolines into
 * the domain.  Before it reaches Linux the registration goes through the
 * checks below (the domain is not trusted): one device only, a dynamic
 * minor, permissions at most 0666, and the trampoline table owned by this
 * module, so that open files keep it loaded.
 */
#define pr_fmt(fmt) "lxdecho_glue: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/mutex.h>

#include "klxd_glue.h"
#include "lxdecho_common.h"

static uint domain;
module_param(domain, uint, 0444);
MODULE_PARM_DESC(domain, "id of the running lxdecho LXD (it has a channel)");

static struct glue_ctx lxdecho_ctx;
static DEFINE_MUTEX(lxdecho_reg_lock);
static struct miscdevice *lxdecho_registered;

/* lxdecho_linux.c is compiled with -Dmisc_register=lxdecho_glue_misc_register
 * (Kbuild): the generated handler's call lands here. */
int lxdecho_glue_misc_register(struct miscdevice *misc);
void lxdecho_glue_misc_deregister(struct miscdevice *misc);

int lxdecho_glue_misc_register(struct miscdevice *misc)
{
	struct file_operations *fops = (struct file_operations *)misc->fops;
	int err;

	if (!fops || !misc->name) {
		pr_warn("domain %u: misc_register without fops or name refused\n", domain);
		return -EINVAL;
	}
	mutex_lock(&lxdecho_reg_lock);
	if (lxdecho_registered) {
		mutex_unlock(&lxdecho_reg_lock);
		pr_warn("domain %u: a second misc_register (\"%s\") refused\n", domain, misc->name);
		return -EBUSY;
	}
	/* fops is the glue's private copy (alloc(callee)): ours to fill in. */
	fops->owner = THIS_MODULE;
	misc->minor = MISC_DYNAMIC_MINOR;
	misc->mode &= 0666;
	err = misc_register(misc);
	if (!err)
		lxdecho_registered = misc;
	mutex_unlock(&lxdecho_reg_lock);
	if (err)
		pr_warn("domain %u: misc_register(\"%s\") failed: %d\n", domain, misc->name, err);
	else
		pr_info("domain %u registered /dev/%s (minor %d)\n", domain, misc->name, misc->minor);
	return err;
}

void lxdecho_glue_misc_deregister(struct miscdevice *misc)
{
	mutex_lock(&lxdecho_reg_lock);
	if (misc && misc == lxdecho_registered) {
		misc_deregister(misc);
		lxdecho_registered = NULL;
	} else {
		pr_warn("domain %u: misc_deregister of a device it did not register; ignored\n",
			domain);
	}
	mutex_unlock(&lxdecho_reg_lock);
}

static int __init lxdecho_glue_init(void)
{
	int err;

	glue_ctx_init(&lxdecho_ctx, "lxdecho", lxdecho_linux_dispatch);
	lxdecho_linux_ctx = &lxdecho_ctx;
	err = klxd_glue_start(&lxdecho_ctx, domain);
	if (err) {
		pr_err("cannot serve domain %u: %d\n", domain, err);
		lxdecho_linux_ctx = NULL;
		return err;
	}
	pr_info("serving domain %u (IDL %#llx)\n", domain, lxdecho_IDL_HASH);
	return 0;
}

/* Open files hold this module (fops->owner), so none is left: the device
 * goes first (no new opens), then the backend (calls in flight fail), then
 * the glue's private copies. */
static void __exit lxdecho_glue_exit(void)
{
	mutex_lock(&lxdecho_reg_lock);
	if (lxdecho_registered)
		misc_deregister(lxdecho_registered);
	lxdecho_registered = NULL;
	mutex_unlock(&lxdecho_reg_lock);
	klxd_glue_stop(&lxdecho_ctx);
	lxdecho_linux_release(&lxdecho_ctx);
	pr_info("domain %u: glue stopped\n", domain);
}

module_init(lxdecho_glue_init);
module_exit(lxdecho_glue_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds: Linux side of the lxdecho LXD (IDL glue over klxd)");
