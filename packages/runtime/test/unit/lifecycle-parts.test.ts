import { strict as assert } from 'node:assert';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { O } from '@ct/syscalls';
import { plannedCgroupDirs } from '@ct/namespaces/engine';
import { processesHolding } from '../../src/container-delete.js';
import { HOOK_STATUS, hookState, runHooksWarning } from '../../src/hook-state.js';
import { HOOK_KINDS, readHooks } from '../../src/hooks.js';
import { specVersion } from '../../src/oci-version.js';
import { lookupProgram } from '../../src/program-lookup.js';

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'ct-lifecycle-parts-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const record = { id: 'c1', bundle: '/b', annotations: { k: 'v' } };

describe('lifecycle parts', () => {
  describe('hook state', () => {
    it('hookState, each kind gets the status of its point in the lifecycle', () => {
      assert.deepEqual(Object.fromEntries(HOOK_KINDS.map((k) => [k, hookState(record, k, 42).status])), {
        prestart: 'created', createRuntime: 'creating', createContainer: 'creating',
        startContainer: 'created', poststart: 'running', poststop: 'stopped',
      });
      assert.deepEqual(Object.keys(HOOK_STATUS).sort(), [...HOOK_KINDS].sort());
    });
    it('hookState, the spec\'s State fields only: pid while alive, none once stopped; annotations only when there are some', () => {
      assert.deepEqual(hookState(record, 'poststart', 42), { ociVersion: specVersion, id: 'c1', status: 'running', pid: 42, bundle: '/b', annotations: { k: 'v' } });
      assert.deepEqual(hookState({ ...record, annotations: {} }, 'poststop', 42), { ociVersion: specVersion, id: 'c1', status: 'stopped', bundle: '/b' });
    });
    it('runHooksWarning, a failing hook is a warning and the hooks after it still run', async () => {
      const out = join(scratch(), 'out');
      const hooks = readHooks({ hooks: { poststop: [
        { path: '/bin/sh', args: ['sh', '-c', 'exit 3'] },
        { path: '/bin/sh', args: ['sh', '-c', `cat > ${out}`] },
      ] } });
      const warnings: string[] = [];
      const bundled = { ...record, bundle: scratch() }; // hooks run in the bundle directory, which must exist
      await runHooksWarning(hooks, 'poststop', hookState(bundled, 'poststop', 0), 0, (m) => warnings.push(m));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /poststop hook 0: \/bin\/sh: exit status 3/);
      assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), hookState(bundled, 'poststop', 0));
    });
  });

  describe('cgroup candidates', () => {
    /** A v1-like tree: hierarchies with cgroup.procs, a combined one, a v2 mount in hybrid layout, our own cgroups. */
    function v1Tree(): { root: string; proc: string } {
      const root = scratch();
      for (const h of ['pids', 'cpu,cpuacct', 'memory', 'systemd']) {
        mkdirSync(join(root, h), { recursive: true });
        writeFileSync(join(root, h, 'cgroup.procs'), '');
      }
      mkdirSync(join(root, 'unified'));
      writeFileSync(join(root, 'unified', 'cgroup.procs'), '');
      writeFileSync(join(root, 'unified', 'cgroup.controllers'), '');
      symlinkSync('cpu,cpuacct', join(root, 'cpu'));
      const proc = scratch();
      mkdirSync(join(proc, 'self'));
      writeFileSync(join(proc, 'self', 'cgroup'), '5:pids:/user.slice\n4:cpu,cpuacct:/\n3:memory:/m\n1:name=systemd:/s\n0::/u\n');
      return { root, proc };
    }
    it('plannedCgroupDirs (what create records), v1: the default name below our own cgroup in every mounted hierarchy and the hybrid v2 mount (not links)', () => {
      const { root, proc } = v1Tree();
      assert.deepEqual(plannedCgroupDirs({ name: 'ct-c1' }, { cgroupRoot: root, procRoot: proc }), {
        paths: [join(root, 'cpu,cpuacct/ct-c1'), join(root, 'memory/m/ct-c1'), join(root, 'pids/user.slice/ct-c1'), join(root, 'systemd/s/ct-c1'),
          join(root, 'unified/u/ct-c1')],
        parents: [],
      });
    });
    it('plannedCgroupDirs (what create records), v1: an absolute path from each hierarchy\'s root, its missing parents deepest first', () => {
      const { root, proc } = v1Tree();
      mkdirSync(join(root, 'pids', 'a'));
      const c = plannedCgroupDirs({ path: '/a/b/c1' }, { cgroupRoot: root, procRoot: proc });
      assert.equal(c.paths[2], join(root, 'pids/a/b/c1'));
      assert.deepEqual(c.parents.filter((p) => p.startsWith(join(root, 'pids'))), [join(root, 'pids/a/b')]);
      assert.deepEqual(c.parents.filter((p) => p.startsWith(join(root, 'memory'))), [join(root, 'memory/a/b'), join(root, 'memory/a')]);
    });
    it('plannedCgroupDirs (what create records), v2: one directory, a relative path below our own cgroup', () => {
      const root = scratch();
      writeFileSync(join(root, 'cgroup.controllers'), 'pids memory');
      const proc = scratch();
      mkdirSync(join(proc, 'self'));
      writeFileSync(join(proc, 'self', 'cgroup'), '0::/user.slice/me\n');
      assert.deepEqual(plannedCgroupDirs({ path: 'x/c1' }, { cgroupRoot: root, procRoot: proc }), {
        paths: [join(root, 'user.slice/me/x/c1')], parents: [join(root, 'user.slice/me/x')],
      });
    });
  });

  describe('exec FIFO holders', () => {
    it('processesHolding, the processes whose fd links name the file (from a /proc-like tree)', () => {
      const proc = scratch();
      const fifo = '/run/ct/c1/exec.fifo';
      const stat = (pid: number): string => `${pid} (ct-exec-fifo) S 1 ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0`;
      for (const [pid, links] of [[101, [fifo, '/dev/null']], [102, ['/dev/null']], [103, [`${fifo}.tmp`]]] as const) {
        mkdirSync(join(proc, String(pid), 'fd'), { recursive: true });
        writeFileSync(join(proc, String(pid), 'stat'), stat(pid));
        links.forEach((l, i) => symlinkSync(l, join(proc, String(pid), 'fd', String(i))));
      }
      assert.deepEqual(processesHolding(fifo, proc), [{ pid: 101, startTime: '777' }]);
    });
  });

  describe('program lookup', () => {
    function rootWith(): { fd: number; root: string } {
      const root = scratch();
      mkdirSync(join(root, 'usr/bin'), { recursive: true });
      mkdirSync(join(root, 'etc'));
      writeFileSync(join(root, 'usr/bin/prog'), '#!/bin/sh\n', { mode: 0o755 });
      writeFileSync(join(root, 'usr/bin/data'), 'x', { mode: 0o644 });
      // an image's absolute links: they must resolve inside the root, never through the host's /
      symlinkSync('/usr/bin', join(root, 'bin'));
      symlinkSync('/nowhere', join(root, 'dangling'));
      chmodSync(join(root, 'usr/bin/prog'), 0o755);
      return { fd: openSync(root, O.PATH | O.DIRECTORY), root };
    }
    const env = ['PATH=/sbin:/bin'];
    it('lookupProgram, a bare name is searched in PATH inside the root, through the root\'s own links', () => {
      const { fd } = rootWith();
      try {
        assert.deepEqual(lookupProgram(fd, 'prog', env, '/'), { found: true, path: '/bin/prog' });
        assert.deepEqual(lookupProgram(fd, 'nosuch', env, '/'), { found: false, reason: 'exec: "nosuch": executable file not found in $PATH', status: 127 });
        // not executable: skipped, as Go's LookPath skips it
        assert.equal(lookupProgram(fd, 'data', env, '/').found, false);
      } finally {
        closeSync(fd);
      }
    });
    it('lookupProgram, without PATH nothing is searched (runc), the last PATH= wins', () => {
      const { fd } = rootWith();
      try {
        assert.equal(lookupProgram(fd, 'prog', ['A=1'], '/').found, false);
        assert.equal(lookupProgram(fd, 'prog', ['PATH=/nowhere', 'PATH=/usr/bin'], '/').found, true);
      } finally {
        closeSync(fd);
      }
    });
    it('lookupProgram, a path is taken as is (relative to cwd), in runc\'s words when it fails', () => {
      const { fd } = rootWith();
      try {
        assert.deepEqual(lookupProgram(fd, './prog', env, '/usr/bin'), { found: true, path: '/usr/bin/prog' });
        assert.deepEqual(lookupProgram(fd, '/no/such/bin', env, '/'), { found: false, reason: 'exec: "/no/such/bin": stat /no/such/bin: no such file or directory', status: 127 });
        assert.deepEqual(lookupProgram(fd, '/etc', env, '/'), { found: false, reason: 'exec: "/etc": permission denied', status: 126 });
        assert.deepEqual(lookupProgram(fd, '/usr/bin/data', env, '/'), { found: false, reason: 'exec: "/usr/bin/data": permission denied', status: 126 });
        assert.deepEqual(lookupProgram(fd, '/dangling', env, '/'), { found: false, reason: 'exec: "/dangling": stat /dangling: no such file or directory', status: 127 });
      } finally {
        closeSync(fd);
      }
    });
  });
});
