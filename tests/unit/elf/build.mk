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

# libFuzzer target (clang), built from source in one step like fuzz_recv.
ELF_FUZZ_FLAGS := -std=gnu11 -g -O1 $(HOST_WARN) -Iinclude -DLXDS_HOST=1 \
                  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(ELF_TEST_DIR)/fuzz_elf: tests/unit/elf/fuzz_elf.c tests/unit/elf/elf_builder.c \
		domains/elf_image.c lib/format.c tests/unit/elf/elf_builder.h include/lxds/elf_image.h
	@mkdir -p $(@D)
	clang $(ELF_FUZZ_FLAGS) -o $@ $(filter %.c,$^)

$(ELF_TEST_DIR)/fuzz-elf.sh: tests/unit/elf/fuzz-elf.sh $(ELF_TEST_DIR)/fuzz_elf
	cp $< $@
	chmod +x $@

HOST_TESTS += $(ELF_TEST_DIR)/test_elf $(ELF_TEST_DIR)/fuzz-elf.sh

-include $(ELF_TEST_DIR)/*.d $(ELF_TEST_DIR)/obj/*.d
