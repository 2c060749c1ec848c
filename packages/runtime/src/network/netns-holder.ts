/**
 * A network namespace held by a bind mount of /proc/PID/ns/net on a file (as ip-netns(8) keeps one), root only
 * (rootless runs hold none: they reach the namespace through descriptors, network-attach.ts). It keeps the
 * namespace alive after the container's last process (the bridge's DEL needs it to find the addresses whose
 * masquerading it undoes), and it is a path a helper can open without ptrace access to the container's init (pasta
 * as root opens /proc/PID/ns/net only when the init is dumpable). pasta watches the directory and exits once the
 * file is removed.
 * The holders live in a directory of ct's own that is a private mount (holderDirReady), not in ip-netns(8)'s
 * /run/netns: `ip netns` makes that one a shared mount, so every mount namespace cloned from the host (unshare -m
 * --propagation unchanged, other runtimes' set-up) holds a peer of it, and an unmount of a holder's path in any of
 * them unmounted ct's holder on the host too (a soak's bridge DEL then found a plain file: "unknown FS magic").
 * A private mount neither sends nor receives such events. Records of older ct versions still name holders in
 * /run/netns: they are released by their path like any other (releaseNetns).
 * Man pages: mount(2) (MS_BIND, MS_PRIVATE), mount_namespaces(7), umount(2), ip-netns(8), flock(2).
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errnoCode, systemError } from '../errors.js';
import { withLock } from '../lock.js';

/** Where ct holds network namespaces: its own directory, a private mount (holderDirReady). */
export const NETNS_DIR = '/run/ct-netns';

/** Where ct held them before (ip-netns(8)'s shared directory): records of older versions may still name it. */
export const LEGACY_NETNS_DIR = '/run/netns';

/** The holder path for `name` (ct-…, unique per run). */
export function netnsHolderPath(name: string, dir = NETNS_DIR): string {
  return join(dir, name);
}

/**
 * The propagation of the topmost mount on `path` in this mount namespace: 'private', 'shared' or 'slave'
 * (mountinfo's optional fields: shared:N, master:N), or undefined when `path` is not a mount point.
 */
export function mountPropagation(path: string, procRoot = '/proc'): 'private' | 'shared' | 'slave' | undefined {
  let found: 'private' | 'shared' | 'slave' | undefined;
  for (const line of readFileSync(join(procRoot, 'self/mountinfo'), 'utf8').split('\n')) {
    const fields = line.split(' ');
    // field 5 is the mount point (octal-escaped), then options, then optional fields up to the '-' separator
    const point = (fields[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point !== path) continue;
    const optional = fields.slice(6, fields.indexOf('-'));
    // a later line on the same point is mounted over the earlier ones
    found = optional.some((f) => f.startsWith('master:')) ? 'slave' : optional.some((f) => f.startsWith('shared:')) ? 'shared' : 'private';
  }
  return found;
}

/**
 * Make `dir` (created if missing) a private mount of its own: bound on itself when it is not a mount point yet,
 * then MS_PRIVATE. Once per boot in practice: a private mount point returns at once. Concurrent ct processes
 * serialise on `DIR.lock` and look again under it, so the directory is never bound twice (a second bind would
 * hide the holders mounted under the first).
 * @throws RuntimeError naming the lock or the mount(2) that failed
 */
export async function holderDirReady(dir = NETNS_DIR): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (mountPropagation(dir) === 'private') return;
  await withLock(`${dir}.lock`, async () => {
    const { mount, MS } = await import('@ct/syscalls');
    const now = mountPropagation(dir);
    try {
      if (now === undefined) mount(dir, dir, null, MS.BIND);
      if (now !== 'private') mount(null, dir, null, MS.PRIVATE);
    } catch (err) {
      throw systemError('network: netns holder dir: mount', dir, err);
    }
  });
}

/** Bind-mount the network namespace of `pid` on `path` (a new empty file in a holder directory, made ready here). */
export async function holdNetns(pid: number, path: string): Promise<void> {
  const { mount, MS } = await import('@ct/syscalls');
  await holderDirReady(dirname(path));
  try {
    closeSync(openSync(path, 'wx', 0o444));
  } catch (err) {
    throw systemError('network: hold netns', path, err);
  }
  try {
    mount(`/proc/${pid}/ns/net`, path, null, MS.BIND);
  } catch (err) {
    rmSync(path, { force: true });
    throw systemError('network: hold netns: mount', path, err);
  }
}

/** Undo holdNetns, wherever the holder is (LEGACY_NETNS_DIR too); a path that is not held, or gone, is fine. */
export async function releaseNetns(path: string): Promise<void> {
  const { umount2, MNT } = await import('@ct/syscalls');
  try {
    umount2(path, MNT.DETACH);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'EINVAL' && code !== 'ENOENT') throw systemError('network: release netns: umount', path, err);
  }
  rmSync(path, { force: true });
}
