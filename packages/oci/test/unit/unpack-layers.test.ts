import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { removeTree, unpackImage, LayerUnpackError, OciLayoutError, rootlessFsOps, type FsOps, type UnpackProgress } from '../../src/index.js';
import { imagesLib, tempDir, type ImagesLib, type LayerEntry } from '../helpers/fixtures.js';

describe('unpack, layer semantics', () => {
  let lib: ImagesLib;
  let tmp: { dir: string; cleanup: () => void };
  let n = 0;
  before(async () => { lib = await imagesLib(); });
  beforeEach(() => { tmp = tempDir(); });
  afterEach(async () => {
    // Subuid owners and mode 0000 directories (left by some tests) must not stop the cleanup when not root.
    await removeTree(tmp.dir);
  });

  function image(layers: LayerEntry[][], config: Record<string, unknown> = {}, compression: 'gzip' | 'none' = 'gzip'): string {
    const dir = join(tmp.dir, `img${n++}`);
    lib.writeImage(dir, { layers: layers.map((l, i) => lib.createLayer(l, { compression, mtime: 1700000000 + i })), config, refName: 'latest' });
    return dir;
  }
  async function unpackEntries(layers: LayerEntry[][], config: Record<string, unknown> = {}): Promise<string> {
    const bundle = join(tmp.dir, `bundle${n++}`);
    await unpackImage(`${image(layers, config)}:latest`, bundle);
    return join(bundle, 'rootfs');
  }

  it('unpack, a whiteout removes a lower file and a lower directory tree', async () => {
    const root = await unpackEntries([
      [{ type: 'dir', path: 'd' }, { type: 'file', path: 'd/f', content: '1' }, { type: 'dir', path: 'd/sub' }, { type: 'file', path: 'd/sub/x', content: 'x' }, { type: 'file', path: 'd/keep', content: 'k' }],
      [{ type: 'whiteout', path: 'd/f' }, { type: 'whiteout', path: 'd/sub' }],
    ]);
    assert.deepEqual(readdirSync(join(root, 'd')).sort(), ['keep']);
  });

  it('unpack, an opaque dir hides lower children and keeps the same layer ones before and after the marker', async () => {
    const root = await unpackEntries([
      [{ type: 'dir', path: 'o' }, { type: 'file', path: 'o/lower', content: 'l' }, { type: 'dir', path: 'o/ld' }, { type: 'file', path: 'o/ld/x', content: 'x' }],
      [{ type: 'file', path: 'o/before', content: 'b' }, { type: 'dir', path: 'o/ld' }, { type: 'file', path: 'o/ld/y', content: 'y' }, { type: 'opaque', path: 'o' }, { type: 'file', path: 'o/after', content: 'a' }],
    ]);
    assert.deepEqual(readdirSync(join(root, 'o')).sort(), ['after', 'before', 'ld']);
    assert.deepEqual(readdirSync(join(root, 'o/ld')), ['y']);
  });

  it('unpack, a hard link to a file of an earlier layer shares its inode', async () => {
    const root = await unpackEntries([[{ type: 'file', path: 'a', content: 'A' }], [{ type: 'hardlink', path: 'b', target: 'a' }]]);
    assert.equal(statSync(join(root, 'a')).ino, statSync(join(root, 'b')).ino);
  });

  it('unpack, a hard link to a symlink links the symlink itself', async () => {
    const root = await unpackEntries([[{ type: 'file', path: 'target', content: 't' }, { type: 'symlink', path: 's', target: 'target' }, { type: 'hardlink', path: 'h', target: 's' }]]);
    assert.ok(lstatSync(join(root, 'h')).isSymbolicLink());
    assert.equal(lstatSync(join(root, 'h')).ino, lstatSync(join(root, 's')).ino);
    assert.equal(readlinkSync(join(root, 'h')), 'target');
  });

  it('unpack, directory modes and mtimes are set after their children', async () => {
    const root = await unpackEntries([[{ type: 'dir', path: 'ro', mode: 0o555, mtime: 1000 }, { type: 'file', path: 'ro/f', content: 'f', mtime: 2000 }, { type: 'dir', path: 'ro/sub', mode: 0o500, mtime: 3000 }, { type: 'file', path: 'ro/sub/g', content: 'g' }]]);
    const st = lstatSync(join(root, 'ro'));
    assert.equal(st.mode & 0o7777, 0o555);
    assert.equal(st.mtimeMs, 1000 * 1000);
    assert.equal(lstatSync(join(root, 'ro/sub')).mtimeMs, 3000 * 1000);
    assert.equal(lstatSync(join(root, 'ro/f')).mtimeMs, 2000 * 1000);
  });

  it('unpack, a mode 0000 file inside a mode 0000 directory', async () => {
    const root = await unpackEntries([[{ type: 'dir', path: 'z', mode: 0 }, { type: 'file', path: 'z/f', content: 'secret', mode: 0 }]]);
    assert.equal(lstatSync(join(root, 'z')).mode & 0o7777, 0);
    chmodSync(join(root, 'z'), 0o700);
    assert.equal(lstatSync(join(root, 'z/f')).mode & 0o7777, 0);
    chmodSync(join(root, 'z/f'), 0o600);
    assert.equal(readFileSync(join(root, 'z/f'), 'utf8'), 'secret');
  });

  it('unpack, setuid and sticky bits are kept', async () => {
    const root = await unpackEntries([[{ type: 'file', path: 'su', content: 's', mode: 0o4755 }, { type: 'dir', path: 't', mode: 0o1777 }]]);
    assert.equal(lstatSync(join(root, 'su')).mode & 0o7777, 0o4755);
    assert.equal(lstatSync(join(root, 't')).mode & 0o7777, 0o1777);
  });

  it('unpack, non-UTF-8 and long names are kept byte-exact', async () => {
    const raw = Buffer.from([0x6e, 0xe9, 0xff]);
    const long = `l/${'n'.repeat(150)}`;
    const root = await unpackEntries([[{ type: 'file', path: raw, content: 'r' }, { type: 'dir', path: 'l' }, { type: 'file', path: long, content: 'long' }]]);
    const names = readdirSync(root, { encoding: 'buffer' });
    assert.ok(names.some((b) => b.equals(raw)));
    assert.equal(readFileSync(join(root, long), 'utf8'), 'long');
  });

  it('unpack, a duplicate entry in one layer: the last wins', async () => {
    const root = await unpackEntries([[{ type: 'file', path: 'd', content: 'one' }, { type: 'file', path: 'd', content: 'two', mode: 0o600 }]]);
    assert.equal(readFileSync(join(root, 'd'), 'utf8'), 'two');
    assert.equal(lstatSync(join(root, 'd')).mode & 0o777, 0o600);
  });

  it('unpack, user xattrs with binary values', async () => {
    const root = await unpackEntries([[{ type: 'file', path: 'x', content: 'x', xattrs: { 'user.ct.b': Buffer.from([0, 0xff, 7]) } }]]);
    const out = execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'user.ct.b', join(root, 'x')]);
    assert.deepEqual(out, Buffer.from([0, 0xff, 7]));
  });

  it('unpack, a fifo and a file replacing a symlink do not follow it', async () => {
    const root = await unpackEntries([[{ type: 'fifo', path: 'p' }, { type: 'file', path: 'real', content: 'keep' }, { type: 'symlink', path: 's', target: 'real' }], [{ type: 'file', path: 's', content: 'new' }]]);
    assert.ok(lstatSync(join(root, 'p')).isFIFO());
    assert.equal(readFileSync(join(root, 'real'), 'utf8'), 'keep');
    assert.ok(lstatSync(join(root, 's')).isFile());
  });

  it('unpack, times of a symlink entry are set on the link, not its target', async () => {
    const root = await unpackEntries([[{ type: 'file', path: 'target', content: 't', mtime: 1000 }, { type: 'symlink', path: 'l', target: 'target', mtime: 5000 }]]);
    assert.equal(lstatSync(join(root, 'target')).mtimeMs, 1000 * 1000);
    assert.equal(lstatSync(join(root, 'l')).mtimeMs, 5000 * 1000);
  });

  it('unpack, a directory replaced later in its layer does not get the directory mode', async () => {
    const root = await unpackEntries([[{ type: 'dir', path: 'd', mode: 0o711 }, { type: 'file', path: 'd', content: 'f', mode: 0o640 }]]);
    assert.ok(lstatSync(join(root, 'd')).isFile());
    assert.equal(lstatSync(join(root, 'd')).mode & 0o7777, 0o640);
  });

  it('unpack, a hard link to a missing file fails naming the entry, with the syscall cause', async () => {
    await assert.rejects(unpackEntries([[{ type: 'dir', path: 'x' }, { type: 'hardlink', path: 'x/h', target: 'x/missing' }]]), (e: unknown) => {
      assert.ok(e instanceof LayerUnpackError);
      assert.equal(e.code, 'OCI_ENTRY_FAILED');
      assert.equal(e.entryPath, 'x/h');
      return true;
    });
  });

  it('unpack, forceWalk sends every root-confined lookup through the O_NOFOLLOW walk', async () => {
    const seen = new Set<boolean>();
    const fsOps: FsOps = { ...rootlessFsOps, kind: 'rootless', openInRoot: (r, p, f, walk) => { seen.add(walk); return rootlessFsOps.openInRoot(r, p, f, walk); } };
    const bundle = join(tmp.dir, `walk${n++}`);
    await unpackImage(`${image([[{ type: 'dir', path: 'a' }, { type: 'file', path: 'a/b', content: 'b' }, { type: 'symlink', path: 's', target: '/a' }, { type: 'file', path: 's/c', content: 'c' }]])}:latest`, bundle, { fsOps, forceWalk: true, rootless: true });
    assert.deepEqual([...seen], [true]);
    assert.equal(readFileSync(join(bundle, 'rootfs/a/c'), 'utf8'), 'c');
  });

  it('unpack, User is resolved through the rootfs passwd by fd (a symlinked passwd resolves inside the root)', async () => {
    const bundle = join(tmp.dir, 'b-user');
    const img = image([[{ type: 'dir', path: 'etc' }, { type: 'symlink', path: 'etc/passwd', target: '/real/passwd' }, { type: 'dir', path: 'real' },
      { type: 'file', path: 'real/passwd', content: 'app:x:4321:4322:app:/srv/app:/bin/sh\n' }]], { User: 'app', Cmd: ['run'] });
    await unpackImage(`${img}:latest`, bundle);
    const cfg = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { user: { uid: number; gid: number }; args: string[]; env: string[] } };
    assert.deepEqual(cfg.process.user, { uid: 4321, gid: 4322 });
    assert.deepEqual(cfg.process.args, ['run']);
    assert.ok(cfg.process.env.includes('HOME=/srv/app'));
  });

  it('unpack, progress events name every layer in order', async () => {
    const events: UnpackProgress[] = [];
    await unpackImage(`${image([[{ type: 'file', path: 'a', content: 'a' }], [{ type: 'file', path: 'b', content: 'bb' }]])}:latest`, join(tmp.dir, 'bp'), { onProgress: (e) => events.push(e) });
    assert.deepEqual(events.map((e) => e.kind), ['resolved', 'layer-start', 'layer-done', 'layer-start', 'layer-done', 'config-written', 'done']);
    const done = events.filter((e): e is Extract<UnpackProgress, { kind: 'layer-done' }> => e.kind === 'layer-done');
    assert.deepEqual(done.map((e) => [e.index, e.count, e.entries, e.bytes]), [[0, 2, 1, 1], [1, 2, 1, 2]]);
  });

  describe('verification', () => {
    function listParent(bundle: string): string[] {
      return readdirSync(join(bundle, '..')).filter((x) => x.includes('ct-unpack'));
    }

    it('unpack, a corrupted layer blob fails naming the blob and leaves no bundle', async () => {
      const img = image([[{ type: 'file', path: 'a', content: 'a'.repeat(5000) }]], {}, 'none');
      const idx = JSON.parse(readFileSync(join(img, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      const manifest = JSON.parse(readFileSync(join(img, 'blobs/sha256', idx.manifests[0]!.digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
      const layerDigest = manifest.layers[0]!.digest;
      const blob = join(img, 'blobs/sha256', layerDigest.slice(7));
      const bytes = readFileSync(blob);
      bytes[1000] = bytes[1000]! ^ 1;
      writeFileSync(blob, bytes);
      const bundle = join(tmp.dir, 'bad');
      await assert.rejects(unpackImage(`${img}:latest`, bundle), (e: unknown) => e instanceof OciLayoutError && e.code === 'OCI_DIGEST_MISMATCH' && e.digest === layerDigest);
      assert.ok(!existsSync(bundle));
      assert.deepEqual(listParent(bundle), []);
    });

    it('unpack, a corrupted gzip layer is reported as a digest mismatch of the blob, not a gunzip error', async () => {
      // Incompressible content, so the blob spans many reads and gunzip fails long before the blob's end.
      const noise = Buffer.alloc(2 * 1024 * 1024);
      for (let i = 0, x = 12345; i < noise.length; i++) { x = (x * 1103515245 + 12345) >>> 0; noise[i] = x >>> 24; }
      const img = image([[{ type: 'file', path: 'a', content: noise }]], {}, 'gzip');
      const idx = JSON.parse(readFileSync(join(img, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      const manifest = JSON.parse(readFileSync(join(img, 'blobs/sha256', idx.manifests[0]!.digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
      const layerDigest = manifest.layers[0]!.digest;
      const blob = join(img, 'blobs/sha256', layerDigest.slice(7));
      const bytes = readFileSync(blob);
      // The first deflate block header: BTYPE 11 (reserved). Whichever fails first, gunzip or the blob's digest,
      // the error must name the blob.
      bytes[10] = 0xff;
      writeFileSync(blob, bytes);
      await assert.rejects(unpackImage(`${img}:latest`, join(tmp.dir, 'bad-gz')), (e: unknown) => e instanceof OciLayoutError && e.code === 'OCI_DIGEST_MISMATCH' && e.digest === layerDigest);
    });

    it('unpack, a blob that verifies but is not gzip fails as a decompression error of that layer', async () => {
      const dir = join(tmp.dir, 'notgz');
      const good = lib.createLayer([{ type: 'file', path: 'a', content: 'a' }], { compression: 'gzip' });
      const broken = Buffer.from(good.blob);
      broken[10] = 0xff;
      lib.writeImage(dir, { layers: [{ ...good, blob: broken }], refName: 'latest' });
      await assert.rejects(unpackImage(`${dir}:latest`, join(tmp.dir, 'b-notgz')), (e: unknown) =>
        e instanceof LayerUnpackError && e.code === 'OCI_DECOMPRESS_FAILED' && /^sha256:/.test(e.layerDigest) && e.layerDigest !== good.digest);
    });

    it('unpack, a diff_id mismatch fails and leaves no bundle', async () => {
      const dir = join(tmp.dir, 'diffid');
      const good = lib.createLayer([{ type: 'file', path: 'a', content: 'a' }], { compression: 'gzip' });
      const other = lib.createLayer([{ type: 'file', path: 'a', content: 'b' }], { compression: 'gzip' });
      lib.writeImage(dir, { layers: [{ ...good, diffId: other.diffId }], refName: 'latest' });
      const bundle = join(tmp.dir, 'bad2');
      await assert.rejects(unpackImage(`${dir}:latest`, bundle), (e: unknown) => e instanceof OciLayoutError && e.code === 'OCI_DIFF_ID_MISMATCH' && e.digest === other.diffId);
      assert.ok(!existsSync(bundle));
      assert.deepEqual(listParent(bundle), []);
    });

    it('unpack, an unknown layer media type is refused', async () => {
      const dir = join(tmp.dir, 'mt');
      const l = lib.createLayer([{ type: 'file', path: 'a', content: 'a' }]);
      lib.writeImage(dir, { layers: [{ ...l, mediaType: 'application/x-unknown' }], refName: 'latest' });
      await assert.rejects(unpackImage(`${dir}:latest`, join(tmp.dir, 'b')), { code: 'OCI_MEDIA_TYPE_UNKNOWN' });
    });

    it('unpack, a manifest whose own mediaType contradicts its descriptor is refused', async () => {
      const dir = join(tmp.dir, 'mt2');
      const l = lib.createLayer([{ type: 'file', path: 'a', content: 'a' }]);
      lib.writeImage(dir, { layers: [l], refName: 'latest' });
      const idxPath = join(dir, 'index.json');
      const idx = JSON.parse(readFileSync(idxPath, 'utf8')) as { manifests: Array<{ mediaType: string }> };
      idx.manifests[0]!.mediaType = 'application/vnd.docker.distribution.manifest.v2+json';
      writeFileSync(idxPath, JSON.stringify(idx));
      await assert.rejects(unpackImage(`${dir}:latest`, join(tmp.dir, 'b')), { code: 'OCI_MEDIA_TYPE_MISMATCH' });
    });

    it('unpack, a blob that is a FIFO or a device is refused without reading it', async () => {
      const img = image([[{ type: 'file', path: 'a', content: 'a' }]]);
      const idx = JSON.parse(readFileSync(join(img, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      const manifestBlob = join(img, 'blobs/sha256', idx.manifests[0]!.digest.slice(7));
      const manifest = JSON.parse(readFileSync(manifestBlob, 'utf8')) as { layers: Array<{ digest: string }>; config: { digest: string } };
      const layerBlob = join(img, 'blobs/sha256', manifest.layers[0]!.digest.slice(7));
      rmSync(layerBlob);
      execFileSync('mkfifo', [layerBlob]);
      await assert.rejects(unpackImage(`${img}:latest`, join(tmp.dir, 'fifo')), { code: 'OCI_BLOB_MISSING' });
      const configBlob = join(img, 'blobs/sha256', manifest.config.digest.slice(7));
      rmSync(configBlob);
      symlinkSync('/dev/zero', configBlob);
      await assert.rejects(unpackImage(`${img}:latest`, join(tmp.dir, 'zero')), { code: 'OCI_LAYOUT_INVALID' });
    });

    it('unpack, an unknown tag is not found', async () => {
      await assert.rejects(unpackImage(`${image([[]])}:nope`, join(tmp.dir, 'b')), { code: 'OCI_REF_NOT_FOUND' });
    });

    it('unpack, missing parents of the bundle are made; the bundle is 0700 like umoci', async () => {
      const bundle = join(tmp.dir, 'a/b/bundle');
      await unpackImage(`${image([[{ type: 'file', path: 'f', content: 'f' }]])}:latest`, bundle);
      assert.equal(statSync(bundle).mode & 0o777, 0o700);
      assert.equal(statSync(join(bundle, 'rootfs')).mode & 0o777, 0o755);
    });

    it('unpack, an empty existing bundle directory is used', async () => {
      const bundle = join(tmp.dir, 'empty');
      mkdirSync(bundle);
      await unpackImage(`${image([[{ type: 'file', path: 'f', content: 'f' }]])}:latest`, bundle);
      assert.equal(readFileSync(join(bundle, 'rootfs/f'), 'utf8'), 'f');
    });

    it('unpack, a non-empty bundle directory is refused', async () => {
      const bundle = join(tmp.dir, 'full');
      mkdirSync(bundle);
      writeFileSync(join(bundle, 'x'), 'x');
      await assert.rejects(unpackImage(`${image([[]])}:latest`, bundle), { code: 'OCI_BUNDLE_EXISTS' });
    });

    it('unpack, an entry of an unsupported type is refused naming the entry', async () => {
      await assert.rejects(unpackEntries([[{ type: 'file', path: 'sparse', content: '', typeflag: 'S' }]]),
        (e: unknown) => e instanceof LayerUnpackError && e.code === 'OCI_ENTRY_INVALID' && e.entryPath === 'sparse');
    });
  });
});
