/**
 * Image formats and references on the fixture images: nested multi-platform indexes (platform selection, refs by
 * digest), and an unpack with no HOME or XDG variables set.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ct/test-utils';
import { hostPlatform, openImage, resolveImage, unpackImage } from '../../src/index.js';
import { ociFixtures, tempDir } from '../helpers/fixtures.js';

describe('image formats', function () {
  let fixtures: string;
  let tmp: { dir: string; cleanup: () => void };
  before(async () => { fixtures = await ociFixtures(); });
  beforeEach(() => { tmp = tempDir(); });
  afterEach(() => tmp.cleanup());

  it('unpackImage, a nested index picks the host platform', async () => {
    await unpackImage(`${join(fixtures, 'multi-platform')}:multi`, join(tmp.dir, 'b'));
    const want = hostPlatform().architecture === 'arm64' ? 'arm64' : 'amd64';
    assert.equal(readFileSync(join(tmp.dir, 'b/rootfs/platform'), 'utf8'), `${want}\n`);
  });

  it('unpackImage, the platform option picks another manifest', async () => {
    await unpackImage(`${join(fixtures, 'multi-platform')}:multi`, join(tmp.dir, 'b'), { platform: { os: 'linux', architecture: 'arm64' } });
    assert.equal(readFileSync(join(tmp.dir, 'b/rootfs/platform'), 'utf8'), 'arm64\n');
  });

  it('unpackImage, no manifest for the platform is an error', async () => {
    await assert.rejects(unpackImage(`${join(fixtures, 'multi-platform')}:multi`, join(tmp.dir, 'b'), { platform: { os: 'linux', architecture: 's390x' } }), { code: 'OCI_NO_MATCHING_PLATFORM' });
  });

  it('unpackImage, a single-platform image asked for another platform is refused naming both', async () => {
    await assert.rejects(unpackImage(`${join(fixtures, 'multi-layer')}:latest`, join(tmp.dir, 'b'), { platform: { os: 'linux', architecture: 'arm64' } }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'OCI_NO_MATCHING_PLATFORM');
      assert.match(e.message, /the image is for linux\/amd64, not linux\/arm64/);
      return true;
    });
    assert.equal(existsSync(join(tmp.dir, 'b')), false);
  });

  it('resolveImage, a manifest named by digest is checked against an explicit platform, taken as it is without one', async () => {
    const source = await openImage(join(fixtures, 'multi-platform'));
    try {
      const arm = resolveImage(source, { path: '', tag: 'multi' }, { os: 'linux', architecture: 'arm64' }).manifestDescriptor.digest;
      assert.throws(() => resolveImage(source, { path: '', digest: arm }, { os: 'linux', architecture: 'amd64' }), { code: 'OCI_NO_MATCHING_PLATFORM' });
      assert.equal(resolveImage(source, { path: '', digest: arm }, { os: 'linux', architecture: 'arm64', variant: 'v8' }).config.architecture, 'arm64');
    } finally {
      await source.close();
    }
  });

  it('resolveImage, PATH@digest of a manifest inside a nested index', async () => {
    const source = await openImage(join(fixtures, 'multi-platform'));
    try {
      const arm = resolveImage(source, { path: '', tag: 'multi' }, { os: 'linux', architecture: 'arm64' });
      const byDigest = resolveImage(source, { path: '', digest: arm.manifestDescriptor.digest });
      assert.equal(byDigest.manifestDescriptor.digest, arm.manifestDescriptor.digest);
      assert.equal(byDigest.config.architecture, 'arm64');
    } finally {
      await source.close();
    }
  });

  it('unpackImage, PATH@digest of the index', async () => {
    const index = JSON.parse(readFileSync(join(fixtures, 'multi-platform/index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    await unpackImage(`${join(fixtures, 'multi-platform')}@${index.manifests[0]!.digest}`, join(tmp.dir, 'b'), { platform: { os: 'linux', architecture: 'amd64' } });
    assert.equal(readFileSync(join(tmp.dir, 'b/rootfs/platform'), 'utf8'), 'amd64\n');
  });

  it('unpackImage, works with no HOME or XDG variables', () => {
    const script = `import { unpackImage } from ${JSON.stringify(join(repoRoot(), 'packages/oci/src/index.ts'))};
      const r = await unpackImage(process.argv[1], process.argv[2]); console.log(r.manifestDigest);`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, `${join(fixtures, 'zstd')}:latest`, join(tmp.dir, 'nohome')],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: process.env.TMPDIR ?? '/tmp' }, cwd: join(repoRoot(), 'packages/oci'), encoding: 'utf8' });
    assert.match(out, /^sha256:[0-9a-f]{64}$/m);
    assert.equal(readFileSync(join(tmp.dir, 'nohome/rootfs/data/small'), 'utf8'), 'replaced\n');
  });
});
