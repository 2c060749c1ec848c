/**
 * Checks of a tar entry's numbers before anything is made of it. Owners: Linux ids are 32-bit and (uid_t)-1 means
 * "leave unchanged" to chown(2), so an entry may carry 0 to 4294967294 (all of them applied as root, or recorded
 * in user.rootlesscontainers when outside an unprivileged caller's map); 4294967295 would silently keep the
 * unpacker's owner and a larger one would be cut to 32 bits by the syscall (4294967296 becoming root), so both
 * are refused. Device numbers: mknod(2) takes a 32-bit dev_t of a 12-bit major and a 20-bit minor
 * (new_encode_dev), so a device that does not fit is refused the same way as root and unprivileged, instead of
 * failing with EINVAL in one mode and being skipped in another. Names: at most PATH_MAX and NAME_MAX bytes.
 * Man pages: chown(2), mknod(2), makedev(3).
 */
import type { RawEntry } from './tar-scan.js';

/** The largest valid uid or gid. */
export const MAX_ID = 0xfffffffe;
/** The largest device major and minor the kernel's dev_t holds. */
export const MAX_DEV_MAJOR = 0xfff;
export const MAX_DEV_MINOR = 0xfffff;

/**
 * The longest entry name (PATH_MAX less its NUL) and name component (NAME_MAX): the kernel refuses longer ones with
 * ENAMETOOLONG anyway; checked first so a PAX path of 64 KiB is refused by its size, not after a failed syscall.
 */
export const MAX_NAME_BYTES = 4095;
export const MAX_COMPONENT_BYTES = 255;

/** ustar typeflags. */
export const TAR_TYPE = { FILE: 0x30, NUL: 0, LINK: 0x31, SYMLINK: 0x32, CHAR: 0x33, BLOCK: 0x34, DIR: 0x35, FIFO: 0x36, CONTIG: 0x37 } as const;

/** Why `raw` cannot be applied as it is, or undefined. */
export function entryProblem(raw: Pick<RawEntry, 'uid' | 'gid' | 'typeflag' | 'devmajor' | 'devminor'> & { readonly name?: Uint8Array }): string | undefined {
  if (raw.name !== undefined) {
    const name = raw.name;
    if (name.length > MAX_NAME_BYTES) return `name of ${name.length} bytes is longer than PATH_MAX (${MAX_NAME_BYTES} bytes)`;
    let start = 0;
    for (let i = 0; i <= name.length; i++) {
      if (i < name.length && name[i] !== 0x2f) continue;
      if (i - start > MAX_COMPONENT_BYTES) return `a component of ${i - start} bytes is longer than NAME_MAX (${MAX_COMPONENT_BYTES} bytes)`;
      start = i + 1;
    }
  }
  for (const [what, id] of [['uid', raw.uid], ['gid', raw.gid]] as const) {
    if (id > MAX_ID) return `${what} ${id} is out of range (ids are 0 to ${MAX_ID}; ${MAX_ID + 1} means "no owner change" to the kernel)`;
  }
  if ((raw.typeflag === TAR_TYPE.CHAR || raw.typeflag === TAR_TYPE.BLOCK) && (raw.devmajor > MAX_DEV_MAJOR || raw.devminor > MAX_DEV_MINOR)) {
    return `device ${raw.devmajor}:${raw.devminor} does not fit the kernel's device numbers (major 0 to ${MAX_DEV_MAJOR}, minor 0 to ${MAX_DEV_MINOR})`;
  }
  return undefined;
}
