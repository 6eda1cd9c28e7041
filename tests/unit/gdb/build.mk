# Host tests of lxdctl's gdb server (linux-guest/lxdctl/gdb_*.c): cmocka over a
# fake target, and real gdb driving the same server through a pipe.

GDB_TEST_DIR := $(HOST_BUILD)/tests/gdb
GDB_SERVER_SRCS := linux-guest/lxdctl/gdb_rsp.c linux-guest/lxdctl/gdb_server.c
GDB_TEST_CFLAGS := $(HOST_CFLAGS) -Ilinux-guest/lxdctl -Itests/unit/gdb

$(GDB_TEST_DIR)/test_rsp: tests/unit/gdb/test_rsp.c tests/unit/gdb/fake_target.c $(GDB_SERVER_SRCS) \
		tests/unit/gdb/fake_target.h linux-guest/lxdctl/gdb_rsp.h linux-guest/lxdctl/gdb_server.h
	@mkdir -p $(@D)
	$(HOST_CC) $(GDB_TEST_CFLAGS) $(HOST_LDFLAGS) -o $@ $(filter %.c,$^) $(HOST_TEST_LIBS)

$(GDB_TEST_DIR)/rsp_fake: tests/unit/gdb/rsp_fake.c tests/unit/gdb/fake_target.c $(GDB_SERVER_SRCS) \
		tests/unit/gdb/fake_target.h linux-guest/lxdctl/gdb_rsp.h linux-guest/lxdctl/gdb_server.h
	@mkdir -p $(@D)
	$(HOST_CC) $(GDB_TEST_CFLAGS) $(HOST_LDFLAGS) -o $@ $(filter %.c,$^)

$(GDB_TEST_DIR)/gdb-real.sh: tests/unit/gdb/gdb-real.sh $(GDB_TEST_DIR)/rsp_fake
	cp $< $@
	chmod +x $@

$(GDB_TEST_DIR)/test_hwbp: tests/unit/gdb/test_hwbp.c linux-guest/lxdctl/gdb_hwbp.c \
		linux-guest/lxdctl/gdb_hwbp.h
	@mkdir -p $(@D)
	$(HOST_CC) $(GDB_TEST_CFLAGS) $(HOST_LDFLAGS) -o $@ $(filter %.c,$^) $(HOST_TEST_LIBS)

HOST_TESTS += $(GDB_TEST_DIR)/test_rsp $(GDB_TEST_DIR)/test_hwbp $(GDB_TEST_DIR)/gdb-real.sh
