/**
 * Layers in overlayfs form: each layer unpacked into its own directory so a container root can be the overlay of
 * them (lowerdir=layers/N:...:layers/0). What the image spec expresses with `.wh.` names becomes what overlayfs
 * reads (Documentation/filesystems/overlayfs.rst, "Whiteouts and opaque directories"):
 * - `.wh.NAME` → a 0:0 character device NAME (mknod of a whiteout needs no privilege since Linux 5.8);
 * - `.wh..wh..opq` in D, and a directory that replaces a whiteout or is whited out in its own layer → D marked
 *   opaque: `trusted.overlay.opaque=y` (root, for a plain mount) and `user.overlay.opaque=y` (for a `userxattr`
 *   mount, the only kind a user namespace may make);
 * - a directory this layer only implies (an entry below it) and a hard link's target from a lower layer are copied
 *   up from the lower layers as overlayfs would (mode, owner, times; a file's contents), so the merged view keeps
 *   their metadata;
 * - xattrs of the image in the overlay namespaces (`trusted.overlay.*`, `user.overlay.*`) are escaped by doubling
 *   the prefix, which overlayfs undoes (Linux 6.7), so they cannot act as overlay metadata.
 * Man pages: mknod(2), setxattr(2), xattr(7).
 */
import { closeSync, readSync, writeSync } from 'node:fs';
import { O, S, SyscallError, fgetxattr, readlinkat, type Statx } from '@ct/syscalls';
import type { FsOps } from './fs-ops.js';
import { readDbFd } from './passwd.js';

/** What an applier in overlay form knows of the layers below it. */
export interface OverlayContext {
  /** O_PATH fds of the lower layer directories, bottom first. */
  readonly lowerRoots: readonly number[];
  /** The opaque xattrs to set ('trusted.overlay.opaque' and/or 'user.overlay.opaque'). */
  readonly opaqueXattrs: readonly string[];
}

/** The xattrs that mark a directory opaque for a unpacker with or without real root. */
export function opaqueXattrsFor(fs: FsOps): string[] {
  return fs.kind === 'default' ? ['trusted.overlay.opaque', 'user.overlay.opaque'] : ['user.overlay.opaque'];
}

const OVERLAY_PREFIXES = ['trusted.overlay.', 'user.overlay.'];

/** An image xattr name as stored in a layer directory (overlay-namespace names escaped). */
export function escapeXattrName(name: string): string {
  const p = OVERLAY_PREFIXES.find((x) => name.startsWith(x));
  return p === undefined ? name : `${p}overlay.${name.slice(p.length)}`;
}

/** True for a 0:0 character device: an overlayfs whiteout. */
export function isWhiteout(st: Statx | undefined): boolean {
  return st !== undefined && (st.mode & S.IFMT) === S.IFCHR && st.rdevMajor === 0 && st.rdevMinor === 0;
}

/** Make a whiteout for `name` in `dirFd`. */
export function makeWhiteout(fs: FsOps, dirFd: number, name: Uint8Array): void {
  if (!fs.mknodat(dirFd, name, S.IFCHR, 0, 0)) throw new SyscallError('mknodat', 1, { path: Buffer.from(name).toString('latin1') });
}

/** Mark the directory `name` in `dirFd` (or `dirFd` itself with null) opaque. */
export function markOpaque(fs: FsOps, dirFd: number, name: Uint8Array | null, ctx: OverlayContext): void {
  const fd = name === null ? fs.openat(dirFd, Buffer.from('.'), O.RDONLY | O.DIRECTORY, 0) : fs.openat(dirFd, name, O.RDONLY | O.DIRECTORY, 0);
  try {
    for (const x of ctx.opaqueXattrs) fs.fsetxattr(fd, x, Buffer.from('y'));
  } finally {
    closeSync(fd);
  }
}

function isOpaque(fd: number, ctx: OverlayContext): boolean {
  for (const x of ctx.opaqueXattrs) {
    try {
      if (fgetxattr(fd, x).toString() === 'y') return true;
    } catch {
      // ENODATA, or an xattr namespace this caller cannot read
    }
  }
  return false;
}

/** What the merged lower layers hold at a path: an fd on it (O_RDONLY for a regular file, else O_PATH), its stat. */
export interface LowerNode {
  readonly fd: number;
  readonly st: Statx;
}

/**
 * Look `comps` up in the lower layers as overlayfs merges them (topmost first): a whiteout, a non-directory on
 * the way or an opaque directory on the way ends the search. The caller closes `fd`.
 */
export function lookupLower(fs: FsOps, ctx: OverlayContext, comps: readonly Buffer[]): LowerNode | undefined {
  for (let j = ctx.lowerRoots.length - 1; j >= 0; j--) {
    let fd = fs.openat(ctx.lowerRoots[j]!, Buffer.from('.'), O.PATH | O.DIRECTORY, 0);
    let stop = false;
    try {
      for (let i = 0; i < comps.length; i++) {
        const st = fs.lstatat(fd, comps[i]!);
        if (st === undefined) break;
        if (isWhiteout(st)) return undefined;
        const last = i === comps.length - 1;
        if (last) {
          // A regular file is opened for reading (its contents may be copied up), anything else O_PATH.
          const node = fs.openat(fd, comps[i]!, (st.mode & S.IFMT) === S.IFREG ? O.RDONLY | O.NONBLOCK : O.PATH, 0);
          return { fd: node, st };
        }
        if ((st.mode & S.IFMT) !== S.IFDIR) return undefined;
        const next = fs.openat(fd, comps[i]!, O.RDONLY | O.DIRECTORY, 0);
        closeSync(fd);
        fd = next;
        if (isOpaque(fd, ctx)) stop = true;
      }
    } finally {
      closeSync(fd);
    }
    if (stop) return undefined;
  }
  return undefined;
}

/** The text of the regular file at `path` of the merged layers ('' when absent or not a regular file). */
export function readMergedFile(fs: FsOps, ctx: OverlayContext, path: string): string {
  const node = lookupLower(fs, ctx, path.split('/').map((c) => Buffer.from(c)));
  if (node === undefined) return '';
  try {
    return (node.st.mode & S.IFMT) === S.IFREG ? readDbFd(node.fd, path) : '';
  } finally {
    closeSync(node.fd);
  }
}

/** Copy a lower directory's metadata onto the new directory `name` in `dirFd` (owner, mode; times by the caller). */
export function copyUpDir(fs: FsOps, dirFd: number, name: Uint8Array, lower: LowerNode): void {
  fs.mkdirat(dirFd, name, 0o700);
  fs.chownat(dirFd, name, lower.st.uid, lower.st.gid);
  fs.chmodat(dirFd, name, lower.st.mode & 0o7777);
}

/** Copy a lower regular file (contents, owner, mode, mtime) to `name` in `dirFd`. */
export function copyUpFile(fs: FsOps, dirFd: number, name: Uint8Array, lower: LowerNode): void {
  const src = lower.fd;
  const dst = fs.openat(dirFd, name, O.WRONLY | O.CREAT | O.EXCL, 0o600);
  try {
    const buf = Buffer.allocUnsafe(256 * 1024);
    for (let n = readSync(src, buf, 0, buf.length, null); n > 0; n = readSync(src, buf, 0, buf.length, null)) {
      for (let off = 0; off < n;) off += writeSync(dst, buf, off, n - off);
    }
    fs.fchown(dst, lower.st.uid, lower.st.gid);
    fs.fchmod(dst, lower.st.mode & 0o7777);
    fs.setTimes(dst, null, lower.st.mtimeNs);
  } finally {
    closeSync(dst);
  }
}

/** Copy a lower symlink (target, owner, mtime) to `name` in `dirFd` (readlinkat on its O_PATH fd, empty path). */
export function copyUpSymlink(fs: FsOps, dirFd: number, name: Uint8Array, lower: LowerNode): void {
  fs.symlinkat(readlinkat(lower.fd, ''), dirFd, name);
  fs.chownat(dirFd, name, lower.st.uid, lower.st.gid);
  fs.setTimes(dirFd, name, lower.st.mtimeNs);
}

/** A node of the merged view: its stat, and its target when it is a symlink. */
export interface MergedNode {
  readonly st: Statx;
  readlink(): Buffer;
}

const MAX_LINK_HOPS = 40;

/**
 * The directory path `comps` as the merged layers resolve it: a symlink on the way (of this layer or a lower one)
 * is followed inside the root, as the flattened unpack's RESOLVE_IN_ROOT does, so an entry written through a
 * symlink of a lower layer lands where the flattened tree has it. `node` looks a path up in the merged view.
 * @throws SyscallError ELOOP after 40 links.
 */
export function resolveMerged(comps: readonly Buffer[], node: (comps: Buffer[]) => MergedNode | undefined): Buffer[] {
  let out: Buffer[] = [];
  const rest = [...comps];
  let hops = 0;
  while (rest.length > 0) {
    const c = rest.shift()!;
    if (c.length === 0 || c.equals(Buffer.from('.'))) continue;
    if (c.equals(Buffer.from('..'))) {
      out.pop();
      continue;
    }
    const here = [...out, c];
    const n = node(here);
    if (n !== undefined && (n.st.mode & S.IFMT) === S.IFLNK) {
      if (++hops > MAX_LINK_HOPS) throw new SyscallError('openat2', 40, { path: Buffer.concat(comps.flatMap((x) => [x, Buffer.from('/')])).toString('latin1') });
      const target = n.readlink();
      if (target[0] === 0x2f) out = [];
      const parts: Buffer[] = [];
      for (let start = 0, i = 0; i <= target.length; i++) {
        if (i === target.length || target[i] === 0x2f) {
          parts.push(Buffer.from(target.subarray(start, i)));
          start = i + 1;
        }
      }
      rest.unshift(...parts);
      continue;
    }
    out = here;
  }
  return out;
}
