# lxd-sdk/kenv/build.mk: the LXD kernel environment (docs/lxd-kenv.md).
#
# Linux driver code is compiled by Kbuild exactly as an external module of
# the guest kernel (its headers, .config and flags: make -C
# $(LINUX_BUILD_DIR) M=<dir> modules), and the resulting <module>.o and
# <module>.mod.o are linked, not into Linux, but into an LXD image with
#   - the kernel-ABI half of the environment (lxd-sdk/kenv/linux/, itself
#     compiled by Kbuild: it needs the kernel's struct layouts),
#   - the freestanding core (lxd-sdk/kenv/core/: start-up, allocator,
#     exceptions, time; SDK flags),
#   - later, the IDL glue (the symbols that must cross to Linux),
#   - the SDK's crt0 and library, by lxd-sdk/kenv/kenv.ld.
# Before the link, tools/kenv-symcheck.sh sorts every undefined symbol of
# the driver into local / cross / refused and fails on any refused one.
#
#   make kenv-images     build/kenv/<image>.lxd (kenv_selftest), their symbol tables
#   make kenv-check      the link check of dummy and null_blk from the guest's source
#
# An image: KENV_IMAGES += name; KENV_UNIT_name := the Kbuild unit holding
# its driver; KENV_MODULE_name := the module's object name; KENV_HEAP_name
# := heap bytes it asks for; KENV_CROSS_name := its list of crossing
# symbols (or none).

KENV_DIR   := lxd-sdk/kenv
KENV_OUT   := $(BUILD)/kenv
KENV_KB    := $(KENV_OUT)/kbuild
KENV_OBJ   := $(KENV_OUT)/obj
LINUX_SRC_DIR := $(LINUX_CACHE_LINK)/src

# ---- the freestanding core (SDK flags; it calls the kernel-ABI half through kenv_core.h) ----
KENV_CORE_SRCS := $(KENV_DIR)/core/kenv_start.c $(KENV_DIR)/core/kheap.c \
                  $(KENV_DIR)/core/kparams.c $(KENV_DIR)/core/kfmt.c lib/errno_name.c
KENV_CORE_OBJS := $(patsubst %.c,$(KENV_OBJ)/%.o,$(KENV_CORE_SRCS)) $(KENV_OBJ)/core/kenv_trap.o
KENV_CORE_LIB  := $(KENV_OUT)/libkenv.a

$(KENV_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(LXD_CC) $(LXD_CFLAGS) -c $< -o $@

$(KENV_OBJ)/core/kenv_trap.o: $(KENV_DIR)/core/kenv_trap.asm
	@mkdir -p $(@D)
	nasm -f elf64 -g -F dwarf -o $@ $<

$(KENV_CORE_LIB): $(KENV_CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

# ---- Kbuild units: a directory under build/kenv/kbuild/ built as an external module ----
# $(call kenv_kbuild,unit): runs Kbuild there; modpost's unresolved-symbol
# warnings are expected (the symbols are the environment's or cross), the
# link check below is what judges them.
define kenv_kbuild
	$(MAKE) -s -C $(LINUX_BUILD_DIR) M=$(abspath $(KENV_KB)/$(1)) LXDS_INCLUDE=$(abspath include) \
	  KBUILD_MODPOST_WARN=1 modules >$(KENV_KB)/$(1).log 2>&1 \
	  || { cat $(KENV_KB)/$(1).log; echo "kenv: Kbuild failed for $(1) (log: $(KENV_KB)/$(1).log)" >&2; exit 1; }
	@grep -E '(warning|error):' $(KENV_KB)/$(1).log | grep -v 'modpost' || true
endef

KENV_LINUX_SRCS := $(wildcard $(KENV_DIR)/linux/*.c $(KENV_DIR)/linux/*.h) $(KENV_DIR)/linux/Kbuild
KENV_LINUX_OBJ  := $(KENV_KB)/kenv/kenv.o

$(KENV_LINUX_OBJ): $(KENV_LINUX_SRCS) $(KENV_DIR)/kenv_core.h $(KENV_DIR)/core/kparams.h \
                   include/lxds/hypercall_abi.h $(LINUX_STAMP)
	@rm -rf $(KENV_KB)/kenv && mkdir -p $(KENV_KB)/kenv
	@cp $(KENV_LINUX_SRCS) $(KENV_DIR)/kenv_core.h $(KENV_DIR)/core/kparams.h $(KENV_KB)/kenv/
	$(call kenv_kbuild,kenv)

# The self-test: an ordinary module.
$(KENV_KB)/selftest/kenv_selftest.o: $(KENV_DIR)/tests/kenv_selftest.c $(KENV_DIR)/tests/Kbuild \
                                     $(LINUX_STAMP)
	@rm -rf $(KENV_KB)/selftest && mkdir -p $(KENV_KB)/selftest
	@cp $(KENV_DIR)/tests/kenv_selftest.c $(KENV_DIR)/tests/Kbuild $(KENV_KB)/selftest/
	$(call kenv_kbuild,selftest)

# drivers/net/dummy.c and drivers/block/null_blk/ straight from the guest's source, unmodified.
# dummy's unit also holds the domain side of its IDL glue (issue 12:
# drivers/dummy/dummy.idl, dummy_lxd.c; docs/lxd-dummy.md).
KENV_DUMMY_DIR := $(KENV_DIR)/drivers/dummy
# what each build of dummy's unit copies beside dummy.c (dummy_pool.h: the
# pool's layout, shared with Linux's dummy_glue)
KENV_DUMMY_GLUE := $(KENV_DUMMY_DIR)/Kbuild $(KENV_DUMMY_DIR)/dummy_lxd.c $(KENV_DUMMY_DIR)/dummy_pool.h
$(KENV_KB)/dummy/dummy.o $(KENV_KB)/dummy/dummy_glue.o &: $(KENV_DUMMY_GLUE) \
        $(KENV_DUMMY_DIR)/dummy.idl $(HOST_BUILD)/idlc \
        include/lxds/glue.h include/lxds/hypercall_abi.h $(LINUX_STAMP)
	@rm -rf $(KENV_KB)/dummy && mkdir -p $(KENV_KB)/dummy
	@cp $(LINUX_SRC_DIR)/drivers/net/dummy.c $(KENV_DUMMY_GLUE) \
	    $(KENV_KB)/dummy/
	$(HOST_BUILD)/idlc -o $(KENV_KB)/dummy $(KENV_DUMMY_DIR)/dummy.idl
	@rm -f $(KENV_KB)/dummy/dummy_linux.c
	$(call kenv_kbuild,dummy)

# A test build of the same (not shipped as /lib/lxd/dummy.lxd): dummy.c with
# drivers/dummy/test/dummy-test.patch (checks every payload byte, faults
# after fault_after packets), for the containment test.
$(KENV_KB)/dummy_test/dummy.o $(KENV_KB)/dummy_test/dummy_glue.o &: $(KENV_DUMMY_GLUE) \
        $(KENV_DUMMY_DIR)/dummy.idl $(HOST_BUILD)/idlc \
        $(KENV_DUMMY_DIR)/test/dummy-test.patch include/lxds/glue.h include/lxds/hypercall_abi.h \
        $(LINUX_STAMP)
	@rm -rf $(KENV_KB)/dummy_test && mkdir -p $(KENV_KB)/dummy_test
	@cp $(LINUX_SRC_DIR)/drivers/net/dummy.c $(KENV_DUMMY_GLUE) \
	    $(KENV_KB)/dummy_test/
	cd $(KENV_KB)/dummy_test && patch -s -p0 <$(abspath $(KENV_DUMMY_DIR)/test/dummy-test.patch)
	$(HOST_BUILD)/idlc -o $(KENV_KB)/dummy_test $(KENV_DUMMY_DIR)/dummy.idl
	@rm -f $(KENV_KB)/dummy_test/dummy_linux.c
	$(call kenv_kbuild,dummy_test)

# The hostile test build (not shipped): dummy.c with
# drivers/dummy/test/dummy-hostile.patch, which calls test/dummy_hostile.c
# (linked into the glue object) to forge what a compromised driver would.
$(KENV_KB)/dummy_hostile/dummy.o $(KENV_KB)/dummy_hostile/dummy_glue.o &: $(KENV_DUMMY_GLUE) \
        $(KENV_DUMMY_DIR)/dummy.idl $(HOST_BUILD)/idlc \
        $(KENV_DUMMY_DIR)/test/dummy-hostile.patch $(KENV_DUMMY_DIR)/test/dummy_hostile.c \
        include/lxds/glue.h include/lxds/hypercall_abi.h $(LINUX_STAMP)
	@rm -rf $(KENV_KB)/dummy_hostile && mkdir -p $(KENV_KB)/dummy_hostile
	@cp $(LINUX_SRC_DIR)/drivers/net/dummy.c $(KENV_DUMMY_GLUE) \
	    $(KENV_DUMMY_DIR)/test/dummy_hostile.c $(KENV_KB)/dummy_hostile/
	cd $(KENV_KB)/dummy_hostile && patch -s -p0 <$(abspath $(KENV_DUMMY_DIR)/test/dummy-hostile.patch)
	@echo 'dummy_glue-y += dummy_hostile.o' >>$(KENV_KB)/dummy_hostile/Kbuild
	$(HOST_BUILD)/idlc -o $(KENV_KB)/dummy_hostile $(KENV_DUMMY_DIR)/dummy.idl
	@rm -f $(KENV_KB)/dummy_hostile/dummy_linux.c
	$(call kenv_kbuild,dummy_hostile)

# Its crossing list: dummy's, plus the four hooks the patch adds (defined
# by dummy_hostile.c in the glue object).
$(KENV_OUT)/dummy_hostile.cross: $(KENV_DIR)/drivers/dummy.cross $(KENV_DIR)/build.mk
	@mkdir -p $(@D)
	{ cat $<; printf '%s\n' dummy_hostile_calls dummy_hostile_skb_word dummy_hostile_replay dummy_hostile_keep; } >$@

# (null_blk's unit, with its IDL glue: drivers/null_blk/build.mk)

# lxdecho (issue 11's example): the driver and the domain side of its IDL
# glue, generated by idlc from lxdecho.idl, in one Kbuild unit.
KENV_LXDECHO_DIR := $(KENV_DIR)/drivers/lxdecho
$(KENV_KB)/lxdecho/lxdecho.o $(KENV_KB)/lxdecho/lxdecho_glue.o &: $(KENV_LXDECHO_DIR)/lxdecho.c \
        $(KENV_LXDECHO_DIR)/lxdecho.idl $(KENV_LXDECHO_DIR)/Kbuild $(HOST_BUILD)/idlc \
        $(KENV_LXDECHO_DIR)/glue_license.c \
        include/lxds/glue.h $(LINUX_STAMP)
	@rm -rf $(KENV_KB)/lxdecho && mkdir -p $(KENV_KB)/lxdecho
	@cp $(KENV_LXDECHO_DIR)/lxdecho.c $(KENV_LXDECHO_DIR)/glue_license.c $(KENV_LXDECHO_DIR)/Kbuild \
	    $(KENV_KB)/lxdecho/
	$(HOST_BUILD)/idlc -o $(KENV_KB)/lxdecho $(KENV_LXDECHO_DIR)/lxdecho.idl
	@rm -f $(KENV_KB)/lxdecho/lxdecho_linux.c
	$(call kenv_kbuild,lxdecho)

# Each module's .mod.o (made by modpost) defines __this_module.
$(KENV_KB)/%.mod.o: $(KENV_KB)/%.o ;

# ---- images ----
KENV_IMAGES := kenv_selftest
KENV_UNIT_kenv_selftest   := selftest
KENV_MODULE_kenv_selftest := kenv_selftest
KENV_HEAP_kenv_selftest   := 0x800000
KENV_CROSS_kenv_selftest  := none

# An image with IDL glue also names the idlc module (KENV_GLUE_name): its
# generated domain side (<module>_glue.o, in the same Kbuild unit) defines
# the crossing symbols, and core/kenv_glue.c runs module_init and the loop
# under the glue's async runtime.
KENV_IMAGES += lxdecho
KENV_UNIT_lxdecho   := lxdecho
KENV_MODULE_lxdecho := lxdecho
KENV_HEAP_lxdecho   := 0x800000
KENV_CROSS_lxdecho  := $(KENV_DIR)/drivers/lxdecho.cross
KENV_GLUE_lxdecho   := lxdecho

# dummy.lxd (issue 12): drivers/net/dummy.c, unmodified, with its IDL glue;
# Linux's side is dummy_glue.ko (linux-guest/klxd/build.mk).
KENV_IMAGES += dummy
KENV_GLUE_dummy     := dummy
# ...and its test build, /lib/lxd/test/dummy_test.lxd
KENV_UNIT_dummy_test   := dummy_test
KENV_MODULE_dummy_test := dummy
KENV_HEAP_dummy_test   := 0x400000
KENV_CROSS_dummy_test  := $(KENV_DIR)/drivers/dummy.cross
KENV_GLUE_dummy_test   := dummy
INITRAMFS_EXTRA += $(KENV_OUT)/dummy_test.lxd:/lib/lxd/test/dummy_test.lxd
# ...and its hostile build, /lib/lxd/test/dummy_hostile.lxd
KENV_IMAGES += dummy_hostile
KENV_UNIT_dummy_hostile   := dummy_hostile
KENV_MODULE_dummy_hostile := dummy
KENV_HEAP_dummy_hostile   := 0x400000
KENV_CROSS_dummy_hostile  := $(KENV_OUT)/dummy_hostile.cross
KENV_GLUE_dummy_hostile   := dummy
INITRAMFS_EXTRA += $(KENV_OUT)/dummy_hostile.lxd:/lib/lxd/test/dummy_hostile.lxd

# null_blk (issue 13): the image, its unit and Linux's side of its glue
include $(KENV_DIR)/drivers/null_blk/build.mk

# The environment a driver links against (the symbol check's "local").
KENV_ENV := $(KENV_LINUX_OBJ) $(KENV_CORE_LIB) $(LXD_SDK_LIB)
KENV_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
                -Wl,-z,noexecstack -Wl,--orphan-handling=error -Wl,-T,$(KENV_DIR)/kenv.ld

kenv_drv_objs = $(KENV_KB)/$(KENV_UNIT_$(1))/$(KENV_MODULE_$(1)).o \
                $(KENV_KB)/$(KENV_UNIT_$(1))/$(KENV_MODULE_$(1)).mod.o

# The glue objects of image $(1), if it has glue: the generated domain side
# (<module>_glue.o in the driver's Kbuild unit: <module>_domain.o plus a
# licence for modpost), the runtime (glue_core.c, glue_async.c; SDK
# flags) and the start-up.
KENV_GLUE_RT := $(KENV_OBJ)/lxd-sdk/glue/glue_core.o $(KENV_OBJ)/lxd-sdk/glue/glue_async.o
kenv_glue_objs = $(if $(KENV_GLUE_$(1)),$(KENV_KB)/$(KENV_UNIT_$(1))/$(KENV_GLUE_$(1))_glue.o \
                   $(KENV_OBJ)/glue_start_$(1).o $(KENV_GLUE_RT))

$(KENV_OBJ)/glue_start_%.o: $(KENV_DIR)/core/kenv_glue.c $(KENV_DIR)/kenv_core.h include/lxds/glue_async.h
	@mkdir -p $(@D)
	$(LXD_CC) $(LXD_CFLAGS) -DKENV_GLUE_DISPATCH=$(KENV_GLUE_$*)_domain_dispatch \
	  -DKENV_GLUE_CTX=$(KENV_GLUE_$*)_domain_ctx -c $< -o $@

$(KENV_OBJ)/heap_note_%.o: $(KENV_DIR)/core/heap_note.c include/lxds/hypercall_abi.h
	@mkdir -p $(@D)
	$(LXD_CC) $(LXD_CFLAGS) -DKENV_HEAP_BYTES='$(KENV_HEAP_$*)' -c $< -o $@

.SECONDEXPANSION:
$(KENV_OUT)/%.symbols: $$(call kenv_drv_objs,$$*) $(KENV_ENV) $(KENV_DIR)/tools/kenv-symcheck.sh \
                       $$(filter-out none,$$(KENV_CROSS_$$*))
	bash $(KENV_DIR)/tools/kenv-symcheck.sh $@.tmp $(KENV_CROSS_$*) $(call kenv_drv_objs,$*) -- \
	  $(KENV_ENV) || { rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@

$(KENV_OUT)/%.elf: $(KENV_OUT)/%.symbols $(LXD_CRT0) $(KENV_OBJ)/heap_note_%.o \
                   $$(call kenv_drv_objs,$$*) $$(call kenv_glue_objs,$$*) $(KENV_ENV) $(KENV_DIR)/kenv.ld
	@for s in $$(awk '$$1 == "cross" {print $$2}' $<); do \
	  nm --defined-only $(firstword $(call kenv_glue_objs,$*)) 2>/dev/null | grep -qwE "[TDB] $$s" || \
	  { echo "$@: crossing symbol $$s has no stub in the IDL glue ($(or $(KENV_GLUE_$*),none))" >&2; exit 1; }; \
	done
	$(LXD_CC) $(KENV_LDFLAGS) -o $@ $(LXD_CRT0) $(KENV_OBJ)/heap_note_$*.o \
	  $(call kenv_drv_objs,$*) $(call kenv_glue_objs,$*) $(KENV_LINUX_OBJ) $(KENV_CORE_LIB) \
	  $(LXD_SDK_LIB) $(KENV_CORE_LIB) -lgcc
	@if nm -u $@ | grep -q .; then echo "$@: undefined symbols:"; nm -u $@; rm -f $@; exit 1; fi

$(KENV_OUT)/%.lxd: $(KENV_OUT)/%.elf
	objcopy --strip-debug $< $@

# (.mod.o: made by Kbuild, named here only by a pattern: without this make deletes it as intermediate)
.PRECIOUS: $(KENV_OUT)/%.elf $(KENV_OUT)/%.symbols $(KENV_KB)/%.mod.o

.PHONY: kenv-images kenv-check
kenv-images: $(addprefix $(KENV_OUT)/,$(addsuffix .lxd,$(KENV_IMAGES)))

# ---- the link check of the two target drivers (their IDL glue is not written yet) ----
KENV_UNIT_dummy      := dummy
KENV_MODULE_dummy    := dummy
KENV_CROSS_dummy     := $(KENV_DIR)/drivers/dummy.cross
KENV_UNIT_null_blk   := null_blk
KENV_MODULE_null_blk := null_blk
KENV_CROSS_null_blk  := $(KENV_DIR)/drivers/null_blk.cross

# Link test: the real driver objects, the environment, and a stand-in for each
# crossing symbol (tools/kenv-crossstubs.sh) must link into an image with no
# orphan section and no undefined symbol (the images are not shipped).
$(KENV_OBJ)/%-crossstubs.o: $$(KENV_CROSS_$$*) $(KENV_DIR)/tools/kenv-crossstubs.sh
	@mkdir -p $(@D)
	bash $(KENV_DIR)/tools/kenv-crossstubs.sh $< >$(@:.o=.S)
	$(LXD_CC) -c $(@:.o=.S) -o $@

KENV_HEAP_dummy    := 0x400000
# 32 MiB: memory_backed=1 size=16 fits, in the default 64 MiB pool
KENV_HEAP_null_blk := 0x2000000

$(KENV_OUT)/%-linktest.elf: $(KENV_OUT)/%.symbols $(LXD_CRT0) $(KENV_OBJ)/heap_note_%.o \
                            $(KENV_OBJ)/%-crossstubs.o $$(call kenv_drv_objs,$$*) $(KENV_ENV) \
                            $(KENV_DIR)/kenv.ld
	$(LXD_CC) $(KENV_LDFLAGS) -o $@ $(LXD_CRT0) $(KENV_OBJ)/heap_note_$*.o \
	  $(call kenv_drv_objs,$*) $(KENV_OBJ)/$*-crossstubs.o $(KENV_LINUX_OBJ) $(KENV_CORE_LIB) \
	  $(LXD_SDK_LIB) $(KENV_CORE_LIB) -lgcc
	@if nm -u $@ | grep -q .; then echo "$@: undefined symbols:"; nm -u $@; rm -f $@; exit 1; fi

kenv-check: $(KENV_OUT)/dummy-linktest.elf $(KENV_OUT)/null_blk-linktest.elf

# In the initramfs too: the system test runs their module_init up to the
# first call that must cross (the stand-in ends the domain naming it).
INITRAMFS_EXTRA += $(KENV_OUT)/dummy-linktest.lxd:/lib/lxd/test/dummy-linktest.lxd \
                   $(KENV_OUT)/null_blk-linktest.lxd:/lib/lxd/test/null_blk-linktest.lxd

INITRAMFS_EXTRA += $(foreach i,$(KENV_IMAGES),$(KENV_OUT)/$(i).lxd:/lib/lxd/$(i).lxd)
# The same self-test source as a native module, to show it is an ordinary one.
$(KENV_KB)/selftest/kenv_selftest.ko: $(KENV_KB)/selftest/kenv_selftest.o ;
INITRAMFS_EXTRA += $(KENV_KB)/selftest/kenv_selftest.ko:/lib/modules/kenv_selftest.ko

-include $(shell find $(KENV_OBJ) -name '*.d' 2>/dev/null)
