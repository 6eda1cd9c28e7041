// SPDX-License-Identifier: GPL-2.0
/* The licence of lxdecho's domain-side glue unit (see Kbuild). */
#include <linux/module.h>
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds: lxdecho's domain-side IDL glue (linked into the LXD image)");
