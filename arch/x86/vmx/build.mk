# arch/x86/vmx/: VT-x: capabilities, VMXON, VMCS, entry/exit, vCPUs, self-tests.
HV_ARCH_SRCS += arch/x86/vmx/vmx_caps.c arch/x86/vmx/vmx_cpu.c arch/x86/vmx/vmcs.c \
                arch/x86/vmx/exit.c arch/x86/vmx/exit_names.c arch/x86/vmx/vcpu.c \
                arch/x86/vmx/vpid.c arch/x86/vmx/selftest.c arch/x86/vmx/debug.c \
                arch/x86/vmx/policy_bitmaps.c
HV_ASM       += arch/x86/vmx/vmx_entry.asm arch/x86/vmx/selftest_guest_blob.asm

SELFTEST_GUEST_BIN := $(BUILD)/hv/arch/x86/vmx/selftest_guest.bin

$(SELFTEST_GUEST_BIN): arch/x86/vmx/selftest_guest.asm | setup
	@mkdir -p $(dir $@)
	nasm -f bin -o $@ $<

$(BUILD)/hv/arch/x86/vmx/selftest_guest_blob.o: $(SELFTEST_GUEST_BIN)
$(BUILD)/hv/arch/x86/vmx/selftest_guest_blob.o: NASMFLAGS += -DSELFTEST_GUEST_BIN='"$(SELFTEST_GUEST_BIN)"'
