/**
 * Applying one tar entry to a root directory (umoci's oci/layer/tar_extract.go, redone by fd):
 * - every path is resolved inside the root by fd (openInRoot: openat2 RESOLVE_IN_ROOT, or the O_NOFOLLOW walk), so a
 *   symlink planted by any layer, absolute or relative, resolves inside the root; names that climb are refused;
 * - the last component is always acted on with *at calls that do not follow it (O_EXCL|O_NOFOLLOW creation after
 *   removing what was there; chown/chmod/utimes with AT_SYMLINK_NOFOLLOW or on an fd);
 * - metadata order: owner, then mode (chown clears setuid/setgid), then xattrs, then times; directory modes and
 *   times (and the times of parents an entry changed) are applied when the layer ends, deepest first, checked
 *   against the inode recorded when the entry was applied.
 * Man pages: tar(5), openat2(2), mkdirat(2), mknodat(2), symlinkat(2), linkat(2), fchownat(2), fchmodat(2),
 * utimensat(2), xattr(7).
 */
import { closeSync } from 'node:fs';
import { O, S, SyscallError, readlinkat } from '@ct/syscalls';
import { entryProblem, TAR_TYPE } from './entry-checks.js';
import { stopPoint } from './internal/stop-point.js';
import { LayerUnpackError } from './errors.js';
import { writeAll } from './internal/fd-write.js';
import { collectYoungGarbage } from './internal/young-gc.js';
import { cleanEntryPath, joinComponents, pathKey } from './entry-path.js';
import type { FsOps, UnpackWarning } from './fs-ops.js';
import { ROOTLESS_XATTR } from './rootless-owner.js';
import type { RawEntry } from './tar-scan.js';
import { applyOpaque, classifyWhiteout, removeEntry } from './whiteout.js';
import {
  copyUpDir, copyUpFile, copyUpSymlink, escapeXattrName, resolveMerged, isWhiteout, lookupLower, makeWhiteout, markOpaque, type LowerNode, type OverlayContext,
} from './overlay-layer.js';

/** Options of a {@link LayerApplier}. */
export interface ApplyOptions {
  /** Resolve with the O_NOFOLLOW walk instead of openat2. */
  readonly forceWalk: boolean;
  readonly onWarning: (w: UnpackWarning) => void;
  /** Set to write the layer in overlayfs form into its own directory (overlay-layer.ts). */
  readonly overlay?: OverlayContext;
}

interface DirFixup {
  readonly comps: Buffer[];
  readonly ino: bigint;
  readonly mode?: number;
  readonly mtimeNs: bigint;
}

const T = TAR_TYPE;
/**
 * Dead chunk buffers are collected every this many bytes written (internal/young-gc.ts), within a file too. Not
 * less: the chunks in flight in the stream stages then live through two collections, which promotes them to the
 * old generation, where only a full collection frees them (bench large image, library entry: every 1 MB peaked at
 * 124-131 MB, every 4 MB at 85).
 */
const GC_BYTES = 4 * 1024 * 1024;
const XATTR_PREFIX = 'SCHILY.xattr.';


/** Applies the entries of one layer, in order, to the root open at `rootFd`. Call {@link finish} at the end. */
export class LayerApplier {
  private readonly created = new Set<string>();
  private readonly prefixes = new Set<string>();
  private readonly fixups = new Map<string, DirFixup>();
  private cached: { readonly key: string; readonly fd: number } | undefined;
  /** Entries applied and bytes written, for progress. */
  entries = 0;
  bytes = 0;
  private collectAt = GC_BYTES;

  constructor(
    private readonly fs: FsOps,
    private readonly rootFd: number,
    private readonly layerDigest: string,
    private readonly options: ApplyOptions,
  ) {}

  private fail(code: string, entry: Buffer, why: string, cause?: unknown): LayerUnpackError {
    return new LayerUnpackError(code, this.layerDigest, entry, why, cause === undefined ? undefined : { cause });
  }

  private openInRoot(comps: Buffer[], flags: number): number {
    return this.fs.openInRoot(this.rootFd, comps.length === 0 ? Buffer.from('.') : joinComponents(comps), flags | O.CLOEXEC, this.options.forceWalk);
  }

  /** The directory `comps` (O_PATH), made (0755, like `mkdir -p`) when missing and `create` is set. */
  private openDir(comps: Buffer[], create: boolean): number | undefined {
    const flags = O.PATH | O.DIRECTORY;
    try {
      return this.openInRoot(comps, flags);
    } catch (e) {
      if (!(e instanceof SyscallError) || e.code !== 'ENOENT') throw e;
      if (!create) return undefined;
    }
    let fd = this.openInRoot([], flags);
    try {
      for (let i = 0; i < comps.length; i++) {
        const st = this.fs.lstatat(fd, comps[i]!);
        if (st === undefined) this.makeImpliedDir(fd, comps.slice(0, i + 1));
        closeSync(fd);
        fd = -1;
        fd = this.openInRoot(comps.slice(0, i + 1), flags);
      }
      return fd;
    } catch (e) {
      if (fd >= 0) closeSync(fd);
      throw e;
    }
  }

  /** A directory only implied by an entry below it: 0755 as `mkdir -p`, or copied up from the lower layers. */
  private makeImpliedDir(parentFd: number, comps: Buffer[]): void {
    const name = comps.at(-1)!;
    const lower = this.lower(comps);
    try {
      if (lower !== undefined && (lower.st.mode & S.IFMT) === S.IFDIR) {
        copyUpDir(this.fs, parentFd, name, lower);
        this.fs.setTimes(parentFd, name, lower.st.mtimeNs);
        return;
      }
    } finally {
      if (lower !== undefined) closeSync(lower.fd);
    }
    this.fs.mkdirat(parentFd, name, 0o755);
    this.fs.chmodat(parentFd, name, 0o755);
  }

  /** The lower layers' node at `comps` (overlay form only); the caller closes its fd. */
  private lower(comps: Buffer[]): LowerNode | undefined {
    return this.options.overlay === undefined ? undefined : lookupLower(this.fs, this.options.overlay, comps);
  }

  /** True when the lower layers have something at `comps` (a directory when `dir`). */
  private inLower(comps: Buffer[], dir: boolean): boolean {
    const lower = this.lower(comps);
    if (lower === undefined) return false;
    closeSync(lower.fd);
    return !dir || (lower.st.mode & S.IFMT) === S.IFDIR;
  }

  private upper(comps: Buffer[]): boolean {
    const k = pathKey(comps);
    return this.created.has(k) || this.prefixes.has(k);
  }

  private noteCreated(comps: Buffer[]): void {
    this.created.add(pathKey(comps));
    for (let i = 1; i < comps.length; i++) this.prefixes.add(pathKey(comps.slice(0, i)));
  }

  /** Remember a directory's inode and time (its own header's mode and mtime when `mode` is given). */
  private noteDir(comps: Buffer[], ino: bigint, mtimeNs: bigint, mode?: number): void {
    const key = pathKey(comps);
    const had = this.fixups.get(key);
    if (mode === undefined && had !== undefined) return;
    this.fixups.set(key, mode === undefined ? { comps, ino, mtimeNs } : { comps, ino, mtimeNs, mode });
  }

  /**
   * Apply one entry; `data` is its content stream (consumed here for regular files, drained otherwise).
   * @throws LayerUnpackError naming the layer and entry.
   */
  async apply(raw: RawEntry, data: AsyncIterable<Buffer> & { resume(): unknown }): Promise<void> {
    const comps = cleanEntryPath(raw.name);
    if (comps === 'climbs') throw this.fail('OCI_ENTRY_UNSAFE', raw.name, 'name climbs out of the root');
    const problem = entryProblem(raw);
    if (problem !== undefined) throw this.fail('OCI_ENTRY_INVALID', raw.name, problem);
    this.entries++;
    try {
      if (comps.length === 0) {
        data.resume();
        if (raw.typeflag !== T.DIR) throw this.fail('OCI_ENTRY_UNSAFE', raw.name, 'entry would change the type of the root directory');
        this.applyRootDir(raw);
        return;
      }
      await this.applyEntry(raw, comps, data);
      stopPoint('unpack:entry-applied');
    } catch (e) {
      if (e instanceof LayerUnpackError) throw e;
      const why = e instanceof SyscallError ? `${e.syscall}: ${e.code}` : (e as Error).message;
      throw this.fail('OCI_ENTRY_FAILED', raw.name, why, e);
    }
  }

  private applyRootDir(raw: RawEntry): void {
    this.checkOwner(this.fs.chownat(this.rootFd, Buffer.from('.'), raw.uid, raw.gid), raw);
    const st = this.fs.fstat(this.rootFd);
    this.noteDir([], st.ino, raw.mtimeSec * 1_000_000_000n + BigInt(raw.mtimeNsec), raw.mode & 0o7777);
  }

  private async applyEntry(raw: RawEntry, comps: Buffer[], data: AsyncIterable<Buffer> & { resume(): unknown }): Promise<void> {
    const base = comps.at(-1)!;
    let parent = comps.slice(0, -1);
    const wh = classifyWhiteout(base);
    if (wh.kind !== 'none') data.resume();
    if (wh.kind === 'invalid') throw this.fail('OCI_ENTRY_INVALID', raw.name, 'whiteout names no file');
    if (wh.kind === 'ignore') return;
    const ov = this.options.overlay;
    if (ov !== undefined) {
      parent = this.resolveOverlayParent(parent);
      comps = [...parent, base];
    }
    // In overlay form a whiteout below a directory of a lower layer needs that directory in this layer.
    const dirFd = this.parentDir(parent, wh.kind === 'none' || (ov !== undefined && this.inLower(parent, true)));
    if (dirFd === undefined) return; // a whiteout below a directory that is not there: nothing to hide
    // Whiteouts hide the lower layers only: what this layer made (before or after the marker) stays.
    const keep = (rel: Buffer[]): boolean => this.upper([...parent, ...rel]);
    if (wh.kind === 'remove') {
      if (ov !== undefined) this.overlayWhiteout(dirFd, [...parent, wh.target], ov);
      else removeEntry(this.fs, dirFd, wh.target, keep);
      return;
    }
    if (wh.kind === 'opaque') {
      if (ov !== undefined) markOpaque(this.fs, dirFd, null, ov);
      else applyOpaque(this.fs, dirFd, keep);
      return;
    }
    this.noteCreated(comps);
    await this.create(raw, comps, dirFd, base, data);
  }

  /**
   * The parent directory of consecutive entries, opened (and its inode and time noted) once: tar streams list a
   * directory's entries together, so this saves an openat2, a statx and a close per entry. One slot is always
   * valid: an entry changes only children of its own parent, so anything that could move or replace the cached
   * directory has another parent and takes the slot first.
   */
  private parentDir(parent: Buffer[], create: boolean): number | undefined {
    const key = pathKey(parent);
    if (this.cached?.key === key) return this.cached.fd;
    this.dispose();
    const fd = this.openDir(parent, create);
    if (fd === undefined) return undefined;
    this.cached = { key, fd };
    const pst = this.fs.fstat(fd);
    this.noteDir(parent, pst.ino, pst.mtimeNs);
    return fd;
  }

  /** Close the cached parent directory (at the end of the layer, or when it failed). */
  dispose(): void {
    if (this.cached !== undefined) closeSync(this.cached.fd);
    this.cached = undefined;
  }

  /** Overlay form: a parent this layer lacks is resolved through the merged view (symlinks of lower layers). */
  private resolveOverlayParent(parent: Buffer[]): Buffer[] {
    if (parent.length === 0 || this.cached?.key === pathKey(parent)) return parent;
    const fd = this.openDir(parent, false);
    if (fd !== undefined) {
      closeSync(fd);
      return parent;
    }
    return resolveMerged(parent, (here) => {
      const dir = this.openDir(here.slice(0, -1), false);
      if (dir !== undefined) {
        try {
          const st = this.fs.lstatat(dir, here.at(-1)!);
          if (st !== undefined) {
            const target = (st.mode & S.IFMT) === S.IFLNK ? readlinkat(dir, here.at(-1)!) : Buffer.alloc(0);
            return { st, readlink: () => target };
          }
        } finally {
          closeSync(dir);
        }
      }
      const lower = this.lower(here);
      if (lower === undefined) return undefined;
      const target = (lower.st.mode & S.IFMT) === S.IFLNK ? readlinkat(lower.fd, '') : Buffer.alloc(0);
      closeSync(lower.fd);
      return { st: lower.st, readlink: () => target };
    });
  }

  /** `.wh.NAME` in overlay form: a whiteout device, or an opaque mark on a directory this layer made. */
  private overlayWhiteout(dirFd: number, comps: Buffer[], ov: OverlayContext): void {
    const name = comps.at(-1)!;
    const st = this.fs.lstatat(dirFd, name);
    if (st !== undefined) {
      if ((st.mode & S.IFMT) === S.IFDIR && this.upper(comps)) markOpaque(this.fs, dirFd, name, ov);
      return;
    }
    if (this.inLower(comps, false)) makeWhiteout(this.fs, dirFd, name);
  }

  /**
   * Make `base` with `make` (an O_EXCL-style call); when something is already there (EEXIST), remove it (a
   * directory is kept with `keepDir`: then 'kept') and make it again. Trying first saves a statx, and a thrown
   * ENOENT, per new entry.
   */
  private makeFresh<R>(dirFd: number, base: Buffer, make: () => R, keepDir = false): R | 'kept' {
    try {
      return make();
    } catch (e) {
      if (!(e instanceof SyscallError) || e.code !== 'EEXIST') throw e;
    }
    if (this.replaceExisting(dirFd, base, keepDir)) return 'kept';
    return make();
  }

  private replaceExisting(dirFd: number, base: Buffer, keepDir: boolean): boolean {
    const st = this.fs.lstatat(dirFd, base);
    if (st === undefined) return false;
    if (keepDir && (st.mode & S.IFMT) === S.IFDIR) return true;
    removeEntry(this.fs, dirFd, base);
    return false;
  }

  private async create(raw: RawEntry, comps: Buffer[], dirFd: number, base: Buffer, data: AsyncIterable<Buffer> & { resume(): unknown }): Promise<void> {
    const mode = raw.mode & 0o7777;
    const mtimeNs = raw.mtimeSec * 1_000_000_000n + BigInt(raw.mtimeNsec);
    switch (raw.typeflag) {
      case T.DIR: {
        data.resume();
        const replacesWhiteout = this.options.overlay !== undefined && isWhiteout(this.fs.lstatat(dirFd, base));
        this.makeFresh(dirFd, base, () => this.fs.mkdirat(dirFd, base, 0o700), true);
        // A directory made after its own whiteout in this layer must not show the lower one's children.
        if (replacesWhiteout) markOpaque(this.fs, dirFd, base, this.options.overlay!);
        this.checkOwner(this.fs.chownat(dirFd, base, raw.uid, raw.gid), raw);
        this.setXattrs(raw, () => this.fs.openat(dirFd, base, O.RDONLY | O.DIRECTORY, 0));
        this.noteDir(comps, this.fs.lstatat(dirFd, base)!.ino, mtimeNs, mode);
        return;
      }
      case T.FILE: case T.NUL: case T.CONTIG: {
        const fd = this.makeFresh(dirFd, base, () => this.fs.openat(dirFd, base, O.WRONLY | O.CREAT | O.EXCL, 0o600)) as number;
        try {
          // Synchronous writes: pwrite calls kept in flight on the threadpool measured slower here (README).
          for await (const chunk of data) {
            writeAll(fd, chunk);
            this.bytes += chunk.length;
            if (this.bytes >= this.collectAt) this.collectGarbage();
          }
          this.checkOwner(this.fs.fchown(fd, raw.uid, raw.gid), raw);
          this.fs.fchmod(fd, mode);
          this.setXattrs(raw, () => fd, false);
          this.fs.setTimes(fd, null, mtimeNs);
        } finally {
          closeSync(fd);
        }
        return;
      }
      case T.SYMLINK: {
        data.resume();
        if (raw.linkname === null) throw this.fail('OCI_ENTRY_INVALID', raw.name, 'symlink without a target');
        const target = raw.linkname;
        this.makeFresh(dirFd, base, () => this.fs.symlinkat(target, dirFd, base));
        this.checkOwner(this.fs.chownat(dirFd, base, raw.uid, raw.gid), raw);
        if ([...raw.pax.keys()].some((k) => k.startsWith(XATTR_PREFIX))) this.warn('XATTR_SKIPPED', raw.name, 'xattrs on a symlink are not applied');
        this.fs.setTimes(dirFd, base, mtimeNs);
        return;
      }
      case T.LINK:
        data.resume();
        this.link(raw, comps, dirFd, base);
        return;
      case T.CHAR: case T.BLOCK: case T.FIFO: {
        data.resume();
        this.replaceExisting(dirFd, base, false);
        const type = raw.typeflag === T.CHAR ? S.IFCHR : raw.typeflag === T.BLOCK ? S.IFBLK : S.IFIFO;
        if (!this.fs.mknodat(dirFd, base, type | 0o600, raw.devmajor, raw.devminor)) {
          this.warn('DEVICE_SKIPPED', raw.name, `device ${raw.devmajor}:${raw.devminor} not made without privileges`);
          return;
        }
        this.checkOwner(this.fs.chownat(dirFd, base, raw.uid, raw.gid), raw);
        this.fs.chmodat(dirFd, base, mode);
        this.fs.setTimes(dirFd, base, mtimeNs);
        return;
      }
      default:
        data.resume();
        throw this.fail('OCI_ENTRY_INVALID', raw.name, `unsupported tar entry type ${JSON.stringify(String.fromCharCode(raw.typeflag))}`);
    }
  }

  private link(raw: RawEntry, comps: Buffer[], dirFd: number, base: Buffer): void {
    if (raw.linkname === null) throw this.fail('OCI_ENTRY_INVALID', raw.name, 'hard link without a target');
    const target = cleanEntryPath(raw.linkname);
    if (target === 'climbs' || target.length === 0) throw this.fail('OCI_ENTRY_UNSAFE', raw.name, 'hard link target climbs out of the root');
    if (pathKey(target) === pathKey(comps)) return;
    const tdir = this.openDir(target.slice(0, -1), this.options.overlay !== undefined && this.inLower(target, false));
    if (tdir === undefined) throw this.fail('OCI_ENTRY_FAILED', raw.name, 'hard link target directory does not exist');
    try {
      const tbase = target.at(-1)!;
      if (this.options.overlay !== undefined && this.fs.lstatat(tdir, tbase) === undefined) this.copyUpLinkTarget(tdir, target);
      const tst = this.fs.lstatat(tdir, tbase);
      if (tst === undefined) throw this.fail('OCI_ENTRY_FAILED', raw.name, 'hard link target does not exist');
      if ((tst.mode & S.IFMT) === S.IFDIR) throw this.fail('OCI_ENTRY_INVALID', raw.name, 'hard link to a directory');
      const cur = this.fs.lstatat(dirFd, base);
      if (cur !== undefined && cur.ino === tst.ino && cur.devMajor === tst.devMajor && cur.devMinor === tst.devMinor) return;
      this.replaceExisting(dirFd, base, false);
      this.fs.linkat(tdir, tbase, dirFd, base);
    } finally {
      closeSync(tdir);
    }
  }

  /** Overlay form: a hard link to a lower layer's file links a copy in this layer, as overlayfs copies up. */
  private copyUpLinkTarget(tdir: number, target: Buffer[]): void {
    const lower = this.lower(target);
    if (lower === undefined) return;
    try {
      const type = lower.st.mode & S.IFMT;
      if (type === S.IFREG) copyUpFile(this.fs, tdir, target.at(-1)!, lower);
      else if (type === S.IFLNK) copyUpSymlink(this.fs, tdir, target.at(-1)!, lower);
    } finally {
      closeSync(lower.fd);
    }
  }

  private setXattrs(raw: RawEntry, open: () => number, close = true): void {
    let fd: number | undefined;
    try {
      for (const [k, v] of raw.pax) {
        if (!k.startsWith(XATTR_PREFIX)) continue;
        fd ??= open();
        const image = k.slice(XATTR_PREFIX.length);
        const name = this.options.overlay !== undefined ? escapeXattrName(image) : image;
        if (name === ROOTLESS_XATTR) {
          // It would tell rootless readers a false owner (umoci drops it too).
          this.warn('XATTR_SKIPPED', raw.name, `xattr ${name} from the layer is not applied`);
          continue;
        }
        if (!this.fs.fsetxattr(fd, name, v)) this.warn('XATTR_SKIPPED', raw.name, `xattr ${name} not set without privileges`);
      }
    } finally {
      if (close && fd !== undefined) closeSync(fd);
    }
  }

  private checkOwner(applied: boolean, raw: RawEntry): void {
    if (!applied) this.warn('OWNER_IGNORED', raw.name, `owner ${raw.uid}:${raw.gid} neither applied nor recorded`);
  }

  private warn(code: UnpackWarning['code'], name: Buffer, message: string): void {
    this.options.onWarning({ code, path: name.toString('latin1'), message: `unpack layer ${this.layerDigest}: ${message}` });
  }

  /**
   * Free the chunks written so far: a file of tens of MB would otherwise keep each of its dead chunks (gunzip's
   * output, the blob reads) until V8 collects on its own, and glibc keeps the memory they were freed from.
   */
  private collectGarbage(): void {
    this.collectAt = this.bytes + GC_BYTES;
    collectYoungGarbage();
  }

  /** Apply directory modes and times, deepest first. */
  finish(): void {
    this.dispose();
    const list = [...this.fixups.values()].sort((a, b) => b.comps.length - a.comps.length);
    for (const f of list) {
      try {
        this.fixDir(f);
      } catch (e) {
        const why = e instanceof SyscallError ? `${e.syscall}: ${e.code}` : (e as Error).message;
        throw this.fail('OCI_ENTRY_FAILED', joinComponents(f.comps), `restore directory metadata: ${why}`, e);
      }
    }
  }

  private fixDir(f: DirFixup): void {
    if (f.comps.length === 0) {
      if (this.fs.fstat(this.rootFd).ino !== f.ino) return;
      if (f.mode !== undefined) this.fs.chmodat(this.rootFd, Buffer.from('.'), f.mode);
      this.fs.setTimes(this.rootFd, Buffer.from('.'), f.mtimeNs);
      return;
    }
    const dirFd = this.openDir(f.comps.slice(0, -1), false);
    if (dirFd === undefined) return;
    try {
      const base = f.comps.at(-1)!;
      const st = this.fs.lstatat(dirFd, base);
      // Replaced later in the layer (by a file, a symlink, another directory): not ours to touch.
      if (st === undefined || st.ino !== f.ino || (st.mode & S.IFMT) !== S.IFDIR) return;
      if (f.mode !== undefined) this.fs.chmodat(dirFd, base, f.mode);
      this.fs.setTimes(dirFd, base, f.mtimeNs);
    } finally {
      closeSync(dirFd);
    }
  }
}
