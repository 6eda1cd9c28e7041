# Host tests for ipc/: cmocka programs under ASan+UBSan, plus a short
# libFuzzer run of the receive-side validation.

IPC_TEST_DIR := $(HOST_BUILD)/tests/ipc

$(IPC_TEST_DIR)/%.o: tests/unit/ipc/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(IPC_TEST_DIR)/test_channel: $(IPC_TEST_DIR)/test_channel.o $(IPC_HOST_OBJS)
	$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^ $(HOST_TEST_LIBS)

$(IPC_TEST_DIR)/test_stress: $(IPC_TEST_DIR)/test_stress.o $(IPC_HOST_OBJS)
	$(HOST_CC) $(HOST_LDFLAGS) -pthread -o $@ $^ $(HOST_TEST_LIBS)

# libFuzzer target (clang): ring contents come from the fuzzer.
IPC_FUZZ_CC := clang
IPC_FUZZ_FLAGS := -std=gnu11 -g -O1 $(HOST_WARN) -Iinclude -DLXDS_HOST=1 \
                  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

# (built in one step, so no .d file: the headers are listed, since the
# receive fast path it fuzzes is inline in <lxds/channel.h>)
$(IPC_TEST_DIR)/fuzz_recv: tests/unit/ipc/fuzz_recv.c $(IPC_SRCS) $(ASYNC_SRCS) \
		$(ASYNC_PORT_SRC) $(HOST_BUILD)/lxd-sdk/async/ctx_x86_64.o \
		$(wildcard include/lxds/*.h)
	@mkdir -p $(@D)
	$(IPC_FUZZ_CC) $(IPC_FUZZ_FLAGS) -o $@ $(filter-out %.h,$^)

$(IPC_TEST_DIR)/fuzz-recv.sh: tests/unit/ipc/fuzz-recv.sh $(IPC_TEST_DIR)/fuzz_recv
	cp $< $@
	chmod +x $@

HOST_TESTS += $(IPC_TEST_DIR)/test_channel $(IPC_TEST_DIR)/test_stress \
              $(IPC_TEST_DIR)/fuzz-recv.sh

-include $(IPC_TEST_DIR)/*.d
