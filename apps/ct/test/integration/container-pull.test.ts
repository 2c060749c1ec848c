/**
 * `ct container run REF` pulls an image the store lacks (podman's --pull missing|always|never) through @ct/oci's
 * pullImage, from Debian's docker-registry on loopback filled with skopeo from the busybox test image: quiet in a
 * pipe, a progress line on a terminal, no second pull once stored, `never` refusing a missing image and `always`
 * going to the registry even for a stored one. As root and unprivileged.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature, testImage } from '@ct/test-utils';
import { registryToolsPresent, skopeoPush, startDistribution, type Distribution } from '../../../../packages/oci/test/fixtures/registry/distribution.js';
import { containerDirs, imageCommand, removeSuiteRoot } from './container-run-harness.js';
import { ciUser, ctBin, Runtime } from './runtime-harness.js';

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(120_000);
    const user = rootless && isRoot() ? ciUser() : undefined;
    const base = user !== undefined ? `${user.runtimeDir}/ct-cpull-${process.pid}` : join(tmpdir(), `ct-cpull-${process.pid}`);
    const store = join(base, 'storage');
    const ct = new Runtime('ct', join(base, 'state'), user);
    const run = (args: readonly string[]): ReturnType<Runtime['run']> => ct.run(['container', 'run', '--storage-root', store, ...args]);
    let regDir: string;
    let reg: Distribution | undefined;
    let ref = '';

    before(async function () {
      if (rootless && isRoot()) requireFeature(this, user !== undefined, 'the unprivileged user ctci does not exist');
      if (!rootless) requireFeature(this, isRoot(), 'needs root');
      requireFeature(this, registryToolsPresent(), 'docker-registry, openssl and skopeo are needed');
      requireFeature(this, existsSync(join(testImage('busybox'), 'index.json')), 'tools/images has not built the busybox image');
      regDir = mkdtempSync(join(tmpdir(), 'ct-cpull-reg-'));
      reg = await startDistribution(join(regDir, 'registry'), { storage: join(regDir, 'storage') });
      skopeoPush(testImage('busybox'), `${reg.host}/tools/busybox:v1`);
      ref = `${reg.host}/tools/busybox:v1`;
    });
    after(async function () {
      this.timeout(120_000);
      await reg?.stop();
      await removeSuiteRoot(ct, join(base, 'state'), base, () => rmSync(base, { recursive: true, force: true }));
      if (regDir !== undefined) rmSync(regDir, { recursive: true, force: true });
    });

    it('container run --pull never, a missing image is not pulled: STORE_IMAGE_NOT_FOUND', () => {
      const r = run(['--pull', 'never', ref, 'true']);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /no such image/);
      assert.equal(imageCommand(user, ['ls', '--json', '--storage-root', store]).stdout.includes(ref), false);
    });
    it('container run, an image id (sha256:...) not in the store is not pulled', () => {
      const r = run([`sha256:${'0'.repeat(64)}`, 'true']);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /no such image/);
      assert.doesNotMatch(r.stderr, /the pull failed/);
    });
    it('container run, a failed pull names the image and the registry\'s error', () => {
      const r = run([`${reg!.host}/tools/absent:v1`, 'true']);
      assert.equal(r.status, 125);
      assert.match(r.stderr, new RegExp(`container run: pull ${reg!.host.replace(/\./g, '\\.')}/tools/absent:v1: not in the store, and the pull failed`));
    });
    it('container run, a missing image is pulled (nothing drawn in a pipe) and run', () => {
      const r = run(['--rm', ref, 'sh', '-c', 'echo pulled-and-ran']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'pulled-and-ran\n');
      assert.equal(r.stderr, '', 'no progress output in a pipe');
      const ls = JSON.parse(imageCommand(user, ['ls', '--json', '--storage-root', store]).stdout) as { names: string[] }[];
      assert.deepEqual(ls.map((i) => i.names), [[ref]]);
      assert.deepEqual(containerDirs(store), []);
    });
    it('container run, a stored image is not pulled again; --pull always goes to the registry', async () => {
      await reg!.stop();
      try {
        const r = run(['--rm', ref, 'true']);
        assert.equal(r.status, 0, `no registry needed for a stored image: ${r.stderr}`);
        const always = run(['--rm', '--pull', 'always', ref, 'true']);
        assert.equal(always.status, 125, 'the registry is down: always must fail');
        assert.match(always.stderr, new RegExp(reg!.host.replace(/\./g, '\\.')));
        // podman's behaviour: the registry's error, not a claim that the stored image is missing
        assert.match(always.stderr, /--pull always: the pull failed: .*ECONNREFUSED/);
        assert.doesNotMatch(always.stderr, /not in the store/);
      } finally {
        reg = await startDistribution(join(regDir, 'registry'), { storage: join(regDir, 'storage') });
        skopeoPush(testImage('busybox'), `${reg.host}/tools/busybox:v1`);
      }
    });
    it('container run, the pull draws its progress on a terminal (a pty made by script(1))', function () {
      requireFeature(this, spawnSync('script', ['--version']).status === 0, 'script (util-linux) is not installed');
      const other = join(base, 'storage-tty');
      const line = [process.execPath, ctBin, '--root', join(base, 'state'), 'container', 'run', '--storage-root', other, '--rm',
        `${reg!.host}/tools/busybox:v1`, 'echo', 'done'].map((a) => `'${a}'`).join(' ');
      const env = ['env', 'TMPDIR=/tmp', 'HOME=/tmp', ...(user !== undefined ? [`XDG_RUNTIME_DIR=${user.runtimeDir}`] : [])];
      const cmd = [...(user !== undefined ? ['runuser', '-u', 'ctci', '--'] : []), ...env, 'script', '-qec', line, '/dev/null'];
      const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000, cwd: '/' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /\[#+-*\] [0-9.]+ [kM]?B \/ [0-9.]+ [kM]?B, [0-9]+\/2 blobs/);
      assert.match(r.stdout, /done/);
    });
  });
}

defineSuite('ct container run pulls @root', false);
defineSuite('ct container run pulls, unprivileged @rootless', true);
