#!/usr/bin/env python3
"""A hostile gdb client for tests/system/gdb.sh: what `lxdctl gdb` must survive.

Sends random bytes, packets with bad checksums, an endless packet, a run of
Ctrl-C bytes and well-formed requests with absurd arguments (reads only, and
hardware slots set and freed again: no write, detach or kill, so the real
session after this one finds the domain as it was), then asks `?` and prints the reply, which must be a stop reply.

    gdb_hostile.py HOST PORT
"""
import random
import re
import socket
import sys
import time


def packet(body: bytes) -> bytes:
    return b"$" + body + b"#" + b"%02x" % (sum(body) & 0xFF)


def drain(s, seconds):
    s.settimeout(0.2)
    got = b""
    end = time.time() + seconds
    while time.time() < end:
        try:
            d = s.recv(65536)
            if not d:
                break
            got += d
        except socket.timeout:
            pass
    return got


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(1234)
    s = socket.create_connection((host, port), timeout=10)
    sent = 0
    # 1. random bytes, without '$' or 0x03 so they are framing noise only
    noise = bytes(b for b in (rnd.randrange(256) for _ in range(4096)) if b not in (0x24, 0x03))
    s.sendall(noise); sent += 1
    # 2. bad checksums and an endless packet (no '#', longer than any buffer)
    s.sendall(b"$m400000,40#00"); sent += 1
    s.sendall(b"$" + b"A" * 9000); sent += 1   # over the 4000-byte packet limit
    s.sendall(b"#zz+-+-"); sent += 1
    # 3. well-formed requests with absurd arguments (all read-only)
    bodies = [b"m0,ffffffffffffffff", b"mffffffffffffffff,10", b"m400000,7fffffff",
              b"m,", b"m400000", b"mxyz,1", b"g" * 3000, b"p99999", b"pffffffffffffffff",
              b"Hgffffffff", b"Hg-2", b"Hc0", b"T7fffffff", b"qXfer:features:read:target.xml:ffffffff,ffffffff",
              b"qXfer:features:read:../../etc/passwd:0,100", b"qXfer:nosuch:read::0,1",
              b"Z9,0,0", b"z0,0,0", b"Z0,ffffffffffffffff,1", b"vCont;q", b"vCont;c:ffff",
              b"qRcmd,", b"qThreadExtraInfo,ffffffff", b"",
              # hardware slots: bad lengths, alignment, non-canonical addresses,
              # a fifth slot (E1c), removing what is not there; all freed after
              b"Z1,400000,0", b"Z1,400000,2", b"Z1,800000000000,1", b"Z2,11,4",
              b"Z2,10,3", b"Z4,10,ffffffffffffffff", b"Z3,10,4", b"Z2,800000000000,8",
              b"Z2,10,8", b"Z2,18,8", b"Z2,20,8", b"Z4,28,8", b"Z2,30,8", b"z2,30,8",
              b"z2,10,8", b"z2,18,8", b"z2,20,8", b"z4,28,8", b"z4,28,8"]
    for b in bodies:
        s.sendall(packet(b)); sent += 1
    # The guest's serial line is slow (an emulated UART, an emulator that may
    # run slower than real time on a loaded machine): wait for what comes.
    replies = drain(s, 20)
    print(f"hostile: {sent} hostile sends, {len(replies)} bytes back, "
          f"{replies.count(b'$E')} error replies")
    print(f"hostile: a fifth hardware slot refused: {b'$E1c#' in replies}")
    # 4. the server must still answer an ordinary request: a stop reply
    s.sendall(b"+" + packet(b"?"))
    got = b""
    end = time.time() + 240
    while time.time() < end:
        got += drain(s, 2)
        m = re.search(rb"\$([ST][0-9a-f]{2}[^#]*)#[0-9a-f]{2}", got)
        if m:
            print("hostile: stop reply after garbage: $" + m.group(1)[:20].decode("latin-1"))
            break
    else:
        tail = got[-80:]
        print(f"hostile: stop reply after garbage: none ({len(got)} bytes after '?': {tail!r})")
    s.close()


if __name__ == "__main__":
    main()
