# lxd-sdk/async/: the async runtime and its channel integration.  Built like
# ipc/ (see ipc/build.mk): instrumented for tests, optimised for benchmarks,
# freestanding headers only.  port_host.c is the host's porting layer and
# is the one file here allowed to use libc.

ASYNC_SRCS     := lxd-sdk/async/async.c lxd-sdk/async/async_pool.c lxd-sdk/async/async_chan.c
ASYNC_ASM      := lxd-sdk/async/ctx_x86_64.asm
ASYNC_PORT_SRC := lxd-sdk/async/port_host.c

ASYNC_HOST_OBJS := $(patsubst %.c,$(HOST_BUILD)/%.o,$(ASYNC_SRCS)) \
                   $(HOST_BUILD)/lxd-sdk/async/ctx_x86_64.o \
                   $(HOST_BUILD)/lxd-sdk/async/port_host.o
ASYNC_OPT_OBJS  := $(patsubst %.c,$(BUILD)/opt/%.o,$(ASYNC_SRCS)) \
                   $(BUILD)/opt/lxd-sdk/async/ctx_x86_64.o \
                   $(BUILD)/opt/lxd-sdk/async/port_host.o

$(HOST_BUILD)/lxd-sdk/async/port_host.o: $(ASYNC_PORT_SRC)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/opt/lxd-sdk/async/port_host.o: $(ASYNC_PORT_SRC)
	@mkdir -p $(@D)
	$(HOST_CC) $(IPC_OPT_CFLAGS) -MMD -MP -c $< -o $@

$(HOST_BUILD)/lxd-sdk/async/%.o: lxd-sdk/async/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(IPC_FREESTANDING) -MMD -MP -c $< -o $@

$(BUILD)/opt/lxd-sdk/async/%.o: lxd-sdk/async/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(IPC_OPT_CFLAGS) $(IPC_FREESTANDING) -MMD -MP -c $< -o $@

$(HOST_BUILD)/lxd-sdk/async/ctx_x86_64.o $(BUILD)/opt/lxd-sdk/async/ctx_x86_64.o: $(ASYNC_ASM)
	@mkdir -p $(@D)
	nasm -f elf64 -g -F dwarf -o $@ $<

-include $(ASYNC_HOST_OBJS:.o=.d) $(ASYNC_OPT_OBJS:.o=.d)
