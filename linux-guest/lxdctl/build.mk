# linux-guest/lxdctl/build.mk: the lxdctl CLI and the lxd-user-vmcall,
# lxd-vmx-user and lxd-ioctl-fuzz test programs, static (the initramfs has no
# libc), installed as /bin/lxdctl, /bin/lxd-user-vmcall, /bin/lxd-vmx-user and
# /bin/lxd-ioctl-fuzz.  See docs/klxd.md.

LXDCTL_OUT    := $(BUILD)/lxdctl
LXDCTL_BIN    := $(LXDCTL_OUT)/lxdctl
LXD_VMCALL_USER := $(LXDCTL_OUT)/lxd-user-vmcall
LXD_VMX_USER  := $(LXDCTL_OUT)/lxd-vmx-user
LXD_DEVBENCH  := $(LXDCTL_OUT)/lxd-devbench
LXD_IOCTL_FUZZ := $(LXDCTL_OUT)/lxd-ioctl-fuzz
LXDCTL_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Iinclude -Ilinux-guest/klxd -static

.PHONY: lxdctl
lxdctl: $(LXDCTL_BIN) $(LXD_VMCALL_USER) $(LXD_VMX_USER) $(LXD_DEVBENCH) $(LXD_IOCTL_FUZZ)

LXDCTL_SRCS := linux-guest/lxdctl/lxdctl.c linux-guest/lxdctl/lxdctl_gdb.c \
               linux-guest/lxdctl/gdb_server.c linux-guest/lxdctl/gdb_rsp.c linux-guest/lxdctl/gdb_hwbp.c
$(LXDCTL_BIN): $(LXDCTL_SRCS) linux-guest/lxdctl/lxdctl_gdb.h linux-guest/lxdctl/gdb_server.h \
               linux-guest/lxdctl/gdb_rsp.h linux-guest/lxdctl/gdb_hwbp.h linux-guest/klxd/klxd_ioctl.h include/lxds/hypercall_abi.h
	@mkdir -p $(@D)
	$(HOST_CC) $(LXDCTL_CFLAGS) -o $@ $(LXDCTL_SRCS)

$(LXD_VMCALL_USER): linux-guest/lxdctl/vmcall_user.c
	@mkdir -p $(@D)
	$(HOST_CC) $(LXDCTL_CFLAGS) -o $@ $<

$(LXD_VMX_USER): linux-guest/lxdctl/vmx_user.c
	@mkdir -p $(@D)
	$(HOST_CC) $(LXDCTL_CFLAGS) -o $@ $<

$(LXD_DEVBENCH): linux-guest/lxdctl/devbench.c
	@mkdir -p $(@D)
	$(HOST_CC) $(LXDCTL_CFLAGS) -o $@ $<

INITRAMFS_EXTRA += $(LXD_DEVBENCH):/bin/lxd-devbench

$(LXD_IOCTL_FUZZ): linux-guest/lxdctl/ioctl_fuzz.c linux-guest/klxd/klxd_ioctl.h include/lxds/hypercall_abi.h
	@mkdir -p $(@D)
	$(HOST_CC) $(LXDCTL_CFLAGS) -o $@ $<

INITRAMFS_EXTRA += $(LXDCTL_BIN):/bin/lxdctl $(LXD_VMCALL_USER):/bin/lxd-user-vmcall \
                   $(LXD_VMX_USER):/bin/lxd-vmx-user $(LXD_IOCTL_FUZZ):/bin/lxd-ioctl-fuzz
