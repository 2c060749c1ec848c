/**
 * The memory tuning fields and net_cls/net_prio against fake cgroupfs trees: v1 files and values, a field the kernel
 * does not honour (no file, a write with no effect, a refused value) as a warning naming the config field, a limit
 * below the usage (EBUSY) as runc's message; v2: memory.low, the v1-only fields warned, checkBeforeUpdate refusing a
 * limit at or below memory.current.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CgroupError, type CgroupFs, type CgroupResources, createContainerCgroup, NODE_CGROUP_FS, openContainerCgroup, updateCgroup,
} from '../../src/index.js';

const FAKE_FS: CgroupFs = { ...NODE_CGROUP_FS, rmdir: (path) => rmSync(path, { recursive: true }), killTask: (pid) => { throw new Error(`test: a fake cgroupfs would SIGKILL host pid ${pid}`); } };
const MAX = '9223372036854771712';

function tree(roots: string[], files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ct-cgmem-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

/** A fake v1 memory hierarchy whose new cgroups get the kernel's memory files (as mkdir makes them). */
function v1Memory(roots: string[], extra: Record<string, string> = {}): { root: string; fs: CgroupFs } {
  const root = tree(roots, { 'memory/cgroup.procs': '', 'net_cls,net_prio/cgroup.procs': '' });
  const files = {
    'memory.limit_in_bytes': MAX, 'memory.memsw.limit_in_bytes': MAX, 'memory.soft_limit_in_bytes': MAX, 'memory.swappiness': '60',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\n', 'memory.use_hierarchy': '1', 'memory.kmem.limit_in_bytes': MAX,
    'memory.kmem.tcp.limit_in_bytes': MAX, 'memory.usage_in_bytes': '1000000', 'memory.max_usage_in_bytes': '2000000', ...extra,
  };
  const fs: CgroupFs = {
    ...FAKE_FS,
    mkdir(path) {
      FAKE_FS.mkdir(path);
      if (path.includes('/memory/')) for (const [f, v] of Object.entries(files)) writeFileSync(join(path, f), v);
    },
  };
  return { root, fs };
}

function createV1(root: string, fs: CgroupFs, resources: CgroupResources, warnings: string[]) {
  const cg = createContainerCgroup({ name: 'box', resources }, 0, (m) => warnings.push(m), {
    cgroupRoot: root, cgroupVersion: 'v1', ownCgroups: new Map(), cgroupFs: fs,
  });
  assert.ok(cg);
  return cg;
}

const read = (path: string): string => readFileSync(path, 'utf8').trim();

describe('cgroup memory tuning and network (fake cgroupfs)', () => {
  const roots: string[] = [];
  afterEach(() => { for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true }); });

  it('createContainerCgroup v1, reservation, swappiness, disableOOMKiller, useHierarchy and kernelTCP written', () => {
    const { root, fs } = v1Memory(roots);
    const warnings: string[] = [];
    createV1(root, fs, {
      memory: 64n << 20n, memoryReservation: 32n << 20n, memorySwappiness: 10, disableOOMKiller: true, memoryUseHierarchy: true,
      kernelTCPMemory: 16n << 20n,
    }, warnings);
    const dir = join(root, 'memory/box');
    assert.equal(read(join(dir, 'memory.limit_in_bytes')), String(64 << 20));
    assert.equal(read(join(dir, 'memory.soft_limit_in_bytes')), String(32 << 20));
    assert.equal(read(join(dir, 'memory.swappiness')), '10');
    assert.equal(read(join(dir, 'memory.oom_control')), '1');
    assert.equal(read(join(dir, 'memory.use_hierarchy')), '1');
    assert.equal(read(join(dir, 'memory.kmem.tcp.limit_in_bytes')), String(16 << 20));
    assert.deepEqual(warnings, []);
  });

  it('createContainerCgroup v1, disableOOMKiller false is written too (a new memory cgroup inherits its parent\'s)', () => {
    const { root, fs } = v1Memory(roots);
    createV1(root, fs, { disableOOMKiller: false }, []);
    assert.equal(read(join(root, 'memory/box/memory.oom_control')), '0');
  });

  it('createContainerCgroup v1, a kmem limit the kernel ignores (reads back unlimited): a warning naming memory.kernel', () => {
    const { root, fs } = v1Memory(roots);
    const deaf: CgroupFs = { ...fs, write: (path, data) => { if (!path.endsWith('memory.kmem.limit_in_bytes')) fs.write(path, data); } };
    const warnings: string[] = [];
    createV1(root, deaf, { kernelMemory: 64n << 20n }, warnings);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /linux\.resources\.memory\.kernel not applied: this kernel ignores memory\.kmem\.limit_in_bytes/);
  });

  it('createContainerCgroup v1, no kmem.tcp file: a warning naming memory.kernelTCP, nothing written', () => {
    const { root, fs } = v1Memory(roots);
    const noTcp: CgroupFs = { ...fs, exists: (path) => !path.endsWith('memory.kmem.tcp.limit_in_bytes') && fs.exists(path) };
    const warnings: string[] = [];
    createV1(root, noTcp, { kernelTCPMemory: 1n << 20n }, warnings);
    assert.deepEqual(warnings.map((w) => /memory\.kernelTCP not applied: this kernel has no/.test(w)), [true]);
    assert.equal(read(join(root, 'memory/box/memory.kmem.tcp.limit_in_bytes')), MAX);
  });

  it('createContainerCgroup v1, useHierarchy false refused by the kernel (EINVAL): a warning, not an error', () => {
    const { root, fs } = v1Memory(roots);
    const refusing: CgroupFs = {
      ...fs,
      write(path, data) {
        if (path.endsWith('memory.use_hierarchy') && data === '0') throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
        fs.write(path, data);
      },
    };
    const warnings: string[] = [];
    createV1(root, refusing, { memoryUseHierarchy: false }, warnings);
    assert.match(warnings.join('\n'), /memory\.useHierarchy not applied: the kernel refuses 0/);
  });

  it('createContainerCgroup v1, a limit below the usage (EBUSY): a CgroupError giving the usage and peak', () => {
    const { root, fs } = v1Memory(roots);
    const busy: CgroupFs = {
      ...fs,
      write(path, data) {
        if (path.endsWith('memory.limit_in_bytes')) throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' });
        fs.write(path, data);
      },
    };
    assert.throws(() => createV1(root, busy, { memory: 4096n }, []),
      (e: unknown) => e instanceof CgroupError && e.path.endsWith('memory.limit_in_bytes') && /usage \(1000000 bytes, peak 2000000\)/.test(e.message));
  });

  it('createContainerCgroup v1, net_cls.classid and one net_prio.ifpriomap write per interface', () => {
    const { root, fs } = v1Memory(roots);
    const writes: string[] = [];
    const recording: CgroupFs = { ...fs, write: (path, data) => { writes.push(`${path.slice(root.length)} ${data}`); fs.write(path, data); } };
    const cg = createV1(root, recording, { network: { classID: 0x100001, priorities: [{ name: 'lo', priority: 5 }, { name: 'eth0', priority: 1 }] } }, []);
    assert.deepEqual(cg.paths, [join(root, 'net_cls,net_prio/box')]);
    assert.deepEqual(writes, [
      '/net_cls,net_prio/box/net_cls.classid 1048577', '/net_cls,net_prio/box/net_prio.ifpriomap lo 5', '/net_cls,net_prio/box/net_prio.ifpriomap eth0 1',
    ]);
  });

  it('createContainerCgroup v1, network with no net_cls hierarchy mounted: a CgroupError (runc fails too)', () => {
    const root = tree(roots, { 'memory/cgroup.procs': '' });
    assert.throws(() => createV1(root, FAKE_FS, { network: { classID: 1 } }, []), (e: unknown) => e instanceof CgroupError && /no net_cls hierarchy/.test(e.message));
  });

  it('createContainerCgroup v2, memory.low (-1 as max) with memory enabled; the v1-only fields warned, not written', () => {
    const root = tree(roots, { 'cgroup.controllers': 'memory pids', 'me/cgroup.controllers': 'memory pids', 'me/cgroup.subtree_control': '' });
    const warnings: string[] = [];
    createContainerCgroup({
      name: 'box', resources: {
        memoryReservation: -1n, memorySwappiness: 10, disableOOMKiller: true, kernelMemory: 1n << 20n, network: { classID: 1 },
      },
    }, 0, (m) => warnings.push(m), { cgroupRoot: root, ownCgroups: new Map([['', '/me']]), cgroupFs: FAKE_FS });
    assert.equal(read(join(root, 'me/box/memory.low')), 'max');
    assert.equal(read(join(root, 'me/cgroup.subtree_control')), '+memory');
    assert.deepEqual(warnings.map((w) => /(swappiness|disableOOMKiller|kernel\/kernelTCP|network) not applied: /.exec(w)?.[1]),
      ['swappiness', 'disableOOMKiller', 'kernel/kernelTCP', 'network']);
  });

  it('updateCgroup v2, checkBeforeUpdate refuses a limit at or below memory.current; without it the limit is written', () => {
    const root = tree(roots, { 'cgroup.controllers': 'memory', 'box/cgroup.procs': '', 'box/memory.current': String(100 << 20), 'box/memory.max': 'max' });
    const cg = openContainerCgroup([join(root, 'box')], { cgroupRoot: root, cgroupFs: FAKE_FS });
    assert.throws(() => updateCgroup(cg, { memory: 50n << 20n, memoryCheckBeforeUpdate: true }),
      (e: unknown) => e instanceof CgroupError && /rejecting memory limit 52428800 <= usage 104857600/.test(e.message));
    assert.equal(read(join(root, 'box/memory.max')), 'max');
    updateCgroup(cg, { memory: 200n << 20n, memoryCheckBeforeUpdate: true });
    assert.equal(read(join(root, 'box/memory.max')), String(200 << 20));
    updateCgroup(cg, { memory: 50n << 20n });
    assert.equal(read(join(root, 'box/memory.max')), String(50 << 20));
  });
});
