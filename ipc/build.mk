# ipc/: the channel library.  Built twice: instrumented for host tests
# (HOST_CFLAGS, sanitizers) and optimised for benchmarks.  Both builds use
# only the compiler's own freestanding headers (-nostdinc), which proves the
# library needs nothing from libc.

IPC_SRCS := ipc/channel.c

IPC_FREESTANDING := -ffreestanding -nostdinc -isystem $(shell $(HOST_CC) -print-file-name=include)
# Optimised, sanitizer-free flags shared by the benchmark builds.
IPC_OPT_CFLAGS := -std=gnu11 -O2 -g $(HOST_WARN) -Iinclude -DLXDS_HOST=1

IPC_HOST_OBJS := $(patsubst %.c,$(HOST_BUILD)/%.o,$(IPC_SRCS))
IPC_OPT_OBJS  := $(patsubst %.c,$(BUILD)/opt/%.o,$(IPC_SRCS))

$(HOST_BUILD)/ipc/%.o: ipc/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(IPC_FREESTANDING) -MMD -MP -c $< -o $@

$(BUILD)/opt/ipc/%.o: ipc/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(IPC_OPT_CFLAGS) $(IPC_FREESTANDING) -MMD -MP -c $< -o $@

-include $(IPC_HOST_OBJS:.o=.d) $(IPC_OPT_OBJS:.o=.d)
