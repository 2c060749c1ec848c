/**
 * A classic-BPF interpreter for the opcodes the seccomp compiler emits, run over a struct seccomp_data built in
 * memory: lets unit tests check what a compiled filter returns for a syscall, an arch and arguments.
 */
export interface SeccompData {
  readonly nr: number;
  readonly arch: number;
  readonly args?: readonly bigint[];
}

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;

function dataWords(d: SeccompData): DataView {
  const buf = new DataView(new ArrayBuffer(64));
  buf.setInt32(0, d.nr, true);
  buf.setUint32(4, d.arch, true);
  (d.args ?? []).forEach((a, i) => buf.setBigUint64(16 + 8 * i, a, true));
  return buf;
}

/** Run `bpf` on `d`; returns the SECCOMP_RET_* word. Throws on an opcode the compiler should never emit. */
export function runBpf(bpf: Uint8Array, d: SeccompData): number {
  const prog = new DataView(bpf.buffer, bpf.byteOffset, bpf.byteLength);
  const data = dataWords(d);
  let a = 0;
  for (let pc = 0; pc < bpf.byteLength / 8;) {
    const code = prog.getUint16(pc * 8, true);
    const jt = prog.getUint8(pc * 8 + 2);
    const jf = prog.getUint8(pc * 8 + 3);
    const k = prog.getUint32(pc * 8 + 4, true);
    switch (code) {
      case 0x20: a = data.getUint32(k, true); pc += 1; break;
      case 0x54: a = (a & k) >>> 0; pc += 1; break;
      case 0x15: pc += 1 + (a === k ? jt : jf); break;
      case 0x25: pc += 1 + (a > k ? jt : jf); break;
      case 0x35: pc += 1 + (a >= k ? jt : jf); break;
      case 0x05: pc += 1 + k; break;
      case 0x06: return k;
      default: throw new Error(`bpf: opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('bpf: fell off the end');
}
