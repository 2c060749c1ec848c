/**
 * The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program built from device rules, as runc's
 * devicefilter.go and crun's ebpf.c build it. The rules are first reduced by the v1 emulator (so v2 behaves as v1,
 * hole-punching refused alike), then each exception becomes one block that jumps to the next on any mismatch and
 * returns its verdict otherwise; the last block returns the default. The kernel runs it on every open and mknod of
 * a device node by a task of the cgroup (or a descendant), with `struct bpf_cgroup_dev_ctx { u32 access_type;
 * u32 major; u32 minor; }`, access_type = access << 16 | type; it returns 1 to allow, 0 to refuse (EPERM).
 *
 * Man pages: bpf(2); kernel docs bpf/prog_cgroup_device, admin-guide/cgroup-v2.rst ("Device controller"),
 * include/uapi/linux/bpf.h (BPF_DEVCG_*, struct bpf_insn).
 */
import { DeviceEmulator } from './device-emulator.js';
import type { DeviceRule } from './resources.js';

/** BPF_DEVCG_DEV_* (the low 16 bits of access_type). */
export const BPF_DEVCG_DEV = Object.freeze({
  /** A block device. */
  BLOCK: 1,
  /** A character device. */
  CHAR: 2,
} as const);
/** BPF_DEVCG_ACC_* (the high 16 bits of access_type). */
export const BPF_DEVCG_ACC = Object.freeze({
  /** mknod(2) of the device. */
  MKNOD: 1,
  /** Opening it for reading. */
  READ: 2,
  /** Opening it for writing. */
  WRITE: 4,
} as const);

/** The opcodes the filter uses (BPF_CLASS | BPF_OP | BPF_SRC, include/uapi/linux/bpf_common.h). */
export const OP = Object.freeze({
  /** r_dst = *(u32 *)(r_src + off) — BPF_LDX | BPF_MEM | BPF_W */
  LDX_W: 0x61,
  /** w_dst &= imm — BPF_ALU | BPF_AND | BPF_K */
  AND32_IMM: 0x54,
  /** w_dst >>= imm — BPF_ALU | BPF_RSH | BPF_K */
  RSH32_IMM: 0x74,
  /** w_dst = w_src — BPF_ALU | BPF_MOV | BPF_X */
  MOV32_REG: 0xbc,
  /** w_dst = imm — BPF_ALU | BPF_MOV | BPF_K */
  MOV32_IMM: 0xb4,
  /** if w_dst != imm goto +off — BPF_JMP32 | BPF_JNE | BPF_K (32-bit: a major or minor past 2^31 compares right) */
  JNE32_IMM: 0x56,
  /** if w_dst != w_src goto +off — BPF_JMP32 | BPF_JNE | BPF_X */
  JNE32_REG: 0x5e,
  /** return r0 — BPF_JMP | BPF_EXIT */
  EXIT: 0x95,
} as const);

/** One instruction before encoding. `next`: the jump goes to the next block (resolved when the block ends). */
interface Insn {
  readonly op: number;
  readonly dst: number;
  readonly src: number;
  off: number;
  readonly imm: number;
  readonly next?: true;
}

const insn = (op: number, dst: number, src: number, off: number, imm: number): Insn => ({ op, dst, src, off, imm });
const jumpNext = (op: number, dst: number, src: number, imm: number): Insn => ({ op, dst, src, off: 0, imm, next: true });

/** The access bits of `access` ('rwm' subset). */
function accessBits(access: string): number {
  return (access.includes('r') ? BPF_DEVCG_ACC.READ : 0) | (access.includes('w') ? BPF_DEVCG_ACC.WRITE : 0)
    | (access.includes('m') ? BPF_DEVCG_ACC.MKNOD : 0);
}

/** One exception's block: fall through to the verdict only when type, access, major and minor all match. */
function ruleBlock(rule: DeviceRule): Insn[] {
  const block: Insn[] = [jumpNext(OP.JNE32_IMM, 2, 0, rule.type === 'b' ? BPF_DEVCG_DEV.BLOCK : BPF_DEVCG_DEV.CHAR)];
  const bits = accessBits(rule.access);
  if (bits !== 7) {
    // the access asked for must be within the rule's: (r3 & bits) == r3, r1 as scratch
    block.push(insn(OP.MOV32_REG, 1, 3, 0, 0), insn(OP.AND32_IMM, 1, 0, 0, bits), jumpNext(OP.JNE32_REG, 1, 3, 0));
  }
  if (rule.major !== undefined && rule.major >= 0) block.push(jumpNext(OP.JNE32_IMM, 4, 0, rule.major | 0));
  if (rule.minor !== undefined && rule.minor >= 0) block.push(jumpNext(OP.JNE32_IMM, 5, 0, rule.minor | 0));
  block.push(insn(OP.MOV32_IMM, 0, 0, 0, rule.allow ? 1 : 0), insn(OP.EXIT, 0, 0, 0, 0));
  for (const [i, x] of block.entries()) if (x.next === true) x.off = block.length - i - 1;
  return block;
}

/** Encode as struct bpf_insn records (little-endian, as this x86-64 host). */
function encode(list: readonly Insn[]): Uint8Array {
  const out = Buffer.alloc(list.length * 8);
  list.forEach((x, i) => {
    out[i * 8] = x.op;
    out[i * 8 + 1] = (x.src << 4) | x.dst;
    out.writeInt16LE(x.off, i * 8 + 2);
    out.writeInt32LE(x.imm, i * 8 + 4);
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * The device program for `rules` (applied in order from "no device allowed"), as struct bpf_insn bytes. A rule that
 * would punch a hole in a wildcard exception is a ContainerSpecError naming `field[i]`.
 */
export function buildDeviceFilter(rules: readonly DeviceRule[], field = 'devices'): Uint8Array {
  const state = DeviceEmulator.fromRules(rules, field);
  const prologue = [
    insn(OP.LDX_W, 2, 1, 0, 0), insn(OP.AND32_IMM, 2, 0, 0, 0xffff), // r2 = type
    insn(OP.LDX_W, 3, 1, 0, 0), insn(OP.RSH32_IMM, 3, 0, 0, 16), // r3 = access
    insn(OP.LDX_W, 4, 1, 4, 0), // r4 = major
    insn(OP.LDX_W, 5, 1, 8, 0), // r5 = minor
  ];
  const blocks = state.exceptionRules().flatMap(ruleBlock);
  const verdict = [insn(OP.MOV32_IMM, 0, 0, 0, state.defaultAllow ? 1 : 0), insn(OP.EXIT, 0, 0, 0, 0)];
  return encode([...prologue, ...blocks, ...verdict]);
}
