/**
 * The tree ct unpacks equals what `umoci unpack` makes (names, types, modes, owners, link targets, contents,
 * device numbers) for every non-hostile fixture image, with both resolvers; archives are compared with umoci's
 * unpack of the same image as a layout; the zstd image, which umoci 0.4.7 cannot read, with GNU tar's extraction of
 * its layers. umoci 0.4.7 also cannot descend into nested indexes ("tag is ambiguous"): for that fixture umoci gets
 * a copy of the layout whose index.json names the manifest ct selected.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { openImage, resolveImage, stringifyJson, unpackImage } from '../../src/index.js';
import { diffTrees, imagesLib, ociFixtures, snapshotTree, tempDir } from '../helpers/fixtures.js';

function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('unpack compared with umoci and GNU tar @root', function () {
  let fixtures: string;
  let tmp: { dir: string; cleanup: () => void };
  let umociTree: ReturnType<typeof snapshotTree>;
  before(async function () {
    requireFeature(this, isRoot(), 'umoci comparison needs root (owners, device nodes)');
    requireFeature(this, hasCommand('umoci'), 'umoci is not installed');
    fixtures = await ociFixtures();
    tmp = tempDir();
    execFileSync('umoci', ['unpack', '--image', `${join(fixtures, 'multi-layer')}:latest`, join(tmp.dir, 'umoci')], { stdio: 'ignore' });
    umociTree = snapshotTree(join(tmp.dir, 'umoci/rootfs'));
  });
  after(() => tmp?.cleanup());

  for (const forceWalk of [false, true]) {
    it(`unpack, multi-layer equals umoci (${forceWalk ? 'walk' : 'openat2'})`, async () => {
      const bundle = join(tmp.dir, `ct-${forceWalk}`);
      await unpackImage(`${join(fixtures, 'multi-layer')}:latest`, bundle, { forceWalk });
      assert.deepEqual(diffTrees(umociTree, snapshotTree(join(bundle, 'rootfs'))), []);
      assert.ok(umociTree.size > 40, 'the fixture is not trivial');
    });
  }

  it('unpack, the multi-layer config.json matches umoci on process, annotations and root', async () => {
    const bundle = join(tmp.dir, 'ct-cfg');
    await unpackImage(`${join(fixtures, 'multi-layer')}:latest`, bundle);
    type Cfg = { process: { user: unknown; args: unknown; env: unknown; cwd: unknown }; root: unknown; annotations: Record<string, string> };
    const ours = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Cfg;
    const theirs = JSON.parse(readFileSync(join(tmp.dir, 'umoci/config.json'), 'utf8')) as Cfg;
    for (const k of ['user', 'args', 'env', 'cwd'] as const) assert.deepEqual(ours.process[k], theirs.process[k], k);
    assert.deepEqual(ours.root, theirs.root);
    for (const k of ['org.example.label', 'org.opencontainers.image.stopSignal', 'org.opencontainers.image.created', 'org.opencontainers.image.architecture']) {
      assert.equal(ours.annotations[k], theirs.annotations[k], k);
    }
  });

  for (const archive of ['multi-layer.oci.tar:latest', 'multi-layer.docker.tar:example/multi:v1', 'multi-layer.docker.tar:v1']) {
    it(`unpack, ${archive} equals umoci's unpack of the layout`, async () => {
      const bundle = join(tmp.dir, `ct-${archive.replace(/[:/]/g, '_')}`);
      await unpackImage(join(fixtures, archive), bundle);
      assert.deepEqual(diffTrees(umociTree, snapshotTree(join(bundle, 'rootfs'))), []);
    });
  }

  it('unpack, multi-platform equals umoci given the selected manifest directly (umoci cannot descend nested indexes)', async () => {
    const copy = join(tmp.dir, 'mp-layout');
    cpSync(join(fixtures, 'multi-platform'), copy, { recursive: true });
    const source = await openImage(copy);
    let manifest;
    try {
      manifest = resolveImage(source, { path: copy, tag: 'multi' }).manifestDescriptor;
    } finally {
      await source.close();
    }
    writeFileSync(join(copy, 'index.json'), stringifyJson({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'direct' } }] }));
    execFileSync('umoci', ['unpack', '--image', `${copy}:direct`, join(tmp.dir, 'mp-umoci')], { stdio: 'ignore' });
    await unpackImage(`${join(fixtures, 'multi-platform')}:multi`, join(tmp.dir, 'mp-ct'));
    assert.deepEqual(diffTrees(snapshotTree(join(tmp.dir, 'mp-umoci/rootfs')), snapshotTree(join(tmp.dir, 'mp-ct/rootfs'))), []);
    assert.ok(snapshotTree(join(tmp.dir, 'mp-ct/rootfs')).has('platform'));
  });

  it('unpack, the zstd image equals GNU tar --zstd extracting its layers in order', async function () {
    requireFeature(this, hasCommand('zstd'), 'zstd is not installed');
    const layout = join(fixtures, 'zstd');
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const blob = (d: string): string => join(layout, 'blobs/sha256', d.slice(7));
    const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { layers: Array<{ digest: string; mediaType: string }> };
    const tarRoot = join(tmp.dir, 'gnu-tar');
    mkdirSync(tarRoot, { mode: 0o755 });
    for (const l of manifest.layers) {
      assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
      execFileSync('tar', ['--zstd', '-xpf', blob(l.digest), '--numeric-owner', '-C', tarRoot]);
    }
    const bundle = join(tmp.dir, 'ct-zstd');
    await unpackImage(`${layout}:latest`, bundle);
    assert.deepEqual(diffTrees(snapshotTree(tarRoot), snapshotTree(join(bundle, 'rootfs'))), []);
  });
});

describe('unpack as root @root', function () {
  let fixtures: string;
  let tmp: { dir: string; cleanup: () => void };
  before(async function () {
    requireFeature(this, isRoot(), 'needs root');
    fixtures = await ociFixtures();
    tmp = tempDir();
    await unpackImage(`${join(fixtures, 'multi-layer')}:latest`, join(tmp.dir, 'b'));
  });
  after(() => tmp?.cleanup());

  it('unpack, device nodes are made with their numbers', () => {
    const n = snapshotTree(join(tmp.dir, 'b/rootfs')).get('dev/null2');
    assert.equal(n?.type, 'char');
    assert.equal(n?.rdev, (1 << 8) | 3);
  });

  it('unpack, owners come from the headers (also for setgid dirs)', () => {
    const t = snapshotTree(join(tmp.dir, 'b/rootfs'));
    assert.deepEqual([t.get('home/foo')?.uid, t.get('home/foo')?.gid, t.get('home/foo/.profile')?.uid], [1000, 1000, 1000]);
    assert.deepEqual([t.get('srv')?.gid, t.get('srv')?.mode], [50, 0o2775]);
  });

  it('unpack, the owner of a symlink entry is set on the link, not its target', async () => {
    const lib = await imagesLib();
    const layout = join(tmp.dir, 'own');
    lib.writeImage(layout, { layers: [lib.createLayer([{ type: 'file', path: 'target', content: 't', uid: 7, gid: 8 }, { type: 'symlink', path: 'l', target: 'target', uid: 1234, gid: 4321 }])], refName: 'latest' });
    await unpackImage(`${layout}:latest`, join(tmp.dir, 'own-b'));
    const t = snapshotTree(join(tmp.dir, 'own-b/rootfs'));
    assert.deepEqual([t.get('target')?.uid, t.get('target')?.gid, t.get('l')?.uid, t.get('l')?.gid], [7, 8, 1234, 4321]);
  });

  it('unpack, the image User resolves to the passwd entry of the rootfs', () => {
    const cfg = JSON.parse(readFileSync(join(tmp.dir, 'b/config.json'), 'utf8')) as { process: { user: unknown; cwd: string } };
    assert.deepEqual(cfg.process.user, { uid: 1000, gid: 1000, additionalGids: [50] });
    assert.equal(cfg.process.cwd, '/home/foo');
  });
});
