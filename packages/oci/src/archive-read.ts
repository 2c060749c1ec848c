/**
 * Reading an image archive (an `oci-archive` tarball, or a `docker save` tarball) into a private temporary
 * directory. Members are never recreated under their own names: each regular file is stored as `f<N>` and looked
 * up through a map, so no name, symlink or hardlink in the archive can place a file anywhere (skopeo extracts to a
 * temporary directory too, but by name). Symlinks and hardlinks between members (docker save links identical
 * layers) are resolved lexically inside the archive. Headers go through the same {@link TarScanner} limits as layers.
 * The archive itself may be gzip- or zstd-compressed (`image.tar.gz`, as `docker save | gzip` makes), told by its
 * magic bytes, not its name; other compressions (bzip2, xz, lz4, lzip, compress, zip) are refused naming the file
 * and the magic.
 * Man pages: tar(5); RFC 1952 (gzip), RFC 8878 (zstd).
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, constants as fsc } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadStream, rmSync } from 'node:fs';
import type { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { OciLayoutError, displayName } from './errors.js';
import { TarScanner, TarScanError, type RawEntry } from './tar-scan.js';
import { feedTar, newExtract } from './internal/tar-feed.js';
import { writeAll } from './internal/fd-write.js';

/** A regular member of the archive as stored. */
export interface ArchiveFile {
  /** Where its bytes are. */
  readonly path: string;
  readonly size: number;
  /** sha256 of its bytes, `sha256:…`. */
  readonly digest: string;
}

/** An archive read into a temporary directory. */
export interface ArchiveContents {
  /** The temporary directory (remove it when done). */
  readonly tmpDir: string;
  /** Looks a member up by its cleaned name, following archive-internal links; undefined when absent. */
  lookup(name: string): ArchiveFile | undefined;
  /** The cleaned names of all regular members. */
  names(): string[];
}

const MAX_LINK_HOPS = 40;

/** Clean an archive member name lexically: undefined when it climbs out or is empty. */
export function cleanArchiveName(name: string): string | undefined {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') { if (out.pop() === undefined) return undefined; continue; }
    out.push(c);
  }
  return out.length === 0 ? undefined : out.join('/');
}


/** Compressions an archive is read through, and those refused, by their magic bytes (longest first). */
const MAGICS: readonly { readonly name: string; readonly magic: readonly number[]; readonly read: boolean }[] = [
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], read: false },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], read: true },
  { name: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18], read: false },
  { name: 'lzip', magic: [0x4c, 0x5a, 0x49, 0x50], read: false },
  { name: 'zip', magic: [0x50, 0x4b, 0x03, 0x04], read: false },
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68], read: false },
  { name: 'gzip', magic: [0x1f, 0x8b], read: true },
  { name: 'compress (.Z)', magic: [0x1f, 0x9d], read: false },
];

/** A compression told by its magic bytes. */
export interface ArchiveCompression {
  readonly name: string;
  /** The magic bytes in hex, space-separated. */
  readonly magic: string;
  /** True when archives compressed so are read (gzip, zstd). */
  readonly read: boolean;
}

/** The compression of `file` by its first bytes; undefined for anything else (a tar, or what the tar reader refuses). */
export function archiveCompression(file: string): ArchiveCompression | undefined {
  const head = Buffer.alloc(6);
  const fd = openSync(file, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const found = MAGICS.find((m) => n >= m.magic.length && m.magic.every((b, i) => head[i] === b));
  if (found === undefined) return undefined;
  return { name: found.name, magic: found.magic.map((b) => b.toString(16).padStart(2, '0')).join(' '), read: found.read };
}

/** The decompression stage for `file`, if it is compressed. @throws OciLayoutError OCI_ARCHIVE_COMPRESSION. */
async function decompressor(file: string): Promise<Transform[]> {
  const c = archiveCompression(file);
  if (c === undefined) return [];
  if (!c.read) {
    throw new OciLayoutError('OCI_ARCHIVE_COMPRESSION', `read archive: ${file}: compressed with ${c.name} (magic bytes ${c.magic}), which is not read: decompress it first (gzip and zstd archives are read)`);
  }
  if (c.name === 'gzip') return [createGunzip({ chunkSize: 64 * 1024 })];
  return [new (await import('./zstd-stream.js')).ZstdDecompressStream()];
}

/**
 * Read the archive at `file` into a new temporary directory under `tmpRoot` (default os.tmpdir()).
 * @throws OciLayoutError OCI_ARCHIVE_INVALID (malformed tar or compressed stream, oversized header, duplicate member),
 *   OCI_ARCHIVE_COMPRESSION (a compression that is not read).
 */
export async function readArchive(file: string, tmpRoot = tmpdir()): Promise<ArchiveContents> {
  const stages = await decompressor(file);
  const tmpDir = mkdtempSync(join(tmpRoot, 'ct-archive-'));
  const files = new Map<string, ArchiveFile>();
  const links = new Map<string, { target: string; hard: boolean }>();
  const raws: RawEntry[] = [];
  const extract = newExtract();
  const scanner = new TarScanner((e) => raws.push(e));
  let n = 0;
  const fail = (why: string, cause?: unknown): OciLayoutError =>
    new OciLayoutError('OCI_ARCHIVE_INVALID', `read archive: ${file}: ${why}`, {}, cause === undefined ? undefined : { cause });
  const feed = feedTar(createReadStream(file), [...stages, scanner], extract);
  try {
    for await (const entry of extract) {
      const raw = raws.shift();
      if (raw === undefined || raw.size !== entry.header.size) throw fail('tar framing disagrees between readers');
      const shown = displayName(raw.name);
      const name = cleanArchiveName(raw.name.toString('utf8'));
      const type = entry.header.type;
      if (name === undefined) {
        if (type !== 'directory') throw fail(`${shown}: member name is empty or climbs out of the archive`);
        entry.resume();
        continue;
      }
      if (files.has(name) || links.has(name)) throw fail(`${name}: duplicate member`);
      if (type === 'file' || type === 'contiguous-file') {
        const path = join(tmpDir, `f${n++}`);
        const fd = openSync(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
        const hash = createHash('sha256');
        let size = 0;
        try {
          for await (const chunk of entry as AsyncIterable<Buffer>) {
            hash.update(chunk);
            writeAll(fd, chunk);
            size += chunk.length;
          }
        } finally {
          closeSync(fd);
        }
        files.set(name, { path, size, digest: `sha256:${hash.digest('hex')}` });
        continue;
      }
      if ((type === 'symlink' || type === 'link') && raw.linkname !== null) {
        const base = type === 'symlink' && !raw.linkname.toString('utf8').startsWith('/') ? name.split('/').slice(0, -1).join('/') : '';
        const target = cleanArchiveName(`${base}/${raw.linkname.toString('utf8')}`);
        if (target !== undefined) links.set(name, { target, hard: type === 'link' });
      }
      entry.resume();
    }
    await feed.done;
  } catch (cause) {
    feed.abort(cause as Error);
    rmSync(tmpDir, { recursive: true, force: true });
    if (cause instanceof OciLayoutError) throw cause;
    if (cause instanceof TarScanError) throw fail(cause.message, cause);
    throw fail((cause as Error).message, cause);
  }
  const lookup = (name: string): ArchiveFile | undefined => {
    let cur = cleanArchiveName(name);
    for (let hops = 0; cur !== undefined && hops < MAX_LINK_HOPS; hops++) {
      const f = files.get(cur);
      if (f !== undefined) return f;
      // A symlinked parent directory: resolve the longest linked prefix.
      const parts = cur.split('/');
      let moved = false;
      for (let i = parts.length; i > 0 && !moved; i--) {
        const l = links.get(parts.slice(0, i).join('/'));
        if (l !== undefined) {
          cur = cleanArchiveName([l.target, ...parts.slice(i)].join('/'));
          moved = true;
        }
      }
      if (!moved) return undefined;
    }
    return undefined;
  };
  return { tmpDir, lookup, names: () => [...files.keys()] };
}
