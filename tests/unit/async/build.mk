# Host tests for lxd-sdk/async/: cmocka programs under ASan+UBSan.

ASYNC_TEST_DIR := $(HOST_BUILD)/tests/async

$(ASYNC_TEST_DIR)/%.o: tests/unit/async/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(ASYNC_TEST_DIR)/test_async: $(ASYNC_TEST_DIR)/test_async.o $(ASYNC_HOST_OBJS) $(IPC_HOST_OBJS)
	$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^ $(HOST_TEST_LIBS)

$(ASYNC_TEST_DIR)/test_async_chan: $(ASYNC_TEST_DIR)/test_async_chan.o $(ASYNC_HOST_OBJS) \
		$(IPC_HOST_OBJS)
	$(HOST_CC) $(HOST_LDFLAGS) -pthread -o $@ $^ $(HOST_TEST_LIBS)

HOST_TESTS += $(ASYNC_TEST_DIR)/test_async $(ASYNC_TEST_DIR)/test_async_chan

-include $(ASYNC_TEST_DIR)/*.d
