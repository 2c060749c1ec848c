/**
 * `ct container run IMAGE [CMD...]` on the image store, with the busybox test image, as root and unprivileged:
 * each flag's effect seen from inside the container, a second run that writes no layer, detached containers
 * (monitor, log, exit status, stop, rm) outliving their caller.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature, testImage } from '@ct/test-utils';
import { imageCommand, removeSuiteRoot } from './container-run-harness.js';
import { waitFor } from './engine-harness.js';
import { ciUser, ctBin, Runtime } from './runtime-harness.js';

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(120_000);
    const user = rootless && isRoot() ? ciUser() : undefined;
    const base = user !== undefined ? `${user.runtimeDir}/ct-crun-test-${process.pid}` : join(tmpdir(), `ct-crun-test-${process.pid}`);
    const root = join(base, 'state');
    const store = join(base, 'storage');
    const ct = new Runtime('ct', root, user);
    const image = (args: readonly string[]): ReturnType<typeof imageCommand> => imageCommand(user, [...args, '--storage-root', store]);
    const run = (args: readonly string[]): ReturnType<Runtime['run']> => ct.run(['container', 'run', '--storage-root', store, ...args]);
    let shared: string | undefined;
    /** The bundles left under the state root (not the claims' lock), with their command (for the failure message). */
    const leftovers = (): string[] => readdirSync(join(root, '.bundles')).filter((n) => !n.startsWith('.')).map((id) => {
      try {
        return `${id}: ${JSON.stringify((JSON.parse(readFileSync(join(root, '.bundles', id, 'config.json'), 'utf8')) as { process: { args: string[] } }).process.args)}`;
      } catch {
        return id;
      }
    });
    before(function () {
      if (rootless && isRoot()) requireFeature(this, user !== undefined, 'the unprivileged user ctci does not exist');
      if (!rootless) requireFeature(this, isRoot(), 'needs root');
      requireFeature(this, existsSync(join(testImage('busybox'), 'index.json')), 'tools/images has not built the busybox image');
      // a directory both the test and the container's user can write (volumes)
      shared = mkdtempSync(join(tmpdir(), 'ct-crun-vol-'));
      chmodSync(shared, 0o777);
      const imported = image(['import', testImage('busybox')]);
      assert.equal(imported.status, 0, imported.stderr);
    });
    after(async function () {
      this.timeout(120_000);
      // the containers a failed test left first (their cgroups and bridge attachment: issue 24), then the image
      await removeSuiteRoot(ct, root, base, () => {
        image(['rm', '--force', 'busybox']);
        if (user === undefined) rmSync(base, { recursive: true, force: true });
        else spawnSync('runuser', ['-u', 'ctci', '--', 'rm', '-rf', base]);
      });
      if (shared !== undefined) rmSync(shared, { recursive: true, force: true });
    });

    it('container run, CMD replaces the image command; exit status and output come back; nothing is left', () => {
      const r = run(['--name', `img-${process.pid}`, 'busybox', 'sh', '-c', 'echo from-image; exit 6']);
      assert.equal(r.status, 6, r.stderr);
      assert.equal(r.stdout, 'from-image\n');
      assert.equal(ct.run(['state', `img-${process.pid}`]).status, 1);
      assert.deepEqual(leftovers(), []);
      assert.deepEqual(readdirSync(join(store, 'containers')), []);
    });
    it('container run, the root is an overlay of the store\'s layer dirs', () => {
      const r = run(['busybox', 'sh', '-c', 'grep "^overlay / overlay" /proc/mounts']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`lowerdir=${join(store, 'layers')}/[0-9a-f]{64}/diff`));
      if (rootless) assert.match(r.stdout, /userxattr/);
    });
    it('container run, a second run writes no layer and does not see the first one\'s files', () => {
      const layers = join(store, 'layers');
      const before = { mtime: statSync(layers).mtimeMs, entries: readdirSync(layers).sort() };
      const first = run(['busybox', 'sh', '-c', 'echo x > /written-by-first && cat /written-by-first']);
      assert.equal(first.stdout, 'x\n', first.stderr);
      const second = run(['busybox', 'sh', '-c', 'test ! -e /written-by-first && echo clean']);
      assert.equal(second.stdout, 'clean\n', second.stderr);
      assert.equal(statSync(layers).mtimeMs, before.mtime);
      assert.deepEqual(readdirSync(layers).sort(), before.entries);
    });
    it('container run, a path not in the store is imported first', () => {
      const r = run(['--rm', `${testImage('busybox')}`, 'true']);
      assert.equal(r.status, 0, r.stderr);
      const ls = image(['ls', '--json']);
      assert.equal((JSON.parse(ls.stdout) as unknown[]).length, 1, 'the same image: no second record');
    });
    it('container run -e, variables set and taken from the caller', () => {
      const r = run(['-e', 'ONE=1', '--env', 'PATH=/bin:/usr/bin', 'busybox', 'sh', '-c', 'echo "$ONE $PATH"']);
      assert.equal(r.stdout, '1 /bin:/usr/bin\n', r.stderr);
    });
    it('container run -e, a value as long as execve(2) takes (MAX_ARG_STRLEN: 128 KiB with its NUL) reaches the process', () => {
      // the longest string the kernel passes: "X=" and the value, 131071 bytes, and the NUL
      const value = 'v'.repeat(32 * 4096 - 1 - 2);
      const r = run(['-e', `X=${value}`, 'busybox', 'sh', '-c', 'echo ${#X}']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${value.length}\n`);
    });
    it('container run -v, a read-write and a read-only volume', () => {
      const vol = shared!;
      const r = run(['-v', `${vol}:/rw`, '-v', `${vol}:/ro:ro`, 'busybox', 'sh', '-c', 'echo hi > /rw/f; echo no > /ro/g || echo refused']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /refused/);
      assert.equal(readFileSync(join(vol, 'f'), 'utf8'), 'hi\n');
      assert.equal(existsSync(join(vol, 'g')), false);
    });
    it('container run -v, a missing source is a usage error', () => {
      const r = run(['-v', '/nonexistent-ct-src:/x', 'busybox', 'true']);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /-v \/nonexistent-ct-src:\/x/);
    });
    it('container run -w and -u, cwd and ids', () => {
      const r = run(['-w', '/tmp', '-u', '1000:1001', 'busybox', 'sh', '-c', 'pwd; id -u; id -g']);
      assert.equal(r.stdout, '/tmp\n1000\n1001\n', r.stderr);
    });
    it('container run --hostname, the hostname, /etc/hosts and /etc/hostname; /etc/resolv.conf exists', () => {
      const r = run(['--hostname', 'box1', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname; grep -c box1 /etc/hosts; test -e /etc/resolv.conf && echo resolv']);
      assert.equal(r.stdout, 'box1\nbox1\n1\nresolv\n', r.stderr);
    });
    it('container run --entrypoint, replaces the entrypoint; CMD becomes its arguments', () => {
      const r = run(['--entrypoint', 'echo', 'busybox', 'a', 'b']);
      assert.equal(r.stdout, 'a b\n', r.stderr);
    });
    it('container run --read-only, the root refuses writes', () => {
      const r = run(['--read-only', 'busybox', 'sh', '-c', 'touch /x 2>/dev/null && echo wrote || echo refused']);
      assert.equal(r.stdout, 'refused\n', r.stderr);
    });
    it('container run --network, own namespace with none and private (lo only, no helper, no warning), the host\'s with host', () => {
      const hostNet = spawnSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }).stdout.trim();
      const nets = ['none', 'host', 'private'].map((network) => {
        const r = run(['--rm', '--network', network, 'busybox', 'readlink', '/proc/self/ns/net']);
        assert.equal(r.status, 0, r.stderr);
        return { net: r.stdout.trim(), stderr: r.stderr };
      });
      assert.notEqual(nets[0]!.net, hostNet);
      assert.equal(nets[1]!.net, hostNet);
      assert.notEqual(nets[2]!.net, hostNet);
      assert.equal(nets[2]!.stderr, '');
    });
    it('container run --memory --pids-limit --cpus, applied in the container\'s cgroups as root; unprivileged (cgroup v1) podman\'s one warning', async function () {
      if (rootless) {
        const r = run(['--memory', '64m', '--pids-limit', '50', '--cpus', '0.5', 'busybox', 'true']);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stderr.split('\n').filter((l) => /warning/.test(l)).length, 1, r.stderr);
        // podman 4.3's words, on this cgroup v1 host
        assert.match(r.stderr, /Resource limits are not supported and ignored on cgroups V1 rootless systems/);
        return;
      }
      const d = run(['-d', '--memory', '64m', '--pids-limit', '50', '--cpus', '0.5', 'busybox', 'sleep', '30']);
      assert.equal(d.status, 0, d.stderr);
      const id = d.stdout.trim();
      try {
        const pid = (JSON.parse(ct.run(['container', 'ps', '--json']).stdout) as { id: string; pid: number }[]).find((c) => c.id === id)?.pid;
        assert.ok(pid !== undefined && pid > 0);
        const cgroups = new Map(readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => {
          const [, controllers, path] = l.split(':');
          return [controllers!, path!] as const;
        }));
        const file = (controller: string, name: string): string => {
          const entry = [...cgroups.entries()].find(([c]) => c.split(',').includes(controller));
          assert.ok(entry !== undefined, `no ${controller} cgroup`);
          return readFileSync(join('/sys/fs/cgroup', entry[0], entry[1], name), 'utf8').trim();
        };
        assert.equal(file('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
        assert.equal(file('pids', 'pids.max'), '50');
        assert.equal(file('cpu', 'cpu.cfs_quota_us'), '50000');
      } finally {
        ct.run(['container', 'rm', '-f', id]);
      }
    });
    it('container run -it, a real pty with our window size; input reaches it; the exit code is the container\'s', function () {
      requireFeature(this, spawnSync('script', ['--version']).status === 0, 'script (util-linux) is not installed');
      const ctLine = [process.execPath, ctBin, '--root', root, 'container', 'run', '--storage-root', store, '-it', '--rm', 'busybox', 'sh']
        .map((a) => `'${a}'`).join(' ');
      const inner = `stty cols 91 rows 33; ${ctLine}`;
      const env = ['env', 'TMPDIR=/tmp', 'HOME=/tmp', ...(user !== undefined ? [`XDG_RUNTIME_DIR=${user.runtimeDir}`] : [])];
      const cmd = [...(user !== undefined ? ['runuser', '-u', 'ctci', '--'] : []), ...env, 'script', '-qec', inner, '/dev/null'];
      const r = spawnSync(cmd[0]!, cmd.slice(1), {
        input: 'tty; stty size; echo typed-$((40+2)); exit 5\n', encoding: 'utf8', timeout: 60_000, cwd: '/',
      });
      assert.equal(r.status, 5, r.stderr + r.stdout);
      assert.match(r.stdout, /\/dev\/pts\/\d+/);
      assert.match(r.stdout, /33 91/);
      assert.match(r.stdout, /typed-42/);
    });
    it('container run --keep, the stopped container stays for ct delete, which removes its root', () => {
      const id = `imgkeep-${process.pid}`;
      assert.equal(run(['--keep', '--name', id, 'busybox', 'true']).status, 0);
      assert.equal(ct.state(id)?.['status'], 'stopped');
      assert.ok(existsSync(join(store, 'containers', id)));
      assert.equal(ct.run(['delete', id]).status, 0);
      assert.deepEqual(leftovers(), [], 'delete removes the bundle');
      assert.deepEqual(readdirSync(join(store, 'containers')), [], 'and the container root');
    });
    it('container run -d, outlives its caller; ps, logs, exit status, stop and rm', async () => {
      // long enough to be seen running by a `ps` started after `run -d` returns, on a loaded machine too
      const d = run(['-d', 'busybox', 'sh', '-c', 'echo out; echo err >&2; sleep 4; exit 4']);
      assert.equal(d.status, 0, d.stderr);
      const id = d.stdout.trim();
      assert.match(id, /^ct-[0-9a-f]{12}$/);
      // the caller has exited: the container runs on
      assert.match(ct.run(['container', 'ps']).stdout, new RegExp(`${id}.*running`));
      for (let i = 0; i < 100 && !/exited/.test(ct.run(['container', 'ps', '--all']).stdout); i++) await new Promise((r) => setTimeout(r, 100));
      const ps = JSON.parse(ct.run(['container', 'ps', '--all', '--json']).stdout) as { id: string; exitStatus?: number; status: string }[];
      const mine = ps.find((c) => c.id === id);
      assert.equal(mine?.exitStatus, 4);
      assert.equal(mine?.status, 'stopped');
      const logs = ct.run(['container', 'logs', id]);
      assert.deepEqual([logs.stdout, logs.stderr], ['out\n', 'err\n'], 'the container\'s stderr on stderr, as podman logs');
      assert.equal(ct.run(['container', 'rm', id]).status, 0);
      assert.equal(ct.run(['container', 'ps', '--all', '--json']).stdout.includes(id), false);
      assert.deepEqual(readdirSync(join(store, 'containers')), []);
    });
    it('container exec, a command in the running container with -e and -w; its exit code comes back', () => {
      const id = run(['-d', '--hostname', 'execbox', 'busybox', 'sleep', '60']).stdout.trim();
      try {
        const r = ct.run(['container', 'exec', '-e', 'X=1', '-w', '/tmp', id, 'sh', '-c', 'echo "$X $(pwd) $(hostname)"; exit 9']);
        assert.equal(r.status, 9, r.stderr);
        assert.equal(r.stdout, '1 /tmp execbox\n');
      } finally {
        ct.run(['container', 'rm', '-f', id]);
      }
    });
    it('container stop, SIGTERM reaches the process; rm -f removes a running one', () => {
      const a = run(['-d', 'busybox', 'sh', '-c', 'trap "echo term; exit 3" TERM; echo trapped; while true; do sleep 0.1; done']).stdout.trim();
      const b = run(['-d', 'busybox', 'sleep', '60']).stdout.trim();
      // -d returns once the program runs, maybe before the shell set its trap (then TERM would find sh as PID 1
      // with the default disposition: ignored, and stop would kill it after -t)
      assert.ok(waitFor(() => ct.run(['container', 'logs', a]).stdout.includes('trapped'), 30_000), 'the shell set its trap');
      assert.equal(ct.run(['container', 'stop', '-t', '5', a]).status, 0);
      const ps = JSON.parse(ct.run(['container', 'ps', '--all', '--json']).stdout) as { id: string; exitStatus?: number }[];
      assert.equal(ps.find((c) => c.id === a)?.exitStatus, 3);
      assert.equal(ct.run(['container', 'rm', b]).status, 2, 'a running container needs -f (podman-rm\'s 2)');
      assert.equal(ct.run(['container', 'rm', '-f', b]).status, 0);
      assert.equal(ct.run(['container', 'rm', a]).status, 0);
      assert.deepEqual(readdirSync(join(store, 'containers')), []);
    });
    it('image inspect, ls, rm --json; rm refused while a container uses the image', () => {
      const inspect = JSON.parse(image(['inspect', 'busybox']).stdout) as { names: string[]; layerDirs: string[] };
      assert.deepEqual(inspect.names, ['docker.io/library/busybox:latest']);
      assert.ok(inspect.layerDirs.every((d) => existsSync(d)));
      const id = `imguse-${process.pid}`;
      assert.equal(run(['--keep', '--name', id, 'busybox', 'true']).status, 0);
      const rm = image(['rm', '--json', 'busybox']);
      assert.equal(rm.status, 2, 'podman-rmi\'s status for an image a container uses');
      assert.equal((JSON.parse(rm.stdout) as { error: { code: string } }).error.code, 'STORE_IMAGE_IN_USE');
      assert.equal(ct.run(['delete', id]).status, 0);
      const ls = JSON.parse(image(['ls', '--json']).stdout) as { names: string[] }[];
      assert.deepEqual(ls.map((i) => i.names), [['docker.io/library/busybox:latest']]);
    });
  });
}

defineSuite('ct container run @root', false);
defineSuite('ct container run unprivileged @rootless', true);
