/**
 * An eBPF interpreter for the instructions the cgroup device filter emits, run over a struct bpf_cgroup_dev_ctx
 * built in memory: lets unit tests check what a device program answers for a type, an access and a device number.
 * It refuses what the kernel's verifier would (an unknown opcode, a read of a register never written, a jump out of
 * the program, falling off its end), so a program it runs is one the kernel loads too (checked for real by the
 * root integration test).
 */

/** One access attempt: type and access as the kernel passes them (BPF_DEVCG_DEV_*, BPF_DEVCG_ACC_* bits). */
export interface DeviceAccess {
  readonly type: number;
  readonly access: number;
  readonly major: number;
  readonly minor: number;
}

const U32 = 0xffff_ffffn;

/** Run `program` for `ctx`; returns r0 at exit (1 allow, 0 deny). */
export function runDeviceProgram(program: Uint8Array, ctx: DeviceAccess): number {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const mem = new DataView(new ArrayBuffer(12));
  mem.setUint32(0, (ctx.access << 16) | ctx.type, true);
  mem.setUint32(4, ctx.major >>> 0, true);
  mem.setUint32(8, ctx.minor >>> 0, true);
  const regs: (bigint | undefined)[] = new Array(11).fill(undefined);
  let ctxReg = 1; // the register holding the context pointer (r1 on entry, until overwritten)
  const count = program.byteLength / 8;
  const get = (r: number, pc: number): bigint => {
    const v = regs[r];
    if (v === undefined) throw new Error(`insn ${pc}: r${r} read before it is written`);
    return v;
  };
  for (let pc = 0, steps = 0; ; pc++, steps++) {
    if (pc < 0 || pc >= count) throw new Error(`pc ${pc} outside the program (${count} instructions)`);
    if (steps > 10_000) throw new Error('no exit after 10000 steps');
    const op = view.getUint8(pc * 8);
    const regByte = view.getUint8(pc * 8 + 1);
    const dst = regByte & 0x0f;
    const src = regByte >> 4;
    const off = view.getInt16(pc * 8 + 2, true);
    const imm = view.getInt32(pc * 8 + 4, true);
    const set = (v: bigint): void => {
      regs[dst] = v & U32; // ALU32 results are zero-extended
      if (dst === ctxReg) ctxReg = -1;
    };
    switch (op) {
      case 0x61: // LDX W
        if (src !== ctxReg) throw new Error(`insn ${pc}: load through r${src}, not the context`);
        if (off < 0 || off > 8 || off % 4 !== 0) throw new Error(`insn ${pc}: context offset ${off}`);
        set(BigInt(mem.getUint32(off, true)));
        break;
      case 0x54: set(get(dst, pc) & BigInt(imm >>> 0)); break; // AND32 imm
      case 0x74: set((get(dst, pc) & U32) >> BigInt(imm & 31)); break; // RSH32 imm
      case 0xbc: set(get(src, pc)); break; // MOV32 reg
      case 0xb4: set(BigInt(imm >>> 0)); break; // MOV32 imm
      case 0x56: if ((get(dst, pc) & U32) !== BigInt(imm >>> 0)) pc += off; break; // JNE32 imm
      case 0x5e: if ((get(dst, pc) & U32) !== (get(src, pc) & U32)) pc += off; break; // JNE32 reg
      case 0x95: return Number(get(0, pc)); // EXIT
      default: throw new Error(`insn ${pc}: opcode 0x${op.toString(16)} not expected`);
    }
  }
}
