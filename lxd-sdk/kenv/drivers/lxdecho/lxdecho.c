// SPDX-License-Identifier: GPL-2.0
/*
 * lxdecho: a misc character device that gives back what was last written
 * to it.  Ordinary Linux code: it builds as lxdecho.ko for Linux, and the
 * same object is linked unmodified into an LXD by the kernel environment,
 * where its file operations run in the domain and Linux reaches them
 * through the IDL glue (lxdecho.idl; docs/idl.md, docs/lxd-kenv.md).
 *
 *	echo hello > /dev/lxdecho; cat /dev/lxdecho      # hello
 *
 * A write replaces the contents (at most LXDECHO_SIZE bytes); a read
 * returns them from the file position, so cat stops at the end.  The
 * buffer is protected by a mutex: concurrent readers see one whole write.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <linux/atomic.h>

#define LXDECHO_SIZE 1024

static DEFINE_MUTEX(echo_lock);
static char echo_data[LXDECHO_SIZE];
static size_t echo_len;
static atomic_t echo_opens = ATOMIC_INIT(0);

static int echo_open(struct inode *inode, struct file *f)
{
	atomic_inc(&echo_opens);
	return 0;
}

static int echo_release(struct inode *inode, struct file *f)
{
	atomic_dec(&echo_opens);
	return 0;
}

static ssize_t echo_read(struct file *f, char __user *buf, size_t count, loff_t *ppos)
{
	ssize_t n = 0;

	mutex_lock(&echo_lock);
	if (*ppos >= 0 && *ppos < echo_len) {
		n = min_t(size_t, count, echo_len - *ppos);
		if (copy_to_user(buf, echo_data + *ppos, n))
			n = -EFAULT;
		else
			*ppos += n;
	}
	mutex_unlock(&echo_lock);
	return n;
}

static ssize_t echo_write(struct file *f, const char __user *buf, size_t count, loff_t *ppos)
{
	size_t n = min_t(size_t, count, LXDECHO_SIZE);

	mutex_lock(&echo_lock);
	if (copy_from_user(echo_data, buf, n)) {
		mutex_unlock(&echo_lock);
		return -EFAULT;
	}
	echo_len = n;
	*ppos += n;
	mutex_unlock(&echo_lock);
	return n;
}

static const struct file_operations echo_fops = {
	.owner = THIS_MODULE,
	.open = echo_open,
	.release = echo_release,
	.read = echo_read,
	.write = echo_write,
};

static struct miscdevice echo_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "lxdecho",
	.fops = &echo_fops,
	.mode = 0666,
};

static int __init echo_init(void)
{
	int err = misc_register(&echo_dev);

	if (err) {
		pr_err("lxdecho: misc_register failed: %d\n", err);
		return err;
	}
	pr_info("lxdecho: /dev/%s is minor %d\n", echo_dev.name, echo_dev.minor);
	return 0;
}

static void __exit echo_exit(void)
{
	misc_deregister(&echo_dev);
	pr_info("lxdecho: removed (%d still open)\n", atomic_read(&echo_opens));
}

module_init(echo_init);
module_exit(echo_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds example: an echo misc device, for Linux or an LXD");
