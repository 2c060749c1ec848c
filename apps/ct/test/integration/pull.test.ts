/**
 * `ct pull`: the CLI over @ct/oci's pullImage, run as a separate process (bin/ct.js) against Debian's
 * docker-registry on loopback (filled with skopeo from the test images): the image lands in the store under its
 * full name, --json prints the record, a missing tag exits 1 with REGISTRY_NOT_FOUND, a bad --platform exits 2,
 * and nothing is drawn on stderr when it is not a terminal.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeTree } from '@ct/oci';
import { requireFeature, testImage } from '@ct/test-utils';
import { registryToolsPresent, skopeoPush, startDistribution, type Distribution } from '../../../../packages/oci/test/fixtures/registry/distribution.js';

const bin = fileURLToPath(new URL('../../bin/ct.js', import.meta.url));

function ct(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
}

describe('ct pull', function () {
  let tmp: string;
  let reg: Distribution;
  const busybox = testImage('busybox');

  before(async function () {
    requireFeature(this, registryToolsPresent(), 'docker-registry, openssl and skopeo are needed');
    requireFeature(this, existsSync(join(busybox, 'index.json')), 'test images: run node tools/images/build.mjs');
    this.timeout(120_000);
    tmp = mkdtempSync(join(tmpdir(), 'ct-pull-'));
    reg = await startDistribution(join(tmp, 'registry'), { storage: join(tmp, 'storage') });
    skopeoPush(busybox, `${reg.host}/busybox:latest`);
  });
  after(async () => {
    await reg?.stop();
    if (tmp !== undefined) await removeTree(tmp);
  });

  it('ct pull, puts the image into the store under the full reference', () => {
    const store = join(tmp, 'store');
    const digest = (JSON.parse(readFileSync(join(busybox, 'index.json'), 'utf8')) as { manifests: { digest: string }[] }).manifests[0]!.digest;
    const r = ct('pull', `${reg.host}/busybox`, '--storage-root', store);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${reg.host}/busybox:latest ${digest}\n`);
    assert.equal(r.stderr, '');
    const ls = ct('image', 'ls', '--storage-root', store, '--json');
    assert.equal(ls.status, 0, ls.stderr);
    assert.ok((JSON.parse(ls.stdout) as { names: string[] }[]).some((i) => i.names.includes(`${reg.host}/busybox:latest`)));
  });

  it('ct pull, --json and --name', () => {
    const r = ct('pull', `${reg.host}/busybox:latest`, '--storage-root', join(tmp, 'store2'), '--name', 'mine:v1', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { image: { names: string[]; digest: string } };
    assert.deepEqual(out.image.names, ['mine:v1']);
  });

  it('ct pull, draws a progress bar on a terminal (a pty made by script(1))', function () {
    requireFeature(this, existsSync('/usr/bin/script'), 'script(1) from util-linux');
    const cmd = [process.execPath, bin, 'pull', `${reg.host}/busybox`, '--storage-root', join(tmp, 'store-tty')].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('/usr/bin/script', ['-qefc', cmd, '/dev/null'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /\[#+-*\] [0-9.]+ [kM]?B \/ [0-9.]+ [kM]?B, [0-9]+\/2 blobs/);
  });

  it('ct pull, a missing tag exits 1 with REGISTRY_NOT_FOUND', () => {
    const r = ct('pull', `${reg.host}/busybox:nope`, '--storage-root', join(tmp, 'store3'), '--json');
    assert.equal(r.status, 1);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'REGISTRY_NOT_FOUND');
  });

  it('ct pull, a malformed reference exits 1 with REGISTRY_REF_INVALID', () => {
    const r = ct('pull', 'Bad/Ref:', '--storage-root', join(tmp, 'store3'), '--json');
    assert.equal(r.status, 1);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'REGISTRY_REF_INVALID');
  });

  it('ct pull, a malformed --platform is a usage error (exit 2)', () => {
    const r = ct('pull', `${reg.host}/busybox`, '--platform', 'linux', '--storage-root', join(tmp, 'store3'));
    assert.equal(r.status, 2);
  });
});
