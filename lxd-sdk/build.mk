# lxd-sdk/build.mk: the LXD SDK (start-up code, linker script, libc, porting
# layer, dispatch loop), the example domains, and the hypervisor's image
# validator (domains/elf_image.c: listed here because domains/build.mk has
# another owner).  See docs/lxd-sdk.md.
#
#   make lxd-images     build/lxd/echo.lxd, build/lxd/probe.lxd, and the
#                       malformed images in build/lxd/bad/ (with EXPECTED)
#
# An LXD is built freestanding with the compiler's own headers only
# (-nostdinc): no libc, no SSE (-mgeneral-regs-only: nobody sets up the
# FPU/SSE state in a domain), static, non-PIC, linked by lxd-sdk/lxd.ld.

HV_SRCS += domains/elf_image.c

LXD_OUT    := $(BUILD)/lxd
LXD_OBJ    := $(LXD_OUT)/obj
LXD_CC     := gcc
LXD_CFLAGS := -std=gnu11 -O2 -g $(HOST_WARN) -ffreestanding -nostdinc \
              -isystem $(shell $(LXD_CC) -print-file-name=include) \
              -fno-stack-protector -fno-pic -fno-pie -mcmodel=small -mno-red-zone \
              -mgeneral-regs-only -fcf-protection=none -fno-asynchronous-unwind-tables \
              -fno-omit-frame-pointer -fno-tree-loop-distribute-patterns \
              -DLXDS_FREESTANDING_SINGLE_CPU -Iinclude -MMD -MP
LXD_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
               -Wl,-z,noexecstack -Wl,-T,lxd-sdk/lxd.ld

# The SDK library: an archive, so each image links only what it uses.
LXD_SDK_SRCS := lxd-sdk/libc.c lxd-sdk/port_lxd.c lxd-sdk/dispatch.c \
                lib/string.c lib/format.c ipc/channel.c \
                lxd-sdk/async/async.c lxd-sdk/async/async_pool.c lxd-sdk/async/async_chan.c
LXD_SDK_OBJS := $(patsubst %.c,$(LXD_OBJ)/%.o,$(LXD_SDK_SRCS)) \
                $(LXD_OBJ)/lxd-sdk/async/ctx_x86_64.o
LXD_SDK_LIB  := $(LXD_OUT)/libsdk.a
LXD_CRT0     := $(LXD_OBJ)/lxd-sdk/crt0.o
LXD_EXAMPLES := echo probe attack
LXD_IMAGES   := $(addprefix $(LXD_OUT)/,$(addsuffix .lxd,$(LXD_EXAMPLES)))
LXD_BAD      := truncated truncated-header notelf machine overlap entry huge
LXD_BAD_IMAGES := $(addprefix $(LXD_OUT)/bad/,$(addsuffix .lxd,$(LXD_BAD)))

.PHONY: lxd-images
lxd-images: $(LXD_IMAGES) $(LXD_BAD_IMAGES) $(LXD_OUT)/bad/EXPECTED

$(LXD_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(LXD_CC) $(LXD_CFLAGS) -c $< -o $@

$(LXD_OBJ)/lxd-sdk/async/ctx_x86_64.o: lxd-sdk/async/ctx_x86_64.asm
	@mkdir -p $(@D)
	nasm -f elf64 -g -F dwarf -o $@ $<

# crt0 takes its constants from the C headers through a generated include.
$(LXD_OUT)/gen_abi_inc: lxd-sdk/tools/gen_abi_inc.c include/lxds/hypercall_abi.h include/lxds/lxd.h
	@mkdir -p $(@D)
	$(HOST_CC) -std=gnu11 $(HOST_WARN) -Iinclude -o $@ $<

$(LXD_OUT)/lxd_abi.inc: $(LXD_OUT)/gen_abi_inc
	$< > $@.tmp && mv $@.tmp $@

$(LXD_CRT0): lxd-sdk/crt0.asm $(LXD_OUT)/lxd_abi.inc
	@mkdir -p $(@D)
	nasm -f elf64 -g -F dwarf -I$(LXD_OUT)/ -o $@ $<

$(LXD_SDK_LIB): $(LXD_SDK_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The unstripped .elf keeps debug info (for addr2line on a crash RIP); the
# .lxd loaded by Linux keeps only the symbols.  No undefined symbol may remain.
$(LXD_OUT)/%.elf: $(LXD_CRT0) $(LXD_OBJ)/lxd-sdk/examples/%.o $(LXD_SDK_LIB) lxd-sdk/lxd.ld
	$(LXD_CC) $(LXD_LDFLAGS) -o $@ $(LXD_CRT0) $(LXD_OBJ)/lxd-sdk/examples/$*.o $(LXD_SDK_LIB) -lgcc
	@if nm -u $@ | grep -q .; then echo "$@: undefined symbols:"; nm -u $@; rm -f $@; exit 1; fi

$(LXD_OUT)/%.lxd: $(LXD_OUT)/%.elf
	objcopy --strip-debug $< $@

$(LXD_BAD_IMAGES) $(LXD_OUT)/bad/EXPECTED &: $(LXD_OUT)/echo.lxd lxd-sdk/tools/mkbad.py
	python3 lxd-sdk/tools/mkbad.py $< $(LXD_OUT)/bad

.PRECIOUS: $(LXD_OUT)/%.elf $(LXD_OBJ)/%.o

INITRAMFS_EXTRA += $(LXD_OUT)/echo.lxd:/lib/lxd/echo.lxd $(LXD_OUT)/probe.lxd:/lib/lxd/probe.lxd \
                   $(LXD_OUT)/attack.lxd:/lib/lxd/attack.lxd \
                   $(foreach b,$(LXD_BAD),$(LXD_OUT)/bad/$(b).lxd:/lib/lxd/bad/$(b).lxd) \
                   $(LXD_OUT)/bad/EXPECTED:/lib/lxd/bad/EXPECTED

-include $(shell find $(LXD_OBJ) -name '*.d' 2>/dev/null)
