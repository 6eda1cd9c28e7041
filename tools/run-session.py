#!/usr/bin/env python3
"""Drives `make run` (or any command that ends at the lxds guest shell) the way a
person at a terminal would: on a pseudo-terminal, waiting for the prompt,
typing commands, checking what they print, and powering off.

    run-session.py [--timeout SEC] [--transcript FILE] [--sleep-check]
                                  [--step 'COMMAND=>EXPECTED_REGEX' ...] [--live-file 'PATH=>REGEX' ...]
                   -- CMD [ARG...]

Each --step types COMMAND at the prompt and waits until the next prompt; the
output in between must match EXPECTED_REGEX (a Python regex, searched).  With
--sleep-check it also times `sleep 5` at the shell from this side (the guest's
seconds must be wall seconds within 2.5..10 s).  Then it types `poweroff -f`
and waits for CMD to exit.  Prints PASS:/FAIL: lines (tools/test-runner.sh
contract) and the wall time of each phase; exits non-zero on any failure.
"""
import argparse
import os
import pty
import re
import select
import signal
import sys
import time

PROMPT = re.compile(rb"lxds-guest:[^\r\n#]*# $")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


class Session:
    def __init__(self, argv, transcript):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp(argv[0], argv)
        self.buf = b""
        self.log = open(transcript, "wb") if transcript else None
        self.eof = False

    def _read(self, until):
        r, _, _ = select.select([self.fd], [], [], max(0.0, min(1.0, until - time.time())))
        if not r:
            return
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return
        if self.log:
            self.log.write(data)
            self.log.flush()
        self.buf += data

    def expect(self, pattern, timeout):
        """Waits for pattern in the unread output; returns what came before it and the match."""
        until = time.time() + timeout
        while True:
            clean = ANSI.sub(b"", self.buf)
            m = pattern.search(clean)
            if m:
                self.buf = clean[m.end():]
                return clean[:m.start()], m
            if self.eof or time.time() >= until:
                return None, None
            self._read(until)

    def send(self, line):
        os.write(self.fd, line.encode() + b"\r")

    def wait_exit(self, timeout):
        until = time.time() + timeout
        while time.time() < until:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            self._read(time.time() + 0.5)
        return None

    def kill(self):
        try:
            os.killpg(os.getpgid(self.pid), signal.SIGKILL)
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=1800,
                    help="seconds to reach the first prompt (includes any build)")
    ap.add_argument("--step-timeout", type=float, default=600)
    ap.add_argument("--transcript")
    ap.add_argument("--sleep-check", action="store_true")
    ap.add_argument("--step", action="append", default=[])
    ap.add_argument("--live-file", action="append", default=[],
                    help="'PATH=>REGEX': PATH must match REGEX while the guest runs (at the first prompt)")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("give the command to run after --")

    failures = 0

    def check(ok, what, why=""):
        nonlocal failures
        print(f"PASS: {what}" if ok else f"FAIL: {what}: {why}", flush=True)
        failures += not ok
        return ok

    t0 = time.time()
    s = Session(cmd, a.transcript)
    before, m = s.expect(PROMPT, a.timeout)
    if not check(m is not None, "run: reaches the guest shell prompt",
                 f"no prompt within {a.timeout:.0f}s; last output: "
                 f"{ANSI.sub(b'', s.buf)[-400:].decode(errors='replace')!r}"):
        s.kill()
        return 1
    print(f"run: shell prompt after {time.time() - t0:.1f}s", flush=True)

    for spec in a.live_file:
        path, _, expected = spec.partition("=>")
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except OSError as e:
            text = f"<{e}>"
        check(re.search(expected, text) is not None, f"run: {path} shows /{expected}/ while the guest runs",
              f"it holds {text[-300:]!r}")

    for step in a.step:
        command, _, expected = step.partition("=>")
        t = time.time()
        s.send(command)
        out, m = s.expect(PROMPT, a.step_timeout)
        text = (out or b"").decode(errors="replace")
        if check(m is not None, f"run: '{command}' returns to the prompt",
                 f"no prompt within {a.step_timeout:.0f}s"):
            check(re.search(expected, text) is not None, f"run: '{command}' prints /{expected}/",
                  f"it printed {text[-600:]!r}")
        print(f"run: '{command}' took {time.time() - t:.1f}s", flush=True)

    if a.sleep_check:
        s.send("sleep 5")
        t = time.time()
        out, m = s.expect(PROMPT, 120)
        wall = time.time() - t
        check(m is not None and 2.5 <= wall <= 10.0, "run: 'sleep 5' in the guest takes 2.5..10 s of wall time",
              f"took {wall:.1f}s")
        print(f"run: 'sleep 5' took {wall:.1f}s of wall time", flush=True)

    t = time.time()
    s.send("poweroff -f")
    rc = s.wait_exit(300)
    if rc is None:
        s.kill()
    check(rc == 0, "run: 'poweroff -f' ends the run cleanly",
          "still running after 300s" if rc is None else f"exit status {rc}")
    print(f"run: power-off took {time.time() - t:.1f}s; whole session {time.time() - t0:.1f}s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
