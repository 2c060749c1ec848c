/**
 * The mapping from our typed `MountFlag` names to MS_* bits and from `MountAttribute` names to MOUNT_ATTR_* bits
 * (@ct/syscalls' constants, bigint because the plan carries 64-bit flag words).
 *
 * Man pages: mount(2), mount(8) (flag names), mount_setattr(2).
 */
import { MOUNT_ATTR, MS } from '@ct/syscalls';
import type { MountAttribute, MountFlag } from '../mount-spec.js';

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
  lazytime: MS.LAZYTIME,
  nosymfollow: MS.NOSYMFOLLOW,
  mand: MS.MANDLOCK,
  iversion: MS.I_VERSION,
  silent: MS.SILENT,
};

const ATTR_BITS: Readonly<Record<MountAttribute, bigint>> = {
  ro: MOUNT_ATTR.RDONLY,
  nosuid: MOUNT_ATTR.NOSUID,
  nodev: MOUNT_ATTR.NODEV,
  noexec: MOUNT_ATTR.NOEXEC,
  nosymfollow: MOUNT_ATTR.NOSYMFOLLOW,
  nodiratime: MOUNT_ATTR.NODIRATIME,
  noatime: MOUNT_ATTR.NOATIME,
  strictatime: MOUNT_ATTR.STRICTATIME,
  relatime: MOUNT_ATTR.RELATIME,
};
const ATIME_MODES: ReadonlySet<MountAttribute> = new Set(['noatime', 'strictatime', 'relatime']);

/**
 * mount_setattr's attr_set and attr_clr for recursive attributes: an atime mode is a 3-bit field, so setting one
 * clears the field first, and clearing one clears the whole field (back to the default, relatime).
 */
export function mountAttributeBits(set: readonly MountAttribute[], clear: readonly MountAttribute[]): { attrSet: bigint; attrClr: bigint } {
  let attrSet = 0n;
  let attrClr = 0n;
  for (const a of clear) {
    if (!(a in ATTR_BITS)) throw new TypeError(`unknown mount attribute ${String(a)}`);
    attrClr |= ATIME_MODES.has(a) ? MOUNT_ATTR._ATIME : ATTR_BITS[a];
  }
  for (const a of set) {
    if (!(a in ATTR_BITS)) throw new TypeError(`unknown mount attribute ${String(a)}`);
    if (ATIME_MODES.has(a)) attrClr |= MOUNT_ATTR._ATIME;
    attrSet |= ATTR_BITS[a];
  }
  return { attrSet, attrClr };
}

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
