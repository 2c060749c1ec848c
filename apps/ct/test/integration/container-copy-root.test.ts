/**
 * `ct container run` on a copy of the layers in place of an overlay: forced (`--storage-driver copy`,
 * CT_STORAGE_DRIVER=copy) and, as root, where the kernel refuses the overlay (a store inside an overlayfs mount
 * cannot be an upper dir: EINVAL). The multi-layer fixture's whiteouts, opaque dir and type changes come out as
 * overlayfs merges them, owners are kept (subuid owners unprivileged), writes stay out of the stored layers, and
 * removing the container removes the copy. As root and unprivileged.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, requireFeature, testImage } from '@ct/test-utils';
import { containerDirs, imageCommand, removeSuiteRoot, useImageSuite } from './container-run-harness.js';
import { Runtime } from './runtime-harness.js';

const multiLayer = join(testImage('oci-fixtures'), 'multi-layer');
/** The host's static busybox, bound into the fixture (which has no shell) as /busybox. */
const busybox = ['-v', '/bin/busybox:/busybox:ro', '--entrypoint', '/busybox', '-u', '0'];

/** What the fixture's merged root shows (see tools/images/oci-fixtures/build.mjs). */
const SCRIPT = [
  'cat /etc/motd', 'ls /wh', 'ls /opq', 'cat /replace/dir-to-file /replace/file-to-dir/inner /replace/link-to-file', 'cat /dup',
  'test -e /bin/tool-hl2 || echo no-tool-hl2', 'stat -c "%u:%g %a" /home/foo /srv', 'grep " / " /proc/mounts | grep -c /layers/',
  'echo changed > /etc/motd', 'echo new > /bin/new',
].join('; ');
const EXPECTED = 'layer two\nkeep\nnew\nnow a file\ninner\nno longer a link\nsecond\nno-tool-hl2\n1000:1000 700\n0:50 2775\n0\n';

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(120_000);
    const s = useImageSuite('ccopy', rootless);
    const layerFiles = (): string[] => spawnSync('find', [join(s.store, 'layers'), '-name', 'new', '-o', '-name', 'motd'], { encoding: 'utf8' }).stdout.trim().split('\n').sort();
    before(async function () {
      // built on demand, as image-unpack.test.ts does (a run of this package alone comes before @ct/oci's tests)
      const mod = (await import(pathToFileURL(join(repoRoot(), 'tools/images/oci-fixtures/build.mjs')).href)) as { buildOciFixtures(): { outDir: string } };
      assert.equal(join(mod.buildOciFixtures().outDir, 'multi-layer'), multiLayer);
      const imported = s.image(['import', multiLayer]);
      assert.equal(imported.status, 0, imported.stderr);
    });

    it('container run --storage-driver copy, whiteouts, opaque dirs and type changes merged as overlayfs does; owners kept', () => {
      const r = s.run(['--storage-driver', 'copy', ...busybox, 'multi-layer', 'sh', '-c', SCRIPT]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, EXPECTED);
      assert.equal(r.stderr, '', 'no warning when the copy is asked for');
      assert.deepEqual(containerDirs(s.store), []);
    });
    it('container run --storage-driver copy, writes do not reach the stored layers; the next run sees the image as it was', () => {
      const before = layerFiles();
      assert.equal(s.run(['--storage-driver', 'copy', ...busybox, 'multi-layer', 'sh', '-c', 'echo changed > /etc/motd; echo new > /bin/new']).status, 0);
      assert.deepEqual(layerFiles(), before, 'no file written into a layer dir');
      // as ctci itself the motd of a layer (mode 0640, a subuid's) is unreadable: then the next run's view says it
      const readable = (f: string): string | undefined => { try { return readFileSync(f, 'utf8'); } catch { return undefined; } };
      const motds = before.filter((f) => f.endsWith('/diff/etc/motd')).map(readable);
      if (!motds.includes(undefined)) assert.deepEqual(motds.sort(), ['layer one\n', 'layer two\n']);
      const again = s.run(['--storage-driver', 'copy', ...busybox, 'multi-layer', 'sh', '-c', 'cat /etc/motd; test -e /bin/new || echo clean']);
      assert.equal(again.stdout, 'layer two\nclean\n', again.stderr);
    });
    it('container run, an image of 80 layers (more overlay mount data than the kernel reads) runs on a copy, with one warning saying why', async () => {
      type Lib = { createLayer(e: unknown[]): unknown; writeImage(dir: string, image: unknown): unknown };
      const lib = (await import(pathToFileURL(join(repoRoot(), 'tools/images/lib/index.mjs')).href)) as Lib;
      const layout = join(s.store, '..', `many-layers-${rootless ? 'rootless' : 'root'}`);
      const layers = Array.from({ length: 80 }, (_, i) => lib.createLayer([{ type: 'file', path: `layer-${i}`, content: `${i}\n`, mode: 0o644 }]));
      lib.writeImage(layout, { layers, refName: 'latest' });
      try {
        assert.equal(s.image(['import', '--name', 'many-layers', layout]).status, 0);
        const r = s.run([...busybox, 'many-layers', 'sh', '-c', 'ls / | grep -c "^layer-"; cat /layer-79']);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, '80\n79\n');
        assert.match(r.stderr, /warning: container run: 80 layers make \d+ bytes of overlay mount data, more than the kernel reads: the root is a copy/);
        assert.deepEqual(containerDirs(s.store), []);
      } finally {
        rmSync(layout, { recursive: true, force: true });
      }
    });
    it('container run with CT_STORAGE_DRIVER=copy, the root is a copy (not an overlay)', () => {
      process.env['CT_STORAGE_DRIVER'] = 'copy';
      try {
        const r = s.run(['busybox', 'sh', '-c', 'grep " / " /proc/mounts | grep -c /layers/; echo x > /etc/written && cat /etc/written']);
        assert.equal(r.stdout, '0\nx\n', r.stderr);
      } finally {
        delete process.env['CT_STORAGE_DRIVER'];
      }
      assert.equal(s.run(['--storage-driver', 'vfs', 'busybox', 'true']).status, 125, 'an unknown driver is a usage error (podman\'s 125)');
    });
    it('container run --storage-driver copy --keep, the copy stays until ct delete removes it (subuid-owned files too)', () => {
      const id = `ccopy-keep-${process.pid}`;
      const r = s.run(['--storage-driver', 'copy', '--keep', '--name', id, ...busybox, '-u', '1000:1000', 'multi-layer', 'sh', '-c', 'echo kept > /home/foo/mine']);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(containerDirs(s.store).includes(id));
      assert.equal(s.ct.run(['delete', id]).status, 0);
      assert.ok(!containerDirs(s.store).includes(id));
    });
  });
}

defineSuite('ct container run, copy root @root', false);
defineSuite('ct container run, copy root unprivileged @rootless', true);

describe('ct container run, overlay refused by the kernel @root', function () {
  this.timeout(120_000);
  const base = join(tmpdir(), `ct-ovrefused-${process.pid}`);
  const mnt = join(base, 'mnt');
  const store = join(mnt, 'storage');
  const ct = new Runtime('ct', join(base, 'state'));
  before(function () {
    requireFeature(this, existsSync(join(testImage('busybox'), 'index.json')), 'tools/images has not built the busybox image');
    for (const d of ['lower', 'upper', 'work', 'mnt']) mkdirSync(join(base, d), { recursive: true });
    // overlayfs cannot be the upper dir of another overlay: the store's container dirs are refused with EINVAL
    const m = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${base}/lower,upperdir=${base}/upper,workdir=${base}/work`, mnt], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    assert.equal(imageCommand(undefined, ['import', testImage('busybox'), '--storage-root', store]).status, 0);
  });
  after(async function () {
    this.timeout(120_000);
    await removeSuiteRoot(ct, join(base, 'state'), base, () => {
      spawnSync('umount', [mnt]);
      rmSync(base, { recursive: true, force: true });
    });
  });

  it('container run, one warning naming the overlay mount and its errno; the container runs on a copy', () => {
    const r = ct.run(['container', 'run', '--storage-root', store, 'busybox', 'sh', '-c', 'grep " / " /proc/mounts | grep -c /layers/; echo ok > /etc/ok; cat /etc/ok']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '0\nok\n');
    const warnings = r.stderr.split('\n').filter((l) => l.includes('warning'));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0]!, /mount overlay: .*\/merged: EINVAL/);
    assert.deepEqual(readdirSync(join(store, 'containers')), []);
  });
  it('container run -d, the monitor reports the refusal and the detached container runs on a copy', async () => {
    const d = ct.run(['container', 'run', '-d', '--storage-root', store, 'busybox', 'sh', '-c', 'echo detached; grep " / " /proc/mounts | grep -c /layers/']);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stderr, /EINVAL/);
    const id = d.stdout.trim();
    for (let i = 0; i < 50 && !/exited/.test(ct.run(['container', 'ps', '--all']).stdout); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(ct.run(['container', 'logs', id]).stdout, 'detached\n0\n');
    assert.equal(ct.run(['container', 'rm', id]).status, 0);
    assert.deepEqual(readdirSync(join(store, 'containers')), []);
  });
});
