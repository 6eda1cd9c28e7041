/* Decoding a 32-bit store to an emulated MMIO page (see x86/mmio_decode.h). */
#include <lxds/errno.h>
#include <x86/mmio_decode.h>

/* Bytes of ModRM, SIB and displacement at p (64-bit addressing), or 0 for a register operand. */
static unsigned int modrm_bytes(const uint8_t *p, size_t n)
{
    uint8_t modrm = p[0], mod = modrm >> 6, rm = modrm & 7;
    unsigned int len = 1;

    if (mod == 3)
        return 0;
    if (rm == 4) {                                  /* SIB follows */
        if (n < 2)
            return 16;                              /* past any instruction: -EFAULT */
        len++;
        if (mod == 0 && (p[1] & 7) == 5)
            len += 4;                               /* no base: disp32 */
    } else if (mod == 0 && rm == 5) {
        len += 4;                                   /* RIP-relative disp32 */
    }
    if (mod == 1)
        len += 1;
    else if (mod == 2)
        len += 4;
    return len;
}

int x86_decode_mmio_write(const uint8_t *insn, size_t n, struct mmio_write *out, const char **why)
{
    size_t i = 0;
    uint8_t rex = 0, op;
    unsigned int m;

    if (n > X86_MAX_INSN)
        n = X86_MAX_INSN;
    for (;; i++) {
        if (i >= n)
            return -EFAULT;
        switch (insn[i]) {
        case 0x66:
            *why = "a 16-bit store (operand-size prefix)";
            return -EBADMSG;
        case 0xF2: case 0xF3:
            *why = "a REP/REPNE prefix";
            return -EBADMSG;
        case 0x67: case 0xF0:
        case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65:
            rex = 0;                                /* a REX before another prefix is ignored */
            continue;
        default:
            if ((insn[i] & 0xF0) == 0x40) {
                rex = insn[i];
                continue;
            }
        }
        break;
    }
    op = insn[i++];
    if (rex & 8) {
        *why = "a 64-bit store (REX.W)";
        return -EBADMSG;
    }
    if (op != 0x89 && op != 0xC7 && op != 0x87) {
        *why = "not a 32-bit MOV or XCHG to memory";
        return -EBADMSG;
    }
    if (i >= n)
        return -EFAULT;
    if ((insn[i] >> 6) == 3) {
        *why = "a register operand (no store)";
        return -EBADMSG;
    }
    if (op == 0xC7 && ((insn[i] >> 3) & 7) != 0) {
        *why = "opcode C7 with a ModRM reg field other than 0";
        return -EBADMSG;
    }
    out->reg = ((insn[i] >> 3) & 7) | ((rex & 4) ? 8u : 0u);
    m = modrm_bytes(insn + i, n - i);
    i += m;
    out->imm = op == 0xC7;
    out->xchg = op == 0x87;
    out->value = 0;
    if (out->imm) {
        if (i + 4 > n)
            return -EFAULT;
        out->value = (uint32_t)insn[i] | (uint32_t)insn[i + 1] << 8 |
                     (uint32_t)insn[i + 2] << 16 | (uint32_t)insn[i + 3] << 24;
        i += 4;
    }
    if (i > n)
        return -EFAULT;
    out->length = (unsigned int)i;
    return 0;
}
