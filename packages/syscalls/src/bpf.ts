/**
 * bpf(2), the commands a cgroup program needs: load a program (BPF_PROG_LOAD), attach it to a cgroup or take it off
 * (BPF_PROG_ATTACH / BPF_PROG_DETACH), list what a cgroup has attached (BPF_PROG_QUERY) and get a descriptor on one
 * of those by id (BPF_PROG_GET_FD_BY_ID). Each wrapper is one command; the programs themselves are built by callers
 * (8-byte `struct bpf_insn` records). Loading and attaching need CAP_SYS_ADMIN (CAP_BPF and CAP_NET_ADMIN on newer
 * kernels); the descriptors returned are close-on-exec.
 *
 * Man pages: bpf(2); kernel docs bpf/prog_cgroup_device, include/uapi/linux/bpf.h.
 */
import { native } from './native.js';
import { check, cPath } from './internal/c-path.js';
import { CtError, SyscallError } from './errors.js';

/** Program types (enum bpf_prog_type) ct loads. @enum */
export const BPF_PROG_TYPE = Object.freeze({ CGROUP_DEVICE: 15 } as const);

/** Attach types (enum bpf_attach_type) ct uses. @enum */
export const BPF_ATTACH_TYPE = Object.freeze({ CGROUP_DEVICE: 6 } as const);

/** BPF_PROG_ATTACH flags. @enum */
export const BPF_F = Object.freeze({ ALLOW_OVERRIDE: 1, ALLOW_MULTI: 2, REPLACE: 4 } as const);

/** What `bpfProgLoad` loads. */
export interface BpfProgram {
  /** BPF_PROG_TYPE value. */
  readonly type: number;
  /** The instructions, 8 bytes each (struct bpf_insn, host byte order). */
  readonly instructions: Uint8Array;
  /** The license string (a GPL-compatible one is needed only for GPL-only helpers). */
  readonly license: string;
  /** expected_attach_type (default 0). */
  readonly expectedAttachType?: number;
}

/** The verifier's log kept for a refused program (the first 64 KiB). */
const LOG_SIZE = 64 * 1024;

/**
 * bpf(BPF_PROG_LOAD): the new program's fd. A program the verifier refuses throws a SyscallError
 * `{syscall: 'bpf', path: 'BPF_PROG_LOAD'}` (EACCES or EINVAL) whose message ends with the verifier's log.
 */
export function bpfProgLoad(program: BpfProgram): number {
  if (program.instructions.byteLength === 0 || program.instructions.byteLength % 8 !== 0) {
    throw new CtError('EINVAL', `bpf BPF_PROG_LOAD: ${program.instructions.byteLength} bytes is not a list of 8-byte instructions`);
  }
  const insns = Buffer.from(program.instructions.buffer, program.instructions.byteOffset, program.instructions.byteLength);
  const license = cPath(program.license);
  const attach = program.expectedAttachType ?? 0;
  const fd = native.bpfProgLoad(program.type, insns, license, null, attach);
  if (fd >= 0) return fd;
  if (fd !== -13 && fd !== -22) return check(fd, 'bpf', 'BPF_PROG_LOAD');
  // EACCES/EINVAL: load again with a log to say why (the first load keeps the common path free of a 64 KiB buffer)
  const log = Buffer.alloc(LOG_SIZE);
  const again = native.bpfProgLoad(program.type, insns, license, log, attach);
  if (again >= 0) return again;
  const text = log.subarray(0, Math.max(0, log.indexOf(0))).toString('utf8').trim();
  throw new SyscallError('bpf', -again, { path: 'BPF_PROG_LOAD' }, { cause: text === '' ? undefined : new Error(`verifier: ${text}`) });
}

/** bpf(BPF_PROG_ATTACH): attach `progFd` to `targetFd` (a cgroup directory's fd) as `attachType`, with BPF_F flags. */
export function bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags = 0): void {
  check(native.bpfProgAttach(targetFd, progFd, attachType, flags), 'bpf', 'BPF_PROG_ATTACH');
}

/** bpf(BPF_PROG_DETACH): take `progFd` off `targetFd`'s `attachType` programs (ENOENT: not attached there). */
export function bpfProgDetach(targetFd: number, progFd: number, attachType: number): void {
  check(native.bpfProgDetach(targetFd, progFd, attachType), 'bpf', 'BPF_PROG_DETACH');
}

/** What a cgroup has attached for one attach type. */
export interface BpfAttached {
  /** The attach flags (BPF_F_ALLOW_MULTI, ...; 0 when none is attached). */
  readonly attachFlags: number;
  /** The attached programs' ids, in run order. */
  readonly ids: readonly number[];
}

/** bpf(BPF_PROG_QUERY): the programs attached directly to `targetFd` as `attachType` (not the inherited ones). */
export function bpfProgQuery(targetFd: number, attachType: number): BpfAttached {
  for (let room = 16; ; room *= 4) {
    const ids = new Uint32Array(room);
    const out = new Uint32Array(2);
    const r = native.bpfProgQuery(targetFd, attachType, ids, out);
    const count = out[1] ?? 0;
    if (r === -28 && count > room) continue; // ENOSPC: more than we made room for
    check(r, 'bpf', 'BPF_PROG_QUERY');
    return { attachFlags: out[0] ?? 0, ids: [...ids.subarray(0, Math.min(count, room))] };
  }
}

/** bpf(BPF_PROG_GET_FD_BY_ID): a descriptor on the loaded program `id` (ENOENT: it is gone). */
export function bpfProgGetFdById(id: number): number {
  return check(native.bpfProgGetFdById(id), 'bpf', 'BPF_PROG_GET_FD_BY_ID');
}
