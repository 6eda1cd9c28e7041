# linux-guest/build.mk: the Linux guest kernel, its initramfs, and a GRUB ISO that
# boots them directly (no hypervisor). See docs/linux-guest.md.
#
# Provides:
#   LINUX_BZIMAGE     build/linux/bzImage (copied from the cache)
#   LINUX_INITRAMFS   build/linux/initramfs.cpio.lz4
#   LINUX_BUILD_DIR   the kernel's O= build dir in the cache (.config, Module.symvers,
#                     headers): build external modules with
#                     $(MAKE) -C $(LINUX_BUILD_DIR) M=$(abspath dir) modules
#   LINUX_RELEASE_FILE a file holding the guest's `uname -r` (for /lib/modules/<rel>)
#   LINUX_DIRECT_ISO  build/linux/linux-direct.iso (GRUB -> linux + initrd)
#   targets: linux, linux-direct-iso, run-linux-qemu
# Other fragments add files to the initramfs with
#   INITRAMFS_EXTRA += host/path:/guest/path
# (host path relative to the top dir; a make rule that builds it is honoured:
# the host paths are prerequisites of the initramfs).

LINUX_GUEST_DIR   := linux-guest
LINUX_OUT         := $(BUILD)/linux
# build-kernel.sh alone computes the cache key, when its recipe runs (after
# set-up), and points $(LINUX_OUT)/kernel at the validated cache entry.
LINUX_CACHE_LINK  := $(LINUX_OUT)/kernel
LINUX_BUILD_DIR   := $(LINUX_CACHE_LINK)/build
LINUX_MODROOT     := $(LINUX_CACHE_LINK)/modroot
LINUX_RELEASE_FILE := $(LINUX_CACHE_LINK)/kernelrelease
# Names the cache entry build/linux/ was made from; build-kernel.sh rewrites it
# only when the entry changes, so what depends on it is rebuilt exactly then.
LINUX_STAMP       := $(LINUX_OUT)/kernel-cache-dir
LINUX_BZIMAGE     := $(LINUX_OUT)/bzImage
LINUX_INITRAMFS   := $(LINUX_OUT)/initramfs.cpio.lz4
LINUX_DIRECT_ISO  := $(LINUX_OUT)/linux-direct.iso

LINUX_INITRAMFS_SRC := $(shell find $(LINUX_GUEST_DIR)/initramfs -type f 2>/dev/null)
# host side of each INITRAMFS_EXTRA entry; expanded late (second expansion) so
# fragments included after this one can still add entries.
linux_initramfs_hostfiles = $(foreach e,$(INITRAMFS_EXTRA),$(firstword $(subst :, ,$(e))))

.PHONY: linux linux-direct-iso run-linux-qemu linux-initramfs-force
linux: $(LINUX_BZIMAGE) $(LINUX_INITRAMFS)
linux-direct-iso: $(LINUX_DIRECT_ISO)

# Always asked (about 0.1 s when the cache is valid): the script validates the
# cache entry for the current key, rebuilds it when absent or incomplete, and
# touches the stamp only when the entry changed.
$(LINUX_STAMP): FORCE | setup
	@bash $(LINUX_GUEST_DIR)/build-kernel.sh --link $(LINUX_OUT)

$(LINUX_BZIMAGE): $(LINUX_STAMP)
	@mkdir -p $(@D)
	cp $(LINUX_BUILD_DIR)/arch/x86/boot/bzImage $@

# Always re-run (cheap, ~1 s); the script only replaces the file when the archive
# content changed, so an unchanged tree rebuilds nothing downstream.
.SECONDEXPANSION:
$(LINUX_INITRAMFS): $(LINUX_STAMP) $(LINUX_GUEST_DIR)/mkinitramfs.sh \
                    $(LINUX_INITRAMFS_SRC) $$(linux_initramfs_hostfiles) linux-initramfs-force
	@bash $(LINUX_GUEST_DIR)/mkinitramfs.sh $@ $(LINUX_BUILD_DIR) $(LINUX_MODROOT) $(INITRAMFS_EXTRA)
linux-initramfs-force:

$(LINUX_DIRECT_ISO): $(LINUX_BZIMAGE) $(LINUX_INITRAMFS) $(LINUX_GUEST_DIR)/grub-direct.cfg
	@rm -rf $(LINUX_OUT)/iso-direct && mkdir -p $(LINUX_OUT)/iso-direct/boot/grub
	cp $(LINUX_BZIMAGE) $(LINUX_INITRAMFS) $(LINUX_OUT)/iso-direct/boot/
	cp $(LINUX_GUEST_DIR)/grub-direct.cfg $(LINUX_OUT)/iso-direct/boot/grub/grub.cfg
	grub-mkrescue -o $@.tmp $(LINUX_OUT)/iso-direct >$(LINUX_OUT)/grub-mkrescue.log 2>&1 \
	  || { cat $(LINUX_OUT)/grub-mkrescue.log; echo "linux-direct-iso: grub-mkrescue failed" >&2; exit 1; }
	@mv $@.tmp $@

# Interactive shell in the guest under QEMU (TCG), no hypervisor. Ctrl-a x quits.
LINUX_QEMU_APPEND ?= console=ttyS0 quiet
run-linux-qemu: $(LINUX_BZIMAGE) $(LINUX_INITRAMFS)
	flock /tmp/lxds-heavy.lock qemu-system-x86_64 -kernel $(LINUX_BZIMAGE) -initrd $(LINUX_INITRAMFS) \
	  -append "$(LINUX_QEMU_APPEND)" -nographic -no-reboot -m 256
