# Host tests of the kernel environment's portable parts (lxd-sdk/kenv/core/):
# the allocator and the load-argument splitter, cmocka under ASan+UBSan;
# and the radix tree of its kernel-ABI half (test_kradix).
KENV_TEST_DIR := $(HOST_BUILD)/tests/kenv

$(KENV_TEST_DIR)/obj/%.o: lxd-sdk/kenv/core/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(KENV_TEST_DIR)/%.o: tests/unit/kenv/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(KENV_TEST_DIR)/test_kheap: $(KENV_TEST_DIR)/test_kheap.o $(KENV_TEST_DIR)/obj/kheap.o \
                             $(HOST_BUILD)/hvlib/lib/string.o
$(KENV_TEST_DIR)/test_kparams: $(KENV_TEST_DIR)/test_kparams.o $(KENV_TEST_DIR)/obj/kparams.o
$(KENV_TEST_DIR)/test_kfmt: $(KENV_TEST_DIR)/test_kfmt.o $(KENV_TEST_DIR)/obj/kfmt.o \
                            $(HOST_BUILD)/hvlib/lib/format.o $(HOST_BUILD)/hvlib/lib/errno_name.o

# The radix tree is kernel-ABI code (lxd-sdk/kenv/linux/): on the host it
# sees stand-ins for the few <linux/...> headers it includes.
KENV_SHIM := -Itests/unit/kenv/shim
$(KENV_TEST_DIR)/obj/kenv_radix.o: lxd-sdk/kenv/linux/kenv_radix.c
	@mkdir -p $(@D)
	$(HOST_CC) $(KENV_SHIM) $(HOST_CFLAGS) -MMD -MP -c $< -o $@
$(KENV_TEST_DIR)/test_kradix.o: tests/unit/kenv/test_kradix.c
	@mkdir -p $(@D)
	$(HOST_CC) $(KENV_SHIM) $(HOST_CFLAGS) -MMD -MP -c $< -o $@
$(KENV_TEST_DIR)/test_kradix: $(KENV_TEST_DIR)/test_kradix.o $(KENV_TEST_DIR)/obj/kenv_radix.o

KENV_TESTS := $(KENV_TEST_DIR)/test_kheap $(KENV_TEST_DIR)/test_kparams $(KENV_TEST_DIR)/test_kfmt \
              $(KENV_TEST_DIR)/test_kradix
$(KENV_TESTS):
	$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^ $(HOST_TEST_LIBS)

# The link check is a script: the test runs it on small objects.
$(KENV_TEST_DIR)/test_symcheck: tests/unit/kenv/test_symcheck.sh lxd-sdk/kenv/tools/kenv-symcheck.sh
	@mkdir -p $(@D)
	cp $< $@ && chmod +x $@

HOST_TESTS += $(KENV_TESTS) $(KENV_TEST_DIR)/test_symcheck

-include $(KENV_TEST_DIR)/*.d $(KENV_TEST_DIR)/obj/*.d
