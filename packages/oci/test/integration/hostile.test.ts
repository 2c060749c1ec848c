/**
 * Hostile images, one per escape class (tools/images/oci-fixtures/hostile.mjs), unpacked with both resolvers:
 * openat2 RESOLVE_IN_ROOT and the O_NOFOLLOW component walk. Each is refused with a LayerUnpackError naming the layer
 * and entry, or confined inside the root; the host path an escape would touch is checked every time.
 * The whiteout-through-symlink case is rebuilt per run with a victim dir of its own (mkdtemp) as the link's target:
 * a fixed host path was shared by concurrent runs (root and the unprivileged pass at once), and the first to finish
 * removed it under the other.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openat2Supported } from '@ct/syscalls';
import { requireFeature } from '@ct/test-utils';
import { LayerUnpackError, unpackImage } from '../../src/index.js';
import { hostileCases, imagesLib, ociFixtures, tempDir, type HostileCase } from '../helpers/fixtures.js';

const WH_LINK = 'hostile-whiteout-symlink';

describe('unpack, hostile images', function () {
  let fixtures: string;
  let cases: Record<string, HostileCase>;
  let victimDir: string;
  let own: ReturnType<typeof tempDir>;
  /** The fixture's image, or this run's rebuilt one. */
  const layout = (name: string): string => join(name === WH_LINK ? own.dir : fixtures, name);
  before(async function () {
    fixtures = await ociFixtures();
    const table = await hostileCases();
    // The whiteout-through-symlink case must not remove this host file: the link points at this run's dir.
    victimDir = mkdtempSync(join(tmpdir(), 'ct-escape-wh-link-'));
    writeFileSync(join(victimDir, 'victim'), 'host file\n');
    const wh = table[WH_LINK]!;
    const layers = wh.layers.map((entries) => entries.map((e) => (e.type === 'symlink' ? { ...e, target: victimDir } : e)));
    cases = { ...table, [WH_LINK]: { ...wh, layers, escape: victimDir } };
    own = tempDir('ct-hostile-');
    const lib = await imagesLib();
    lib.writeImage(join(own.dir, WH_LINK), { layers: layers.map((entries) => lib.createLayer(entries)), refName: 'latest' });
  });
  after(() => {
    rmSync(victimDir, { recursive: true, force: true });
    own.cleanup();
  });

  const names = [
    'hostile-dotdot', 'hostile-absolute', 'hostile-symlink-write', 'hostile-symlink-final', 'hostile-dir-swap',
    'hostile-hardlink-out', 'hostile-hardlink-abs', 'hostile-whiteout-climb', 'hostile-whiteout-symlink',
    'hostile-root-type', 'hostile-pax-huge',
  ];
  for (const resolver of ['openat2', 'walk'] as const) {
    describe(`resolver ${resolver}`, function () {
      before(function () {
        if (resolver === 'openat2') requireFeature(this, openat2Supported(), 'openat2(2) is missing');
      });
      for (const name of names) {
        it(`unpack, ${name} (${resolver})`, async () => {
          const c = cases[name]!;
          const tmp = tempDir();
          try {
            const bundle = join(tmp.dir, 'bundle');
            const run = unpackImage(`${layout(name)}:latest`, bundle, { forceWalk: resolver === 'walk' });
            if (c.expect === 'refuse') {
              await assert.rejects(run, (e: unknown) => {
                assert.ok(e instanceof LayerUnpackError, String(e));
                assert.equal(e.code, c.code);
                assert.match(e.layerDigest, /^sha256:[0-9a-f]{64}$/);
                return true;
              });
              assert.ok(!existsSync(bundle), 'a refused image leaves no bundle');
            } else {
              await run;
              if (c.inside !== undefined) assert.ok(lstatSync(join(bundle, 'rootfs', c.inside)), `${c.inside} is inside the root`);
            }
            if (c.escape !== undefined && c.escape !== victimDir) {
              assert.ok(!existsSync(c.escape) || !existsSync(join(c.escape, 'owned')), `${c.escape} untouched`);
              assert.ok(!existsSync(c.escape), `${c.escape} was not created`);
            }
            assert.equal(readFileSync(join(victimDir, 'victim'), 'utf8'), 'host file\n');
            assert.ok(readFileSync('/etc/passwd', 'utf8').startsWith('root:'));
          } finally {
            tmp.cleanup();
          }
        });
      }
    });
  }

  it('unpack, a hard link with an absolute target links the file inside the root', async () => {
    const tmp = tempDir();
    try {
      const bundle = join(tmp.dir, 'b');
      await unpackImage(`${join(fixtures, 'hostile-hardlink-abs')}:latest`, bundle);
      const inside = lstatSync(join(bundle, 'rootfs/etc/passwd'));
      assert.equal(lstatSync(join(bundle, 'rootfs/passwd-link')).ino, inside.ino);
      assert.notEqual(lstatSync('/etc/passwd').ino, inside.ino);
    } finally {
      tmp.cleanup();
    }
  });

  it('unpack, a file written over a planted symlink replaces the link and does not follow it', async () => {
    const tmp = tempDir();
    try {
      const bundle = join(tmp.dir, 'b');
      await unpackImage(`${join(fixtures, 'hostile-symlink-final')}:latest`, bundle, { forceWalk: true });
      assert.ok(lstatSync(join(bundle, 'rootfs/target')).isFile());
      assert.ok(!existsSync('/tmp/ct-escape-final'));
    } finally {
      tmp.cleanup();
    }
  });
});
