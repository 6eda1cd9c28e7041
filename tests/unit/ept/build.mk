# Host tests of the EPT library (mm/ept/): cmocka programs under ASan+UBSan
# against a fake physical-memory backing, and a bounded libFuzzer run.
EPT_TEST_DIR := $(HOST_BUILD)/tests/ept
EPT_HOST_OBJS := $(HOST_BUILD)/hvlib/mm/ept/ept.o $(EPT_TEST_DIR)/ept_harness.o

$(EPT_TEST_DIR)/%.o: tests/unit/ept/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(EPT_TEST_DIR)/test_ept: $(EPT_TEST_DIR)/test_ept.o $(EPT_HOST_OBJS)
	$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^ $(HOST_TEST_LIBS)

$(EPT_TEST_DIR)/test_ept_random: $(EPT_TEST_DIR)/test_ept_random.o $(EPT_HOST_OBJS)
	$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^ $(HOST_TEST_LIBS)

HOST_TESTS += $(EPT_TEST_DIR)/test_ept $(EPT_TEST_DIR)/test_ept_random

-include $(EPT_TEST_DIR)/*.d $(HOST_BUILD)/hvlib/mm/ept/*.d

# libFuzzer target (clang), run by fuzz-ept.sh for a bounded number of inputs.
EPT_FUZZ_CC := clang
EPT_FUZZ_FLAGS := -std=gnu11 -g -O1 $(HOST_WARN) -Iinclude -DLXDS_HOST=1 \
                  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(EPT_TEST_DIR)/fuzz_ept: tests/unit/ept/fuzz_ept.c tests/unit/ept/ept_harness.c mm/ept/ept.c \
		tests/unit/ept/ept_harness.h include/lxds/ept.h
	@mkdir -p $(@D)
	$(EPT_FUZZ_CC) $(EPT_FUZZ_FLAGS) -o $@ $(filter %.c,$^)

$(EPT_TEST_DIR)/fuzz-ept.sh: tests/unit/ept/fuzz-ept.sh $(EPT_TEST_DIR)/fuzz_ept
	cp $< $@
	chmod +x $@

HOST_TESTS += $(EPT_TEST_DIR)/fuzz-ept.sh
