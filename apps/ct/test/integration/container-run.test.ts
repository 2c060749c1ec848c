/** `ct container run IMAGE [CMD...]` on the busybox test image, as root and unprivileged. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature, testImage } from '@ct/test-utils';
import { ciUser, Runtime } from './runtime-harness.js';

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    const user = rootless && isRoot() ? ciUser() : undefined;
    const root = user !== undefined ? `${user.runtimeDir}/ct-image-test` : join(tmpdir(), `ct-image-test-${process.pid}`);
    const ct = new Runtime('ct', root, user);
    before(function () {
      if (rootless && isRoot()) requireFeature(this, user !== undefined, 'the unprivileged user ctci does not exist');
      if (!rootless) requireFeature(this, isRoot(), 'needs root');
      requireFeature(this, existsSync(join(testImage('busybox'), 'index.json')), 'tools/images has not built the busybox image');
    });
    after(() => ct.cleanup([]));

    it('container run, CMD replaces the image command; exit status and output come back; nothing is left', () => {
      const r = ct.run(['container', 'run', '--name', `img-${process.pid}`, testImage('busybox'), 'sh', '-c', 'echo from-image; exit 6']);
      assert.equal(r.status, 6, r.stderr);
      assert.equal(r.stdout, 'from-image\n');
      assert.equal(ct.run(['state', `img-${process.pid}`]).status, 1);
      if (user === undefined) assert.deepEqual(readdirSync(join(root, '.bundles')), []);
    });
    it('container run --rm --network, own network namespace by default, the host\'s with host', () => {
      const hostNet = spawnSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }).stdout.trim();
      const nets = ['none', 'host'].map((network) => {
        const r = ct.run(['container', 'run', '--rm', '--network', network, testImage('busybox'), 'readlink', '/proc/self/ns/net']);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.trim();
      });
      assert.notEqual(nets[0], hostNet);
      assert.equal(nets[1], hostNet);
    });
    it('container run --keep, the stopped container stays for ct delete', () => {
      const id = `imgkeep-${process.pid}`;
      assert.equal(ct.run(['container', 'run', '--keep', '--name', id, testImage('busybox'), 'true']).status, 0);
      assert.equal(ct.state(id)?.['status'], 'stopped');
      assert.equal(ct.run(['delete', id]).status, 0);
      if (user === undefined) assert.deepEqual(readdirSync(join(root, '.bundles')), [], 'delete removes the unpacked bundle');
    });
  });
}

defineSuite('ct container run @root', false);
defineSuite('ct container run unprivileged @rootless', true);
