/**
 * statx(2) with 64-bit fields as bigint (inode, size, blocks, timestamps in nanoseconds, mount id) and 32-bit
 * ones as numbers. Pass AT_EMPTY_PATH with an empty path to stat an fd (also an O_PATH one).
 *
 * Man pages: statx(2), inode(7).
 */
import { native } from './native.js';
import { check, cPath, type PathLike } from './internal/c-path.js';

/** The decoded `struct statx`. Fields the kernel did not fill (see `mask`) are 0. */
export interface Statx {
  /** The STATX_* bits the kernel filled in (fields outside it are 0). */
  readonly mask: number;
  /** The preferred block size for I/O. */
  readonly blksize: number;
  /** STATX_ATTR_* flags of the file (immutable, append, ...). */
  readonly attributes: bigint;
  /** The number of hard links. */
  readonly nlink: number;
  /** The owner's uid. */
  readonly uid: number;
  /** The owner's gid. */
  readonly gid: number;
  /** Type and permission bits (S_IFMT | 0o7777). */
  readonly mode: number;
  /** The inode number. */
  readonly ino: bigint;
  /** The size in bytes. */
  readonly size: bigint;
  /** The number of 512-byte blocks allocated. */
  readonly blocks: bigint;
  /** The STATX_ATTR_* flags this filesystem supports. */
  readonly attributesMask: bigint;
  /** Access time, nanoseconds since the epoch. */
  readonly atimeNs: bigint;
  /** Creation time, nanoseconds since the epoch (0 when `mask` lacks STATX_BTIME). */
  readonly btimeNs: bigint;
  /** Status change time, nanoseconds since the epoch. */
  readonly ctimeNs: bigint;
  /** Modification time, nanoseconds since the epoch. */
  readonly mtimeNs: bigint;
  /** The device's major number, for a device file. */
  readonly rdevMajor: number;
  /** The device's minor number, for a device file. */
  readonly rdevMinor: number;
  /** The major number of the device the file is on. */
  readonly devMajor: number;
  /** The minor number of the device the file is on. */
  readonly devMinor: number;
  /** The mount id (STATX_MNT_ID), as /proc/self/mountinfo numbers mounts. */
  readonly mntId: bigint;
}

function timestamp(b: Buffer, off: number): bigint {
  return b.readBigInt64LE(off) * 1_000_000_000n + BigInt(b.readUInt32LE(off + 8));
}

/** statx(2). `mask` defaults to STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID. */
export function statx(dirfd: number, path: PathLike, flags = 0, mask = 0x1fff): Statx {
  const b = Buffer.alloc(256);
  check(native.statx(dirfd, cPath(path), flags, mask, b), 'statx', path);
  return {
    mask: b.readUInt32LE(0), blksize: b.readUInt32LE(4), attributes: b.readBigUInt64LE(8),
    nlink: b.readUInt32LE(16), uid: b.readUInt32LE(20), gid: b.readUInt32LE(24), mode: b.readUInt16LE(28),
    ino: b.readBigUInt64LE(32), size: b.readBigUInt64LE(40), blocks: b.readBigUInt64LE(48),
    attributesMask: b.readBigUInt64LE(56), atimeNs: timestamp(b, 64), btimeNs: timestamp(b, 80),
    ctimeNs: timestamp(b, 96), mtimeNs: timestamp(b, 112), rdevMajor: b.readUInt32LE(128),
    rdevMinor: b.readUInt32LE(132), devMajor: b.readUInt32LE(136), devMinor: b.readUInt32LE(140),
    mntId: b.readBigUInt64LE(144),
  };
}
