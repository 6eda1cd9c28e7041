# tools/idlc: the IDL compiler (docs/idl.md), built for the host.
#   build/host/idlc FILE.idl -o DIR
# Built without sanitizers' runtime cost concerns: it is a host tool, but the
# same warnings apply; its tests (tests/unit/idl) run it under ASan/UBSan.

IDLC_SRCS := tools/idlc/main.c tools/idlc/parse.c tools/idlc/check.c tools/idlc/gen.c
IDLC      := $(HOST_BUILD)/idlc

$(IDLC): $(IDLC_SRCS) tools/idlc/idlc.h
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -o $@ $(IDLC_SRCS)

.PHONY: idlc
idlc: $(IDLC)
