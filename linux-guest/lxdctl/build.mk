# linux-guest/lxdctl/build.mk: the lxdctl CLI and the lxd-user-vmcall test
# program, static (the initramfs has no libc), installed as /bin/lxdctl and
# /bin/lxd-user-vmcall.  See docs/klxd.md.

LXDCTL_OUT    := $(BUILD)/lxdctl
LXDCTL_BIN    := $(LXDCTL_OUT)/lxdctl
LXD_VMCALL_USER := $(LXDCTL_OUT)/lxd-user-vmcall
LXDCTL_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Iinclude -Ilinux-guest/klxd -static

.PHONY: lxdctl
lxdctl: $(LXDCTL_BIN) $(LXD_VMCALL_USER)

$(LXDCTL_BIN): linux-guest/lxdctl/lxdctl.c linux-guest/klxd/klxd_ioctl.h include/lxds/hypercall_abi.h
	@mkdir -p $(@D)
	$(HOST_CC) $(LXDCTL_CFLAGS) -o $@ $<

$(LXD_VMCALL_USER): linux-guest/lxdctl/vmcall_user.c
	@mkdir -p $(@D)
	$(HOST_CC) $(LXDCTL_CFLAGS) -o $@ $<

INITRAMFS_EXTRA += $(LXDCTL_BIN):/bin/lxdctl $(LXD_VMCALL_USER):/bin/lxd-user-vmcall
