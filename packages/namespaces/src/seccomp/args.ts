/**
 * Argument comparisons of seccomp rules in classic BPF: each OCI comparison (EQ, NE, LT, LE, GT, GE, MASKED_EQ,
 * unsigned 64-bit) as checks on the two 32-bit halves of `seccomp_data.args[i]`, high word first. On the 32-bit
 * ABIs (i386, and x32 whose longs and pointers are 32 bits) only the low words are compared, operands truncated,
 * as libseccomp does.
 *
 * Man pages: seccomp(2) (struct seccomp_data), seccomp_rule_add(3) (the comparison operators).
 */
import { BPF, type BpfProgram } from './bpf.js';
import type { SeccompArg } from './profile.js';

/** The offset of args[0] in struct seccomp_data (nr, arch, instruction_pointer come first). */
const OFFSET_ARGS = 16;

const lo = (v: bigint): number => Number(v & 0xffffffffn);
const hi = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

/**
 * Emit one comparison at the current position: falls through when it holds, jumps to `fail` otherwise.
 * `wide`: compare 64 bits (x86_64); else the low 32 bits only (i386, x32). Leaves A clobbered.
 */
export function emitArg(p: BpfProgram, arg: SeccompArg, fail: number, wide: boolean): void {
  const loOff = OFFSET_ARGS + 8 * arg.index; // little-endian: the low word first
  const hiOff = loOff + 4;
  const v = arg.value;
  if (arg.op === 'SCMP_CMP_MASKED_EQ') {
    // (arg & mask) == (valueTwo & mask): valueTwo's bits outside the mask are ignored, as libseccomp does
    const want = (arg.valueTwo ?? 0n) & v;
    if (wide) p.load(hiOff).and(hi(v)).jump(BPF.JEQ_K, hi(want), 0, fail);
    p.load(loOff).and(lo(v)).jump(BPF.JEQ_K, lo(want), 0, fail);
    return;
  }
  if (arg.op === 'SCMP_CMP_EQ') {
    if (wide) p.load(hiOff).jump(BPF.JEQ_K, hi(v), 0, fail);
    p.load(loOff).jump(BPF.JEQ_K, lo(v), 0, fail);
    return;
  }
  const pass = p.newLabel();
  if (arg.op === 'SCMP_CMP_NE') {
    if (wide) p.load(hiOff).jump(BPF.JEQ_K, hi(v), 0, pass);
    p.load(loOff).jump(BPF.JEQ_K, lo(v), fail, 0);
  } else {
    // GT/GE pass when the high word is greater; LT/LE fail then. Equal high words decide on the low word.
    const greater = arg.op === 'SCMP_CMP_GT' || arg.op === 'SCMP_CMP_GE';
    if (wide) {
      p.load(hiOff).jump(BPF.JGT_K, hi(v), greater ? pass : fail, 0);
      p.jump(BPF.JEQ_K, hi(v), 0, greater ? fail : pass);
    }
    p.load(loOff);
    switch (arg.op) {
      case 'SCMP_CMP_GT': p.jump(BPF.JGT_K, lo(v), 0, fail); break;
      case 'SCMP_CMP_GE': p.jump(BPF.JGE_K, lo(v), 0, fail); break;
      case 'SCMP_CMP_LT': p.jump(BPF.JGE_K, lo(v), fail, 0); break;
      default: p.jump(BPF.JGT_K, lo(v), fail, 0); break; // LE
    }
  }
  p.label(pass);
}
