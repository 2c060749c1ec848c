/**
 * The name of a `ct container run` container, as root and unprivileged: a refused run of a name in use (under
 * another image store, or by a container of another state root in the same store) touches none of the running
 * container's files; a stale claim (a run killed before its container existed) does not hold the name; and,
 * as root, containers of one name under different state roots get cgroups of their own, so a frozen one does not
 * freeze the other's start.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { testImage } from '@ct/test-utils';
import { containerDirs, imageCommand, useImageSuite } from './container-run-harness.js';
import { Runtime } from './runtime-harness.js';

/** The cgroup directories of `pid`, one per v1 hierarchy line of /proc/PID/cgroup. */
function cgroupPaths(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':').slice(2).join(':'));
}

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(120_000);
    const s = useImageSuite('names', rootless);
    const otherStore = (): string => join(dirname(s.store), 'storage2');
    const asUser = (args: string[]): string[] => (s.user === undefined ? args : ['runuser', '-u', 'ctci', '--', ...args]);

    before(() => {
      const r = imageCommand(s.user, ['import', testImage('busybox'), '--storage-root', otherStore()]);
      assert.equal(r.status, 0, r.stderr);
    });

    it('container run --name, a second run of the name under another store is refused and leaves the running one whole', () => {
      const id = `dup-${process.pid}`;
      assert.equal(s.run(['-d', '--name', id, 'busybox', 'sh', '-c', 'echo up; sleep 60']).status, 0);
      try {
        const bundle = join(s.root, '.bundles', id);
        const storeJson = readFileSync(join(bundle, 'store.json'), 'utf8');
        const again = s.ct.run(['container', 'run', '--storage-root', otherStore(), '--name', id, 'busybox', 'true']);
        assert.notEqual(again.status, 0);
        assert.match(again.stderr, new RegExp(`${id}\\W* is in use`));
        assert.equal(readFileSync(join(bundle, 'store.json'), 'utf8'), storeJson, 'its store.json is untouched');
        assert.deepEqual(containerDirs(otherStore()), [], 'nothing was made in the other store');
        const ps = JSON.parse(s.ct.run(['container', 'ps', '--json']).stdout) as { id: string; image: string; command: string[] }[];
        const mine = ps.find((c) => c.id === id);
        assert.match(mine?.image ?? '', /^sha256:/);
        assert.deepEqual(mine?.command, ['sh', '-c', 'echo up; sleep 60']);
        assert.equal(s.ct.run(['container', 'logs', id]).stdout, 'up\n');
      } finally {
        assert.equal(s.ct.run(['container', 'rm', '-f', id]).status, 0);
      }
      assert.deepEqual(containerDirs(s.store), [], 'rm -f removes its store root');
    });
    it('container run --name, a name in the store used by another state root is refused without removing that container\'s root', () => {
      const id = `dupstore-${process.pid}`;
      const other = new Runtime('ct', `${s.root}-other`, s.user);
      assert.equal(s.run(['-d', '--name', id, 'busybox', 'sleep', '60']).status, 0);
      try {
        const r = other.run(['container', 'run', '--storage-root', s.store, '--name', id, 'busybox', 'true']);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /in use in the image store/);
        assert.deepEqual(containerDirs(s.store), [id]);
        assert.equal(existsSync(join(`${s.root}-other`, '.bundles', id)), false, 'the refused run gave its claim back');
      } finally {
        s.ct.run(['container', 'rm', '-f', id]);
        other.cleanup([]);
      }
    });
    /** Make `.bundles/<id>/claim.json` naming `pid` (as the suite's user, who owns the state root). */
    const writeClaim = (id: string, pid: number, startTime: string): string => {
      const bundle = join(s.root, '.bundles', id);
      const cmd = asUser(['sh', '-c', 'mkdir -p "$1" && cat > "$1/claim.json"', 'sh', bundle]);
      assert.equal(spawnSync(cmd[0]!, cmd.slice(1), { input: JSON.stringify({ pid, startTime }) }).status, 0);
      return bundle;
    };
    it('container run --name, a claim left by a run that died before its container existed does not hold the name', () => {
      const id = `stale-${process.pid}`;
      // a process that has exited holds nothing (a recycled pid would not have its start time either)
      const bundle = writeClaim(id, spawnSync('true').pid, '1');
      const r = s.run(['--name', id, 'busybox', 'echo', 'ran']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'ran\n');
      assert.equal(existsSync(bundle), false);
    });
    it('container run --name, a claim whose process lives (a run still preparing) holds the name', () => {
      const id = `busy-${process.pid}`;
      const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        const stat = readFileSync(`/proc/${holder.pid}/stat`, 'utf8');
        const bundle = writeClaim(id, holder.pid!, stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!);
        const r = s.run(['--name', id, 'busybox', 'true']);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /is preparing/);
        assert.ok(existsSync(join(bundle, 'claim.json')), 'the holder\'s claim stays');
      } finally {
        holder.kill();
        const rm = asUser(['rm', '-rf', join(s.root, '.bundles', id)]);
        spawnSync(rm[0]!, rm.slice(1));
      }
    });
    if (!rootless) {
      it('container run --name, one name under two state roots: cgroups of their own; the first frozen does not stop the second\'s start', () => {
        const id = `cg-${process.pid}`;
        const other = new Runtime('ct', `${s.root}-cg`, undefined);
        assert.equal(s.run(['-d', '--name', id, 'busybox', 'sleep', '60']).status, 0);
        try {
          const firstPid = Number(s.ct.state(id)?.['pid']);
          assert.equal(s.ct.run(['pause', id]).status, 0);
          const second = other.run(['container', 'run', '--storage-root', otherStore(), '-d', '--name', id, 'busybox', 'sleep', '60'], { timeoutMs: 30_000 });
          assert.equal(second.status, 0, second.stderr);
          const secondPid = Number(other.state(id)?.['pid']);
          const mine = cgroupPaths(firstPid);
          for (const path of cgroupPaths(secondPid)) assert.ok(!mine.includes(path) || path === '/', `${path} is not shared`);
        } finally {
          s.ct.run(['resume', id]);
          s.ct.run(['container', 'rm', '-f', id]);
          other.run(['container', 'rm', '-f', id]);
          other.cleanup([]);
        }
      });
    }
  });
}

defineSuite('ct container run names @root', false);
defineSuite('ct container run names unprivileged @rootless', true);
