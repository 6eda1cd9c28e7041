// SPDX-License-Identifier: GPL-2.0
/* The licence of null_blk's domain-side glue unit (see Kbuild). */
#include <linux/module.h>
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds: null_blk's domain-side glue (linked into the LXD image)");
