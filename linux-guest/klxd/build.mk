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
KLXD_HCFUZZ  := $(KLXD_OUT)/klxd_hcfuzz.ko
KLXD_HCRACE  := $(KLXD_OUT)/klxd_hcrace.ko
KLXD_LXDECHO := $(KLXD_OUT)/lxdecho.ko
KLXD_LXDECHO_GLUE := $(KLXD_OUT)/lxdecho_glue.ko
# Issue 12: Linux's side of the isolated dummy net driver.
KLXD_DUMMY_GLUE := $(KLXD_OUT)/dummy_glue.ko
KLXD_DUMMY_DIR  := lxd-sdk/kenv/drivers/dummy
KLXD_SRCS    := $(KLXD_SRC_DIR)/Kbuild $(KLXD_SRC_DIR)/klxd_main.c $(KLXD_SRC_DIR)/klxd.h \
                $(KLXD_SRC_DIR)/klxd_ioctl.h $(KLXD_SRC_DIR)/klxd_apitest.c \
                $(KLXD_SRC_DIR)/klxd_kattack.c $(KLXD_SRC_DIR)/klxd_hcfuzz.c $(KLXD_SRC_DIR)/klxd_glue.c \
                $(KLXD_SRC_DIR)/klxd_hcrace.c \
                $(KLXD_SRC_DIR)/klxd_glue.h
# The lxdecho example: the driver (as an ordinary module) and its Linux glue.
KLXD_LXDECHO_IDL := lxd-sdk/kenv/drivers/lxdecho/lxdecho.idl
KLXD_LXDECHO_SRC := lxd-sdk/kenv/drivers/lxdecho/lxdecho.c
KLXD_DEPS    := $(KLXD_SRCS) ipc/channel.c include/lxds/channel.h include/lxds/ipc_port.h \
                include/lxds/hypercall_abi.h include/lxds/glue.h lxd-sdk/glue/glue_core.c \
                $(KLXD_SRC_DIR)/lxdecho_glue.c $(KLXD_LXDECHO_IDL) $(KLXD_LXDECHO_SRC) \
                $(HOST_BUILD)/idlc $(KLXD_DUMMY_DIR)/dummy.idl $(KLXD_DUMMY_DIR)/dummy_glue_linux.c \
                $(KLXD_DUMMY_DIR)/dummy_pool.h

.PHONY: klxd
klxd: $(KLXD_KO)

$(KLXD_APITEST) $(KLXD_KATTACK) $(KLXD_HCFUZZ) $(KLXD_HCRACE) $(KLXD_LXDECHO) $(KLXD_LXDECHO_GLUE) $(KLXD_DUMMY_GLUE): $(KLXD_KO)
$(KLXD_KO): $(KLXD_DEPS) $(LINUX_STAMP)
	@mkdir -p $(KLXD_OUT)
	@cp $(KLXD_SRCS) $(KLXD_OUT)/
	@cp ipc/channel.c $(KLXD_OUT)/channel.c
	@cp lxd-sdk/glue/glue_core.c $(KLXD_LXDECHO_SRC) $(KLXD_OUT)/
	@cp $(KLXD_SRC_DIR)/lxdecho_glue.c $(KLXD_OUT)/lxdecho_glue_main.c
	$(HOST_BUILD)/idlc -o $(KLXD_OUT) $(KLXD_LXDECHO_IDL)
	@rm -f $(KLXD_OUT)/lxdecho_domain.c
	@cp $(KLXD_DUMMY_DIR)/dummy_glue_linux.c $(KLXD_OUT)/dummy_glue_main.c
	@cp $(KLXD_DUMMY_DIR)/dummy_pool.h $(KLXD_OUT)/
	@cp lxd-sdk/glue/glue_core.c $(KLXD_OUT)/dummy_glue_core.c
	@cp $(KLXD_SRC_DIR)/klxd_glue.c $(KLXD_OUT)/dummy_klxd_glue.c
	$(HOST_BUILD)/idlc -o $(KLXD_OUT) $(KLXD_DUMMY_DIR)/dummy.idl
	@rm -f $(KLXD_OUT)/dummy_domain.c
	$(MAKE) -s -C $(LINUX_BUILD_DIR) M=$(abspath $(KLXD_OUT)) LXDS_INCLUDE=$(abspath include) \
	  modules >$(KLXD_OUT)/build.log 2>&1 \
	  || { cat $(KLXD_OUT)/build.log; echo "klxd: the module did not build (log: $(KLXD_OUT)/build.log)" >&2; exit 1; }
	@grep -E 'warning|error' $(KLXD_OUT)/build.log || true

# klxd_apitest.ko: a user of the in-kernel API, for the lxd-kapi test;
# klxd_kattack.ko: attacks from Linux's kernel, klxd_hcfuzz.ko: the hypercall
# fuzzer, klxd_hcrace.ko: a hypercall's buffer rewritten during the call, all
# for tests/system/boundary.sh.
INITRAMFS_EXTRA += $(KLXD_KO):/lib/modules/klxd.ko $(KLXD_APITEST):/lib/modules/klxd_apitest.ko \
                   $(KLXD_KATTACK):/lib/modules/klxd_kattack.ko \
                   $(KLXD_HCFUZZ):/lib/modules/klxd_hcfuzz.ko \
                   $(KLXD_HCRACE):/lib/modules/klxd_hcrace.ko \
                   $(KLXD_LXDECHO):/lib/modules/lxdecho.ko \
                   $(KLXD_LXDECHO_GLUE):/lib/modules/lxdecho_glue.ko \
                   $(KLXD_DUMMY_GLUE):/lib/lxd/dummy_glue.ko \
                   $(KLXD_DUMMY_GLUE):/lib/lxd/test/dummy_test_glue.ko \
                   $(KLXD_DUMMY_GLUE):/lib/lxd/test/dummy_hostile_glue.ko
