// Layer entries from a directory on the host, made independent of who built them and when: names sorted by
// bytes, one fixed mtime, fixed owners, modes optionally normalised (a git checkout's modes follow the umask),
// hardlinks within the tree kept as tar hardlinks. Relies on lstat(2), readlink(2), readdir(3) via node:fs.

import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ImageToolError } from './errors.mjs';

/** @typedef {import('./tar-writer.mjs').LayerEntry} LayerEntry */

/**
 * @typedef {object} DirectorySourceOptions
 * @property {string} [prefix] path inside the layer the directory's contents go under ("" = the root; e.g. "etc")
 * @property {number} [uid] owner written for every entry (default 0)
 * @property {number} [gid] group written for every entry (default 0)
 * @property {boolean} [normalizeModes] files become 0o755 if any x bit is set else 0o644, dirs 0o755 (default false:
 *   keep the permission bits found on disk)
 * @property {(relPath: string) => boolean} [include] keep an entry (relative path, "/"-separated); a skipped
 *   directory is skipped with its contents
 */

/**
 * List a host directory as layer entries, parents before children, siblings sorted by byte order.
 * File contents are read into memory (test images are small). Sockets are skipped; device nodes are not
 * supported (build them with explicit entries).
 * @param {string} root host directory
 * @param {DirectorySourceOptions} [options]
 * @returns {LayerEntry[]}
 */
export function entriesFromDirectory(root, options = {}) {
  const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
  /** @type {LayerEntry[]} */
  const out = [];
  /** @type {Map<string, string>} "dev:ino" of files seen with nlink > 1 → their layer path */
  const seen = new Map();
  walk(root, '', out, seen, prefix, options);
  return out;
}

/**
 * @param {string} hostDir
 * @param {string} rel
 * @param {LayerEntry[]} out
 * @param {Map<string, string>} seen
 * @param {string} prefix
 * @param {DirectorySourceOptions} options
 */
function walk(hostDir, rel, out, seen, prefix, options) {
  const names = readdirSync(hostDir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const relPath = rel === '' ? name : `${rel}/${name}`;
    if (options.include && !options.include(relPath)) continue;
    const hostPath = join(hostDir, name);
    const st = lstatSync(hostPath);
    const path = prefix === '' ? relPath : `${prefix}/${relPath}`;
    const owner = { uid: options.uid ?? 0, gid: options.gid ?? 0 };
    const perm = st.mode & 0o7777;
    if (st.isDirectory()) {
      out.push({ type: 'dir', path, mode: options.normalizeModes ? 0o755 : perm, ...owner });
      walk(hostPath, relPath, out, seen, prefix, options);
    } else if (st.isSymbolicLink()) {
      out.push({ type: 'symlink', path, target: readlinkSync(hostPath), mode: 0o777, ...owner });
    } else if (st.isFile()) {
      const mode = options.normalizeModes ? (perm & 0o111 ? 0o755 : 0o644) : perm;
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? seen.get(key) : undefined;
      if (first !== undefined) {
        out.push({ type: 'hardlink', path, target: first, mode, ...owner });
      } else {
        if (st.nlink > 1) seen.set(key, path);
        out.push({ type: 'file', path, content: readFileSync(hostPath), mode, ...owner });
      }
    } else if (st.isFIFO()) {
      out.push({ type: 'fifo', path, mode: options.normalizeModes ? 0o644 : perm, ...owner });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      throw new ImageToolError('ENTRY_INVALID', `layer from directory: ${hostPath}: device nodes are not read from disk, use explicit entries`);
    }
    // sockets cannot be stored in tar: skipped, as GNU tar does
  }
}
