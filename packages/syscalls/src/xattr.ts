/**
 * Extended attributes inside the Node process: values and names are Buffers (names also accept strings), so
 * `trusted.overlay.*` / `user.*` values round-trip byte-exact.
 *
 * Man pages: setxattr(2), getxattr(2), listxattr(2), removexattr(2), xattr(7).
 */
import { native } from './native.js';
import { check, checkBuffer, cPath, type PathLike } from './internal/c-path.js';

/** Splits a listxattr(2) result (NUL-separated names) into Buffers. */
function splitNames(list: Buffer): Buffer[] {
  const names: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i] !== 0) continue;
    if (i > start) names.push(list.subarray(start, i));
    start = i + 1;
  }
  return names;
}

/** lsetxattr(2): sets `name` on `path` without following a final symlink; flags XATTR_CREATE/XATTR_REPLACE. */
export function lsetxattr(path: PathLike, name: PathLike, value: Uint8Array, flags = 0): void {
  check(native.lsetxattr(cPath(path), cPath(name), Buffer.from(value), flags), 'lsetxattr', path);
}

/** fsetxattr(2). */
export function fsetxattr(fd: number, name: PathLike, value: Uint8Array, flags = 0): void {
  check(native.fsetxattr(fd, cPath(name), Buffer.from(value), flags), 'fsetxattr', name);
}

/** lgetxattr(2): the value (ENODATA when absent). */
export function lgetxattr(path: PathLike, name: PathLike): Buffer {
  return checkBuffer(native.lgetxattr(cPath(path), cPath(name)), 'lgetxattr', path);
}

/** fgetxattr(2). */
export function fgetxattr(fd: number, name: PathLike): Buffer {
  return checkBuffer(native.fgetxattr(fd, cPath(name)), 'fgetxattr', name);
}

/** flistxattr(2): the attribute names. */
export function flistxattr(fd: number): Buffer[] {
  return splitNames(checkBuffer(native.flistxattr(fd), 'flistxattr'));
}

/** llistxattr(2): the attribute names of `path` itself (a symlink is not followed). */
export function llistxattr(path: PathLike): Buffer[] {
  return splitNames(checkBuffer(native.llistxattr(cPath(path)), 'llistxattr', path));
}

/** lremovexattr(2). */
export function lremovexattr(path: PathLike, name: PathLike): void {
  check(native.lremovexattr(cPath(path), cPath(name)), 'lremovexattr', path);
}

/** fremovexattr(2) (ENODATA when absent). */
export function fremovexattr(fd: number, name: PathLike): void {
  check(native.fremovexattr(fd, cPath(name)), 'fremovexattr', name);
}
