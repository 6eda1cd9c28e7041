# boot/: the Multiboot2 entry, the AP trampoline, Multiboot2 parsing, the ISO.

HV_ASM  += boot/multiboot2_header.asm boot/entry.asm boot/ap_trampoline_blob.asm
HV_SRCS += boot/multiboot2_info.c

AP_TRAMPOLINE_BIN := $(BUILD)/hv/boot/ap_trampoline.bin

$(AP_TRAMPOLINE_BIN): boot/ap_trampoline.asm | setup
	@mkdir -p $(dir $@)
	nasm -f bin -o $@ $<

$(BUILD)/hv/boot/ap_trampoline_blob.o: $(AP_TRAMPOLINE_BIN)
$(BUILD)/hv/boot/ap_trampoline_blob.o: NASMFLAGS += -DAP_TRAMPOLINE_BIN='"$(AP_TRAMPOLINE_BIN)"'

# The ISO: GRUB (menu timeout 0) boots the hypervisor with HV_CMDLINE.
# make iso HV_CMDLINE="lxd_cores=1 log=debug" rebuilds it with another line.
HV_CMDLINE ?=
ISO_MODULES ?=
ISO := $(BUILD)/lxds.iso

$(ISO): $(HV_ELF) boot/grub.cfg.in tools/mkiso.sh $(BUILD)/iso.cmdline
	tools/mkiso.sh $@ $(HV_ELF) '$(HV_CMDLINE)' $(ISO_MODULES)

# Rebuild the ISO when the command line changes.
$(BUILD)/iso.cmdline: FORCE
	@mkdir -p $(BUILD)
	@echo '$(HV_CMDLINE) $(ISO_MODULES)' | cmp -s - $@ || echo '$(HV_CMDLINE) $(ISO_MODULES)' > $@

iso: $(ISO)

.PHONY: FORCE
FORCE:
