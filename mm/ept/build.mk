# mm/ept/: the EPT library (portable; host-tested in tests/unit/ept/).
HV_SRCS += mm/ept/ept.c
