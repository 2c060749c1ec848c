/**
 * `-u USER[:GROUP]` of `ct container run` and `container exec`, resolved as podman does (passwd.ts
 * resolveContainerUser) in the image's own /etc/passwd and /etc/group: read from the merged view of the stored
 * layer directories (overlay-layer.ts lookupLower: whiteouts and opaque directories honoured) before the container
 * exists, or from a running container's root (`/proc/PID/root`) by fd, confined to it (openat2 RESOLVE_IN_ROOT),
 * so a symlinked /etc/passwd in an image never reads the host's.
 * Man pages: passwd(5), group(5), openat2(2).
 */
import { closeSync } from 'node:fs';
import { AT, O, openat } from '@ct/syscalls';
import { defaultFsOps } from '../fs-ops.js';
import { readMergedFile } from '../overlay-layer.js';
import { readRootFile, resolveContainerUser, resolveExecUser, type ExecUser } from '../passwd.js';

const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];

/**
 * Resolve `user` (`name`, `uid`, `name:group`, `uid:gid`) in the image whose layer directories are `lowerDirs`
 * (TOP first, as ContainerRoot.lowerDirs).
 * @throws CtError OCI_USER_INVALID (a name missing from the image's /etc/passwd or /etc/group), SyscallError.
 */
export function resolveImageUser(lowerDirs: readonly string[], user: string): ExecUser {
  const roots: number[] = [];
  try {
    for (const dir of [...lowerDirs].reverse()) roots.push(openat(AT.FDCWD, dir, O.PATH | O.DIRECTORY | O.CLOEXEC));
    const ctx = { lowerRoots: roots, opaqueXattrs: OPAQUE_XATTRS };
    return resolveContainerUser(user, readMergedFile(defaultFsOps, ctx, 'etc/passwd'), readMergedFile(defaultFsOps, ctx, 'etc/group'));
  } finally {
    for (const fd of roots) closeSync(fd);
  }
}

/**
 * Resolve `user` in the root directory `rootDir` (a running container's `/proc/PID/root`, or a bundle's rootfs).
 * `exec`: as podman's `exec -u` (runc's GetExecUser: the user's primary group is not added to its groups, and a
 * named group leaves none), not as `run -u`.
 * @throws CtError OCI_USER_INVALID, SyscallError.
 */
export function resolveUserInRoot(rootDir: string, user: string, options: { readonly exec?: boolean } = {}): ExecUser {
  const root = openat(AT.FDCWD, rootDir, O.PATH | O.DIRECTORY | O.CLOEXEC);
  const resolve = options.exec === true ? resolveExecUser : resolveContainerUser;
  try {
    return resolve(user, readRootFile(defaultFsOps, root, 'etc/passwd', false), readRootFile(defaultFsOps, root, 'etc/group', false));
  } finally {
    closeSync(root);
  }
}
