/**
 * Path and result plumbing between the typed wrappers and the binding: paths become NUL-terminated Buffers
 * (byte-exact; a string is encoded as UTF-8), and a negative result becomes a thrown SyscallError.
 */
import { CtError, SyscallError } from '../errors.js';

/** A path as the wrappers accept it: text or raw bytes. */
export type PathLike = string | Uint8Array;

/** Encodes a path (or xattr name) as a NUL-terminated Buffer; an embedded NUL is refused. */
export function cPath(p: PathLike): Buffer {
  const bytes = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  if (bytes.includes(0)) throw new CtError('EINVAL', `path: ${printable(p)}: contains a NUL byte`);
  const out = Buffer.allocUnsafe(bytes.length + 1);
  bytes.copy(out);
  out[bytes.length] = 0;
  return out;
}

/** A path for messages (byte paths decoded lossily). */
export function printable(p: PathLike): string {
  return typeof p === 'string' ? p : Buffer.from(p).toString('utf8');
}

/** Returns r, or throws a SyscallError when r is -errno. */
export function check(r: number, syscall: string, path?: PathLike, dest?: PathLike): number {
  if (r >= 0) return r;
  throw new SyscallError(syscall, -r, {
    ...(path !== undefined ? { path: printable(path) } : {}),
    ...(dest !== undefined ? { dest: printable(dest) } : {}),
  });
}

/** Returns the Buffer, or throws when the binding returned -errno. */
export function checkBuffer(r: Buffer | number, syscall: string, path?: PathLike): Buffer {
  if (typeof r !== 'number') return r;
  check(r, syscall, path);
  throw new CtError('EINTERNAL', `${syscall}: unexpected result ${r}`);
}
