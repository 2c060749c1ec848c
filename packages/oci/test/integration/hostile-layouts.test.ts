/**
 * Hostile image layouts (tools/images/oci-fixtures/hostile-layouts.mjs): bad digests, blobs that are symlinks,
 * documents far too large, sizes that disagree, indexes nested deep or fanned out, 10,000 layers, wrong media types,
 * absurd config fields, layers that are not tars, truncated or a gzip bomb. Each is refused with the case's code and
 * a message naming what was wrong, and leaves no bundle, or is unpacked as umoci unpacks it. umoci's result for
 * each case is in the fixture's comments and the report of the hostile session (2026-12-06).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@ct/test-utils';
import { importImage, pullToLayout, unpackImage } from '../../src/index.js';
import { startFakeRegistry } from '../fixtures/registry/fake-registry.js';
import { tempDir } from '../helpers/fixtures.js';

interface LayoutCase {
  why: string;
  expect: 'refuse' | 'accept';
  code?: string;
  names?: string;
  ref?: string;
  importOnly?: boolean;
  needsOutside?: boolean;
}
interface LayoutsModule {
  HOSTILE_LAYOUTS: Record<string, LayoutCase>;
  writeHostileLayout(dir: string, name: string, outside?: string): LayoutCase;
  writeGzipBomb(dir: string, bytes: number): number;
}

async function layouts(): Promise<LayoutsModule> {
  return (await import(pathToFileURL(join(repoRoot(), 'tools/images/oci-fixtures/hostile-layouts.mjs')).href)) as LayoutsModule;
}

function checkRefusal(e: unknown, c: LayoutCase): true {
  assert.ok(e instanceof Error, String(e));
  assert.equal((e as Error & { code?: string }).code, c.code, e.message);
  if (c.names !== undefined) assert.ok(e.message.includes(c.names), `the message names ${c.names}: ${e.message}`);
  assert.ok(e.message.length < 1000, `a short message (${e.message.length} characters)`);
  return true;
}

describe('unpack and import, hostile image layouts', function () {
  let mod: LayoutsModule;
  let tmp: ReturnType<typeof tempDir>;
  before(async function () {
    mod = await layouts();
    tmp = tempDir('ct-hostile-layouts-');
  });
  after(() => tmp.cleanup());

  const write = (name: string): { ref: string; c: LayoutCase; dir: string } => {
    const dir = join(tmp.dir, 'img', name);
    const c = mod.writeHostileLayout(dir, name, join(tmp.dir, 'outside', name));
    return { ref: `${dir}${c.ref ?? ':latest'}`, c, dir };
  };

  it('hostile layouts, every case has an expectation', async () => {
    const all = (await layouts()).HOSTILE_LAYOUTS;
    assert.ok(Object.keys(all).length >= 30);
    for (const [name, c] of Object.entries(all)) assert.ok(c.expect === 'accept' || c.code !== undefined, name);
  });

  // The names are listed here (not read from the module) so mocha sees the tests before `before` runs.
  const cases = [
    'digest-dotdot', 'digest-algorithm', 'digest-short', 'digest-upper', 'diffid-dotdot', 'blobs-dir-symlink',
    'blob-symlink-out', 'blob-symlink-in', 'blob-symlink-mismatch', 'blob-symlink-device', 'index-huge',
    'manifest-huge-declared', 'config-huge-declared', 'config-huge-file', 'size-mismatch-manifest', 'size-mismatch-layer', 'size-negative',
    'manifest-self', 'index-deep', 'index-fanout', 'mediatype-config-as-layer', 'mediatype-layer-unknown',
    'mediatype-top-config', 'config-env-no-equals', 'config-env-empty-name', 'config-cmd-huge', 'config-user-dotdot',
    'config-workdir-relative', 'config-workdir-dotdot', 'config-ports-garbage', 'config-ports-key',
    'config-ports-null', 'layer-not-tar', 'layer-truncated-gzip', 'layer-pax-path-64k', 'layer-duplicates',
  ];
  for (const name of cases) {
    it(`unpackImage, ${name}`, async function () {
      this.timeout(60_000);
      const { ref, c } = write(name);
      const bundle = join(tmp.dir, 'bundles', name);
      mkdirSync(join(tmp.dir, 'bundles'), { recursive: true });
      if (c.expect === 'refuse') {
        await assert.rejects(unpackImage(ref, bundle), (e) => checkRefusal(e, c));
        assert.ok(!existsSync(bundle), 'a refused image leaves no bundle');
      } else {
        await unpackImage(ref, bundle);
        assert.ok(existsSync(join(bundle, 'config.json')));
      }
    });
  }

  it('unpackImage, a relative WorkingDir is taken from / and one with .. stays inside', async () => {
    for (const [name, cwd] of [['config-workdir-relative', '/tmp/x'], ['config-workdir-dotdot', '/tmp/ct-hostile-wd']] as const) {
      const bundle = join(tmp.dir, 'bundles', `${name}-cwd`);
      await unpackImage(`${write(name).ref}`, bundle);
      const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { cwd: string } };
      assert.equal(config.process.cwd, name === 'config-workdir-relative' ? cwd : '/../../../../tmp/ct-hostile-wd');
    }
    assert.ok(!existsSync('/tmp/ct-hostile-wd'));
  });

  it('unpackImage, duplicate entries: the last one wins', async () => {
    const bundle = join(tmp.dir, 'bundles', 'dup-content');
    await unpackImage(write('layer-duplicates').ref, bundle);
    assert.equal(readFileSync(join(bundle, 'rootfs', 'dup'), 'utf8'), 'two\n');
  });

  for (const name of ['layers-10000', 'size-mismatch-manifest', 'digest-dotdot', 'config-env-no-equals']) {
    it(`importImage, ${name}`, async function () {
      this.timeout(60_000);
      const { ref, c } = write(name);
      const storageRoot = join(tmp.dir, 'store');
      await assert.rejects(importImage(ref, { storageRoot }), (e) => checkRefusal(e, c));
      assert.deepEqual(readdirSync(join(storageRoot, 'layers')), [], 'no layer stored');
    });
  }

  it('pullToLayout, a config descriptor of 1 GiB is refused before the config is fetched', async () => {
    const { dir, c } = write('config-huge-declared');
    const reg = await startFakeRegistry(dir);
    try {
      await assert.rejects(pullToLayout(`${reg.host}/img:latest`, join(tmp.dir, 'pulled')), (e) => checkRefusal(e, c));
      assert.deepEqual(reg.requests.filter((r) => r.url.includes('/blobs/')), [], 'no blob fetched');
    } finally {
      await reg.close();
    }
  });

  it('unpackImage, a gzip bomb (1 MiB inflating to 1 GiB) is stopped by maxUncompressedBytes', async function () {
    this.timeout(60_000);
    const dir = join(tmp.dir, 'img', 'bomb');
    const size = mod.writeGzipBomb(dir, 1024 ** 3);
    assert.ok(size < 2 * 1024 * 1024, `the bomb is small (${size} bytes)`);
    const bundle = join(tmp.dir, 'bundles', 'bomb');
    await assert.rejects(unpackImage(`${dir}:latest`, bundle, { maxUncompressedBytes: 64 * 1024 * 1024 }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'OCI_LAYER_TOO_LARGE');
      assert.match((e as Error).message, /sha256:[0-9a-f]{64}/);
      return true;
    });
    assert.ok(!existsSync(bundle));
  });
});

describe('unpack, a gzip bomb on a full file system @root', function () {
  it('unpackImage, a layer inflating past the free space fails with ENOSPC naming layer and entry, and leaves nothing', async function () {
    this.timeout(60_000);
    const mod = await layouts();
    const tmp = tempDir('ct-hostile-bomb-');
    const small = join(tmp.dir, 'small');
    mkdirSync(small);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', small]);
    assert.equal(mounted.status, 0, String(mounted.stderr));
    try {
      const image = join(tmp.dir, 'bomb');
      mod.writeGzipBomb(image, 256 * 1024 * 1024);
      await assert.rejects(unpackImage(`${image}:latest`, join(small, 'bundle')), (e: unknown) => {
        assert.equal((e as { code?: string }).code, 'OCI_ENTRY_FAILED');
        assert.match((e as Error).message, /sha256:[0-9a-f]{64}: zeros: .*ENOSPC/);
        return true;
      });
      assert.deepEqual(readdirSync(small), [], 'nothing left on the full file system');
    } finally {
      spawnSync('umount', [small]);
      tmp.cleanup();
    }
  });
});
