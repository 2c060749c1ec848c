// Tests of ct-probe run on the host (no container): every subcommand's output format and exit status, so that
// suites running it inside containers can trust what it prints.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileProbe } from '../probe/compile.mjs';

describe('ct-probe', () => {
  /** @type {string} */
  let tmp;
  /** @type {string} */
  let probe;
  /**
   * @param {string[]} args
   * @param {import('node:child_process').SpawnSyncOptions} [opts]
   */
  const run = (args, opts = {}) => {
    const r = spawnSync(probe, args, { encoding: 'utf8', timeout: 20000, ...opts });
    return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
  };

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'ct-probe-test-'));
    probe = compileProbe(join(tmp, 'bin', 'ct-probe')).path;
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('ct-probe, is a static executable', () => {
    const r = spawnSync('readelf', ['-lW', probe], { encoding: 'utf8' }); // binutils comes with gcc
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\bLOAD\b/);
    assert.doesNotMatch(r.stdout, /\bINTERP\b/);
  });

  it('ct-probe id, prints the real, effective and saved ids and groups', () => {
    const r = run(['id']);
    assert.equal(r.status, 0);
    const uid = process.getuid?.();
    const gid = process.getgid?.();
    assert.match(r.stdout, new RegExp(`^uid=${uid} gid=${gid} euid=${uid} egid=${gid} suid=${uid} sgid=${gid} groups=[0-9,]*\\n$`));
  });

  it('ct-probe hostname, prints the uts node name', () => {
    assert.equal(run(['hostname']).stdout, `${hostname()}\n`);
  });

  it('ct-probe cat, copies a file and reports a missing one by errno name', () => {
    const f = join(tmp, 'f');
    writeFileSync(f, 'line1\nline2\n');
    assert.deepEqual(run(['cat', f]), { status: 0, stdout: 'line1\nline2\n', stderr: '' });
    assert.deepEqual(run(['cat', join(tmp, 'missing')]), { status: 1, stdout: 'ENOENT\n', stderr: '' });
  });

  it('ct-probe readlink, prints a link target', () => {
    assert.equal(run(['readlink', '/proc/self/exe']).stdout, `${probe}\n`);
  });

  it('ct-probe mounts, prints /proc/self/mountinfo', () => {
    const lines = run(['mounts']).stdout.trim().split('\n');
    assert.ok(lines.some((l) => l.split(' ')[4] === '/'), 'a mount at /');
    assert.ok(lines.every((l) => / - /.test(l)));
  });

  it('ct-probe caps, prints the five capability sets in hex', () => {
    const r = run(['caps']);
    const names = r.stdout.trim().split('\n').map((l) => l.split('=')[0]);
    assert.deepEqual(names, ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']);
    assert.match(r.stdout, /^CapEff=[0-9a-f]{16}$/m);
  });

  it('ct-probe exit, exits with the given status; bad input is usage (2)', () => {
    assert.equal(run(['exit', '7']).status, 7);
    assert.equal(run(['exit', '0']).status, 0);
    assert.equal(run(['exit', 'x']).status, 2);
    assert.equal(run(['nonsense']).status, 2);
    assert.equal(run([]).status, 2);
  });

  it('ct-probe sleep, returns after about N seconds', () => {
    const t = Date.now();
    assert.equal(run(['sleep', '1']).status, 0);
    assert.ok(Date.now() - t >= 950);
  });

  it('ct-probe write and ls, create a file and list a directory sorted', () => {
    const d = join(tmp, 'dir');
    mkdirSync(d);
    assert.equal(run(['write', join(d, 'b'), 'hello']).stdout, 'ok\n');
    assert.equal(readFileSync(join(d, 'b'), 'utf8'), 'hello');
    writeFileSync(join(d, 'a'), '');
    assert.equal(run(['ls', d]).stdout, 'a\nb\n');
    assert.deepEqual(run(['write', join(tmp, 'no', 'f'), 'x']), { status: 1, stdout: 'ENOENT\n', stderr: '' });
  });

  it('ct-probe pid, env and cwd, describe the process', () => {
    assert.match(run(['pid']).stdout, /^[1-9][0-9]*\n$/);
    assert.equal(run(['env'], { env: { A: '1', B: 'two' } }).stdout, 'A=1\nB=two\n');
    assert.equal(run(['cwd'], { cwd: tmp }).stdout, `${tmp}\n`);
  });

  it('ct-probe rlimit, prints soft and hard limits', () => {
    const r = spawnSync('sh', ['-c', `ulimit -S -n 64 && exec ${probe} rlimit NOFILE`], { encoding: 'utf8' });
    assert.match(r.stdout, /^64 ([0-9]+|unlimited)\n$/);
    assert.equal(run(['rlimit', 'RLIMIT_CORE']).status, 0);
    assert.equal(run(['rlimit', 'BOGUS']).status, 2);
  });

  it('ct-probe mkdir and umount, print ok or the errno name', () => {
    assert.deepEqual(run(['mkdir', join(tmp, 'm')]), { status: 0, stdout: 'ok\n', stderr: '' });
    assert.deepEqual(run(['mkdir', join(tmp, 'm')]), { status: 1, stdout: 'EEXIST\n', stderr: '' });
    const u = run(['umount', join(tmp, 'm')]);
    assert.equal(u.status, 1);
    assert.match(u.stdout, /^(EINVAL|EPERM)\n$/); // not a mount point (root) or not permitted (unprivileged)
  });

  it('ct-probe connect, reaches a listening port and names the error otherwise', async () => {
    const server = createServer((s) => s.end());
    await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
    try {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const ok = await new Promise((resolve) => {
        const c = spawn(probe, ['connect', '127.0.0.1', String(port)]);
        let out = '';
        c.stdout.on('data', (d) => { out += d; });
        c.on('close', (code) => resolve([code, out]));
      });
      assert.deepEqual(ok, [0, 'ok\n']);
    } finally {
      server.close();
    }
    assert.deepEqual(run(['connect', '127.0.0.1', '1']), { status: 1, stdout: 'ECONNREFUSED\n', stderr: '' });
    assert.equal(run(['connect', 'example.org', '80']).status, 2);
  });

  it('ct-probe fork-count, counts forks and names the error at a limit', () => {
    assert.equal(run(['fork-count', '5']).stdout, '5\n');
    if (process.getuid?.() === 0) return; // RLIMIT_NPROC does not bind root (CAP_SYS_ADMIN/CAP_SYS_RESOURCE)
    const r = spawnSync('bash', ['-c', `ulimit -u 1 && exec ${probe} fork-count 3`], { encoding: 'utf8' }); // dash has no -u
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '0 EAGAIN\n');
  });

  it('ct-probe tty, reports no terminal on a pipe', () => {
    assert.equal(run(['tty'], { stdio: ['pipe', 'pipe', 'pipe'] }).stdout, 'tty=0\n');
  });

  it('ct-probe tty, reports the window size of a terminal', () => {
    // script(1) (util-linux) gives the probe a pty; stty sets its size first
    const r = spawnSync('script', ['-qec', `stty rows 33 cols 77 && ${probe} tty`, '/dev/null'], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.error, undefined);
    assert.match(r.stdout, /tty=1 rows=33 cols=77/);
  });

  it('ct-probe signals, prints ready, each caught signal, and exits on SIGTERM', async () => {
    const child = spawn(probe, ['signals']);
    let out = '';
    const closed = new Promise((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise((resolve) => child.stdout.on('data', (d) => { out += d; if (out.includes('ready\n')) resolve(undefined); }));
    child.kill('SIGUSR1');
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    assert.equal(await closed, 0);
    assert.equal(out, 'ready\nSIGUSR1\nSIGTERM\n');
  });

  it('ct-probe report, one JSON document of what the process sees', () => {
    const r = run(['report', '--sysctl', 'kernel.ostype', '--sysctl', 'no.such.sysctl', '--path', tmp, '--path', join(tmp, 'missing'), '--file', '/proc/self/comm'],
      { env: { A: '1' }, cwd: tmp });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.split('\n').length, 2, 'one line');
    const report = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(report), ['pid', 'ppid', 'uid', 'gid', 'groups', 'status', 'cwd', 'hostname', 'domainname', 'env',
      'oomScoreAdj', 'personality', 'nice', 'scheduler', 'ioprio', 'rlimits', 'namespaces', 'timensOffsets', 'cgroup', 'cgroupFiles',
      'mountinfo', 'devices', 'sysctls', 'paths', 'files', 'pid1Cmdline', 'processes', 'fds']);
    assert.equal(report.uid[1], process.geteuid?.());
    assert.equal(report.cwd, tmp);
    assert.deepEqual(report.env, ['A=1']);
    assert.equal(report.hostname, hostname());
    assert.match(report.status.CapEff, /^[0-9a-f]{16}$/);
    assert.equal(report.status.Umask, `0${process.umask().toString(8).padStart(3, '0')}`);
    assert.equal(report.personality, '0x0');
    assert.equal(report.rlimits.NOFILE.length, 2);
    assert.match(report.namespaces.pid, /^pid:\[\d+\]$/);
    assert.equal(report.mountinfo.length, readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').length);
    assert.ok(report.devices.some((/** @type {{path: string, type: string, rdev: string}} */ d) => d.path === '/dev/null' && d.type === 'c' && d.rdev === '1:3'));
    assert.deepEqual(report.sysctls, { 'kernel.ostype': 'Linux', 'no.such.sysctl': 'ENOENT' });
    assert.deepEqual(report.paths[tmp], { type: 'd', fsType: report.paths[tmp].fsType, flags: report.paths[tmp].flags, read: 'ok', write: 'EISDIR', entries: readdirSync(tmp).length });
    assert.equal(report.paths[join(tmp, 'missing')], 'ENOENT');
    assert.deepEqual(report.files, { '/proc/self/comm': 'ct-probe' });
    assert.ok(report.processes.some((/** @type {{pid: number, cmdline: string[]}} */ p) => p.pid === report.pid && p.cmdline[1] === 'report'));
  });

  it('ct-probe report, a masked file (bound to /dev/null) reads 0 bytes and a bad option is usage (2)', () => {
    const f = join(tmp, 'bytes');
    writeFileSync(f, '12345');
    const report = JSON.parse(run(['report', '--path', f, '--path', '/dev/null']).stdout);
    assert.equal(report.paths[f].bytes, 5);
    assert.equal(report.paths['/dev/null'].rdev, '1:3');
    assert.equal(run(['report', '--bogus']).status, 2);
    assert.equal(run(['report', '--path']).status, 2);
  });

  it('ct-probe report --wait, prints, then exits 0 on SIGTERM', async () => {
    const child = spawn(probe, ['report', '--wait']);
    let out = '';
    const closed = new Promise((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise((resolve) => child.stdout.on('data', (d) => { out += d; if (out.endsWith('\n')) resolve(undefined); }));
    assert.equal(JSON.parse(out).pid, child.pid);
    child.kill('SIGTERM');
    assert.equal(await closed, 0);
  });

  it('ct-probe hook-record, writes stdin, argv, env and cwd as JSON into FILE', () => {
    const f = join(tmp, 'hook.json');
    const r = spawnSync(probe, ['hook-record', f, 'extra arg'], { input: '{"id":"x","status":"created"}', env: { H: '1' }, cwd: tmp, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(JSON.parse(readFileSync(f, 'utf8')), { stdin: '{"id":"x","status":"created"}', argv: [probe, 'hook-record', f, 'extra arg'], env: ['H=1'], cwd: tmp });
    assert.deepEqual(run(['hook-record', join(tmp, 'no', 'f')], { input: '' }), { status: 1, stdout: 'ENOENT\n', stderr: '' });
  });

  it('ct-probe udp-echo, prints ready and sends each datagram back prefixed with echo:', async () => {
    const { createSocket } = await import('node:dgram');
    // a free port: bound by us, closed, then taken by the probe
    const free = createSocket('udp4');
    await new Promise((resolve) => free.bind(0, '127.0.0.1', () => resolve(undefined)));
    const port = free.address().port;
    await new Promise((resolve) => free.close(() => resolve(undefined)));
    const child = spawn(probe, ['udp-echo', String(port)]);
    try {
      let out = '';
      await new Promise((resolve) => child.stdout.on('data', (d) => { out += d; if (out.includes('ready\n')) resolve(undefined); }));
      const client = createSocket('udp4');
      const reply = await new Promise((resolve) => {
        client.on('message', (m) => resolve(String(m)));
        client.send('ping', port, '127.0.0.1');
      });
      client.close();
      assert.equal(reply, 'echo:ping');
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(run(['udp-echo', '0']).status, 2);
  });
});
