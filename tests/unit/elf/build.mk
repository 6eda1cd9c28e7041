# Host tests of the LXD image validator (domains/elf_image.c): cmocka under
# ASan+UBSan against crafted files, plus a bounded libFuzzer run.
# The validator and the formatter it uses are compiled here, instrumented.

ELF_TEST_DIR := $(HOST_BUILD)/tests/elf
ELF_TEST_SRC_OBJS := $(ELF_TEST_DIR)/obj/elf_image.o $(ELF_TEST_DIR)/obj/format.o

$(ELF_TEST_DIR)/obj/elf_image.o: domains/elf_image.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(ELF_TEST_DIR)/obj/format.o: lib/format.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(ELF_TEST_DIR)/%.o: tests/unit/elf/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(ELF_TEST_DIR)/test_elf: $(ELF_TEST_DIR)/test_elf.o $(ELF_TEST_DIR)/elf_builder.o $(ELF_TEST_SRC_OBJS)
	$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^ $(HOST_TEST_LIBS)

# The real images (lxd-sdk/build.mk) through the validator.
$(ELF_TEST_DIR)/test_lxd_images.o: tests/unit/elf/test_lxd_images.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -DLXD_IMAGE_DIR='"$(abspath $(LXD_OUT))"' -MMD -MP -c $< -o $@

$(ELF_TEST_DIR)/test_lxd_images: $(ELF_TEST_DIR)/test_lxd_images.o $(ELF_TEST_DIR)/elf_builder.o \
		$(ELF_TEST_SRC_OBJS) | lxd-images
	$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(HOST_TEST_LIBS)

# libFuzzer target (clang), built from source in one step like fuzz_recv.
ELF_FUZZ_FLAGS := -std=gnu11 -g -O1 $(HOST_WARN) -Iinclude -DLXDS_HOST=1 \
                  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(ELF_TEST_DIR)/fuzz_elf: tests/unit/elf/fuzz_elf.c tests/unit/elf/elf_builder.c \
		domains/elf_image.c lib/format.c tests/unit/elf/elf_builder.h include/lxds/elf_image.h
	@mkdir -p $(@D)
	clang $(ELF_FUZZ_FLAGS) -o $@ $(filter %.c,$^)

# The real images join the seed corpus (the script copies seed-*.lxd).
$(ELF_TEST_DIR)/fuzz-elf.sh: tests/unit/elf/fuzz-elf.sh $(ELF_TEST_DIR)/fuzz_elf $(LXD_IMAGES)
	cp $(LXD_IMAGES) $(ELF_TEST_DIR)/ && for i in $(notdir $(LXD_IMAGES)); do \
	  mv $(ELF_TEST_DIR)/$$i $(ELF_TEST_DIR)/seed-$$i; done
	cp $< $@
	chmod +x $@

HOST_TESTS += $(ELF_TEST_DIR)/test_elf $(ELF_TEST_DIR)/test_lxd_images $(ELF_TEST_DIR)/fuzz-elf.sh

-include $(ELF_TEST_DIR)/*.d $(ELF_TEST_DIR)/obj/*.d

# Runs the real images in user space (VMCALL -> SIGILL plays the hypervisor):
# crt0, layout, libc, dispatch and the echo transform end to end.  No
# sanitizers: they would take the SIGSEGV that stands for an EPT violation.
$(ELF_TEST_DIR)/lxd_run: tests/unit/elf/lxd_run.c domains/elf_image.c lib/format.c ipc/channel.c \
		include/lxds/elf_image.h | lxd-images
	@mkdir -p $(@D)
	$(HOST_CC) -std=gnu11 -g -O2 -fPIE -pie $(HOST_WARN) -Iinclude -DLXDS_HOST=1 \
	    -DLXD_IMAGE_DIR='"$(abspath $(LXD_OUT))"' -o $@ $(filter %.c,$^) -pthread

HOST_TESTS += $(ELF_TEST_DIR)/lxd_run
