# Host unit tests of the hypervisor's portable parts (cmocka, ASan+UBSan).
CORE_TEST_DIR := $(HOST_BUILD)/tests/core

$(HOST_BUILD)/hvlib/%.o: %.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(CORE_TEST_DIR)/%.o: tests/unit/core/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(CORE_TEST_DIR)/test_format: $(CORE_TEST_DIR)/test_format.o $(HOST_BUILD)/hvlib/lib/format.o
$(CORE_TEST_DIR)/test_cmdline: $(CORE_TEST_DIR)/test_cmdline.o $(HOST_BUILD)/hvlib/core/cmdline.o \
                               $(HOST_BUILD)/hvlib/lib/format.o
$(CORE_TEST_DIR)/test_multiboot2: $(CORE_TEST_DIR)/test_multiboot2.o \
                                  $(HOST_BUILD)/hvlib/boot/multiboot2_info.o
$(CORE_TEST_DIR)/test_frame_alloc: $(CORE_TEST_DIR)/test_frame_alloc.o \
                                   $(HOST_BUILD)/hvlib/mm/frame_alloc.o

# x86_xcr0_invalid is arch code without arch dependencies: the test sees arch/x86/include.
$(CORE_TEST_DIR)/test_xcr0.o $(HOST_BUILD)/hvlib/arch/x86/xcr0.o: HOST_CFLAGS += -Iarch/x86/include
$(CORE_TEST_DIR)/test_xcr0: $(CORE_TEST_DIR)/test_xcr0.o $(HOST_BUILD)/hvlib/arch/x86/xcr0.o

# Linux's APIC: the ICR decision and the store decoder (arch code without arch dependencies)
$(CORE_TEST_DIR)/test_apic_icr.o $(CORE_TEST_DIR)/test_mmio_decode.o \
$(HOST_BUILD)/hvlib/arch/x86/apic_icr.o $(HOST_BUILD)/hvlib/arch/x86/mmio_decode.o: HOST_CFLAGS += -Iarch/x86/include
$(CORE_TEST_DIR)/test_apic_icr: $(CORE_TEST_DIR)/test_apic_icr.o $(HOST_BUILD)/hvlib/arch/x86/apic_icr.o
$(CORE_TEST_DIR)/test_mmio_decode: $(CORE_TEST_DIR)/test_mmio_decode.o $(HOST_BUILD)/hvlib/arch/x86/mmio_decode.o

# exit policies: the generic lookups, Linux's policy and the VMX bitmaps built from it
$(CORE_TEST_DIR)/test_exit_policy.o $(HOST_BUILD)/hvlib/arch/x86/vmx/policy_bitmaps.o \
    $(HOST_BUILD)/hvlib/arch/x86/svm/policy_maps.o: HOST_CFLAGS += -Iarch/x86/include
$(CORE_TEST_DIR)/test_exit_policy: $(CORE_TEST_DIR)/test_exit_policy.o $(HOST_BUILD)/hvlib/domains/exit_policy.o \
                                   $(HOST_BUILD)/hvlib/domains/linux_policy.o \
                                   $(HOST_BUILD)/hvlib/arch/x86/vmx/policy_bitmaps.o \
                                   $(HOST_BUILD)/hvlib/arch/x86/svm/policy_maps.o

# Linux's hypercall dispatcher against hostile arguments, the LXD calls stubbed
$(CORE_TEST_DIR)/test_hypercall_args: $(CORE_TEST_DIR)/test_hypercall_args.o \
                                      $(HOST_BUILD)/hvlib/domains/hypercall.o \
                                      $(HOST_BUILD)/hvlib/lib/string.o $(HOST_BUILD)/hvlib/lib/errno_name.o

# printk's console lock against an NMI on the holder and on a waiting core
$(CORE_TEST_DIR)/test_printk: $(CORE_TEST_DIR)/test_printk.o $(HOST_BUILD)/hvlib/core/printk.o \
                              $(HOST_BUILD)/hvlib/lib/format.o
$(CORE_TEST_DIR)/test_printk: HOST_TEST_LIBS += -lpthread

# lib/string.c's memset/memcpy/memmove are the ones this test calls (no builtins)
$(CORE_TEST_DIR)/test_string.o: HOST_CFLAGS += -fno-builtin
$(CORE_TEST_DIR)/test_string: $(CORE_TEST_DIR)/test_string.o $(HOST_BUILD)/hvlib/lib/string.o

CORE_TESTS := $(addprefix $(CORE_TEST_DIR)/,test_format test_cmdline test_multiboot2 test_frame_alloc \
                                            test_xcr0 test_exit_policy test_hypercall_args test_printk \
                                            test_apic_icr test_mmio_decode test_string)
$(CORE_TESTS):
	$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^ $(HOST_TEST_LIBS)

HOST_TESTS += $(CORE_TESTS)

-include $(CORE_TEST_DIR)/*.d $(HOST_BUILD)/hvlib/*/*.d $(HOST_BUILD)/hvlib/arch/x86/*.d \
         $(HOST_BUILD)/hvlib/arch/x86/vmx/*.d $(HOST_BUILD)/hvlib/arch/x86/svm/*.d
