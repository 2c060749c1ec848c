/**
 * `ct image unpack`: the CLI over @ct/oci's unpackImage, run as a separate process (bin/ct.js): a bundle is made,
 * `--json` prints the result, bad input exits 1 with the error code in the JSON, usage errors exit 2. As root the
 * unpack runs in process; as an unprivileged user it goes through the user-namespace worker by itself.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { removeTree } from '@ct/oci';
import { isRoot, repoRoot } from '@ct/test-utils';

const bin = fileURLToPath(new URL('../../bin/ct.js', import.meta.url));

function ct(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
}

describe('ct image unpack', function () {
  let fixtures: string;
  let tmp: string;
  before(async () => {
    const mod = (await import(pathToFileURL(join(repoRoot(), 'tools/images/oci-fixtures/build.mjs')).href)) as { buildOciFixtures(): { outDir: string } };
    fixtures = mod.buildOciFixtures().outDir;
    tmp = mkdtempSync(join(tmpdir(), 'ct-image-unpack-'));
  });
  after(async () => { if (tmp !== undefined) await removeTree(tmp); });

  it('ct image unpack, makes a bundle and --json reports it', () => {
    const bundle = join(tmp, 'b');
    const r = ct('image', 'unpack', `${join(fixtures, 'multi-layer')}:latest`, bundle, '--json');
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { bundle: string; manifestDigest: string; mode: string };
    assert.equal(result.bundle, bundle);
    assert.match(result.manifestDigest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(result.mode, isRoot() ? 'root' : 'userns');
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { root: { path: string } };
    assert.equal(config.root.path, 'rootfs');
    assert.ok(existsSync(join(bundle, 'rootfs/etc/passwd')));
  });

  it('ct image unpack, --image names the image instead of the first argument', () => {
    const bundle = join(tmp, 'c');
    const r = ct('image', 'unpack', '--image', `${join(fixtures, 'multi-layer')}:latest`, bundle);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(bundle, 'config.json')));
  });

  it('ct image unpack, an unknown tag exits 1 with the error code in --json and no bundle', () => {
    const bundle = join(tmp, 'd');
    const r = ct('image', 'unpack', `${join(fixtures, 'multi-layer')}:nope`, bundle, '--json');
    assert.equal(r.status, 1);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'OCI_REF_NOT_FOUND');
    assert.equal(existsSync(bundle), false);
  });

  it('ct image unpack, a missing bundle argument is a usage error', () => {
    const r = ct('image', 'unpack', `${join(fixtures, 'multi-layer')}:latest`);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /BUNDLE/);
  });
});
