/**
 * The memory tuning fields and net_cls/net_prio on this machine's cgroup v1, as root: the files read back what was
 * written (or, for a file the kernel no longer honours, a warning says so); disableOOMKiller keeps a process over
 * its limit alive and waiting (under_oom 1) where it would be killed; net_cls,net_prio (not mounted on this host)
 * on a hierarchy the test mounts in a temp root and unmounts after.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { createContainerCgroup, detectCgroupVersion, readOwnCgroups, runContainer } from '../../src/index.js';
import { guardContainers, sh, toolSpec } from './helpers.js';

const read = (path: string): string => readFileSync(path, 'utf8').trim();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => { setTimeout(resolve, ms); });

describe('cgroup v1 memory tuning @root', function () {
  before(function () {
    guardContainers(this);
    requireFeature(this, isRoot() && detectCgroupVersion('/sys/fs/cgroup') === 'v1' && existsSync('/sys/fs/cgroup/memory/cgroup.procs'),
      'root and a cgroup v1 memory hierarchy');
  });

  it('createContainerCgroup, reservation, swappiness, disableOOMKiller and kernelTCP read back; kernel as the kernel takes it', async () => {
    const warnings: string[] = [];
    const cg = createContainerCgroup({
      name: `ct-memtune-${process.pid}`,
      resources: {
        memory: 256n << 20n, memoryReservation: 64n << 20n, memorySwappiness: 7, disableOOMKiller: true, memoryUseHierarchy: true,
        kernelTCPMemory: 8n << 20n, kernelMemory: 128n << 20n,
      },
    }, 0, (m) => warnings.push(m));
    assert.ok(cg);
    try {
      const dir = cg.dirOf('memory') ?? '';
      assert.equal(read(join(dir, 'memory.soft_limit_in_bytes')), String(64 << 20));
      assert.equal(read(join(dir, 'memory.swappiness')), '7');
      assert.match(read(join(dir, 'memory.oom_control')), /^oom_kill_disable 1$/m);
      assert.equal(read(join(dir, 'memory.use_hierarchy')), '1');
      assert.equal(read(join(dir, 'memory.kmem.tcp.limit_in_bytes')), String(8 << 20));
      // Linux 6.1 made kmem.limit_in_bytes a no-op: the value is either there, or a warning says it is not
      const kmemTaken = existsSync(join(dir, 'memory.kmem.limit_in_bytes')) && read(join(dir, 'memory.kmem.limit_in_bytes')) === String(128 << 20);
      assert.deepEqual(warnings.map((w) => /memory\.kernel not applied/.test(w)), kmemTaken ? [] : [true]);
    } finally {
      await cg.remove();
    }
  });

  it('runContainer, disableOOMKiller: a shell over its 16 MiB limit waits under OOM instead of being killed', async function () {
    this.timeout(30000);
    const devnull = openSync('/dev/null', 'w');
    const handle = await runContainer(toolSpec(sh('x=$(tr "\\0" x < /dev/zero); echo survived'), {
      populate: [{ op: 'symlink', target: '/bin/busybox', path: '/bin/tr' }], consoleTty: null, stdio: [devnull, devnull, devnull],
      cgroup: { name: `ct-oomoff-${process.pid}`, resources: { memory: 16n << 20n, memorySwap: 16n << 20n, disableOOMKiller: true } },
    }));
    closeSync(devnull);
    const dir = handle.cgroup?.dirOf('memory') ?? '';
    try {
      let underOom = false;
      for (let i = 0; i < 100 && !underOom; i++) {
        await sleep(100);
        underOom = /^under_oom 1$/m.test(read(join(dir, 'memory.oom_control')));
      }
      assert.ok(underOom, 'the cgroup reached its limit and waits');
      assert.match(read(join(dir, 'memory.oom_control')), /^oom_kill 0$/m);
      assert.equal(existsSync(`/proc/${handle.pid}`), true, 'not killed');
    } finally {
      handle.kill('SIGKILL');
      handle.cgroup?.killAll();
      await handle.wait();
    }
  });
});

describe('cgroup v1 net_cls and net_prio @root', function () {
  let root = '';
  before(function () {
    requireFeature(this, isRoot() && /^net_cls\s.*\s1$/m.test(readFileSync('/proc/cgroups', 'utf8')), 'root and a kernel with net_cls and net_prio');
    root = mkdtempSync(join(tmpdir(), 'ct-netcls-'));
    mkdirSync(join(root, 'net_cls,net_prio'));
    execFileSync('mount', ['-t', 'cgroup', '-o', 'net_cls,net_prio', 'cgroup', join(root, 'net_cls,net_prio')]);
  });
  after(() => {
    if (root === '') return;
    execFileSync('umount', [join(root, 'net_cls,net_prio')]);
    rmSync(root, { recursive: true, force: true });
  });

  it('createContainerCgroup, classID and each interface priority read back from the hierarchy', async () => {
    const cg = createContainerCgroup({
      name: `ct-net-${process.pid}`, resources: { network: { classID: 0x100001, priorities: [{ name: 'lo', priority: 5 }] } },
    }, 0, () => assert.fail('no warning expected'), { cgroupRoot: root, cgroupVersion: 'v1', ownCgroups: readOwnCgroups() });
    assert.ok(cg);
    try {
      const dir = cg.dirOf('net_cls') ?? '';
      assert.equal(dir, cg.dirOf('net_prio'));
      assert.equal(read(join(dir, 'net_cls.classid')), String(0x100001));
      assert.match(read(join(dir, 'net_prio.ifpriomap')), /^lo 5$/m);
    } finally {
      await cg.remove();
    }
  });

  it('createContainerCgroup, a priority for an interface the host lacks: a CgroupError (ENODEV), the cgroup removed', () => {
    assert.throws(() => createContainerCgroup({
      name: `ct-net-bad-${process.pid}`, resources: { network: { priorities: [{ name: 'nosuch0', priority: 1 }] } },
    }, 0, () => undefined, { cgroupRoot: root, cgroupVersion: 'v1', ownCgroups: readOwnCgroups() }),
    (e: unknown) => e instanceof Error && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENODEV');
    assert.equal(existsSync(join(root, 'net_cls,net_prio', `ct-net-bad-${process.pid}`)), false);
  });
});
