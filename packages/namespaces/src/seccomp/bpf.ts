/**
 * A tiny classic-BPF assembler for seccomp filters: instructions with symbolic (forward) jump targets, resolved
 * into the 8-byte `struct sock_filter` records seccomp(2) takes. A conditional jump reaches at most 255
 * instructions ahead; when a target is farther, the assembler places a trampoline right after the jump (a copy of
 * the target when it is a `ret`, else a `ja` with its 32-bit offset) and repeats until every jump fits.
 *
 * Man pages: seccomp(2), linux/filter.h and linux/bpf_common.h (BPF_LD, BPF_JMP, BPF_RET, BPF_ALU).
 */
import { ContainerSpecError } from '../errors.js';

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

/** BPF_MAXINSNS (linux/bpf_common.h): the kernel refuses longer classic filters. */
export const BPF_MAXINSNS = 4096;

/** A jump target: a label from `newLabel()`, or 0 for the next instruction. */
export type Target = number;

const OP = 0;
const JUMP = 1;
const JA = 2;
const LABEL = 3;

/**
 * Builds a program; jumps go forward only. Instructions are kept as parallel arrays (kind, code, k, jt, jf) and
 * labels as small numbers, so that building and assembling a filter of a few thousand instructions stays
 * well under a millisecond even before the JIT warms up.
 */
export class BpfProgram {
  private readonly kind: number[] = [];
  private readonly code: number[] = [];
  private readonly k: number[] = [];
  private readonly jt: number[] = [];
  private readonly jf: number[] = [];
  private labelCount = 0;

  private push(kind: number, code: number, k: number, jt: number, jf: number): this {
    this.kind.push(kind);
    this.code.push(code);
    this.k.push(k);
    this.jt.push(jt);
    this.jf.push(jf);
    return this;
  }

  /** A fresh label (a number ≥ 1). */
  newLabel(): number {
    this.labelCount += 1;
    return this.labelCount;
  }

  /** Place `label` at the current position. */
  label(label: number): this {
    return this.push(LABEL, 0, label, 0, 0);
  }

  /** Load the 32-bit word at `offset` of struct seccomp_data. */
  load(offset: number): this {
    return this.push(OP, BPF.LD_W_ABS, offset, 0, 0);
  }

  /** A &= k. */
  and(k: number): this {
    return this.push(OP, BPF.AND_K, k >>> 0, 0, 0);
  }

  /** Conditional jump comparing A with k (JEQ_K, JGT_K or JGE_K). */
  jump(code: number, k: number, jt: Target, jf: Target): this {
    return this.push(JUMP, code, k >>> 0, jt, jf);
  }

  /** Unconditional jump to a label. */
  ja(to: number): this {
    return this.push(JA, BPF.JA, 0, to, 0);
  }

  /** Return `value` (a SECCOMP_RET_* word). */
  ret(value: number): this {
    return this.push(OP, BPF.RET_K, value >>> 0, 0, 0);
  }

  /**
   * Resolve labels, add trampolines for far conditional jumps and encode (little-endian, as x86_64 is).
   * Throws ContainerSpecError (field `seccomp`) when the result exceeds BPF_MAXINSNS.
   */
  assemble(): Uint8Array {
    const { kind, code, k, jt, jf } = this;
    const n = kind.length;
    // far[i]: bit 1 = jt needs a trampoline, bit 2 = jf does (bits are only ever set, so the loop ends)
    const far = new Uint8Array(n);
    const pcs = new Int32Array(n + 1);
    const at = new Int32Array(this.labelCount + 1).fill(-1); // label → position
    const where = (target: number, fall: number): number => {
      if (target === 0) return fall;
      const to = at[target] ?? -1;
      if (to < 0) throw new Error(`seccomp: undefined label ${target}`);
      return to;
    };
    let count = 0;
    for (let changed = true; changed;) {
      changed = false;
      let pc = 0;
      for (let i = 0; i < n; i++) {
        pcs[i] = pc;
        if (kind[i] === LABEL) at[k[i] ?? 0] = pc;
        else pc += kind[i] === JUMP ? 1 + ((far[i] ?? 0) & 1) + (((far[i] ?? 0) >> 1) & 1) : 1;
      }
      pcs[n] = pc;
      count = pc;
      for (let i = 0; i < n; i++) {
        if (kind[i] !== JUMP) continue;
        // the original fall-through is the next item's position (after any trampolines of this jump)
        const from = pcs[i] ?? 0;
        const fall = pcs[i + 1] ?? 0;
        const bits = far[i] ?? 0;
        if ((bits & 1) === 0 && where(jt[i] ?? 0, fall) - from - 1 > 255) { far[i] = bits | 1; changed = true; }
        if ((bits & 2) === 0 && where(jf[i] ?? 0, fall) - from - 1 > 255) { far[i] = (far[i] ?? 0) | 2; changed = true; }
      }
    }
    if (count > BPF_MAXINSNS) throw new ContainerSpecError('seccomp', `filter of ${count} instructions exceeds BPF_MAXINSNS (${BPF_MAXINSNS})`);
    const retAt = new Map<number, number>(); // position → k of the ret there
    for (let i = 0; i < n; i++) if (kind[i] === OP && code[i] === BPF.RET_K) retAt.set(pcs[i] ?? 0, k[i] ?? 0);
    const out = new Uint8Array(count * 8);
    const view = new DataView(out.buffer);
    let pc = 0;
    const put = (op: number, t: number, f: number, value: number): void => {
      if (t < 0 || f < 0 || t > 255 || f > 255) throw new Error(`seccomp: bad jump offsets ${t}/${f} at ${pc}`);
      view.setUint16(pc * 8, op, true);
      view.setUint8(pc * 8 + 2, t);
      view.setUint8(pc * 8 + 3, f);
      view.setUint32(pc * 8 + 4, value >>> 0, true);
      pc += 1;
    };
    // a trampoline at `pc` to the position `dest`: a copy of the ret found there, else a ja
    const trampoline = (dest: number): void => {
      const ret = retAt.get(dest);
      if (ret === undefined) put(BPF.JA, 0, 0, dest - pc - 1); else put(BPF.RET_K, 0, 0, ret);
    };
    for (let i = 0; i < n; i++) {
      const kd = kind[i];
      if (kd === LABEL) continue;
      if (kd === OP) { put(code[i] ?? 0, 0, 0, k[i] ?? 0); continue; }
      const fall = pcs[i + 1] ?? 0;
      if (kd === JA) {
        const d = where(jt[i] ?? 0, fall) - pc - 1;
        if (d < 0) throw new Error('seccomp: backward jump');
        put(BPF.JA, 0, 0, d);
        continue;
      }
      const bits = far[i] ?? 0;
      const destT = where(jt[i] ?? 0, fall);
      const destF = where(jf[i] ?? 0, fall);
      const from = pc;
      put(code[i] ?? 0, (bits & 1) !== 0 ? 0 : destT - from - 1, (bits & 2) !== 0 ? (bits & 1) : destF - from - 1, k[i] ?? 0);
      if ((bits & 1) !== 0) trampoline(destT);
      if ((bits & 2) !== 0) trampoline(destF);
    }
    return out;
  }
}
