/**
 * A network namespace held by a bind mount of /proc/PID/ns/net on a file in /run/netns (as ip-netns(8) keeps
 * one), root only. It keeps the namespace alive after the container's last process (the bridge's DEL needs it to
 * find the addresses whose masquerading it undoes), and it is a path a helper can open without ptrace access to
 * the container's init (pasta as root opens /proc/PID/ns/net only when the init is dumpable). pasta watches the
 * directory and exits once the file is removed.
 * Man pages: mount(2) (MS_BIND), umount(2), ip-netns(8), namespaces(7).
 */
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, systemError } from '../errors.js';

/** Where the network namespaces are held (ip-netns(8)'s directory). */
export const NETNS_DIR = '/run/netns';

/** The holder path for `name` (ct-…, unique per run). */
export function netnsHolderPath(name: string): string {
  return join(NETNS_DIR, name);
}

/** Bind-mount the network namespace of `pid` on `path` (a new empty file). */
export async function holdNetns(pid: number, path: string): Promise<void> {
  const { mount, MS } = await import('@ct/syscalls');
  mkdirSync(NETNS_DIR, { recursive: true, mode: 0o755 });
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

/** Undo holdNetns (a path that is not held, or gone, is fine). */
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
