# lxd-sdk/glue: the runtime that idlc-generated code calls (include/lxds/glue.h).
# glue_core.c is portable (host, klxd, LXD); glue_host.c is the pthreads
# backend used by host tests.  Host builds are instrumented (ASan/UBSan).

GLUE_CORE_SRCS := lxd-sdk/glue/glue_core.c
GLUE_HOST_SRCS := lxd-sdk/glue/glue_host.c
GLUE_ASYNC_SRCS := lxd-sdk/glue/glue_async.c
GLUE_ASYNC_OBJS := $(patsubst %.c,$(HOST_BUILD)/%.o,$(GLUE_ASYNC_SRCS))
GLUE_HOST_OBJS := $(patsubst %.c,$(HOST_BUILD)/%.o,$(GLUE_CORE_SRCS) $(GLUE_HOST_SRCS))

$(HOST_BUILD)/lxd-sdk/glue/%.o: lxd-sdk/glue/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

-include $(GLUE_HOST_OBJS:.o=.d) $(GLUE_ASYNC_OBJS:.o=.d)
