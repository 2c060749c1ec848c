/** @ct/syscalls: the clone-and-exec engine and one typed wrapper per in-process syscall. */
import { native } from './native.js';

/** The effective user id of this process, from geteuid(2). */
export function geteuid(): number {
  return native.geteuid();
}
