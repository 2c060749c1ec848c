/**
 * linux.namespaces through create/start: a pid namespace joined by path puts the container's process in that
 * namespace (containerd's CRI passes the pod's pid namespace so; the process must not see the host's processes).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot } from '@ct/test-utils';
import { createContainer } from '../../src/container-create.js';
import { execContainer } from '../../src/container-exec.js';
import type { ConfigError } from '../../src/errors.js';
import { makeBundle, makeContext, removeAll, runBundle, startBundle, type TestBundle, useRuntime } from './launch-bundle.js';

type Ns = { type: string; path?: string };

/** Join the pid namespace of `pid` (and, rootless, its user namespace, whose maps are then its own). */
function joinPidOf(bundle: TestBundle, pid: number): void {
  const joined = (type: string): boolean => type === 'pid' || (type === 'user' && !isRoot());
  bundle.config.linux['namespaces'] = (bundle.config.linux['namespaces'] as Ns[])
    .map((n) => (joined(n.type) ? { type: n.type, path: `/proc/${pid}/ns/${n.type}` } : n));
  if (!isRoot()) {
    delete bundle.config.linux['uidMappings'];
    delete bundle.config.linux['gidMappings'];
  }
  bundle.write();
}

describe('runtime launch, namespaces joined by path @rootless', function () {
  const { ctx, ids, bundles } = useRuntime();

  it('create, a pid namespace joined by path: /proc in the container lists only that namespace\'s processes', async () => {
    const target = makeBundle('exec sleep 60');
    const joiner = makeBundle('cd /proc; for f in [0-9]*; do echo $f; done >/out/procs; readlink /proc/self/ns/pid >/out/ns');
    bundles.push(target, joiner);
    const id = `launch-pidjoin-${process.pid}`;
    ids.push(`${id}-t`, `${id}-j`);
    const t = await startBundle(ctx, `${id}-t`, target);
    joinPidOf(joiner, t.pid);
    assert.equal(await runBundle(ctx, `${id}-j`, joiner), 0);
    assert.equal(joiner.read('ns').trim(), readlinkSync(`/proc/${t.pid}/ns/pid`), 'the process\'s pid namespace is the target\'s');
    assert.deepEqual(joiner.read('procs').trim().split('\n'), ['1', '2'], 'the target\'s init and our shell, nothing of the host');
  });
});

/** The namespace links of the calling process, by kind (config.json's names). */
const NS_FILES = { user: 'user', network: 'net', pid: 'pid', mount: 'mnt', uts: 'uts', ipc: 'ipc', cgroup: 'cgroup' } as const;

describe('runtime launch, a joined user namespace beside new ones @rootless', function () {
  const { ctx, ids, bundles } = useRuntime();

  it('create, the user and network namespaces of another container joined, mnt/pid/uts/ipc/cgroup new (rootless --network container:ID)', async () => {
    const target = makeBundle('exec sleep 60');
    const kinds = Object.keys(NS_FILES) as (keyof typeof NS_FILES)[];
    const script = kinds.map((k) => `readlink /proc/self/ns/${NS_FILES[k]} >/out/${k}`).join('; ')
      + '; cd /proc; for f in [0-9]*; do echo $f; done >/out/procs';
    const joiner = makeBundle(script);
    bundles.push(target, joiner);
    // the target owns its user and network namespaces (as root too: a user namespace over the host's ids)
    target.config.linux['namespaces'] = [...kinds.filter((k) => k !== 'cgroup').map((type) => ({ type }))];
    if (isRoot()) {
      target.config.linux['uidMappings'] = [{ containerID: 0, hostID: 0, size: 65536 }];
      target.config.linux['gidMappings'] = [{ containerID: 0, hostID: 0, size: 65536 }];
    }
    target.write();
    const id = `launch-userjoin-${process.pid}`;
    ids.push(`${id}-t`, `${id}-j`);
    const t = await startBundle(ctx, `${id}-t`, target);
    joiner.config.linux['namespaces'] = kinds.map((type) =>
      (type === 'user' || type === 'network' ? { type, path: `/proc/${t.pid}/ns/${NS_FILES[type]}` } : { type }));
    delete joiner.config.linux['uidMappings'];
    delete joiner.config.linux['gidMappings'];
    joiner.write();
    assert.equal(await runBundle(ctx, `${id}-j`, joiner), 0);
    for (const k of kinds) {
      const inside = joiner.read(k).trim();
      const targets = readlinkSync(`/proc/${t.pid}/ns/${NS_FILES[k]}`);
      if (k === 'user' || k === 'network') assert.equal(inside, targets, `${k}: the target's`);
      else {
        assert.notEqual(inside, targets, `${k}: not the target's`);
        assert.notEqual(inside, readlinkSync(`/proc/self/ns/${NS_FILES[k]}`), `${k}: not the caller's`);
      }
    }
    assert.deepEqual(joiner.read('procs').trim().split('\n'), ['1'], 'a pid namespace of its own');
  });
});

describe('runtime exec through enterContainer @rootless', function () {
  const { ctx, ids, bundles } = useRuntime();

  it('exec, a --process with a scheduler: set on the process before it runs (SCHED_BATCH, nice 5)', async () => {
    const b = makeBundle('exec sleep 60');
    bundles.push(b);
    const id = `launch-exec-sched-${process.pid}`;
    ids.push(id);
    await startBundle(ctx, id, b);
    const processFile = join(b.dir, 'process.json');
    writeFileSync(processFile, JSON.stringify({
      ...b.config.process, args: ['sh', '-c', 'grep -E "^(policy|prio) " /proc/self/sched | tr -s " " >/out/sched'],
      scheduler: { policy: 'SCHED_BATCH', nice: 5 },
    }));
    assert.equal(await execContainer(ctx, id, { process: processFile }), 0);
    // policy 3 is SCHED_BATCH; prio 125 is nice 5
    assert.equal(b.read('sched'), 'policy : 3\nprio : 125\n');
  });
});

describe('runtime launch, no mount namespace of its own @root', function () {
  const { ctx, cleanup } = makeContext();
  const bundles: TestBundle[] = [];
  after(() => {
    for (const b of bundles) {
      // the mounts were made in our own mount namespace, as runc makes them: take them away, deepest first
      const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
        .filter((p) => p.startsWith(`${b.dir}/`)).sort().reverse();
      for (const p of points) spawnSync('umount', ['-l', p]);
    }
    cleanup();
  });

  it('create, without a mount namespace: the host\'s mount namespace, the config\'s mounts made there, chrooted into the rootfs', async () => {
    const b = makeBundle('readlink /proc/self/ns/mnt >/out/ns; ls / >/out/root');
    bundles.push(b);
    b.config.linux['namespaces'] = (b.config.linux['namespaces'] as Ns[]).filter((n) => n.type !== 'mount');
    b.config.mounts = b.config.mounts.filter((m) => m['destination'] === '/proc' || m['destination'] === '/out');
    b.config['root'] = { path: 'rootfs', readonly: false };
    delete b.config.linux['maskedPaths'];
    delete b.config.linux['readonlyPaths'];
    b.write();
    const id = `launch-nomnt-${process.pid}`;
    try {
      assert.equal(await runBundle(ctx, id, b), 0);
    } finally {
      await removeAll(ctx, [id], []);
    }
    assert.equal(b.read('ns').trim(), readlinkSync('/proc/self/ns/mnt'));
    assert.deepEqual(b.read('root').trim().split('\n'), ['bin', 'dev', 'out', 'proc', 'sys', 'tmp'], 'the rootfs is its /');
  });

  it('create, without a mount namespace: masked paths are ECONFIG naming the field (runc refuses them too)', async () => {
    const b = makeBundle('true');
    bundles.push(b);
    b.config.linux['namespaces'] = (b.config.linux['namespaces'] as Ns[]).filter((n) => n.type !== 'mount');
    b.write();
    await assert.rejects(createContainer(ctx, `launch-nomnt-ro-${process.pid}`, { bundle: b.dir }),
      (e: unknown) => (e as ConfigError).code === 'ECONFIG' && (e as ConfigError).jsonPath === 'linux.maskedPaths');
  });
});

