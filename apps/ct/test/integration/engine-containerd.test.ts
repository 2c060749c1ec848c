/**
 * containerd (Debian's package, 1.6, with its io.containerd.runc.v2 shim) driving ct as the runc binary: `ctr run
 * --runc-binary` is the same runtime option (BinaryName) a Kubernetes RuntimeClass selects through containerd's
 * config. containerd runs on a private root, state dir, sockets and config (no CRI plugin) under one temp dir, in
 * its own mount namespace, the busybox test image imported from an OCI archive (no network). Checked: output, exit
 * status, exec, kill and delete, a tty container, `ctr task metrics`, and errors from the engine's side. Afterwards
 * nothing may be left: no process naming the temp dir, no mount under it, no cgroup of the test's containers.
 * See apps/ct/ENGINES.md. Man pages: containerd(8), ctr(8), containerd-config.toml(5), unshare(1), cgroups(7).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, repoRoot, requireFeature, testImage } from '@ct/test-utils';
import { mountsUnder, processEnded, processesUnder, runBounded, waitFor, writeCtWrapper, type EngineRun } from './engine-harness.js';

const present = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0;
/** containerd namespace of this run (ct makes the cgroups `/<namespace>/<id>`, so they are this run's own). */
const namespace = `cttest${process.pid}`;
const imageRef = 'docker.io/ct-test/busybox:latest';

/**
 * cgroup v1 hierarchies this process belongs to (/proc/self/cgroup) that no mount shows. containerd's cgroups
 * library refuses to load a task's cgroups (so `ctr task metrics` gets none, with runc too) when one is missing;
 * this machine has hugetlb, perf_event and net_cls,net_prio hierarchies without mounts.
 */
function unmountedHierarchies(): string[] {
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' - ')[1]?.split(' ') ?? [])
    .filter((fields) => fields[0] === 'cgroup')
    .flatMap((fields) => (fields[2] ?? '').split(','));
  return readFileSync('/proc/self/cgroup', 'utf8').split('\n')
    .map((line) => line.split(':')[1] ?? '')
    .filter((controllers) => controllers !== '' && !controllers.split(',').some((c) => mounted.includes(c)));
}

/** cgroup directories of the test's containers: `/<namespace>` (and its `<id>`s) from "/<namespace>/<id>" (older ct: `<namespace>-<id>`). */
function containerCgroups(): string[] {
  const found: string[] = [];
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    const walk = (dir: string, depth: number): void => {
      let entries: string[] = [];
      try {
        entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      } catch {
        return;
      }
      for (const name of entries) {
        if (name === namespace || name.startsWith(`${namespace}-`)) found.push(join(dir, name));
        else if (depth < 3) walk(join(dir, name), depth + 1);
      }
    };
    walk(join('/sys/fs/cgroup', hierarchy), 0);
  }
  return found;
}

describe('containerd engine, ct as the runc binary @root', function () {
  this.timeout(120_000);
  let dir = '';
  let daemon: ChildProcess | undefined;
  let createdRunContainerd = false;
  let runtimeArgs: string[] = [];

  /** ctr against the private containerd, in the test namespace. */
  function ctr(args: string[], timeoutMs = 60_000): EngineRun {
    return runBounded('ctr', ['--address', join(dir, 'containerd.sock'), '-n', namespace, ...args], { timeoutMs });
  }

  /** A container spec file: ctr's default spec running `true`, with `edit` applied (no image: an empty rootfs). */
  function specFile(name: string, edit: (spec: Record<string, unknown>) => void): string {
    const spec = JSON.parse(runBounded('ctr', ['oci', 'spec']).stdout) as Record<string, unknown>;
    (spec.process as Record<string, unknown>).args = ['true'];
    edit(spec);
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(spec));
    return path;
  }

  /** Containers in ct's state root (the shim passes `--root <runc-root>/<namespace>`, after the wrapper's). */
  function ctState(): string[] {
    const root = join(dir, 'runc-root', namespace);
    return existsSync(root) ? readdirSync(root) : [];
  }

  /** The task's status as `ctr task ls` shows it (RUNNING, STOPPED...), '' when there is none. */
  function taskStatus(id: string): string {
    const r = ctr(['task', 'ls']);
    assert.equal(r.status, 0, r.stderr);
    const row = r.stdout.split('\n').map((line) => line.trim().split(/\s+/)).find((f) => f[0] === id);
    return row?.[2] ?? '';
  }

  before(function () {
    this.timeout(60_000);
    requireFeature(this, isRoot(), 'needs root');
    requireFeature(this, present('containerd') && present('ctr'), 'containerd is not installed');
    requireFeature(this, spawnSync('unshare', ['--version']).status === 0, 'unshare (util-linux) is not installed');
    const image = testImage('busybox');
    requireFeature(this, existsSync(join(image, 'index.json')), 'busybox test image not built');
    createdRunContainerd = !existsSync('/run/containerd');
    dir = mkdtempSync('/tmp/ct-containerd-');
    runtimeArgs = ['--runc-binary', writeCtWrapper(dir, join(dir, 'ct-state')), '--runc-root', join(dir, 'runc-root'),
      '--fifo-dir', join(dir, 'fifo')];
    writeFileSync(join(dir, 'config.toml'), [
      'version = 2', `root = "${dir}/root"`, `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]', `  address = "${dir}/containerd.sock"`, '[ttrpc]', `  address = "${dir}/containerd.sock.ttrpc"`,
      '[debug]', `  address = "${dir}/debug.sock"`, '',
    ].join('\n'));
    // The missing hierarchies are mounted in containerd's own mount namespace only (gone when it ends).
    const mounts = unmountedHierarchies().map((controllers, i) => {
      const point = join(dir, 'cgroup', String(i));
      mkdirSync(point, { recursive: true });
      const options = controllers.startsWith('name=') ? `none,${controllers}` : controllers;
      return `mount -t cgroup -o ${options} cgroup ${point} && `;
    }).join('');
    const log = openSync(join(dir, 'containerd.log'), 'a');
    daemon = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
      `${mounts}exec containerd --config ${dir}/config.toml`], { stdio: ['ignore', log, log] });
    const up = waitFor(() => ctr(['version'], 5_000).status === 0, 20_000);
    assert.ok(up, `containerd did not start: ${readFileSync(join(dir, 'containerd.log'), 'utf8').slice(-2000)}`);
    spawnSync('tar', ['-C', image, '-cf', join(dir, 'busybox.tar'), '.']);
    const imported = ctr(['images', 'import', '--base-name', 'docker.io/ct-test/busybox', join(dir, 'busybox.tar')]);
    assert.equal(imported.status, 0, `ctr images import: ${imported.stderr}`);
  });

  after(function () {
    this.timeout(60_000);
    if (dir === '') return;
    const listed = ctr(['task', 'ls', '-q']).stdout.split('\n').filter(Boolean);
    for (const id of listed) ctr(['task', 'kill', '-s', 'KILL', id]);
    for (const id of listed) waitFor(() => ctr(['task', 'delete', id]).status === 0, 10_000);
    for (const id of ctr(['containers', 'ls', '-q']).stdout.split('\n').filter(Boolean)) ctr(['containers', 'rm', id]);
    const leftState = ctState();
    const pid = daemon?.pid;
    if (pid !== undefined && !processEnded(pid)) {
      daemon?.kill('SIGTERM');
      waitFor(() => processEnded(pid), 20_000);
    }
    const leftProcesses = waitFor(() => processesUnder(dir).length === 0, 10_000) ? [] : processesUnder(dir);
    const leftMounts = mountsUnder(dir);
    const leftCgroups = containerCgroups();
    // The shim keeps its sockets in /run/containerd/s (fixed in containerd 1.6): remove what the test created.
    if (createdRunContainerd) rmSync('/run/containerd', { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(leftProcesses, [], 'processes left behind');
    assert.deepEqual(leftMounts, [], 'mounts left behind');
    assert.deepEqual(leftState, [], 'ct state left behind');
    assert.deepEqual(leftCgroups, [], 'cgroups left behind');
  });

  it('ctr run, prints the command output', function () {
    const r = ctr(['run', '--rm', ...runtimeArgs, imageRef, 'out', 'echo', 'hi']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
  });

  it('ctr run, returns a non-zero exit status', function () {
    const r = ctr(['run', '--rm', ...runtimeArgs, imageRef, 'exit3', 'sh', '-c', 'echo out; exit 3']);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
  });

  it('ctr run -d, task exec, metrics, kill and delete drive the task', function () {
    const started = ctr(['run', '-d', ...runtimeArgs, imageRef, 'life', 'sh', '-c', 'exec sleep 100']);
    assert.equal(started.status, 0, started.stderr);
    try {
      assert.equal(taskStatus('life'), 'RUNNING');
      assert.deepEqual(ctState(), ['life'], 'ct keeps the container in the state root the shim gives');
      // The exec'd process outlives ct exec here; a process that ends at once is the next test's case.
      const exec = ctr(['task', 'exec', '--fifo-dir', join(dir, 'fifo'), '--exec-id', 'e1', 'life',
        'sh', '-c', 'sleep 1; echo in-exec; exit 4']);
      assert.equal(exec.status, 4, exec.stderr);
      assert.equal(exec.stdout, 'in-exec\n');
      const metrics = ctr(['task', 'metrics', '--format', 'json', 'life']);
      assert.equal(metrics.status, 0, metrics.stderr);
      // cgroups v1 metrics (containerd's cgroups/stats/v1): the task's pids and a memory usage.
      const data = JSON.parse(metrics.stdout) as { pids?: { current?: number }; memory?: { usage?: { usage?: number } } };
      assert.equal(data.pids?.current, 1, metrics.stdout);
      assert.ok((data.memory?.usage?.usage ?? 0) > 0, metrics.stdout);
      const killed = ctr(['task', 'kill', '-s', 'KILL', 'life']);
      assert.equal(killed.status, 0, killed.stderr);
      assert.ok(waitFor(() => taskStatus('life') === 'STOPPED', 10_000), 'task not stopped after kill');
      const deleted = ctr(['task', 'delete', 'life']);
      assert.equal(deleted.status, 0, deleted.stderr);
      assert.equal(taskStatus('life'), '');
      assert.deepEqual(ctState(), [], 'ct still knows the container after delete');
    } finally {
      ctr(['task', 'kill', '-s', 'KILL', 'life']);
      ctr(['task', 'delete', 'life']);
      ctr(['containers', 'rm', 'life']);
    }
  });

  // The shim (containerd 1.6) drops the exit of a pid it does not know yet, and learns the pid only once
  // `ct exec --detach` has exited: ct holds the process before execve until then (else ctr waited forever).
  it('ctr task exec, the status of a process that ends at once comes back', function () {
    const started = ctr(['run', '-d', ...runtimeArgs, imageRef, 'quick', 'sh', '-c', 'exec sleep 100']);
    assert.equal(started.status, 0, started.stderr);
    try {
      const exec = ctr(['task', 'exec', '--fifo-dir', join(dir, 'fifo'), '--exec-id', 'q1', 'quick',
        'sh', '-c', 'echo fast; exit 5'], 20_000);
      assert.equal(exec.status, 5, `ctr task exec did not end: ${exec.stderr}`);
      assert.equal(exec.stdout, 'fast\n');
    } finally {
      ctr(['task', 'kill', '-s', 'KILL', 'quick']);
      waitFor(() => ctr(['task', 'delete', 'quick']).status === 0, 10_000);
      ctr(['containers', 'rm', 'quick']);
    }
  });

  // ct exec --detach looks the program up in the container first (as runc), so the shim reports exec's failure.
  it('ctr task exec, a missing program gives OCI runtime exec failed naming it', function () {
    const started = ctr(['run', '-d', ...runtimeArgs, imageRef, 'noexec', 'sleep', '100']);
    assert.equal(started.status, 0, started.stderr);
    try {
      const exec = ctr(['task', 'exec', '--fifo-dir', join(dir, 'fifo'), '--exec-id', 'n1', 'noexec', 'nosuchbin'], 20_000);
      assert.notEqual(exec.status, 0);
      assert.match(exec.stderr, /OCI runtime exec failed: .*nosuchbin/);
    } finally {
      ctr(['task', 'kill', '-s', 'KILL', 'noexec']);
      waitFor(() => ctr(['task', 'delete', 'noexec']).status === 0, 10_000);
      ctr(['containers', 'rm', 'noexec']);
    }
  });

  it('ctr run -t, the command sees a terminal', function () {
    requireFeature(this, spawnSync('script', ['--version']).status === 0, 'script (util-linux) is not installed');
    const line = ['ctr', '--address', join(dir, 'containerd.sock'), '-n', namespace, 'run', '-t', '--rm',
      ...runtimeArgs, imageRef, 'tty', 'sh', '-c', "'test -t 0 && test -t 1 && echo tty-yes'"].join(' ');
    const r = runBounded('script', ['-qec', line, '/dev/null']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // ctr leaves its terminal cooked, so script's pty adds a second \r to the container's \r\n.
    assert.match(r.stdout, /tty-yes\r+\n/);
  });

  it('ctr run, a missing binary fails create as with runc (OCI runtime create failed, runc\'s message), leaving no task', function () {
    const r = ctr(['run', '--rm', ...runtimeArgs, imageRef, 'missing', 'nosuchbin']);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /OCI runtime create failed: unable to start container process: exec: "nosuchbin": executable file not found in \$PATH/);
    assert.equal(taskStatus('missing'), '');
  });

  it('ctr run, a bad config gives OCI runtime create failed with ct\'s field', function () {
    const spec = specFile('bad', (s) => {
      (s.process as Record<string, unknown>).rlimits = [{ type: 'RLIMIT_BOGUS', hard: 1, soft: 1 }];
    });
    const r = ctr(['run', '--rm', ...runtimeArgs, '--config', spec, 'badconfig']);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /OCI runtime create failed: config\.json: process\.rlimits\[0\]\.type: /);
    assert.equal(taskStatus('badconfig'), '');
  });

  it('ctr run, a failing hook gives OCI runtime create failed naming the hook', function () {
    const spec = specFile('hook', (s) => {
      s.hooks = { createRuntime: [{ path: '/bin/false', args: ['false'] }] };
    });
    const r = ctr(['run', '--rm', ...runtimeArgs, '--config', spec, 'badhook']);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /OCI runtime create failed: createRuntime hook 0: \/bin\/false: exit status 1/);
    assert.equal(taskStatus('badhook'), '');
  });
});

/**
 * The containerd config README.md and ENGINES.md give for Kubernetes (CRI) is read by this containerd as meant:
 * `containerd config dump` decodes it into the CRI plugin's config, where runtimes.ct must have the runc v2 shim as
 * its type and ct as BinaryName (a misspelt key would be dropped silently). No daemon, no CRI client: pods
 * themselves are not testable here.
 */
describe('containerd config for Kubernetes, the documented runtimes.ct entry', function () {
  const docs = ['README.md', 'apps/ct/ENGINES.md'];

  /** The ```toml blocks of `file` (relative to the repository) that set BinaryName (TOML ignores indentation). */
  function tomlBlocks(file: string): string[] {
    const text = readFileSync(join(repoRoot(), file), 'utf8');
    return [...text.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').filter((b) => b.includes('BinaryName'));
  }

  /** The key lines of TOML table `name` in a dump (up to the next table header). */
  function section(dump: string, name: string): string[] {
    const lines = dump.split('\n').map((line) => line.trim());
    const start = lines.indexOf(`[${name}]`);
    if (start < 0) return [];
    const end = lines.findIndex((line, i) => i > start && line.startsWith('['));
    return lines.slice(start + 1, end < 0 ? undefined : end);
  }

  for (const file of docs) {
    it(`containerd config dump, ${file}'s runtimes.ct entry gives the runc v2 shim and ct as BinaryName`, function () {
      requireFeature(this, present('containerd'), 'containerd is not installed');
      const blocks = tomlBlocks(file);
      assert.equal(blocks.length, 1, `${file}: one toml block with BinaryName`);
      const dir = mkdtempSync(join(tmpdir(), 'ct-containerd-config-'));
      try {
        const config = join(dir, 'config.toml');
        const body = blocks[0] ?? '';
        writeFileSync(config, body.includes('version = 2') ? body : `version = 2\n${body}`);
        const r = runBounded('containerd', ['--config', config, 'config', 'dump']);
        assert.equal(r.status, 0, r.stderr);
        const table = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ct';
        assert.ok(section(r.stdout, table).includes('runtime_type = "io.containerd.runc.v2"'), r.stdout);
        assert.ok(section(r.stdout, `${table}.options`).includes('BinaryName = "/usr/local/bin/ct"'), r.stdout);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
