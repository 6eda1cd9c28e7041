# boot/: the Multiboot2 entry, the AP trampoline, Multiboot2 parsing, the ISO.

HV_ASM  += boot/multiboot2_header.asm boot/entry.asm boot/ap_trampoline_blob.asm
HV_SRCS += boot/multiboot2_info.c

AP_TRAMPOLINE_BIN := $(BUILD)/hv/boot/ap_trampoline.bin

$(AP_TRAMPOLINE_BIN): boot/ap_trampoline.asm | setup
	@mkdir -p $(dir $@)
	nasm -f bin -o $@ $<

$(BUILD)/hv/boot/ap_trampoline_blob.o: $(AP_TRAMPOLINE_BIN)
$(BUILD)/hv/boot/ap_trampoline_blob.o: NASMFLAGS += -DAP_TRAMPOLINE_BIN='"$(AP_TRAMPOLINE_BIN)"'

# The ISO is made in the top Makefile (it needs the Linux guest's variables).
