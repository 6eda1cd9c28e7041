#!/usr/bin/env bash
# Runs the fuzz target on the generated receive side (fuzz_glue.c) for a
# bounded number of inputs and reports in the test-runner's PASS/FAIL form.
# The seed corpus is made here from the generated rpc ids (gen/tmod_common.h)
# so that the mutator starts from well-formed requests of each kind: plain
# scalars, references (ours and the peer's), an ops-table call, multi-slot
# messages, a bulk buffer, an [out] array, a truncated message.  A crashing
# input is kept beside the binary as fuzz-glue-crash-*.
here=$(dirname "$0")
runs=${LXDS_FUZZ_RUNS:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"

python3 - "$here/gen/tmod_common.h" "$work/corpus" <<'PY' || { echo "FAIL: fuzz_glue: cannot make the seed corpus"; exit 0; }
import re, struct, sys
ids = {m.group(1): int(m.group(2)) for m in
       re.finditer(r'tmod_RPC_(\w+) = (\d+)', open(sys.argv[1]).read())}
out = sys.argv[2]
REQ, REPLY, ONEWAY = 1, 2, 3
YOURS = 1 << 63
def ref(i): return (1 << 32) | i

def slots(rpc, words, kind=REQ, tag=0x10001, cut=None):
    n = max(1, (len(words) + 5) // 6)
    b = b''
    for s in range(n if cut is None else cut):
        hdr = struct.pack('<HHI', 0xC5A1, kind, tag)
        sh = rpc | s << 16 | n << 24 | len(words) << 32 | 0xA7 << 56
        chunk = (words[s * 6:(s + 1) * 6] + [0] * 6)[:6]
        b += hdr + struct.pack('<Q', sh) + b''.join(struct.pack('<Q', w & (2**64 - 1)) for w in chunk)
    return b

def seed(name, side, body, replies=b''):
    nslots = len(body) // 64
    open(f'{out}/{name}', 'wb').write(bytes([side, nslots]) + body + replies)

reply_ok = bytes([4, 0]) + b'\0' * 40            # a reply of 4 words, status 0
seed('ping', 0, slots(ids['drv_ping'], [5]))
seed('open', 0, slots(ids['tdev_ops_open'], [YOURS | ref(2), ref(1), 0, 0, 0]), reply_ok * 4)
seed('xmit', 0, slots(ids['tdev_ops_xmit'],
                      [YOURS | ref(3), ref(2), 16, 0, 0x800, 1, ref(1), 0, 0, 0]), reply_ok * 2)
seed('read', 0, slots(ids['tdev_ops_read'], [YOURS | ref(5), ref(1), 0, 0, 0, 10, 1, 0]))
seed('stats', 0, slots(ids['tdev_ops_get_stats'], [YOURS | ref(4), ref(1), 0, 0, 0, 1]))
seed('fill', 0, slots(ids['drv_fill'], [1, 50]), reply_ok * 8)
seed('init', 0, slots(ids['drv_init'], []), reply_ok * 16)
seed('kick', 0, slots(ids['drv_kick'], [7], kind=ONEWAY))
seed('tsum', 1, slots(ids['tsum'], [4, 0x04030201]))
seed('tregister', 1, slots(ids['tregister'], [YOURS | ref(1)]), reply_ok * 4)
seed('talloc', 1, slots(ids['talloc_dev'], [0, 2, 0x6261, ref(9)]), reply_ok * 8)
seed('tscalars', 1, slots(ids['tscalars'], [1, 2, 3, 4, 5, 6, 7, 8, 1]))
seed('tpool', 1, slots(ids['tpool_sum'], [16, 0]))
seed('tlog', 1, slots(ids['tlog'], [5, 0x6f6c6c6568, 3]))
seed('tconsume', 1, slots(ids['tconsume'], [YOURS | ref(2)], kind=ONEWAY))
seed('keep', 0, slots(ids['drv_keep'], [ref(7)]), reply_ok * 2)
seed('cookie', 1, slots(ids['tcheck_cookie'], [YOURS | ref(1)]))
seed('truncated', 1, slots(ids['tscalars'], [1] * 9, cut=1) + slots(ids['tlinux_add'], [1]))
PY

if "$here/fuzz_glue" -runs="$runs" -seed=1 -max_len=2048 -artifact_prefix="$here/fuzz-glue-" \
     "$work/corpus" >"$work/log" 2>&1; then
  echo "PASS: fuzz_glue ($runs inputs on the generated receive side)"
else
  echo "FAIL: fuzz_glue: crashed or tripped an invariant; see below"
  tail -n 40 "$work/log"
fi
