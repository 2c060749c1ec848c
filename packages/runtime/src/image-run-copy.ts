/**
 * The copy root of `ct container run` where overlay is refused (or `--storage-driver copy`, as podman's vfs
 * driver): the image's layer dirs (overlay form, see @ct/oci overlay-layer.ts) merged into the container's
 * `merged/` dir by copying, so writes never touch the stored layers. Each layer, bottom first, is applied as
 * overlayfs would merge it:
 * - a whiteout (0:0 character device) removes the path below it;
 * - an opaque directory (`trusted.overlay.opaque` or `user.overlay.opaque` = y) hides what is below it;
 * - an entry replaces a lower one of another kind (a directory over a file or symlink, or the reverse), and a
 *   non-directory is unlinked before the copy, so a hard link made by a lower layer is never written through and
 *   a symlink of a lower layer is never followed;
 * then `cp -a` copies the layer (owners, modes, times, xattrs, hard links within the layer) and the whiteout nodes
 * it copied are removed. The opaque markers stay on the copied directories (nothing reads them outside overlayfs).
 * Unprivileged, the copy runs in a user namespace with the caller's subordinate ids (image-run-copy-worker.ts), as
 * the layers hold files of subuid owners.
 * Man pages: cp(1), overlayfs (Documentation/filesystems/overlayfs.rst, "Whiteouts and opaque directories"),
 * getxattr(2), user_namespaces(7).
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, rmSync, type Stats } from 'node:fs';
import { RuntimeError } from './errors.js';
import { runWorkerInUserNamespace, workerModulePath } from './userns-worker.js';

/** The storage drivers of `container run`: an overlay of the layers, or a copy of them. */
export type StorageDriver = 'overlay' | 'copy';

const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];

type GetXattr = (path: Buffer, name: string) => Buffer;

/** Paths as bytes: a layer may hold names that are not UTF-8. */
const sub = (dir: Buffer, name: Buffer): Buffer => (dir.length === 0 ? name : Buffer.concat([dir, SLASH, name]));
const SLASH = Buffer.from('/');

function lstatOrUndefined(path: Buffer): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function isOpaque(path: Buffer, getxattr: GetXattr): boolean {
  for (const name of OPAQUE_XATTRS) {
    try {
      if (getxattr(path, name).toString() === 'y') return true;
    } catch {
      // ENODATA (not set), or EPERM for trusted.* without real root: not this marker
    }
  }
  return false;
}

function emptyDir(dir: Buffer): void {
  for (const name of readdirSync(dir, { encoding: 'buffer' })) rmSync(sub(dir, name), { recursive: true, force: true });
}

/**
 * Prepare `merged` for layer dir `layer` (below it, the relative path `rel`): apply its whiteouts and opaque dirs
 * and clear the entries it replaces. Collects the whiteouts' relative paths, removed again after the copy.
 */
function prepareLayer(layer: Buffer, merged: Buffer, rel: Buffer, getxattr: GetXattr, whiteouts: Buffer[]): void {
  for (const entry of readdirSync(sub(layer, rel), { encoding: 'buffer' })) {
    const path = sub(rel, entry);
    const src = lstatSync(sub(layer, path));
    const dst = sub(merged, path);
    const below = lstatOrUndefined(dst);
    if (isWhiteout(src)) {
      whiteouts.push(path);
      if (below !== undefined) rmSync(dst, { recursive: true, force: true });
      continue;
    }
    if (!src.isDirectory()) {
      if (below !== undefined) rmSync(dst, { recursive: true, force: true });
      continue;
    }
    if (below !== undefined && !below.isDirectory()) rmSync(dst, { force: true });
    else if (below !== undefined && isOpaque(sub(layer, path), getxattr)) emptyDir(dst);
    prepareLayer(layer, merged, path, getxattr, whiteouts);
  }
}

/**
 * Merge `layers` (bottom first) into the empty dir `merged` by copying (this process must own what it copies:
 * real root, or the user namespace of image-run-copy-worker.ts).
 * @throws RuntimeError ESETUP when cp fails (its message names the file).
 */
export function copyLayers(layers: readonly string[], merged: string, getxattr: GetXattr): void {
  for (const layer of layers) {
    const whiteouts: Buffer[] = [];
    prepareLayer(Buffer.from(layer), Buffer.from(merged), Buffer.alloc(0), getxattr, whiteouts);
    const cp = spawnSync('cp', ['-a', '--no-target-directory', `${layer}/.`, merged], { encoding: 'utf8' });
    if (cp.error !== undefined || cp.status !== 0) {
      throw new RuntimeError('ESETUP', `container run: copy layer: ${layer}: ${(cp.error?.message ?? cp.stderr).trim()}`);
    }
    for (const w of whiteouts) rmSync(sub(Buffer.from(merged), w), { force: true });
  }
}

/**
 * Fill `merged` with a copy of `lowerDirs` (TOP first, as overlayfs takes them): in this process as root, else in
 * a user namespace with the caller's subordinate ids (image-run-copy-worker.ts).
 * @throws RuntimeError ESETUP (a failed copy), NamespaceSetupError (no user namespace).
 */
export async function copyImageRoot(lowerDirs: readonly string[], merged: string, rootless: boolean): Promise<void> {
  const layers = [...lowerDirs].reverse();
  if (!rootless && process.geteuid?.() === 0) {
    const { lgetxattr } = await import('@ct/syscalls');
    copyLayers(layers, merged, (path, name) => lgetxattr(path, name));
    return;
  }
  const worker = workerModulePath(new URL('./image-run-copy-worker.js', import.meta.url));
  const status = await runWorkerInUserNamespace(worker, JSON.stringify({ layers, merged }));
  if (status !== 0) throw new RuntimeError('ESETUP', `container run: copy root: ${merged}: the copy exited with status ${status}`);
}

/**
 * The bytes of overlay mount data for these dirs when that is more than the kernel reads (@ct/namespaces
 * MOUNT_DATA_MAX: an image of ~40 layers or more in a store with long paths), else undefined: the caller copies the
 * layers instead. Counted with `userxattr` (the rootless form), so both forms decide alike.
 */
export async function overlayDataTooLong(lowerDirs: readonly string[], upper: string, work: string): Promise<number | undefined> {
  const { MOUNT_DATA_MAX, overlayMountData } = await import('@ct/namespaces/engine');
  const bytes = Buffer.byteLength(overlayMountData({ lowerDirs, upperDir: upper, workDir: work, userxattr: true }));
  return bytes > MOUNT_DATA_MAX ? bytes : undefined;
}

/** The child step that mounts the overlay root (@ct/namespaces mount-plan.ts). */
const OVERLAY_STEP = 'mount root overlay';
/** The errnos of an overlay the kernel refuses for these dirs (not a bug of ours): the copy root is used instead. */
const REFUSED = new Set(['EINVAL', 'EPERM', 'ENODEV', 'EOPNOTSUPP']);

/**
 * The errno code when `err` (or an error in its cause chain) is the overlay root's mount refused with EINVAL,
 * EPERM, ENODEV or EOPNOTSUPP; undefined for anything else.
 */
export function overlayRefusal(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { step?: unknown }).step !== OVERLAY_STEP) continue;
    const cause = (e as { cause?: { code?: unknown } }).cause;
    const code = cause?.code;
    return typeof code === 'string' && REFUSED.has(code) ? code : undefined;
  }
  return undefined;
}

/** The cause the caller of a detached run's monitor attaches for an overlay refusal the monitor reported. */
export function overlayRefusalCause(errno: string): { step: string; cause: { code: string } } {
  return { step: OVERLAY_STEP, cause: { code: errno } };
}
