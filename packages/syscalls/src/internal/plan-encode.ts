/**
 * Validates a SpawnPlan and flattens it into the one preallocated buffer the addon clones with (layout in
 * plan-layout.ts / native/plan_layout.h): a header, the fd map, 128-byte step records, and an arena of
 * NUL-terminated strings (8-byte aligned). Anything the table in plan-layout.ts does not allow is refused with
 * InvalidPlanError (code 'EINVALIDPLAN') before any fd is opened or any process cloned.
 */
import { closeSync, openSync } from 'node:fs';
import type { SpawnPlan, Step } from '../plan.js';
import { InvalidPlanError, SyscallError } from '../errors.js';
import { unixConnect } from '../socket.js';
import { openat } from '../fs-at.js';
import { AT, CLONE, CLONE_NEW_ALL, MOUNT_ATTR, O } from '../constants.js';
import {
  FLAG_DUMPABLE_WHILE_PAUSED, FLAG_FORK_INIT, FLAG_LEGACY_CLONE, FLAG_NO_OPENAT2, HEADER_SIZE, MAX_ARENA, MAX_FD_MAP, MAX_LIST,
  MAX_STEPS, MAX_STRING, NONE, OP_NAMES, PLAN_MAGIC, PLAN_VERSION, RECORD_SIZE, STEP_FIELDS, type FieldSpec,
} from './plan-layout.js';

const U64_MAX = 0xffffffffffffffffn;

/** Extra header settings: enter()'s target and flags. */
export interface EncodeOptions {
  readonly namespaces: number;
  readonly flags: number;
  readonly targetFd: number;
  /** enter(): a namespace fd whose owning user namespace the child joins first (NS_GET_USERNS); default none. */
  readonly userOwnerFd?: number;
}

/** A flattened plan plus the fds the parent opened for it (close them once the clone returned). */
export interface EncodedPlan {
  readonly buffer: Buffer;
  readonly ownedFds: number[];
}

/** Refuses a bad namespace mask. */
export function checkNamespaces(ns: unknown, what = 'namespaces'): number {
  if (typeof ns !== 'number' || !Number.isInteger(ns) || ns < 0 || (ns & ~CLONE_NEW_ALL) !== 0) {
    throw new InvalidPlanError(`plan: ${what}: not a mask of CLONE_NEW* flags: ${String(ns)}`);
  }
  return ns;
}

function bytesOf(v: unknown, step: number, field: string, cstring: boolean): Buffer {
  let b: Buffer;
  if (typeof v === 'string') b = Buffer.from(v, 'utf8');
  else if (v instanceof Uint8Array) b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  else throw new InvalidPlanError(`plan: step ${step}: ${field}: not a string`, step);
  if (b.length > MAX_STRING) {
    throw new InvalidPlanError(`plan: step ${step}: ${field}: ${b.length} bytes, longer than the limit of ${MAX_STRING} (the kernel's MAX_ARG_STRLEN)`, step);
  }
  if (cstring && b.includes(0)) throw new InvalidPlanError(`plan: step ${step}: ${field}: contains a NUL byte`, step);
  return b;
}

class Arena {
  readonly chunks: { off: number; bytes: Buffer }[] = [];
  size = 0;
  /** Adds bytes plus a NUL; returns [offset, length without the NUL]. */
  add(bytes: Buffer): [number, number] {
    const off = this.size;
    this.chunks.push({ off, bytes });
    this.size = (off + bytes.length + 1 + 7) & ~7;
    if (this.size > MAX_ARENA) throw new InvalidPlanError(`plan: strings exceed ${MAX_ARENA} bytes in total`);
    return [off, bytes.length];
  }
}

interface StepRec {
  op: number;
  fd: number;
  a: number[];
  b: bigint[];
  s: [number, number][];
}

function newRecord(op: number): StepRec {
  const s = Array.from({ length: 6 }, (): [number, number] => [NONE, 0]);
  return { op, fd: -1, a: [0, 0, 0, 0, 0, 0], b: [0n, 0n, 0n, 0n, 0n, 0n], s };
}

function encodeField(rec: StepRec, arena: Arena, spec: FieldSpec, v: unknown, i: number, name: string): void {
  const bad = (why: string): never => { throw new InvalidPlanError(`plan: step ${i}: ${name}: ${why}`, i); };
  switch (spec.kind) {
    case 'path': case 'text':
      if (v === undefined && spec.optional) return;
      rec.s[spec.s] = arena.add(bytesOf(v, i, name, true));
      return;
    case 'bytes':
      rec.s[spec.s] = arena.add(bytesOf(v, i, name, false));
      return;
    case 'strings': {
      if (!Array.isArray(v) || v.length > MAX_LIST) bad('not a list of strings');
      const list = (v as unknown[]).map((x, k) => bytesOf(x, i, `${name}[${k}]`, true));
      const joined = Buffer.concat(list.flatMap((b) => [b, Buffer.alloc(1)]));
      rec.s[spec.s] = list.length === 0 ? [NONE, 0] : arena.add(joined.subarray(0, joined.length - 1));
      rec.a[spec.count] = list.length;
      return;
    }
    case 'gids': {
      if (!Array.isArray(v) || v.length > MAX_LIST) bad('not a list of ids');
      const ids = v as unknown[];
      const buf = Buffer.alloc(ids.length * 4);
      ids.forEach((g, k) => {
        if (typeof g !== 'number' || !Number.isInteger(g) || g < 0 || g >= 0xffffffff) bad(`entry ${k} is not an id`);
        buf.writeUInt32LE(g as number, k * 4);
      });
      rec.s[spec.s] = arena.add(buf);
      rec.a[spec.count] = ids.length;
      return;
    }
    case 'int':
      if (v === undefined && spec.optional) return;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < spec.min || v > spec.max) {
        bad(`not an integer in [${spec.min}, ${spec.max}]: ${String(v)}`);
      }
      rec.a[spec.a] = (v as number) | 0;
      return;
    case 'bool':
      if (v === undefined && spec.optional) return;
      if (typeof v !== 'boolean') bad('not a boolean');
      rec.a[spec.a] = v ? 1 : 0;
      return;
    case 'u64':
      if (v === undefined && spec.optional) return;
      if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) bad(`not a 64-bit unsigned bigint: ${String(v)}`);
      rec.b[spec.b] = v as bigint;
  }
}

/** Fields computed from others: the /proc/self path, the decimal oom score, PATH for exec, BPF length. */
function encodeDerived(rec: StepRec, arena: Arena, step: Step, i: number): void {
  switch (step.op) {
    case 'unshare': case 'setns': {
      const flags = step.op === 'unshare' ? step.flags : step.nstype;
      if (flags & ~CLONE_NEW_ALL) {
        throw new InvalidPlanError(`plan: step ${i}: ${step.op}: not a mask of CLONE_NEW* flags: ${flags}`, i);
      }
      return;
    }
    case 'oomScoreAdj':
      rec.s[0] = arena.add(Buffer.from(String(step.value)));
      return;
    case 'writeProcSelf': {
      if (step.file.startsWith('/') || step.file.split('/').includes('..')) {
        throw new InvalidPlanError(`plan: step ${i}: file: must stay under /proc/self: ${step.file}`, i);
      }
      rec.s[0] = arena.add(Buffer.from(`/proc/self/${step.file}`));
      return;
    }
    case 'seccomp': {
      const n = step.bpf.byteLength / 8;
      if (!Number.isInteger(n) || n === 0 || n > 4096) {
        throw new InvalidPlanError(`plan: step ${i}: bpf: not 1..4096 instructions of 8 bytes`, i);
      }
      rec.a[1] = n;
      return;
    }
    case 'bindTree':
      if ((step.attrSet ?? 0n) & MOUNT_ATTR.IDMAP && step.usernsPath === undefined) {
        throw new InvalidPlanError(`plan: step ${i}: attrSet: MOUNT_ATTR.IDMAP needs usernsPath`, i);
      }
      return;
    case 'exec': {
      const entry = step.env.find((e) => e.startsWith('PATH='));
      if (entry !== undefined) rec.s[3] = arena.add(Buffer.from(entry.slice(5)));
      return;
    }
    default:
  }
}

function validateStep(step: unknown, i: number, last: boolean): Step {
  if (typeof step !== 'object' || step === null) throw new InvalidPlanError(`plan: step ${i}: not an object`, i);
  const op = (step as { op?: unknown }).op;
  if (typeof op !== 'string' || !Object.hasOwn(STEP_FIELDS, op)) {
    throw new InvalidPlanError(`plan: step ${i}: unknown op: ${String(op)}`, i);
  }
  const fields = STEP_FIELDS[op as Step['op']];
  for (const key of Object.keys(step)) {
    if (key !== 'op' && !Object.hasOwn(fields, key)) {
      throw new InvalidPlanError(`plan: step ${i}: ${op}: unknown field ${key}`, i);
    }
  }
  if ((op === 'exec') !== last) {
    throw new InvalidPlanError(`plan: step ${i}: exec must be the last step, and only there`, i);
  }
  return step as Step;
}

/** The host path a step needs opened in the parent, and how: [path, syscall name, open function]. */
function parentOpen(step: Step): [string, string, (p: string) => number] | undefined {
  switch (step.op) {
    case 'setns': return [step.path, 'open', (p) => openSync(p, 'r')];
    case 'console': return [step.socketPath, 'connect', (p) => unixConnect(p)];
    case 'bindTree':
      return step.usernsPath === undefined ? undefined : [step.usernsPath, 'open', (p) => openSync(p, 'r')];
    case 'exec':
      return step.preopen ? [step.path, 'openat', (p) => openat(AT.FDCWD, p, O.PATH | O.CLOEXEC)] : undefined;
    default: return undefined;
  }
}

/** Opens the fd a step needs in the parent (setns target, console socket, ...); returns the fd or -1. */
function openStepFd(step: Step, i: number): number {
  const how = parentOpen(step);
  if (how === undefined) return -1;
  const [path, syscall, open] = how;
  try {
    return open(path);
  } catch (e) {
    const errno = e instanceof SyscallError ? e.errno : -((e as { errno?: number }).errno ?? -22);
    throw new SyscallError(syscall, errno, { step: i, stepOp: step.op, path }, { cause: e });
  }
}

/**
 * A forkInit step: at most one, only setns and unshare before it (the addon waits for its pid synchronously),
 * not in enter() (which forks by itself) and not with a new pid namespace made by the clone. Returns the flag.
 */
function checkForkInit(steps: readonly Step[], options: EncodeOptions): number {
  const at = steps.findIndex((s) => s.op === 'forkInit');
  if (at < 0) return 0;
  const bad = (why: string): never => { throw new InvalidPlanError(`plan: step ${at}: forkInit: ${why}`, at); };
  if (steps.findIndex((s, i) => i > at && s.op === 'forkInit') >= 0) bad('only one per plan');
  if (options.targetFd >= 0) bad('not in enter(), which forks by itself');
  if (options.namespaces & CLONE.NEWPID) bad('the clone made a new pid namespace (its init may not use CLONE_PARENT)');
  const before = steps.slice(0, at).findIndex((s) => s.op !== 'setns' && s.op !== 'unshare');
  if (before >= 0) bad(`only setns and unshare may come before it (step ${before} is ${steps[before]?.op})`);
  return FLAG_FORK_INIT;
}

/** Validates and flattens `plan`. Throws InvalidPlanError or, when a parent-side open fails, SyscallError. */
export function encodePlan(plan: Omit<SpawnPlan, 'namespaces'>, options: EncodeOptions): EncodedPlan {
  const steps: unknown = plan.steps;
  if (!Array.isArray(steps) || steps.length === 0 || steps.length > MAX_STEPS) {
    throw new InvalidPlanError(`plan: steps: need 1..${MAX_STEPS} steps`);
  }
  const fds = plan.fds ?? [];
  if (!Array.isArray(fds) || fds.length > MAX_FD_MAP) {
    throw new InvalidPlanError(`plan: fds: at most ${MAX_FD_MAP} entries`);
  }
  for (const [k, m] of fds.entries()) {
    const ok = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 1 << 20;
    if (!ok(m.from) || !ok(m.to)) throw new InvalidPlanError(`plan: fds[${k}]: from/to must be fd numbers`);
  }
  if (plan.forceLegacyClone && options.namespaces & CLONE.NEWTIME) {
    throw new InvalidPlanError('plan: CLONE.NEWTIME needs clone3 (forceLegacyClone is set)');
  }
  const arena = new Arena();
  const records = (steps as unknown[]).map((raw, i) => {
    const step = validateStep(raw, i, i === steps.length - 1);
    const rec = newRecord(OP_NAMES.indexOf(step.op) + 1);
    const fields = STEP_FIELDS[step.op];
    for (const [name, spec] of Object.entries(fields)) {
      encodeField(rec, arena, spec, (step as unknown as { [k: string]: unknown })[name], i, name);
    }
    encodeDerived(rec, arena, step, i);
    return { rec, step };
  });

  const fdmapOff = HEADER_SIZE;
  const stepsOff = (fdmapOff + fds.length * 8 + 7) & ~7;
  const arenaOff = stepsOff + records.length * RECORD_SIZE;
  const total = arenaOff + arena.size + 8;
  const buf = Buffer.alloc(total);
  let flags = options.flags | checkForkInit(records.map((r) => r.step), options);
  if (plan.forceLegacyClone) flags |= FLAG_LEGACY_CLONE;
  if (plan.forceNoOpenat2) flags |= FLAG_NO_OPENAT2;
  if (plan.dumpableWhilePaused) flags |= FLAG_DUMPABLE_WHILE_PAUSED;
  const header = [PLAN_MAGIC, PLAN_VERSION, records.length, fds.length, flags, options.namespaces, stepsOff, fdmapOff,
    arenaOff, arena.size + 8, total];
  header.forEach((v, k) => buf.writeUInt32LE(v >>> 0, k * 4));
  buf.writeInt32LE(process.pid, 44);
  buf.writeInt32LE(options.targetFd, 48);
  buf.writeInt32LE(options.userOwnerFd ?? -1, 52);
  fds.forEach((m, k) => {
    buf.writeInt32LE(m.from, fdmapOff + k * 8);
    buf.writeInt32LE(m.to, fdmapOff + k * 8 + 4);
  });
  for (const { off, bytes } of arena.chunks) bytes.copy(buf, arenaOff + off);

  const ownedFds: number[] = [];
  try {
    records.forEach(({ rec, step }, i) => {
      rec.fd = openStepFd(step, i);
      if (rec.fd >= 0) ownedFds.push(rec.fd);
      const o = stepsOff + i * RECORD_SIZE;
      buf.writeUInt32LE(rec.op, o);
      buf.writeInt32LE(rec.fd, o + 4);
      rec.a.forEach((v, k) => buf.writeInt32LE(v, o + 8 + k * 4));
      rec.b.forEach((v, k) => buf.writeBigUInt64LE(v, o + 32 + k * 8));
      rec.s.forEach(([off, len], k) => {
        buf.writeUInt32LE(off, o + 80 + k * 4);
        buf.writeUInt32LE(len, o + 104 + k * 4);
      });
    });
  } catch (e) {
    for (const fd of ownedFds) closeSync(fd);
    throw e;
  }
  return { buffer: buf, ownedFds };
}
