/**
 * MS_* mount flags (linux/mount.h), as bigint because the plan carries 64-bit flag words, and the mapping from
 * our typed `MountFlag` names. Will come from @ct/syscalls' constants once it exports them.
 *
 * Man pages: mount(2), mount(8) (flag names).
 */
import type { MountFlag } from '../spec.js';

/** mount(2) flags used by the planners. */
export const MS = Object.freeze({
  RDONLY: 0x1n,
  NOSUID: 0x2n,
  NODEV: 0x4n,
  NOEXEC: 0x8n,
  SYNCHRONOUS: 0x10n,
  REMOUNT: 0x20n,
  DIRSYNC: 0x80n,
  NOATIME: 0x400n,
  NODIRATIME: 0x800n,
  BIND: 0x1000n,
  REC: 0x4000n,
  PRIVATE: 0x40000n,
  RELATIME: 0x200000n,
  STRICTATIME: 0x1000000n,
} as const);

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
