// A snapshot of a directory tree for comparing unpacked roots: path (latin1 of the bytes) → type, mode, owners,
// symlink target, sha256 of the contents, device number, and the owner recorded in user.rootlesscontainers when
// asked. Plain JavaScript so a Node process inside a user namespace (evalInContainer) can run it too and see the
// owners as the namespace does. Man pages: lstat(2), xattr(7).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Walk `root` without following symlinks.
 * @param {string} root
 * @param {{ recordedOwners?: (path: Buffer) => {uid: number, gid: number} | undefined }} [options]
 * @returns {[string, import('./snapshot-tree.d.mts').NodeInfo][]}
 */
export function snapshotEntries(root, options = {}) {
  /** @type {[string, any][]} */
  const out = [];
  /** @param {Buffer} rel */
  const walk = (rel) => {
    const abs = Buffer.concat([Buffer.from(root + '/'), rel]);
    const st = lstatSync(abs);
    const key = rel.length === 0 ? '.' : rel.toString('latin1');
    const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isFIFO() ? 'fifo'
      : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : 'other';
    /** @type {any} */
    const info = { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    if (type === 'symlink') info.link = readlinkSync(abs, { encoding: 'buffer' }).toString('latin1');
    if (type === 'file') info.sha = createHash('sha256').update(readFileSync(abs)).digest('hex');
    if (type === 'char' || type === 'block') info.rdev = st.rdev;
    if (options.recordedOwners && (type === 'file' || type === 'dir')) Object.assign(info, options.recordedOwners(abs) ?? { uid: 0, gid: 0 });
    else if (options.recordedOwners) Object.assign(info, { uid: 0, gid: 0 });
    out.push([key, info]);
    if (type === 'dir') {
      for (const name of readdirSync(abs, { encoding: 'buffer' })) walk(rel.length === 0 ? name : Buffer.concat([rel, Buffer.from('/'), name]));
    }
  };
  walk(Buffer.alloc(0));
  return out;
}

/**
 * The snapshot as seen inside a user namespace (run through evalInContainer): owners as the namespace maps them,
 * or, with `recorded`, from user.rootlesscontainers (read with @ct/oci's decoder).
 * @param {string} root @param {boolean} recorded @param {string} ociDist the @ct/oci dist/index.js, @ct/syscalls beside it
 */
export async function snapshotInside(root, recorded, ociDist) {
  if (!recorded) return snapshotEntries(root);
  const oci = await import(ociDist);
  const sys = await import(new URL('../../syscalls/dist/index.js', new URL(ociDist, 'file:///')).href);
  return snapshotEntries(root, {
    recordedOwners: (path) => {
      try {
        return oci.decodeRootlessOwner(sys.lgetxattr(path, oci.ROOTLESS_XATTR));
      } catch (e) {
        if (/** @type {any} */ (e).code === 'ENODATA') return undefined;
        throw e;
      }
    },
  });
}
