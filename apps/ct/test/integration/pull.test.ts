/**
 * `ct pull`: the CLI over @ct/oci's pullImage, run as a separate process (bin/ct.js) against Debian's
 * docker-registry on loopback (filled with skopeo from the test images): the image lands in the store under its
 * full name, --json prints the record, a missing tag exits 1 with REGISTRY_NOT_FOUND, a bad --platform exits 2,
 * nothing is drawn on stderr when it is not a terminal, a second pull downloads no layer, and a registry with token
 * auth is pulled from with credentials from a credential helper named by `--authfile` (podman's spelling) or
 * $REGISTRY_AUTH_FILE, a missing helper exiting 1 with REGISTRY_CRED_HELPER_MISSING.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeTree } from '@ct/oci';
import { requireFeature, testImage } from '@ct/test-utils';
import { helperCalls, writeCredentialHelper } from '../../../../packages/oci/test/fixtures/registry/cred-helper.js';
import {
  makePki, registryToolsPresent, skopeoPush, startDistribution, startTokenService, type Distribution, type TokenService,
} from '../../../../packages/oci/test/fixtures/registry/distribution.js';

const bin = fileURLToPath(new URL('../../bin/ct.js', import.meta.url));

function ct(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
}

/** ct in `env`, without blocking this process (the token service the tests run answers from here). */
function ctWithEnv(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
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
    assert.deepEqual(out.image.names, ['docker.io/library/mine:v1']);
  });

  it('ct pull, draws a progress bar on a terminal (a pty made by script(1))', function () {
    requireFeature(this, existsSync('/usr/bin/script'), 'script(1) from util-linux');
    const cmd = [process.execPath, bin, 'pull', `${reg.host}/busybox`, '--storage-root', join(tmp, 'store-tty')].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('/usr/bin/script', ['-qefc', cmd, '/dev/null'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /\[#+-*\] [0-9.]+ [kM]?B \/ [0-9.]+ [kM]?B, [0-9]+\/2 blobs/);
  });

  it('ct pull, a second pull of a stored image downloads no layer and reuses every layer', () => {
    const store = join(tmp, 'store-again');
    assert.equal(ct('pull', `${reg.host}/busybox`, '--storage-root', store).status, 0);
    const r = ct('pull', `${reg.host}/busybox`, '--storage-root', store, '--name', 'again:1', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { image: { layers: string[] }; addedLayers: string[]; reusedLayers: string[]; pulled: { skippedLayers: string[] } };
    assert.deepEqual(out.addedLayers, []);
    assert.deepEqual(out.reusedLayers, out.image.layers);
    assert.equal(out.pulled.skippedLayers.length, out.image.layers.length);
  });

  describe('with token auth and a credential helper', () => {
    let tokenReg: Distribution;
    let tokens: TokenService;
    let helperBin: string;
    before(async function () {
      this.timeout(60_000);
      const pki = makePki(join(tmp, 'pki'));
      tokens = await startTokenService({ key: join(tmp, 'pki', 'ca.key'), cert: pki.caCert }, 'ct-issuer', 'ct-service', 'erin:pw');
      tokenReg = await startDistribution(join(tmp, 'token-registry'), { storage: join(tmp, 'storage'), token: { realm: tokens.realm, service: 'ct-service', issuer: 'ct-issuer', rootCert: pki.caCert } });
      helperBin = join(tmp, 'helper-bin');
      mkdirSync(helperBin);
      writeCredentialHelper(helperBin, 'ctest', { answers: { [tokenReg.host]: { username: 'erin', secret: 'pw' } } });
    });
    after(async () => {
      await tokenReg?.stop();
      await tokens?.close();
    });
    const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: `${helperBin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: join(tmp, 'home'), ...extra });

    it('ct pull --authfile, credentials from the credHelpers entry of that file', async () => {
      const authFile = join(tmp, 'auth-helper.json');
      writeFileSync(authFile, JSON.stringify({ credHelpers: { [tokenReg.host]: 'ctest' } }));
      const r = await ctWithEnv(env(), 'pull', `${tokenReg.host}/busybox`, '--authfile', authFile, '--storage-root', join(tmp, 'store-auth'));
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(helperCalls(helperBin, 'ctest'), [tokenReg.host]);
      assert.ok(tokens.requests.some((q) => q.authorization === `Basic ${Buffer.from('erin:pw').toString('base64')}`));
      const anonymous = await ctWithEnv(env(), 'pull', `${tokenReg.host}/busybox`, '--storage-root', join(tmp, 'store-anon'), '--json');
      assert.equal(anonymous.status, 1);
      assert.equal((JSON.parse(anonymous.stdout) as { error: { code: string } }).error.code, 'REGISTRY_UNAUTHORIZED');
    });

    it('ct pull, $REGISTRY_AUTH_FILE naming a missing helper exits 1 with REGISTRY_CRED_HELPER_MISSING', async () => {
      const authFile = join(tmp, 'auth-missing.json');
      writeFileSync(authFile, JSON.stringify({ credsStore: 'not-installed' }));
      const r = await ctWithEnv(env({ REGISTRY_AUTH_FILE: authFile }), 'pull', `${tokenReg.host}/busybox`, '--storage-root', join(tmp, 'store-missing'), '--json');
      assert.equal(r.status, 1, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'REGISTRY_CRED_HELPER_MISSING');
    });
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
