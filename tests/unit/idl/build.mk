# Host tests of the IDL compiler (tools/idlc) and of the code it generates:
#   test_idlc       golden output for every construct, parse/check errors
#   test_idl_rt     tmod.idl's generated code over a real channel, two sides
#   fuzz-glue.sh    libFuzzer on the generated receive side (hostile peer)
#   dummy.idl       the dummy-net sketch compiles and its output builds

IDL_TEST_DIR := $(HOST_BUILD)/tests/idl
IDL_GEN      := $(IDL_TEST_DIR)/gen
IDL_T        := tests/unit/idl
# tools/idlc/build.mk is read after this file: name the compiler directly.
IDL_IDLC     := $(HOST_BUILD)/idlc

$(IDL_GEN)/tmod_common.h $(IDL_GEN)/tmod_marshal.h $(IDL_GEN)/tmod_linux.c $(IDL_GEN)/tmod_domain.c &: \
		$(IDL_T)/tmod.idl $(IDL_IDLC)
	@mkdir -p $(IDL_GEN)
	$(IDL_IDLC) -o $(IDL_GEN) $(IDL_T)/tmod.idl

IDL_RT_CFLAGS := $(HOST_CFLAGS) -D_GNU_SOURCE -I$(IDL_T) -I$(IDL_GEN) -include $(IDL_T)/tmod_test.h

# Both sides live in one test process: each side's dispatcher reaches its
# implementations through a prefix (see tmod_test.h).
$(IDL_TEST_DIR)/tmod_linux.o: $(IDL_GEN)/tmod_linux.c $(IDL_GEN)/tmod_common.h $(IDL_T)/tmod_test.h
	$(HOST_CC) $(IDL_RT_CFLAGS) -MMD -MP '-DIDL_IMPL(n)=linux_##n' -c $< -o $@

$(IDL_TEST_DIR)/tmod_domain.o: $(IDL_GEN)/tmod_domain.c $(IDL_GEN)/tmod_common.h $(IDL_T)/tmod_test.h
	$(HOST_CC) $(IDL_RT_CFLAGS) -MMD -MP '-DIDL_IMPL(n)=domain_##n' -c $< -o $@

$(IDL_TEST_DIR)/%.o: $(IDL_T)/%.c $(IDL_GEN)/tmod_common.h
	@mkdir -p $(@D)
	$(HOST_CC) $(IDL_RT_CFLAGS) -MMD -MP -c $< -o $@

IDL_RT_OBJS := $(IDL_TEST_DIR)/test_idl_rt.o $(IDL_TEST_DIR)/tmod_kernel.o \
               $(IDL_TEST_DIR)/tmod_driver.o $(IDL_TEST_DIR)/tmod_linux.o \
               $(IDL_TEST_DIR)/tmod_domain.o

$(IDL_TEST_DIR)/test_idl_rt: $(IDL_RT_OBJS) $(GLUE_HOST_OBJS) $(IPC_HOST_OBJS)
	$(HOST_CC) $(HOST_LDFLAGS) -pthread -o $@ $^ $(HOST_TEST_LIBS)

HOST_TESTS += $(IDL_TEST_DIR)/test_idl_rt

-include $(IDL_TEST_DIR)/*.d

# The compiler's own tests: golden output and error messages.  They run the
# idlc binary, so it is a prerequisite.
$(IDL_TEST_DIR)/test_idlc: $(IDL_TEST_DIR)/test_idlc.o $(IDL_IDLC)
	$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(IDL_TEST_DIR)/test_idlc.o $(HOST_TEST_LIBS)

$(IDL_TEST_DIR)/test_idlc.o: $(IDL_T)/test_idlc.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

HOST_TESTS += $(IDL_TEST_DIR)/test_idlc

# The portable runtime on its own (framing, reader, references, pools).
$(IDL_TEST_DIR)/test_glue: $(IDL_TEST_DIR)/test_glue_core.o $(GLUE_HOST_OBJS) $(IPC_HOST_OBJS)
	$(HOST_CC) $(HOST_LDFLAGS) -pthread -o $@ $^ $(HOST_TEST_LIBS)

$(IDL_TEST_DIR)/test_glue_core.o: $(IDL_T)/test_glue.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

HOST_TESTS += $(IDL_TEST_DIR)/test_glue

# libFuzzer target (clang): the generated dispatchers and caller-side reply
# checks against a hostile peer (fuzz_glue.c is also their fuzz backend).
IDL_FUZZ_CC    := clang
IDL_FUZZ_FLAGS := -std=gnu11 -g -O1 $(HOST_WARN) -Iinclude -DLXDS_HOST=1 -I$(IDL_T) -I$(IDL_GEN) \
                  -include $(IDL_T)/tmod_test.h -fsanitize=fuzzer,address,undefined \
                  -fno-sanitize-recover=all
IDL_FUZZ_DIR   := $(IDL_TEST_DIR)/fuzz

$(IDL_FUZZ_DIR)/tmod_linux.o: $(IDL_GEN)/tmod_linux.c $(IDL_GEN)/tmod_marshal.h include/lxds/glue.h
	@mkdir -p $(@D)
	$(IDL_FUZZ_CC) $(IDL_FUZZ_FLAGS) '-DIDL_IMPL(n)=linux_##n' -c $< -o $@

$(IDL_FUZZ_DIR)/tmod_domain.o: $(IDL_GEN)/tmod_domain.c $(IDL_GEN)/tmod_marshal.h include/lxds/glue.h
	@mkdir -p $(@D)
	$(IDL_FUZZ_CC) $(IDL_FUZZ_FLAGS) '-DIDL_IMPL(n)=domain_##n' -c $< -o $@

$(IDL_FUZZ_DIR)/%.o: %.c include/lxds/glue.h $(IDL_GEN)/tmod_common.h
	@mkdir -p $(@D)
	$(IDL_FUZZ_CC) $(IDL_FUZZ_FLAGS) -c $< -o $@

$(IDL_TEST_DIR)/fuzz_glue: $(IDL_FUZZ_DIR)/tmod_linux.o $(IDL_FUZZ_DIR)/tmod_domain.o \
		$(IDL_FUZZ_DIR)/$(IDL_T)/fuzz_glue.o $(IDL_FUZZ_DIR)/lxd-sdk/glue/glue_core.o
	$(IDL_FUZZ_CC) $(IDL_FUZZ_FLAGS) -o $@ $^

$(IDL_TEST_DIR)/fuzz-glue.sh: $(IDL_T)/fuzz-glue.sh $(IDL_TEST_DIR)/fuzz_glue
	cp $< $@
	chmod +x $@

HOST_TESTS += $(IDL_TEST_DIR)/fuzz-glue.sh

# The domain side on the async runtime (the LXD's backend), Linux on threads.
IDL_ASYNC_OBJS := $(IDL_TEST_DIR)/test_glue_async.o $(IDL_TEST_DIR)/tmod_kernel.o \
                  $(IDL_TEST_DIR)/tmod_driver.o $(IDL_TEST_DIR)/tmod_linux.o \
                  $(IDL_TEST_DIR)/tmod_domain.o

$(IDL_TEST_DIR)/test_glue_async: $(IDL_ASYNC_OBJS) $(GLUE_HOST_OBJS) $(GLUE_ASYNC_OBJS) \
		$(ASYNC_HOST_OBJS) $(IPC_HOST_OBJS)
	$(HOST_CC) $(HOST_LDFLAGS) -pthread -o $@ $^ $(HOST_TEST_LIBS)

HOST_TESTS += $(IDL_TEST_DIR)/test_glue_async

# The portable runtime, the LXD backend and a generated domain side must also
# build as domain code (freestanding, no libc, the SDK's flags): compiled
# here so that test_glue_async cannot pass while they do not.
IDL_LXD_OBJS := $(IDL_TEST_DIR)/lxd/glue_core.o $(IDL_TEST_DIR)/lxd/glue_async.o \
                $(IDL_TEST_DIR)/lxd/tmod_domain.o

$(IDL_TEST_DIR)/lxd/%.o: lxd-sdk/glue/%.c
	@mkdir -p $(@D)
	$(LXD_CC) $(LXD_CFLAGS) -c $< -o $@

$(IDL_TEST_DIR)/lxd/tmod_domain.o: $(IDL_GEN)/tmod_domain.c $(IDL_GEN)/tmod_marshal.h
	@mkdir -p $(@D)
	$(LXD_CC) $(LXD_CFLAGS) -I$(IDL_T) -I$(IDL_GEN) -c $< -o $@

$(IDL_TEST_DIR)/test_glue_async: | $(IDL_LXD_OBJS)

# make bench-glue: cycles per generated call with a loopback backend
# (optimised, no sanitizers; not part of test-host or `make bench`).
IDL_BENCH_DIR := $(BUILD)/opt/tests/idl
# -MMD: the objects embed struct chan, so a changed <lxds/channel.h> must
# rebuild them (a stale glue_host.o crashed bench_glue once).
IDL_BENCH_CFLAGS := $(IPC_OPT_CFLAGS) -MMD -MP -D_GNU_SOURCE -I$(IDL_T) -I$(IDL_GEN) -include $(IDL_T)/tmod_test.h

$(IDL_BENCH_DIR)/tmod_linux.o: $(IDL_GEN)/tmod_linux.c $(IDL_GEN)/tmod_marshal.h
	@mkdir -p $(@D)
	$(HOST_CC) $(IDL_BENCH_CFLAGS) '-DIDL_IMPL(n)=linux_##n' -c $< -o $@

$(IDL_BENCH_DIR)/tmod_domain.o: $(IDL_GEN)/tmod_domain.c $(IDL_GEN)/tmod_marshal.h
	@mkdir -p $(@D)
	$(HOST_CC) $(IDL_BENCH_CFLAGS) '-DIDL_IMPL(n)=domain_##n' -c $< -o $@

$(IDL_BENCH_DIR)/%.o: $(IDL_T)/%.c $(IDL_GEN)/tmod_common.h
	@mkdir -p $(@D)
	$(HOST_CC) $(IDL_BENCH_CFLAGS) -c $< -o $@

$(IDL_BENCH_DIR)/glue_%.o: lxd-sdk/glue/glue_%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(IPC_OPT_CFLAGS) -MMD -MP -c $< -o $@

-include $(wildcard $(IDL_BENCH_DIR)/*.d)

$(IDL_BENCH_DIR)/bench_glue: $(addprefix $(IDL_BENCH_DIR)/,bench_glue.o tmod_kernel.o tmod_driver.o \
		tmod_linux.o tmod_domain.o glue_core.o glue_host.o) $(BUILD)/opt/ipc/channel.o
	$(HOST_CC) -pthread -o $@ $^

.PHONY: bench-glue
bench-glue: $(IDL_BENCH_DIR)/bench_glue
	$(IDL_BENCH_DIR)/bench_glue
