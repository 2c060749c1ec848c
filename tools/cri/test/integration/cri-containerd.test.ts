/**
 * CriContainerd (root): a private containerd with the CRI plugin comes up serving runtime.v1 with the runtime and
 * the CNI network ready, runs a pod with runc as its handler on the test's bridge, and `stop()` leaves nothing:
 * no process naming its folder, no mount, no runtime state, no bridge. A start that fails (an image that cannot be
 * imported) reports containerd's error and leaves nothing either.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, requireFeature, testImage } from '@ct/test-utils';
import { CriContainerd, CriError, PodCgroup, processesNaming } from '../../src/index.js';

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('CriContainerd, a private containerd with the CRI plugin @root', function () {
  this.timeout(120_000);
  let dir = '';

  beforeEach(function () {
    requireFeature(this, isRoot(), 'needs root');
    for (const cmd of ['containerd', 'ctr', 'runc', 'unshare', 'ip']) requireFeature(this, have(cmd), `${cmd} is not installed`);
    requireFeature(this, existsSync('/usr/lib/cni/bridge'), 'containernetworking-plugins is not installed');
    requireFeature(this, existsSync(join(testImage('pause'), 'index.json')), 'pause test image not built (node tools/images/build.mjs)');
    dir = mkdtempSync('/tmp/ct-cri-harness-');
  });

  afterEach(function () {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('CriContainerd, serves CRI, runs a runc pod on its bridge, and stop() leaves nothing', async function () {
    const tag = `h${process.pid % 100000}`;
    const d = await CriContainerd.start({
      dir, cniTag: tag, handlers: [{ name: 'runc', binary: spawnSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).stdout.trim() }],
      sandboxImage: { layout: testImage('pause'), name: 'docker.io/ct-test/pause' },
    });
    const pod = PodCgroup.create(`/ct-cri-harness-${process.pid}`);
    const hostDirs = ['/run/containerd/s', '/var/lib/cni/results'].filter((p) => !existsSync(p));
    try {
      const status = await d.cri.call('Status', {});
      assert.deepEqual(status.status?.conditions.map((c) => [c.type, c.status]), [['RuntimeReady', true], ['NetworkReady', true]]);
      const images = (await d.cri.call('ListImages', {})).images.flatMap((i) => i.repoTags);
      assert.deepEqual(images, ['docker.io/ct-test/pause:latest']);
      const config = { metadata: { name: 'p', uid: 'u', namespace: 'n' }, hostname: 'p', linux: { cgroupParent: pod.path } };
      const { podSandboxId } = await d.cri.call('RunPodSandbox', { config, runtimeHandler: 'runc' });
      const sandbox = (await d.cri.call('PodSandboxStatus', { podSandboxId })).status;
      assert.equal(sandbox?.state, 'SANDBOX_READY');
      assert.ok((sandbox?.network?.ip ?? '').startsWith(d.cni.subnet.split('.').slice(0, 3).join('.') + '.'), sandbox?.network?.ip);
      assert.ok(existsSync(`/sys/class/net/${d.cni.bridge}`), 'the bridge exists while the pod runs');
      assert.deepEqual(d.handlerState('runc'), [podSandboxId]);
      assert.ok(d.daemonMounts().some((m) => m.includes(podSandboxId)), 'the sandbox rootfs is mounted in the daemon\'s namespace');
    } finally {
      const left = await d.stop();
      assert.deepEqual(left, { processes: [], mounts: [], state: [], errors: [] });
      assert.equal(existsSync(`/sys/class/net/${d.cni.bridge}`), false, 'bridge left');
      assert.deepEqual(pod.remove(), [], 'a container cgroup is left in the pod cgroup');
      assert.deepEqual(hostDirs.filter((p) => existsSync(p)), [], 'host folders made by containerd left');
    }
  });

  it('CriContainerd.start, an image that cannot be imported fails with ctr\'s error and leaves nothing', async function () {
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'index.json'), '{"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:' + '0'.repeat(64) + '", "size": 2}]}');
    writeFileSync(join(broken, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
    const err = await CriContainerd.start({
      dir, cniTag: `f${process.pid % 100000}`, handlers: [{ name: 'runc', binary: 'runc' }],
      sandboxImage: { layout: broken, name: 'docker.io/ct-test/broken' },
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof CriError, String(err));
    assert.equal(err.code, 'CONTAINERD_FAILED');
    assert.match(err.message, /import image: .*ctr images import docker\.io\/ct-test\/broken/);
    assert.ok(await waitGone(dir), `processes left: ${processesNaming(dir).join('\n')}`);
    assert.equal(existsSync(`/sys/class/net/ctcrif${process.pid % 100000}`), false, 'bridge left');
  });
});

/** Whether every process naming `dir` ends within 10 s. */
async function waitGone(dir: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (processesNaming(dir).length === 0) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
