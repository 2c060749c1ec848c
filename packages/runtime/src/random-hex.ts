/** Random names (container ids, cgroup and CNI names): bytes from /dev/urandom, as hex. Man pages: urandom(4). */
import { closeSync, openSync, readSync } from 'node:fs';

/** `bytes` random bytes as hex (from /dev/urandom: node:crypto costs a warm run ~10 ms to load). */
export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = openSync('/dev/urandom', 'r');
  try {
    readSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  return buf.toString('hex');
}
