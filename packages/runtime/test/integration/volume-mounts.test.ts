import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTree } from '@ct/oci';
import {
  anonymousVolumesOf, classifyVolume, imageConfigVolumes, layerDirsAt, mountRunVolumes, removeUnusedVolumes, type RunVolumeContext,
} from '../../src/volume-mounts.js';
import { inspectVolume, listVolumes, readContainerVolumes, volumeDataDir, type VolumeError } from '../../src/volume-store.js';

const noXattr = (): Buffer => { throw Object.assign(new Error('ENODATA'), { code: 'ENODATA' }); };

describe('volume mounts, -v classification (podman 4.3\'s rule)', () => {
  it('classifyVolume, a source starting with / or . is a bind, any other a volume name, DST alone an anonymous volume', () => {
    for (const bind of ['/x:/y', './x:/y', '../x:/y', '.x:/y:ro', ':/y', '/a:/b:ro:extra']) assert.deepEqual(classifyVolume(bind), { kind: 'bind' }, bind);
    assert.deepEqual(classifyVolume('data:/srv/./d/:ro,U'), { kind: 'named', name: 'data', destination: '/srv/d', options: ['ro', 'U'] });
    assert.deepEqual(classifyVolume('/cache'), { kind: 'anonymous', destination: '/cache', options: [] });
  });
  it('classifyVolume, a bad name is VOLUME_NAME_INVALID naming the -v; a relative destination EUSAGE', () => {
    assert.throws(() => classifyVolume('a@b:/y'), (e: VolumeError) => e.code === 'VOLUME_NAME_INVALID' && e.message.includes('-v a@b:/y'));
    assert.throws(() => classifyVolume(`${'v'.repeat(300)}:/y`), (e: VolumeError) => e.code === 'VOLUME_NAME_INVALID');
    assert.throws(() => classifyVolume('data:rel'), (e: { code?: string; message: string }) => e.code === 'EUSAGE' && /not absolute/.test(e.message));
    assert.throws(() => classifyVolume('rel'), (e: { code?: string }) => e.code === 'EUSAGE');
  });
});

describe('volume mounts, first use and copy-up', function () {
  this.timeout(60_000);
  let base: string;
  let store: string;
  let lower: string;
  let upper: string;
  const context = (id: string, extra: Partial<RunVolumeContext> = {}): RunVolumeContext => {
    mkdirSync(join(store, 'containers', id), { recursive: true });
    return {
      storageRoot: store, id, rootless: process.geteuid?.() !== 0, lowerDirs: [upper, lower], imageVolumes: [], otherDestinations: [], autoRemove: false, ...extra,
    };
  };
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'ct-volmount-'));
    store = join(base, 'store');
    lower = join(base, 'lower');
    upper = join(base, 'upper');
    mkdirSync(join(lower, 'srv', 'sub'), { recursive: true });
    writeFileSync(join(lower, 'srv', 'a'), 'a from lower');
    writeFileSync(join(lower, 'srv', 'sub', 'b'), 'b');
    mkdirSync(join(upper, 'srv'), { recursive: true });
    writeFileSync(join(upper, 'srv', 'a'), 'a from upper');
    writeFileSync(join(upper, 'srv', 'c'), 'c');
    chmodSync(join(upper, 'srv'), 0o750);
    writeFileSync(join(upper, 'file'), 'not a dir');
  });
  // the copy-up of an unprivileged caller ran in a user namespace: its files may be a subuid's
  afterEach(() => removeTree(base));

  it('mountRunVolumes, a named volume is made on first use, copied up from the merged layers, and bound with the options given', async () => {
    const entries = await mountRunVolumes(context('c1'), ['/host:/h', 'data:/srv:ro']);
    const data = volumeDataDir(store, 'data');
    assert.deepEqual(entries, ['/host:/h', `${data}:/srv:ro,nosuid,nodev`], 'nosuid and nodev: podman\'s');
    assert.deepEqual(readdirSync(data).sort(), ['a', 'c', 'sub']);
    assert.equal(readFileSync(join(data, 'a'), 'utf8'), 'a from upper');
    assert.equal(readFileSync(join(data, 'sub', 'b'), 'utf8'), 'b');
    assert.equal(statSync(data).mode & 0o777, 0o750, 'the mode of the image\'s directory');
    const inspected = await inspectVolume('data', { storageRoot: store });
    assert.deepEqual([inspected.NeedsCopyUp, inspected.NeedsChown], [undefined, undefined]);
    assert.deepEqual(readContainerVolumes(store, 'c1'), [{ name: 'data', destination: '/srv', anonymous: false, autoRemove: false }]);
  });
  it('mountRunVolumes, a volume is copied up once: a second container sees what the first left', async () => {
    await mountRunVolumes(context('c1'), ['data:/srv']);
    const data = volumeDataDir(store, 'data');
    rmSync(join(data, 'a'));
    writeFileSync(join(data, 'mine'), 'x');
    await mountRunVolumes(context('c2'), ['data:/srv']);
    assert.deepEqual(readdirSync(data).sort(), ['c', 'mine', 'sub']);
  });
  it('mountRunVolumes, nothing is copied with nocopy (dropped from the bind\'s options): the empty volume is the container user\'s', async () => {
    const [entry] = await mountRunVolumes(context('c1'), ['fresh:/srv:nocopy,suid']);
    assert.equal(entry, `${volumeDataDir(store, 'fresh')}:/srv:suid,nodev,U`);
    assert.deepEqual(readdirSync(volumeDataDir(store, 'fresh')), []);
    const inspected = await inspectVolume('fresh', { storageRoot: store });
    assert.deepEqual([inspected.NeedsCopyUp, inspected.NeedsChown], [true, undefined]);
  });
  it('mountRunVolumes, a volume with files at its first mount is neither copied into nor chowned', async () => {
    await mountRunVolumes(context('c0'), ['full:/nothere']);
    writeFileSync(join(volumeDataDir(store, 'full'), 'mine'), 'x');
    const [entry] = await mountRunVolumes(context('c1'), ['full:/srv']);
    assert.equal(entry, `${volumeDataDir(store, 'full')}:/srv:nosuid,nodev`);
    assert.deepEqual(readdirSync(volumeDataDir(store, 'full')), ['mine']);
  });
  it('mountRunVolumes, a destination the image lacks (or behind a file) gets U: chowned to the container\'s user', async () => {
    const entries = await mountRunVolumes(context('c1'), ['v1:/nothere:ro', 'v2:/file/below']);
    assert.deepEqual(entries, [`${volumeDataDir(store, 'v1')}:/nothere:ro,nosuid,nodev,U`, `${volumeDataDir(store, 'v2')}:/file/below:nosuid,nodev,U`]);
    assert.equal((await inspectVolume('v1', { storageRoot: store })).NeedsCopyUp, true, 'not copied into: a later mount still copies up');
  });
  it('mountRunVolumes, -v DST and the image\'s Volumes are anonymous volumes; one a bind or --tmpfs covers is not made', async () => {
    const entries = await mountRunVolumes(context('c1', { imageVolumes: ['/srv', '/bound', '/tmpfs'], otherDestinations: ['/tmpfs'], autoRemove: true }), ['/anon', '/host:/bound']);
    const names = (await listVolumes({ storageRoot: store })).map((v) => v.Name);
    assert.equal(names.length, 2);
    for (const n of names) assert.match(n, /^[0-9a-f]{64}$/);
    assert.equal(entries.length, 3);
    assert.equal(entries[1], '/host:/bound');
    const used = readContainerVolumes(store, 'c1');
    assert.deepEqual(used.map((v) => [v.destination, v.anonymous, v.autoRemove]), [['/anon', true, true], ['/srv', true, true]]);
    assert.deepEqual(readdirSync(volumeDataDir(store, used[1]!.name)).sort(), ['a', 'c', 'sub'], 'an image volume is copied up too');
  });
  it('anonymousVolumesOf and removeUnusedVolumes, a container\'s anonymous volumes go once its root is gone; named ones stay', async () => {
    await mountRunVolumes(context('c1', { autoRemove: true }), ['/anon', 'named:/n']);
    await mountRunVolumes(context('kept'), ['/anon2']);
    const auto = anonymousVolumesOf(store, 'c1', 'auto');
    assert.equal(auto.length, 1);
    assert.deepEqual(anonymousVolumesOf(store, 'kept', 'auto'), [], 'a kept container\'s anonymous volumes stay unless rm -v');
    assert.equal(anonymousVolumesOf(store, 'kept', 'all').length, 1);
    await removeUnusedVolumes(store, auto);
    assert.ok(existsSync(volumeDataDir(store, auto[0]!)), 'still used by c1');
    await removeTree(join(store, 'containers', 'c1'));
    await removeUnusedVolumes(store, auto);
    assert.equal(existsSync(join(store, 'volumes', auto[0]!)), false);
    assert.deepEqual((await listVolumes({ storageRoot: store })).map((v) => v.Name).filter((n) => n.length < 64), ['named']);
  });
});

describe('volume mounts, the image\'s directory at a destination', () => {
  let base: string;
  beforeEach(() => { base = mkdtempSync(join(tmpdir(), 'ct-voldirs-')); });
  afterEach(() => rmSync(base, { recursive: true, force: true }));
  const dir = (...p: string[]): string => { const d = join(base, ...p); mkdirSync(d, { recursive: true }); return d; };

  it('layerDirsAt, top first, down to a layer whose file, symlink or opaque dir hides the ones below', () => {
    dir('l1', 'a', 'b');
    dir('l2', 'a', 'b');
    dir('l3', 'a');
    writeFileSync(join(base, 'l3', 'a', 'b'), 'a file hides b below');
    dir('l4', 'a', 'b');
    const [l1, l2, l3, l4] = ['l1', 'l2', 'l3', 'l4'].map((l) => join(base, l));
    assert.deepEqual(layerDirsAt([l1!, l2!], '/a/b', noXattr), [join(l1!, 'a/b'), join(l2!, 'a/b')]);
    assert.deepEqual(layerDirsAt([l4!, l3!, l2!], '/a/b', noXattr), [join(l4!, 'a/b')]);
    const opaque = join(l2!, 'a');
    const xattr = (p: string, n: string): Buffer => (p === opaque && n === 'user.overlay.opaque' ? Buffer.from('y') : noXattr());
    assert.deepEqual(layerDirsAt([l4!, l2!, l1!], '/a/b', xattr), [join(l4!, 'a/b'), join(l2!, 'a/b')]);
    assert.deepEqual(layerDirsAt([l3!, l1!], '/a/b/c', noXattr), []);
  });
  it('imageConfigVolumes, the config blob\'s Volumes (absolute ones); none for a missing or odd blob', () => {
    const blobs = dir('blobs');
    writeFileSync(join(blobs, 'aa'), JSON.stringify({ config: { Volumes: { '/data': {}, 'rel': {} } } }));
    writeFileSync(join(blobs, 'bb'), JSON.stringify({ config: { Volumes: null } }));
    assert.deepEqual(imageConfigVolumes(blobs, 'sha256:aa'), ['/data']);
    assert.deepEqual(imageConfigVolumes(blobs, 'sha256:bb'), []);
    assert.deepEqual(imageConfigVolumes(blobs, 'sha256:cc'), []);
  });
});
