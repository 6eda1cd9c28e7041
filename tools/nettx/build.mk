# tools/nettx: a small static packet sender and statistics reader for the
# guest (issue 12: the isolated dummy net driver; docs/lxd-dummy.md), put in
# the initramfs as /bin/nettx.  `ip` in busybox has no -s, so `nettx stats`
# reads a device's counters over rtnetlink, the path `ip -s link` takes.

NETTX_BIN := $(BUILD)/nettx/nettx

$(NETTX_BIN): tools/nettx/nettx.c
	@mkdir -p $(@D)
	$(HOST_CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o $@ $<

.PHONY: nettx
nettx: $(NETTX_BIN)

INITRAMFS_EXTRA += $(NETTX_BIN):/bin/nettx
