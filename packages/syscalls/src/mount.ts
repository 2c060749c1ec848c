/**
 * mount(2) and umount2(2) for the Node process's own mount namespace (root, or a mount namespace the process
 * already lives in). unshare/setns are not offered here: they must run in a spawned child (see spawn()).
 *
 * Man pages: mount(2), umount(2).
 */
import { native } from './native.js';
import { check, cPath, type PathLike } from './internal/c-path.js';

/** mount(2): `flags` are MS_* bigints; source/fstype/data may be null. */
export function mount(
  source: PathLike | null, target: PathLike, fstype: string | null, flags: bigint, data: string | null = null,
): void {
  check(
    native.mount(source === null ? null : cPath(source), cPath(target), fstype === null ? null : cPath(fstype), flags,
      data === null ? null : cPath(data)),
    'mount', target);
}

/** umount2(2): flags MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW. */
export function umount2(target: PathLike, flags = 0): void {
  check(native.umount2(cPath(target), flags), 'umount2', target);
}
