#!/usr/bin/env python3
"""Bridges an emulator's serial port to gdb on a TCP port of this host.

The emulator connects to us (Bochs `mode=socket-client`); gdb connects to
127.0.0.1:GDB_PORT, one session after another.  Bytes pass both ways while a
gdb is connected; what the guest sends while none is connected is dropped
(a new session must not see the tail of the last one).  Ends when the
emulator closes its side.

    serial-relay.py --gdb-port P --emu-port-file FILE
      writes the port the emulator must connect to into FILE, then serves.
"""
import argparse
import os
import select
import socket
import sys


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gdb-port", type=int, required=True)
    ap.add_argument("--emu-port-file", required=True)
    a = ap.parse_args()

    emu_l = listener(0)
    gdb_l = listener(a.gdb_port)
    tmp = a.emu_port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(emu_l.getsockname()[1]))
    os.rename(tmp, a.emu_port_file)

    emu, _ = emu_l.accept()
    emu_l.close()
    gdb = None
    while True:
        socks = [emu, gdb_l] + ([gdb] if gdb else [])
        r, _, _ = select.select(socks, [], [])
        if gdb_l in r:
            conn, _ = gdb_l.accept()
            if gdb:
                conn.close()            # one gdb at a time
            else:
                gdb = conn
        if emu in r:
            data = emu.recv(65536)
            if not data:
                break
            if gdb:
                try:
                    gdb.sendall(data)
                except OSError:
                    gdb.close()
                    gdb = None
        if gdb and gdb in r:
            data = gdb.recv(65536)
            if not data:
                gdb.close()
                gdb = None
            else:
                emu.sendall(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
