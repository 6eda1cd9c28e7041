# null_blk in an LXD (issue 13, docs/lxd-null_blk.md); included by
# lxd-sdk/kenv/build.mk.
#
#   build/kenv/null_blk.lxd        the driver from the guest's source, unmodified, with
#                                  the kernel environment and the domain side of its glue
#   build/nbg/null_blk_glue.ko     Linux's side: the real tag set, queue and disk
#
# Both go into the initramfs under /lib/lxd/; lxdctl load inserts the glue
# module before it starts the domain (the pool must be granted first).

NBG_DIR := $(KENV_DIR)/drivers/null_blk
NBG_IDL := $(NBG_DIR)/null_blk.idl

# The kenv unit: null_blk's own files and Makefile (included by our Kbuild),
# the generated domain side and the blk-mq shim.
$(KENV_KB)/null_blk/null_blk.o $(KENV_KB)/null_blk/null_blk_glue.o &: $(NBG_DIR)/Kbuild \
        $(NBG_DIR)/nbg_domain.c $(NBG_DIR)/nbg_stamps.h $(NBG_DIR)/glue_license.c $(NBG_IDL) \
        $(HOST_BUILD)/idlc include/lxds/glue.h include/lxds/hypercall_abi.h $(LINUX_STAMP)
	@rm -rf $(KENV_KB)/null_blk && mkdir -p $(KENV_KB)/null_blk
	@cp $(LINUX_SRC_DIR)/drivers/block/null_blk/*.[ch] $(LINUX_SRC_DIR)/drivers/block/null_blk/Makefile \
	    $(NBG_DIR)/Kbuild $(NBG_DIR)/nbg_domain.c $(NBG_DIR)/nbg_stamps.h $(NBG_DIR)/glue_license.c \
	    $(KENV_KB)/null_blk/
	$(HOST_BUILD)/idlc -o $(KENV_KB)/null_blk $(NBG_IDL)
	@rm -f $(KENV_KB)/null_blk/null_blk_linux.c
	$(call kenv_kbuild,null_blk)

KENV_IMAGES += null_blk
KENV_GLUE_null_blk := null_blk

# null_blk_hostile.lxd: the same, with a shim built with NBG_HOSTILE that
# tries what a compromised driver would (nbg_domain.c, nbg_hostile_calls);
# lxdctl inserts the same Linux glue for it (/lib/lxd/null_blk_hostile_glue.ko).
$(KENV_KB)/null_blk_hostile/null_blk.o $(KENV_KB)/null_blk_hostile/null_blk_glue.o &: \
        $(KENV_KB)/null_blk/null_blk_glue.o
	@rm -rf $(KENV_KB)/null_blk_hostile && mkdir -p $(KENV_KB)/null_blk_hostile
	@cp $(KENV_KB)/null_blk/*.[ch] $(KENV_KB)/null_blk/Makefile $(KENV_KB)/null_blk/Kbuild \
	    $(KENV_KB)/null_blk_hostile/
	@rm -f $(KENV_KB)/null_blk_hostile/*.mod.c
	@echo 'ccflags-y += -DNBG_HOSTILE' >>$(KENV_KB)/null_blk_hostile/Kbuild
	$(call kenv_kbuild,null_blk_hostile)

KENV_IMAGES += null_blk_hostile
KENV_UNIT_null_blk_hostile   := null_blk_hostile
KENV_MODULE_null_blk_hostile := null_blk
KENV_CROSS_null_blk_hostile  := $(KENV_DIR)/drivers/null_blk.cross
KENV_HEAP_null_blk_hostile   := 0x2000000
KENV_GLUE_null_blk_hostile   := null_blk
# (KENV_UNIT/MODULE/CROSS/HEAP_null_blk: lxd-sdk/kenv/build.mk, shared with the link test)

# Linux's side: the generated null_blk_linux.c, the glue runtime and klxd's
# glue backend (which calls klxd.ko: its Module.symvers).
NBG_OUT := $(BUILD)/nbg
NBG_KO  := $(NBG_OUT)/null_blk_glue.ko
NBG_LINUX_SRCS := $(NBG_DIR)/nbg_linux_main.c $(NBG_DIR)/nbg_stamps.h linux-guest/klxd/klxd_glue.c \
                  linux-guest/klxd/klxd_glue.h linux-guest/klxd/klxd.h lxd-sdk/glue/glue_core.c

$(NBG_KO): $(NBG_LINUX_SRCS) $(NBG_IDL) $(HOST_BUILD)/idlc $(KLXD_KO) include/lxds/glue.h \
           include/lxds/hypercall_abi.h $(LINUX_STAMP)
	@rm -rf $(NBG_OUT) && mkdir -p $(NBG_OUT)
	@cp $(NBG_LINUX_SRCS) $(NBG_OUT)/
	$(HOST_BUILD)/idlc -o $(NBG_OUT) $(NBG_IDL)
	@rm -f $(NBG_OUT)/null_blk_domain.c
	@printf '%s\n' 'obj-m := null_blk_glue.o' \
	  'null_blk_glue-y := nbg_linux_main.o null_blk_linux.o glue_core.o klxd_glue.o' \
	  'ccflags-y := -I$$(src) -I$$(LXDS_INCLUDE)' \
	  'CFLAGS_klxd_glue.o := -DKLXD_GLUE_RX_RELAX_DEFAULT=1' >$(NBG_OUT)/Kbuild
	$(MAKE) -s -C $(LINUX_BUILD_DIR) M=$(abspath $(NBG_OUT)) LXDS_INCLUDE=$(abspath include) \
	  KBUILD_EXTRA_SYMBOLS=$(abspath $(KLXD_OUT))/Module.symvers modules >$(NBG_OUT)/build.log 2>&1 \
	  || { cat $(NBG_OUT)/build.log; echo "null_blk_glue.ko did not build (log: $(NBG_OUT)/build.log)" >&2; exit 1; }
	@grep -E 'warning|error' $(NBG_OUT)/build.log || true

INITRAMFS_EXTRA += $(NBG_KO):/lib/lxd/null_blk_glue.ko $(NBG_KO):/lib/lxd/null_blk_hostile_glue.ko

# The tests' tools: nbgtool (data checks, the load generator), static like
# lxdctl; e2fsprogs' mke2fs and e2fsck from this Debian, with the shared
# libraries and the loader they need (ldd; the initramfs has no libc).
NBG_TOOL := $(NBG_OUT)-tool/nbgtool
$(NBG_TOOL): $(NBG_DIR)/nbgtool.c
	@mkdir -p $(@D)
	$(HOST_CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -pthread -o $@ $<

NBG_E2FS_BINS := /sbin/mke2fs /sbin/e2fsck
NBG_E2FS_LIBS := $(sort $(foreach b,$(NBG_E2FS_BINS),$(shell ldd $(b) 2>/dev/null | \
                   awk '$$2 == "=>" && $$3 ~ /^\// {print $$3} $$1 ~ /^\// {print $$1}')))
# (the binaries under /usr/local/sbin: busybox's own mke2fs applet is on the PATH first)
INITRAMFS_EXTRA += $(NBG_TOOL):/bin/nbgtool $(foreach f,$(NBG_E2FS_BINS),$(f):/usr/local/sbin/$(notdir $(f))) \
                   $(foreach f,$(NBG_E2FS_LIBS),$(f):$(f))
