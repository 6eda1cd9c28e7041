#!/usr/bin/env python3
"""Checks that tools/setup.sh installs every program the build and the tests call.

Scans the host-side scripts and makefiles (not linux-guest/initramfs/, which
runs inside the guest on busybox) for words in command position, keeps those
that are neither shell builtins nor functions defined in the tree, and finds
each one's Debian package.  A command passes when its package is essential or
'required' (on every Debian system), is named by setup.sh, or is pulled in by
a package setup.sh names.  Prints PASS:/FAIL: lines (tools/test-runner.sh
contract); a FAIL names the command, its package and where it is used.

    check-setup.py [--verbose]
"""
import os
import re
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUEST_ONLY = ("linux-guest/initramfs/",)
# Words in command position that are not programs: shell syntax, builtins that
# `compgen -b -k` misses in sh mode, make's own words.
NOT_PROGRAMS = {
    "then", "do", "else", "elif", "fi", "done", "esac", "in", "function", "time",
    "if", "while", "until", "for", "case", "select", "local", "declare", "export",
    "readonly", "return", "exit", "set", "unset", "shift", "trap", "exec", "eval",
    "wait", "read", "printf", "echo", "test", "true", "false", "cd", "pwd", "source",
    "command", "type", "mapfile", "readarray", "let", "break", "continue", "shopt",
    "ulimit", "umask", "kill", "jobs", "builtin", "getopts", "hash", "alias",
    "include", "ifeq", "ifneq", "ifdef", "ifndef", "endif", "define", "endef",
    "override", "vpath", "sinclude",
}
# Programs that may be absent on purpose: the script checks for them and says so.
OPTIONAL = {
    "sudo": "setup.sh uses it only when not root, and says so when it is missing",
}


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout


def tracked_files():
    out = run(["git", "-C", TOP, "ls-files"]).split("\n")
    files = []
    for f in out:
        if not f or f.startswith(GUEST_ONLY):
            continue
        base = os.path.basename(f)
        if f.endswith((".sh", ".mk")) or base == "Makefile":
            files.append(f)
    return files


CMD_POS = re.compile(
    r"(?:^|[;&|(`]|\$\(|\bthen\b|\bdo\b|\belse\b|\bexec\b|\btime\b|\btimeout\s+(?:--\S+\s+)*\S+|"
    r"\bflock\s+(?:-\S+\s+)*\S+|\bsudo\b|\$SUDO\b|\bxargs\b|!)\s*"
    r"([A-Za-z][A-Za-z0-9_.+-]*)(?=\s|$|;|\)|\|)")


def command_words(path):
    """(word, line number) for words in command position."""
    words = []
    is_make = path.endswith(".mk") or os.path.basename(path) == "Makefile"
    funcs = set()
    with open(os.path.join(TOP, path), errors="replace") as f:
        lines = f.read().split("\n")
    heredoc = None
    for n, line in enumerate(lines, 1):
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        h = re.search(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?", line)
        if h:
            heredoc = h.group(1)
        m = re.match(r"\s*(?:function\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*\(\)", line)
        if m:
            funcs.add(m.group(1))
        text = line
        if is_make:
            if text.startswith("\t"):
                text = re.sub(r"^\t[@+-]*(\$\(Q\))?", "", text)
            elif "$(shell" in text:
                text = text[text.index("$(shell") + 7:]
            else:
                continue
            text = re.sub(r"\$\((?!shell)[^()]*\)", "X", text)   # make variables
        stripped = text.strip()
        if stripped.startswith("#") or not stripped:
            continue
        # drop quoted strings and here-doc-looking lines so prose is not read as commands
        text = re.sub(r"'[^']*'", "''", text)
        text = re.sub(r'"(?:[^"\\$]|\\.)*"', '""', text)
        text = re.sub(r"\s#.*$", "", text)
        # programs named as arguments: `command -v X`, `which X`, wrappers
        for m in re.finditer(r"(?:\bcommand\s+-v|\bwhich|\brun_bounded|\bkmake)\s*"
                             r"([A-Za-z][A-Za-z0-9_.+-]*)", text):
            words.append((m.group(1), n))
        # and any token shaped like a program name with a dash or digit (qemu-system-x86_64)
        for m in re.finditer(r"(?<![\w/.$-])([a-z][a-z0-9+]*(?:[-_][a-z0-9+]+)+)(?![\w/.=-])", text):
            words.append((m.group(1), n))
        for m in CMD_POS.finditer(text):
            w = m.group(1)
            if "=" in text[m.end(1):m.end(1) + 1]:
                continue
            words.append((w, n))
    return words, funcs


DEBIAN_BIN = "/usr/bin:/usr/sbin:/bin:/sbin"


def package_of(prog):
    """(package, path) of a program in Debian's own directories; (None, None)
    when there is none (then the word is prose, a file, or a make function).
    /usr/local is not looked at: a fresh Debian has nothing there."""
    path = shutil.which(prog, path=DEBIAN_BIN)
    if not path:
        return None, None
    cands = {path, os.path.realpath(path)}
    cands |= {c.replace("/usr/bin/", "/bin/").replace("/usr/sbin/", "/sbin/") for c in list(cands)}
    for p in sorted(cands):
        out = run(["dpkg-query", "-S", p]).strip()
        if out:
            return out.split(":")[0].split(",")[0].strip(), path
    return "?", path


def setup_packages():
    out = run(["bash", os.path.join(TOP, "tools/setup.sh"), "--list"]).split()
    return set(out)


def closure(pkgs):
    """setup's packages and everything they depend on (installed or not)."""
    out = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
               "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + sorted(pkgs))
    deps = set(pkgs)
    for line in out.split("\n"):
        line = line.strip()
        m = re.match(r"(?:\|?(?:Pre)?Depends:\s*)?<?([a-z0-9][a-z0-9+.-]+)(?::\w+)?>?$", line)
        if m:
            deps.add(m.group(1))
    return deps


def always_there():
    out = run(["dpkg-query", "-W", "-f", "${Package} ${Essential} ${Priority}\n"])
    return {p for p, ess, prio in (l.split() for l in out.split("\n") if l.count(" ") == 2)
            if ess == "yes" or prio == "required"}


def main():
    verbose = "--verbose" in sys.argv
    builtins = set(run(["bash", "-c", "compgen -b -k"]).split())
    uses = {}
    funcs = set()
    for f in tracked_files():
        words, fn = command_words(f)
        funcs |= fn
        for w, n in words:
            uses.setdefault(w, []).append(f"{f}:{n}")
    setup = setup_packages()
    if not setup:
        print("FAIL: setup-deps: tools/setup.sh --list printed no packages")
        return 1
    deps = closure(setup)
    base = always_there()
    failures = 0
    checked = 0
    for w in sorted(uses):
        if w in builtins or w in NOT_PROGRAMS or w in funcs:
            continue
        where = ", ".join(uses[w][:3]) + (" ..." if len(uses[w]) > 3 else "")
        pkg, path = package_of(w)
        if pkg is None:
            # No program of that name here: prose, a make function, a script run
            # by path.  (A real program missing here makes its own test fail.)
            continue
        if pkg == "?":
            print(f"FAIL: setup-deps: '{w}' ({path}, used at {where}) belongs to no Debian "
                  f"package: the project cannot install it")
            failures += 1
            continue
        checked += 1
        if pkg in base or pkg in setup or pkg in deps or w in OPTIONAL:
            if verbose:
                how = ("essential" if pkg in base else "setup.sh" if pkg in setup else "dependency")
                print(f"  {w:24} {pkg:24} {how}")
            continue
        print(f"FAIL: setup-deps: '{w}' (Debian package {pkg}, used at {where}) is not installed "
              f"by tools/setup.sh")
        failures += 1
    if failures == 0:
        print(f"PASS: setup-deps: the {checked} programs the scripts and makefiles call are all "
              f"installed by tools/setup.sh or by every Debian system")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
