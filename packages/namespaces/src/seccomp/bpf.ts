/**
 * A tiny classic-BPF assembler for seccomp filters: instructions with symbolic jump targets, resolved into the
 * 8-byte `struct sock_filter` records seccomp(2) takes. Conditional jumps reach at most 255 instructions ahead,
 * so the compiler jumps far only with `ja` (32-bit offset) and keeps conditional targets local.
 *
 * Man pages: seccomp(2), bpf(4) in FreeBSD's terms / linux/filter.h (BPF_LD, BPF_JMP, BPF_RET, BPF_ALU).
 */

/** Opcodes used by the compiler (linux/bpf_common.h). */
export const BPF = Object.freeze({
  LD_W_ABS: 0x20, // BPF_LD | BPF_W | BPF_ABS
  JEQ_K: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
  JGT_K: 0x25,
  JGE_K: 0x35,
  JA: 0x05,
  AND_K: 0x54, // BPF_ALU | BPF_AND | BPF_K
  RET_K: 0x06,
} as const);

/** A jump target: a label name, or a number of instructions to skip (0 = the next instruction). */
export type Target = string | number;

/** One instruction before assembly. */
export type Insn =
  | { readonly kind: 'op'; readonly code: number; readonly k: number }
  | { readonly kind: 'jump'; readonly code: number; readonly k: number; readonly jt: Target; readonly jf: Target }
  | { readonly kind: 'ja'; readonly to: string }
  | { readonly kind: 'label'; readonly name: string };

/** Builds a program; labels are unique names. */
export class BpfProgram {
  private readonly insns: Insn[] = [];
  private labelCount = 0;

  /** A fresh label name. */
  newLabel(hint: string): string {
    this.labelCount += 1;
    return `${hint}#${this.labelCount}`;
  }

  /** Place `name` at the current position. */
  label(name: string): this {
    this.insns.push({ kind: 'label', name });
    return this;
  }

  /** Load the 32-bit word at `offset` of struct seccomp_data. */
  load(offset: number): this {
    this.insns.push({ kind: 'op', code: BPF.LD_W_ABS, k: offset });
    return this;
  }

  /** A &= k. */
  and(k: number): this {
    this.insns.push({ kind: 'op', code: BPF.AND_K, k: k >>> 0 });
    return this;
  }

  /** Conditional jump comparing A with k (JEQ_K, JGT_K or JGE_K). */
  jump(code: number, k: number, jt: Target, jf: Target): this {
    this.insns.push({ kind: 'jump', code, k: k >>> 0, jt, jf });
    return this;
  }

  /** Unconditional jump to a label. */
  ja(to: string): this {
    this.insns.push({ kind: 'ja', to });
    return this;
  }

  /** Return `value` (a SECCOMP_RET_* word). */
  ret(value: number): this {
    this.insns.push({ kind: 'op', code: BPF.RET_K, k: value >>> 0 });
    return this;
  }

  /** Resolve labels and encode (little-endian, as x86_64 is). Throws when a conditional jump is too far. */
  assemble(): Uint8Array {
    const positions = new Map<string, number>();
    let pc = 0;
    for (const insn of this.insns) {
      if (insn.kind === 'label') positions.set(insn.name, pc);
      else pc += 1;
    }
    const count = pc;
    if (count > 4096) throw new RangeError(`seccomp: filter of ${count} instructions exceeds BPF_MAXINSNS (4096)`);
    const out = new Uint8Array(count * 8);
    const view = new DataView(out.buffer);
    const offset = (target: Target, at: number): number => {
      if (typeof target === 'number') return target;
      const to = positions.get(target);
      if (to === undefined) throw new RangeError(`seccomp: undefined label ${target}`);
      const distance = to - at - 1;
      if (distance < 0) throw new RangeError(`seccomp: backward jump to ${target}`);
      return distance;
    };
    pc = 0;
    for (const insn of this.insns) {
      if (insn.kind === 'label') continue;
      let code: number; let jt = 0; let jf = 0; let k: number;
      if (insn.kind === 'op') {
        ({ code, k } = insn);
      } else if (insn.kind === 'ja') {
        code = BPF.JA;
        k = offset(insn.to, pc);
      } else {
        ({ code, k } = insn);
        jt = offset(insn.jt, pc);
        jf = offset(insn.jf, pc);
        if (jt > 255 || jf > 255) throw new RangeError(`seccomp: conditional jump of ${Math.max(jt, jf)} instructions`);
      }
      view.setUint16(pc * 8, code, true);
      view.setUint8(pc * 8 + 2, jt);
      view.setUint8(pc * 8 + 3, jf);
      view.setUint32(pc * 8 + 4, k, true);
      pc += 1;
    }
    return out;
  }
}
