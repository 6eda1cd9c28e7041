# linux-guest/klxd/build.mk: the klxd kernel module, built with Kbuild against
# the guest kernel's build tree, and put into the initramfs as
# /lib/modules/klxd.ko (and klxd_apitest.ko).  See docs/klxd.md.
#
# Kbuild needs the sources under M=, so they are copied (with the channel
# library, ipc/channel.c) into build/klxd/ and built there.

KLXD_SRC_DIR := linux-guest/klxd
KLXD_OUT     := $(BUILD)/klxd
KLXD_KO      := $(KLXD_OUT)/klxd.ko
KLXD_APITEST := $(KLXD_OUT)/klxd_apitest.ko
KLXD_KATTACK := $(KLXD_OUT)/klxd_kattack.ko
KLXD_SRCS    := $(KLXD_SRC_DIR)/Kbuild $(KLXD_SRC_DIR)/klxd_main.c $(KLXD_SRC_DIR)/klxd.h \
                $(KLXD_SRC_DIR)/klxd_ioctl.h $(KLXD_SRC_DIR)/klxd_apitest.c \
                $(KLXD_SRC_DIR)/klxd_kattack.c
KLXD_DEPS    := $(KLXD_SRCS) ipc/channel.c include/lxds/channel.h include/lxds/ipc_port.h \
                include/lxds/hypercall_abi.h

.PHONY: klxd
klxd: $(KLXD_KO)

$(KLXD_APITEST) $(KLXD_KATTACK): $(KLXD_KO)
$(KLXD_KO): $(KLXD_DEPS) $(LINUX_STAMP)
	@mkdir -p $(KLXD_OUT)
	@cp $(KLXD_SRCS) $(KLXD_OUT)/
	@cp ipc/channel.c $(KLXD_OUT)/channel.c
	$(MAKE) -s -C $(LINUX_BUILD_DIR) M=$(abspath $(KLXD_OUT)) LXDS_INCLUDE=$(abspath include) \
	  modules >$(KLXD_OUT)/build.log 2>&1 \
	  || { cat $(KLXD_OUT)/build.log; echo "klxd: the module did not build (log: $(KLXD_OUT)/build.log)" >&2; exit 1; }
	@grep -E 'warning|error' $(KLXD_OUT)/build.log || true

# klxd_apitest.ko: a user of the in-kernel API, for the lxd-kapi test;
# klxd_kattack.ko: attacks from Linux's kernel, for tests/system/boundary.sh.
INITRAMFS_EXTRA += $(KLXD_KO):/lib/modules/klxd.ko $(KLXD_APITEST):/lib/modules/klxd_apitest.ko \
                   $(KLXD_KATTACK):/lib/modules/klxd_kattack.ko
