/**
 * A layer's tar made again from its directory in the store (overlay form: overlay-layer.ts), for `image save`:
 * the store keeps layers unpacked, not their blobs, so the tar is generated (entries sorted by name, so the same
 * directory gives the same bytes) and its digest is a new diff_id. Overlay's markers become the image-spec's:
 * a whiteout (a 0:0 character device) is `.wh.NAME`, an opaque directory (`trusted.overlay.opaque` or
 * `user.overlay.opaque` = y) gets `.wh..wh..opq`. Hard links within the layer stay links; an owner recorded in
 * `user.rootlesscontainers` (single-id stores) is the one written; sockets and other xattrs are left out.
 * Files of subordinate owners are read by a caller inside the store's user namespace (store-save.ts).
 * Man pages: tar(5), lstat(2), xattr(7), overlayfs (Documentation/filesystems/overlayfs.rst).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { lgetxattr } from '@ct/syscalls';
import { pack, type Pack } from 'tar-stream';
import { decodeRootlessOwner, ROOTLESS_XATTR } from '../rootless-owner.js';

const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];

function xattr(path: string, name: string): Buffer | undefined {
  try {
    return lgetxattr(path, name);
  } catch {
    // ENODATA (not set), or a namespace this caller may not read: not there for us
    return undefined;
  }
}

function owner(path: string, st: Stats): { uid: number; gid: number } {
  const recorded = xattr(path, ROOTLESS_XATTR);
  return recorded !== undefined ? decodeRootlessOwner(recorded) : { uid: st.uid, gid: st.gid };
}

async function add(p: Pack, header: Parameters<Pack['entry']>[0], file?: string): Promise<void> {
  if (file === undefined) {
    // an empty body given: tar-stream waits for the body of a header without one (a 0-byte `.wh.` file would hang)
    await new Promise<void>((resolve, reject) => p.entry(header, Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
    return;
  }
  const done = new Promise<void>((resolve, reject) => {
    const sink = p.entry(header, (err) => (err ? reject(err) : resolve()));
    createReadStream(file).on('error', reject).pipe(sink);
  });
  await done;
}

/** Write the entries below `dir` (tar names below `prefix`) to `p`, sorted by name. */
async function walk(p: Pack, dir: string, prefix: string, links: Map<string, string>): Promise<void> {
  for (const name of readdirSync(dir).sort()) {
    const path = `${dir}/${name}`;
    const tarName = `${prefix}${name}`;
    const st = lstatSync(path);
    const base = { name: tarName, mode: st.mode & 0o7777, mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000), ...owner(path, st) };
    if (st.isCharacterDevice() && st.rdev === 0) {
      await add(p, { ...base, name: `${prefix}.wh.${name}`, type: 'file', size: 0, mode: 0o644 });
    } else if (st.isDirectory()) {
      await add(p, { ...base, name: `${tarName}/`, type: 'directory' });
      if (OPAQUE_XATTRS.some((x) => xattr(path, x)?.toString() === 'y')) {
        await add(p, { ...base, name: `${tarName}/.wh..wh..opq`, type: 'file', size: 0, mode: 0o644 });
      }
      await walk(p, path, `${tarName}/`, links);
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) await add(p, { ...base, type: 'link', linkname: first });
      else {
        if (st.nlink > 1) links.set(key, tarName);
        await add(p, { ...base, type: 'file', size: st.size }, path);
      }
    } else if (st.isSymbolicLink()) {
      await add(p, { ...base, type: 'symlink', linkname: readlinkSync(path) });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const major = Math.floor(st.rdev / 256) & 0xfff;
      const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
      await add(p, { ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
    } else if (st.isFIFO()) {
      await add(p, { ...base, type: 'fifo' });
    }
    // sockets: nothing to put in a tar
  }
}

/**
 * Write the tar of layer directory `dir` to the file `out`; returns its digest (the layer's diff_id, `sha256:…`)
 * and size.
 * @throws the fs errors of reading the layer (a file of an owner this caller cannot read: EACCES).
 */
export async function writeLayerTar(dir: string, out: string): Promise<{ digest: string; size: number }> {
  const p = pack();
  const hash = createHash('sha256');
  let size = 0;
  p.on('data', (chunk: unknown) => {
    const bytes = chunk as Uint8Array;
    hash.update(bytes);
    size += bytes.byteLength;
  });
  const file = createWriteStream(out, { mode: 0o600 });
  const written = pipeline(p, file);
  const walking = walk(p, dir, '', new Map()).then(() => p.finalize(), (err: unknown) => p.destroy(err as Error));
  await Promise.all([written, walking]);
  if (!file.closed) await once(file, 'close');
  return { digest: `sha256:${hash.digest('hex')}`, size };
}
