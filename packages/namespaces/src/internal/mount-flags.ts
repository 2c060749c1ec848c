/**
 * The mapping from our typed `MountFlag` names to MS_* bits (@ct/syscalls' constants, bigint because the plan
 * carries 64-bit flag words).
 *
 * Man pages: mount(2), mount(8) (flag names).
 */
import { MOUNT_ATTR, MS } from '@ct/syscalls';
import type { MountFlag } from '../spec.js';

export { MOUNT_ATTR, MS };

const FLAG_BITS: Readonly<Record<MountFlag, bigint>> = {
  ro: MS.RDONLY,
  nosuid: MS.NOSUID,
  nodev: MS.NODEV,
  noexec: MS.NOEXEC,
  sync: MS.SYNCHRONOUS,
  dirsync: MS.DIRSYNC,
  noatime: MS.NOATIME,
  nodiratime: MS.NODIRATIME,
  relatime: MS.RELATIME,
  strictatime: MS.STRICTATIME,
};

/** The MS_* bits of a list of flag names. */
export function mountFlagBits(flags: readonly MountFlag[]): bigint {
  let bits = 0n;
  for (const flag of flags) {
    const bit = FLAG_BITS[flag];
    if (bit === undefined) throw new TypeError(`unknown mount flag ${String(flag)}`);
    bits |= bit;
  }
  return bits;
}
