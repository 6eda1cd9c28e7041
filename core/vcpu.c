/* Names for why a vCPU stopped, for logs and status. */
#include <lxds/vcpu.h>

const char *vcpu_stop_name(enum vcpu_stop s)
{
    switch (s) {
    case VCPU_RUNNABLE: return "runnable";
    case VCPU_STOP_REQUESTED: return "stopped on request";
    case VCPU_STOP_HALTED: return "halted";
    case VCPU_STOP_EPT_VIOLATION: return "EPT violation";
    case VCPU_STOP_TRIPLE_FAULT: return "triple fault";
    case VCPU_STOP_EXCEPTION: return "exception";
    case VCPU_STOP_WATCHDOG: return "watchdog (no progress)";
    case VCPU_STOP_ENTRY_FAILED: return "VM entry failed";
    case VCPU_STOP_UNEXPECTED_EXIT: return "unexpected VM exit";
    }
    return "?";
}
