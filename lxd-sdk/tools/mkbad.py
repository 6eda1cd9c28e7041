#!/usr/bin/env python3
"""Makes deliberately malformed LXD images from a good one, for the tests
that check the hypervisor refuses each with a clear error.

    mkbad.py GOOD.lxd OUTDIR

Writes OUTDIR/<name>.lxd for each case below and OUTDIR/EXPECTED, one line
per image: "<name>.lxd <errno> <text the refusal reason contains>", the
reason being elf_image_parse's (domains/elf_image.c)."""
import os
import struct
import sys

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")   # Elf64_Ehdr
PHDR = struct.Struct("<IIQQQQQQ")           # Elf64_Phdr
PT_LOAD = 1


def load_segments(img):
    eh = list(EHDR.unpack_from(img, 0))
    phoff, phnum = eh[5], eh[10]
    segs = []
    for i in range(phnum):
        ph = PHDR.unpack_from(img, phoff + i * PHDR.size)
        if ph[0] == PT_LOAD and ph[6] > 0:
            segs.append((phoff + i * PHDR.size, list(ph)))
    return eh, segs


def with_ehdr(img, **fields):
    names = ["ident", "type", "machine", "version", "entry", "phoff", "shoff", "flags",
             "ehsize", "phentsize", "phnum", "shentsize", "shnum", "shstrndx"]
    eh = list(EHDR.unpack_from(img, 0))
    for k, v in fields.items():
        eh[names.index(k)] = v
    out = bytearray(img)
    EHDR.pack_into(out, 0, *eh)
    return bytes(out)


def with_phdr(img, at, ph):
    out = bytearray(img)
    PHDR.pack_into(out, at, *ph)
    return bytes(out)


def main():
    good_path, outdir = sys.argv[1], sys.argv[2]
    img = open(good_path, "rb").read()
    eh, segs = load_segments(img)
    # Segments by role: text is the executable one, data the last writable one.
    text = next(s for s in segs if s[1][1] & 1)
    other = next(s for s in segs if s is not text)
    data = [s for s in segs if s[1][1] & 2][-1]

    cases = []
    cut = text[1][2] + text[1][5] // 2                  # halfway into text's file data
    cases.append(("truncated", img[:cut], "ENOEXEC", "lies beyond the file"))
    cases.append(("truncated-header", img[:40], "ENOEXEC", "shorter than the ELF header"))
    cases.append(("notelf", b"\x7fELG" + img[4:], "ENOEXEC", "bad magic"))
    cases.append(("machine", with_ehdr(img, machine=183), "ENOEXEC",
                  "wrong machine: e_machine 183, expected 62"))
    ph = list(other[1])
    ph[3] = (text[1][3] & ~0xfff) + (ph[2] & 0xfff)     # onto text's first page, congruent
    cases.append(("overlap", with_phdr(img, other[0], ph), "ENOEXEC", "segments overlap"))
    cases.append(("entry", with_ehdr(img, entry=0x100000), "ENOEXEC",
                  "entry 0x100000 is not in the file data of an executable segment"))
    ph = list(data[1])
    ph[6] = 1 << 30                                      # 1 GiB of bss
    cases.append(("huge", with_phdr(img, data[0], ph), "E2BIG", "over the 64 MiB limit"))

    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "EXPECTED.tmp"), "w") as exp:
        for name, body, err, why in cases:
            with open(os.path.join(outdir, name + ".lxd"), "wb") as f:
                f.write(body)
            exp.write("%s.lxd %s %s\n" % (name, err, why))
    os.replace(os.path.join(outdir, "EXPECTED.tmp"), os.path.join(outdir, "EXPECTED"))


if __name__ == "__main__":
    main()
