/**
 * linux.resources.memory's tuning fields and linux.resources.network through `ct` beside runc, as root on cgroup v1:
 * reservation, swappiness, disableOOMKiller and useHierarchy land in the same files with the same values as under
 * runc; kernelTCP too where runc (1.1+) ignores kernel memory settings with a warning (ct applies what the kernel
 * honours, and warns for kernel, which Linux 6.1+ ignores); `update --resources` changes the reservation and leaves
 * swappiness as created with a warning, as runc leaves it; `events --stats` reports memory+swap and kernel entries;
 * network on a host without a net_cls hierarchy fails create in both.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature, tempDir } from '@ct/test-utils';
import { specTemplate } from '@ct/runtime';
import { ctBin, makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;

/** The v1 memory cgroup directory of `pid`. */
function memoryDir(pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1] === 'memory');
  assert.ok(line !== undefined, `no memory line in /proc/${pid}/cgroup`);
  return join('/sys/fs/cgroup/memory', line.split(':')[2] ?? '');
}
const read = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8').trim();
const TUNED = ['memory.soft_limit_in_bytes', 'memory.swappiness', 'memory.use_hierarchy'] as const;

describe('ct memory tuning and network beside runc @root', function () {
  let bundle = '';
  let base: Json = {};
  const stateRoot = tempDir('ct-memtune-');
  const ct = new Runtime('ct', join(stateRoot, 'ct'));
  const runc = new Runtime('runc', join(stateRoot, 'runc'));
  const ids: string[] = [];

  before(async function () {
    requireFeature(this, isRoot() && existsSync('/sys/fs/cgroup/memory/cgroup.procs'), 'root and a cgroup v1 memory hierarchy');
    requireFeature(this, spawnSync('runc', ['--version']).status === 0, 'runc installed (tools/dev/setup.sh)');
    bundle = await makeBundleDir(join(tmpdir(), 'ct-memtune'));
    writeConfig(bundle, ['sleep', '30'], specTemplate({}) as Json);
    base = readConfig(bundle);
  });
  after(() => {
    for (const rt of [ct, runc]) rt.cleanup(ids);
    removeBundle(bundle);
  });

  function configure(resources: Json): void {
    const c = structuredClone(base);
    (c['linux'] as Json)['resources'] = resources;
    writeConfig(bundle, ['sleep', '30'], c);
  }

  /** Create `name` under `rt`; its memory cgroup directory and create's stderr (warnings: with --debug, for ct). */
  function created(rt: Runtime, name: string, debug = false): { dir: string; stderr: string; id: string } {
    const id = `${name}-${rt.name}-${process.pid}`;
    ids.push(id);
    const r = rt.run([...(debug ? ['--debug'] : []), 'create', '--bundle', bundle, id]);
    assert.equal(r.status, 0, `${rt.name} create: ${r.stderr}`);
    return { dir: memoryDir(rt.state(id)?.['pid'] as number), stderr: r.stderr, id };
  }

  it('create, reservation, swappiness, disableOOMKiller and useHierarchy: the same memory files as runc', () => {
    configure({ memory: { limit: 128 << 20, reservation: 64 << 20, swappiness: 9, disableOOMKiller: true, useHierarchy: true } });
    const [c, r] = [created(ct, 'memtune'), created(runc, 'memtune')];
    for (const file of TUNED) assert.equal(read(c.dir, file), read(r.dir, file), file);
    assert.equal(read(c.dir, 'memory.soft_limit_in_bytes'), String(64 << 20));
    assert.equal(read(c.dir, 'memory.swappiness'), '9');
    assert.match(read(c.dir, 'memory.oom_control'), /^oom_kill_disable 1$/m);
    assert.equal(/^oom_kill_disable (\d)$/m.exec(read(c.dir, 'memory.oom_control'))?.[1], /^oom_kill_disable (\d)$/m.exec(read(r.dir, 'memory.oom_control'))?.[1]);
  });

  it('create, kernelTCP applied where this kernel honours it; kernel a warning when it does not (runc ignores both)', () => {
    configure({ memory: { limit: 128 << 20, kernel: 64 << 20, kernelTCP: 16 << 20 } });
    const c = created(ct, 'kmem', true);
    assert.equal(read(c.dir, 'memory.kmem.tcp.limit_in_bytes'), String(16 << 20));
    const kmemTaken = read(c.dir, 'memory.kmem.limit_in_bytes') === String(64 << 20);
    assert.equal(/memory\.kernel not applied/.test(c.stderr), !kmemTaken, c.stderr);
  });

  it('update --resources, the reservation changes; swappiness stays as created with a warning; events --stats has swap and kernel', () => {
    configure({ memory: { limit: 128 << 20, reservation: 32 << 20, swappiness: 20 } });
    const c = created(ct, 'memupd');
    const r = spawnSync(process.execPath, [ctBin, '--root', ct.root, 'update', '--resources', '-', c.id], {
      input: JSON.stringify({ memory: { reservation: 48 << 20, swappiness: 80 } }), encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /linux\.resources\.memory\.swappiness: not changed by update/);
    assert.equal(read(c.dir, 'memory.soft_limit_in_bytes'), String(48 << 20));
    assert.equal(read(c.dir, 'memory.swappiness'), '20');
    const stats = JSON.parse(ct.run(['events', '--stats', c.id]).stdout) as { data: { memory: Record<string, { limit: number }> } };
    for (const entry of ['usage', 'swap', 'kernel', 'kernelTCP']) assert.ok(stats.data.memory[entry] !== undefined, `memory.${entry} in ${JSON.stringify(stats.data.memory)}`);
    assert.equal(stats.data.memory['usage']?.limit, 128 << 20);
  });

  it('create, network with no net_cls hierarchy mounted: refused by both, naming net_cls', function () {
    requireFeature(this, !existsSync('/sys/fs/cgroup/net_cls/cgroup.procs'), 'a host without a net_cls hierarchy (this one\'s layout)');
    configure({ network: { classID: 0x100001 } });
    for (const rt of [ct, runc]) {
      const id = `net-${rt.name}-${process.pid}`;
      ids.push(id);
      const r = rt.run(['create', '--bundle', bundle, id]);
      assert.notEqual(r.status, 0, `${rt.name} accepted it`);
      assert.match(r.stderr, /net_cls/, `${rt.name}: ${r.stderr}`);
    }
  });
});
