// SPDX-License-Identifier: GPL-2.0
/*
 * The module's life in the domain: its parameters from the load arguments
 * (the __param section, which kenv.ld collects between __start___param and
 * __stop___param), module_init, module_exit.
 *
 * The load arguments are hostile: they are split by the core's kparams
 * (bounded names and values, quotes), each name must be one of the
 * module's parameters (an unknown name is refused, where Linux would only
 * warn: a mistyped parameter should not silently run a driver with its
 * defaults), and the value goes through the parameter's own set()
 * operation, whose error refuses the load.  Names starting with "kenv."
 * belong to the environment (kenv_start.c) and are skipped here.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "kenv_linux.h"
#include "kparams.h"

extern const struct kernel_param __start___param[], __stop___param[];

/* What module_init()/module_exit() alias (include/linux/module.h). */
extern int init_module(void);
extern void cleanup_module(void) __attribute__((weak));

static const struct kernel_param *kenv_param_find(const char *name)
{
	const struct kernel_param *kp;

	for (kp = __start___param; kp < __stop___param; kp++)
		if (kparams_name_eq(kp->name, name))
			return kp;
	return NULL;
}

int kenv_linux_params(const char *args)
{
	const struct kernel_param *kp;
	struct kparam_word w;
	const char *why = "";
	int rc, n = 0;

	while ((rc = kparams_next(&args, &w, &why)) == 1) {
		if (!strncmp(w.name, "kenv.", 5))
			continue;
		kp = kenv_param_find(w.name);
		if (!kp) {
			pr_err("kenv: unknown module parameter '%s'\n", w.name);
			return -ENOENT;
		}
		if (!w.has_value && !(kp->ops->flags & KERNEL_PARAM_OPS_FL_NOARG)) {
			pr_err("kenv: module parameter '%s' needs a value\n", w.name);
			return -EINVAL;
		}
		rc = kp->ops->set(w.has_value ? w.value : NULL, kp);
		if (rc) {
			pr_err("kenv: module parameter %s=%s refused by the module (%pe)\n", w.name,
			       w.value, ERR_PTR(rc));
			return rc;
		}
		n++;
	}
	if (rc < 0) {
		pr_err("kenv: the load arguments are malformed: %s\n", why);
		return rc;
	}
	pr_info("kenv: %d module parameter(s) set, %ld known\n", n,
		(long)(__stop___param - __start___param));
	return 0;
}

int kenv_linux_init(void)
{
	int rc = kenv_cpu_init();

	if (!rc)
		rc = kenv_mem_init();
	kenv_jiffies_update();
	return rc;
}

int kenv_linux_module_init(void)
{
	return init_module();
}

void kenv_linux_module_exit(void)
{
	if (cleanup_module)
		cleanup_module();
	else
		pr_info("kenv: the module has no module_exit\n");
}

/* Kbuild builds this half as a module (kenv.ko, never loaded): it wants a licence. */
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LXD kernel environment, kernel-ABI half (linked into LXD images)");
