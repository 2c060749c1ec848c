/**
 * ct beside runc: the same create/start/state/kill/delete sequences on the same bundle, comparing exit codes,
 * states and the error phrases engines match. Once as root (@root), once unprivileged (@rootless: directly when
 * the tests run unprivileged, through runuser as ctci when they run as root).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { ciUser, ctBin, makeBundleDir, removeBundle, Runtime, writeConfig, type Run } from './runtime-harness.js';

const runcPresent = spawnSync('runc', ['--version']).status === 0;

/** The config.json fields these tests edit. */
interface EditableConfig {
  hostname?: string;
  process: { cwd: string; env: string[]; user: Record<string, unknown>; rlimits: Record<string, unknown>[] };
  mounts: Record<string, unknown>[];
  linux: Record<string, unknown>;
}

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    const user = rootless && isRoot() ? ciUser() : undefined;
    const base = rootless && isRoot() ? '/tmp/ct-runc-compat' : join(tmpdir(), 'ct-runc-compat');
    const stateBase = user !== undefined ? `${user.runtimeDir}/ct-test-${process.pid}` : join(base, `state-${process.pid}`);
    const runtimes = [new Runtime('runc', `${stateBase}-runc`, user), new Runtime('ct', `${stateBase}-ct`, user)];
    let bundle = '';
    const ids: string[] = [];

    before(async function () {
      requireFeature(this, runcPresent, 'runc is not installed');
      if (rootless && isRoot()) requireFeature(this, user !== undefined, 'the unprivileged user ctci does not exist');
      if (!rootless) requireFeature(this, isRoot(), 'needs root');
      bundle = await makeBundleDir(base, user);
    });
    after(() => {
      for (const rt of runtimes) rt.cleanup(ids);
      removeBundle(bundle);
    });

    /** Write the bundle's config with `args` from `runc spec` (the reference's own default). */
    function configure(args: readonly string[]): void {
      spawnSync('rm', ['-f', join(bundle, 'config.json')]);
      const r = runtimes[0]!.run(['spec', ...(rootless ? ['--rootless'] : []), '--bundle', bundle]);
      assert.equal(r.status, 0, r.stderr);
      const spec = JSON.parse(spawnSync('cat', [join(bundle, 'config.json')], { encoding: 'utf8' }).stdout) as Record<string, unknown>;
      spawnSync('rm', ['-f', join(bundle, 'config.json')]);
      writeConfig(bundle, args, spec);
    }
    /** Edit the bundle's config.json in place. */
    function edit(fn: (c: EditableConfig) => void): void {
      const file = join(bundle, 'config.json');
      const c = JSON.parse(readFileSync(file, 'utf8')) as EditableConfig;
      fn(c);
      writeFileSync(file, JSON.stringify(c));
    }
    function both(fn: (rt: Runtime) => Run): [Run, Run] {
      return [fn(runtimes[0]!), fn(runtimes[1]!)];
    }
    function id(name: string): string {
      const full = `${name}-${process.pid}`;
      ids.push(full);
      return full;
    }

    it('create/start/state/kill/delete, same exit codes and statuses as runc', async () => {
      configure(['sleep', '60']);
      const c = id('seq');
      const steps: string[][] = [];
      for (const rt of runtimes) {
        const trace: string[] = [];
        const created = rt.run(['create', '--bundle', bundle, c]);
        trace.push(`create:${created.status}`, `state:${String(rt.state(c)?.['status'])}`);
        trace.push(`start:${rt.run(['start', c]).status}`, `state:${String(rt.state(c)?.['status'])}`);
        trace.push(`start-again:${rt.run(['start', c]).status === 0 ? 0 : 'error'}`);
        trace.push(`kill:${rt.run(['kill', c, 'KILL']).status}`, `state:${String(await rt.waitStatus(c, 'stopped'))}`);
        trace.push(`kill-stopped:${rt.run(['kill', c, '9']).status}`);
        trace.push(`delete:${rt.run(['delete', c]).status}`, `state-deleted:${rt.run(['state', c]).status}`);
        steps.push(trace);
      }
      assert.deepEqual(steps[1], steps[0]);
      assert.deepEqual(steps[0], ['create:0', 'state:created', 'start:0', 'state:running', 'start-again:error',
        'kill:0', 'state:stopped', 'kill-stopped:1', 'delete:0', 'state-deleted:1']);
    });

    it('state, same fields and values as runc for a created container', () => {
      configure(['sleep', '60']);
      const c = id('fields');
      const states = runtimes.map((rt) => {
        assert.equal(rt.run(['create', '--bundle', bundle, c]).status, 0);
        const s = rt.state(c) ?? {};
        rt.run(['delete', '--force', c]);
        return s;
      });
      const [runc, ct] = states as [Record<string, unknown>, Record<string, unknown>];
      for (const key of ['id', 'status', 'bundle', 'rootfs']) assert.equal(ct[key], runc[key], key);
      for (const key of ['ociVersion', 'pid', 'created', 'owner']) assert.equal(typeof ct[key], typeof runc[key], key);
      assert.ok(Number(ct['pid']) > 0);
      assert.ok(!Number.isNaN(Date.parse(String(ct['created']))));
    });

    it('error phrases engines match: does not exist, container not running', async () => {
      configure(['true']);
      const c = id('errors');
      const missing = both((rt) => rt.run(['state', 'no-such-container']));
      const delMissing = both((rt) => rt.run(['delete', 'no-such-container']));
      for (const r of [...missing, ...delMissing]) {
        assert.equal(r.status, 1);
        assert.match(r.stderr, /does not exist/);
      }
      for (const rt of runtimes) {
        assert.equal(rt.run(['run', '--detach', '--bundle', bundle, c]).status, 0);
        await rt.waitStatus(c, 'stopped');
      }
      const kills = both((rt) => rt.run(['kill', c, 'TERM']));
      for (const r of kills) {
        assert.equal(r.status, 1);
        assert.match(r.stderr, /container not running/);
      }
      both((rt) => rt.run(['delete', c]));
    });

    it('error messages match runc\'s word for word: duplicate id, start twice, start stopped, delete running, bad signal, bad id', async () => {
      configure(['sleep', '60']);
      const c = id('msgs');
      const msg = (r: Run): string => /msg="((?:[^"\\]|\\.)*)"/.exec(r.stderr.trim().split('\n').pop() ?? '')?.[1] ?? r.stderr;
      const traces = [];
      for (const rt of runtimes) {
        rt.run(['create', '--bundle', bundle, c]);
        const trace = [msg(rt.run(['create', '--bundle', bundle, c])).replace(/^runc create failed: /, '')];
        rt.run(['start', c]);
        trace.push(msg(rt.run(['start', c])), msg(rt.run(['delete', c])), msg(rt.run(['kill', c, 'FOO'])));
        rt.run(['kill', c, 'KILL']);
        await rt.waitStatus(c, 'stopped');
        trace.push(msg(rt.run(['start', c])), msg(rt.run(['kill', c])));
        rt.run(['delete', c]);
        traces.push(trace);
      }
      assert.deepEqual(traces[1], traces[0]);
      assert.equal(traces[0]?.[2], `cannot delete container ${c} that is not stopped: running`);
      assert.match(msg(runtimes[1]!.run(['state', 'bad/id'])), /^invalid container ID format/);
    });

    it('delete of a created container works without --force, as in runc', () => {
      configure(['sleep', '60']);
      const c = id('delcreated');
      const codes = both((rt) => {
        rt.run(['create', '--bundle', bundle, c]);
        return rt.run(['delete', c]);
      }).map((r) => r.status);
      assert.deepEqual(codes, [0, 0]);
    });

    it('delete of a running container fails without --force and works with it', () => {
      configure(['sleep', '60']);
      const c = id('delrunning');
      const codes = both((rt) => {
        rt.run(['run', '-d', '--bundle', bundle, c]);
        const plain = rt.run(['delete', c]).status;
        const state = String(rt.state(c)?.['status']);
        const forced = rt.run(['delete', '--force', c]).status;
        return { status: null, stdout: `${plain} ${state} ${forced}`, stderr: '' };
      }).map((r) => r.stdout);
      assert.deepEqual(codes, ['1 running 0', '1 running 0']);
    });

    it('run, the exit status of the container process is run\'s exit status', () => {
      configure(['sh', '-c', 'exit 7']);
      const c = id('exit');
      assert.deepEqual(both((rt) => rt.run(['run', '--bundle', bundle, c])).map((r) => r.status), [7, 7]);
    });

    it('the container\'s /dev has the same entries as runc\'s (default devices, no /dev/fuse)', () => {
      configure(['ls', '-a', '/dev']);
      const c = id('dev');
      const lists = both((rt) => rt.run(['run', '--bundle', bundle, c])).map((r) => r.stdout.split('\n').filter((n) => n !== '').sort());
      assert.deepEqual(lists[1], lists[0]);
      assert.ok(lists[0]?.includes('null') && !lists[0].includes('fuse'));
    });

    it('maskedPaths and readonlyPaths have the same effect as in runc', () => {
      configure(['sh', '-c', 'wc -c < /proc/keys; ls /sys/firmware | wc -l; (echo x > /proc/sys/kernel/domainname) 2>/dev/null && echo writable || echo read-only']);
      const c = id('masked');
      const outs = both((rt) => rt.run(['run', '--bundle', bundle, c])).map((r) => r.stdout.split(/\s+/).filter((w) => w !== ''));
      assert.deepEqual(outs[1], outs[0]);
      assert.deepEqual(outs[0], ['0', '0', 'read-only']);
    });

    it('process fields: hostname, user, additionalGids, cwd, env, umask, rlimits, noNewPrivileges as in runc', () => {
      configure(['sh', '-c', 'hostname; id -u; id -g; pwd; echo $FOO; umask; ulimit -n; grep NoNewPrivs /proc/self/status; id -G']);
      edit((c) => {
        c.hostname = 'compare-me';
        c.process.cwd = '/tmp';
        c.process.env = [...c.process.env, 'FOO=bar baz'];
        c.process.user = rootless ? { uid: 0, gid: 0, umask: 0o27 } : { uid: 1000, gid: 1001, umask: 0o27, additionalGids: [5, 100] };
        c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 777, hard: 888 }];
      });
      const c = id('process');
      const outs = both((rt) => rt.run(['run', '--bundle', bundle, c])).map((r) => `${r.status} ${r.stdout}`);
      assert.equal(outs[1], outs[0]);
      assert.match(outs[0] ?? '', /^0 compare-me\n/);
      assert.match(outs[0] ?? '', /\n\/tmp\nbar baz\n0027\n777\nNoNewPrivs:\s+1\n/);
      if (!rootless) assert.match(outs[0] ?? '', /\n1001 5 100\n$/);
    });

    it('mounts: read-only, writable and nosuid/nodev/noexec binds and a tmpfs behave as in runc', () => {
      configure(['sh', '-c', 'cat /ro/file; (echo x > /ro/new) 2>/dev/null && echo ro-writable || echo ro-refused; ' +
        '(echo x > /rw/new) 2>/dev/null && echo rw-writable || echo rw-refused; rm -f /rw/new; ' +
        'grep " /scratch " /proc/mounts | cut -d" " -f3; (echo x > /scratch/f) && echo scratch-writable; ' +
        'grep " /nx " /proc/mounts | cut -d" " -f4 | tr , "\\n" | grep -E "^(nosuid|nodev|noexec|ro)$" | sort | tr "\\n" " "; echo']);
      const host = join(bundle, 'host-dir');
      spawnSync('mkdir', ['-p', host]);
      writeFileSync(join(host, 'file'), 'from-host\n');
      if (user !== undefined) spawnSync('chown', ['-R', `${user.uid}`, host]);
      edit((c) => {
        c.mounts.push(
          { destination: '/ro', type: 'bind', source: host, options: ['rbind', 'ro'] },
          { destination: '/rw', type: 'bind', source: host, options: ['rbind'] },
          { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m'] },
          { destination: '/nx', type: 'bind', source: host, options: ['bind', 'nosuid', 'noexec', 'nodev'] },
        );
      });
      const c = id('mounts');
      const outs = both((rt) => rt.run(['run', '--bundle', bundle, c])).map((r) => `${r.status} ${r.stdout}`);
      assert.equal(outs[1], outs[0]);
      assert.equal(outs[0], '0 from-host\nro-refused\nrw-writable\ntmpfs\nscratch-writable\nnodev noexec nosuid \n');
    });

    it('linux.devices: an extra device node appears as in runc', () => {
      configure(['sh', '-c', 'ls -l /dev/fuse | tr -s " " | cut -d" " -f1,5,6']);
      edit((c) => {
        c.linux['devices'] = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }];
      });
      const c = id('devices');
      const outs = both((rt) => rt.run(['run', '--bundle', bundle, c])).map((r) => `${r.status} ${r.stdout}`);
      assert.equal(outs[1], outs[0]);
      // as root the node is made with fileMode; rootless it is the host's node bound in, with the host's mode
      if (rootless) assert.match(outs[0] ?? '', /^0 c\S+ 10, 229\n$/);
      else assert.equal(outs[0], '0 crw-rw-rw- 10, 229\n');
    });

    // not through runuser (it would be the one signalled): unprivileged, this runs in the unprivileged pass
    if (user === undefined) it('run in the foreground relays SIGTERM to the container, as runc', async () => {
      configure(['sh', '-c', 'trap "exit 7" TERM; sleep 100 & wait']);
      const c = id('relay');
      const statuses: (number | null)[] = [];
      for (const rt of runtimes) {
        const argv = rt.name === 'ct' ? [process.execPath, ctBin] : ['runc'];
        const child = spawn(argv[0] ?? '', [...argv.slice(1), '--root', rt.root, 'run', '--bundle', bundle, c], { stdio: 'ignore' });
        await rt.waitStatus(c, 'running');
        await new Promise((r) => setTimeout(r, 200));
        child.kill('SIGTERM');
        statuses.push(await new Promise<number | null>((r) => child.once('exit', (code) => r(code))));
      }
      assert.deepEqual(statuses, [7, 7]);
    });

    it('create, an id that exists already fails', () => {
      configure(['sleep', '60']);
      const c = id('dup');
      const codes = both((rt) => {
        rt.run(['create', '--bundle', bundle, c]);
        const again = rt.run(['create', '--bundle', bundle, c]);
        rt.run(['delete', '--force', c]);
        return again;
      }).map((r) => r.status);
      assert.deepEqual(codes, [1, 1]);
    });

    it('kill, signals by number and name reach the init', async () => {
      configure(['sleep', '60']);
      for (const sig of ['9', 'SIGKILL', 'KILL']) {
        const c = id(`sig${sig}`);
        for (const rt of runtimes) {
          rt.run(['run', '-d', '--bundle', bundle, c]);
          assert.equal(rt.run(['kill', c, sig]).status, 0, `${rt.name} kill ${sig}`);
          assert.equal(await rt.waitStatus(c, 'stopped'), 'stopped', `${rt.name} after kill ${sig}`);
          rt.run(['delete', c]);
        }
      }
    });

    it('create --pid-file, the file holds the pid state reports', () => {
      configure(['sleep', '60']);
      const c = id('pidfile');
      for (const rt of runtimes) {
        const pidFile = join(bundle, `${rt.name}.pid`);
        assert.equal(rt.run(['create', '--bundle', bundle, '--pid-file', pidFile, c]).status, 0);
        const pid = spawnSync('cat', [pidFile], { encoding: 'utf8' }).stdout.trim();
        assert.equal(pid, String(rt.state(c)?.['pid']), rt.name);
        rt.run(['delete', '--force', c]);
      }
    });

    it('--preserve-fds 1 and LISTEN_FDS=1, fd 3 reaches the container process', () => {
      configure(['sh', '-c', 'echo through-fd-3 $LISTEN_FDS $LISTEN_PID >&3']);
      for (const [how, args, listen, expected] of [
        ['--preserve-fds', ['--preserve-fds', '1'], undefined, 'through-fd-3\n'],
        ['LISTEN_FDS', [], 1, 'through-fd-3 1 1\n'],
      ] as const) {
        const outputs = runtimes.map((rt) => {
          const file = join(bundle, `fd3-${rt.name}`);
          spawnSync('rm', ['-f', file]);
          const fd = openSync(file, 'w', 0o666);
          try {
            const r = rt.run(['run', ...args, '--bundle', bundle, id(`fd3${rt.name}${how.length}`)],
              listen === undefined ? { fd3: fd } : { fd3: fd, listenFds: listen });
            assert.equal(r.status, 0, `${rt.name} ${how}: ${r.stderr}`);
          } finally {
            closeSync(fd);
          }
          return readFileSync(file, 'utf8');
        });
        assert.deepEqual(outputs, [expected, expected], how);
      }
    });

    // runc finds the processes through the cgroup, which an unprivileged runc on cgroup v1 cannot use: root only
    if (!rootless) it('ps --format json and kill --all: every process of the container, as runc', async () => {
      configure(['sh', '-c', 'sleep 100 & sleep 100 & wait']);
      const c = id('all');
      for (const rt of runtimes) {
        assert.equal(rt.run(['run', '-d', '--bundle', bundle, c]).status, 0);
        let pids: number[] = [];
        for (let i = 0; i < 50 && pids.length < 3; i++) {
          pids = JSON.parse(rt.run(['ps', '--format', 'json', c]).stdout) as number[];
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(pids.length, 3, `${rt.name} ps: ${JSON.stringify(pids)}`);
        assert.equal(pids[0], rt.state(c)?.['pid']);
        assert.equal(rt.run(['kill', '--all', c, 'TERM']).status, 0, rt.name);
        assert.equal(await rt.waitStatus(c, 'stopped'), 'stopped', `${rt.name}: sh returns from wait once its children die`);
        rt.run(['delete', c]);
      }
    });

    it('--log with --log-format json: the error is one {level,msg,time} line', () => {
      const lines = runtimes.map((rt) => {
        const log = join(rt.asUser !== undefined ? '/tmp' : tmpdir(), `ct-log-${rt.name}-${process.pid}.json`);
        spawnSync('rm', ['-f', log]);
        assert.equal(rt.run(['--log', log, '--log-format', 'json', 'state', 'no-such-container']).status, 1);
        const text = spawnSync('cat', [log], { encoding: 'utf8' }).stdout.trim().split('\n');
        spawnSync('rm', ['-f', log]);
        return JSON.parse(text[text.length - 1] ?? '{}') as Record<string, unknown>;
      });
      for (const l of lines) {
        assert.deepEqual(Object.keys(l).sort(), ['level', 'msg', 'time']);
        assert.equal(l['level'], 'error');
        assert.match(String(l['msg']), /does not exist/);
      }
    });
  });
}

defineSuite('ct and runc, same sequences @root', false);
defineSuite('ct and runc, same sequences unprivileged @rootless', true);
