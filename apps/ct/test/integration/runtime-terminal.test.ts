/**
 * process.terminal with --console-socket: ct sends the pty master over the socket by SCM_RIGHTS with the pty's
 * name as the payload (as runc), the container's output comes through the master, and process.consoleSize is the
 * pty's size (the probe's `tty` subcommand); `exec --tty` does the same for an exec'd process.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, chmodSync, existsSync, readSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeBinary, isRoot, requireFeature, tempDir } from '@ct/test-utils';
import { recvmsg } from '@ct/syscalls';
import { specTemplate } from '@ct/runtime';
import { ciUser, ctBin, makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;

/** A listening socket whose connections stay unread by libuv (so the SCM_RIGHTS message is ours to recvmsg). */
function listen(path: string): Promise<{ server: Server; next: () => Promise<Socket> }> {
  const queue: Socket[] = [];
  const waiters: ((s: Socket) => void)[] = [];
  const server = createServer({ pauseOnConnect: true }, (s) => {
    const w = waiters.shift();
    if (w !== undefined) w(s);
    else queue.push(s);
  });
  return new Promise((resolve) => server.listen(path, () => resolve({
    server,
    next: () => new Promise((r) => { const s = queue.shift(); if (s !== undefined) r(s); else waiters.push(r); }),
  })));
}

async function receiveMaster(sock: Socket): Promise<{ name: string; master: number }> {
  const fd = (sock as unknown as { _handle: { fd: number } })._handle.fd;
  for (let i = 0; i < 200; i++) {
    try {
      const m = recvmsg(fd);
      assert.equal(m.fds.length, 1, 'one fd by SCM_RIGHTS');
      return { name: m.data.toString('utf8'), master: m.fds[0]! };
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error('no message on the console socket');
}

/** Read the master until `pattern` shows up (or 5 s pass). */
async function readUntil(master: number, pattern: RegExp): Promise<string> {
  let out = '';
  const buf = Buffer.alloc(4096);
  for (let i = 0; i < 200 && !pattern.test(out); i++) {
    try {
      const n = readSync(master, buf);
      if (n === 0) break;
      out += buf.subarray(0, n).toString('utf8');
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EIO') break; // the slave side closed
      if (code !== 'EAGAIN') throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return out;
}

async function check(ct: Runtime, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const bundle = await makeBundleDir(join(tmpdir(), 'ct-tty'), owner);
  const dir = tempDir('ct-tty-sock-');
  chmodSync(dir, 0o755);
  const sockPath = join(dir, 'console.sock');
  const id = `tty-${process.pid}`;
  const { server, next } = await listen(sockPath);
  chmodSync(sockPath, 0o777); // the unprivileged runtime connects to it
  try {
    copyFileSync(probeBinary(), join(bundle, 'rootfs/bin/ct-probe'));
    chmodSync(join(bundle, 'rootfs/bin/ct-probe'), 0o755);
    const args = ['sh', '-c', 'ct-probe tty; echo hello-tty; sleep 30'];
    const ids = owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    writeConfig(bundle, args, specTemplate({ rootless: owner !== undefined || !isRoot(), uid: ids.uid, gid: ids.gid }) as Json);
    const c = readConfig(bundle);
    // writeConfig sets terminal false: the config is written here with it true
    const p = { ...(c['process'] as Json), terminal: true, consoleSize: { height: 33, width: 101 } };
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...c, process: p }));
    chmodSync(join(bundle, 'config.json'), 0o644);
    let r = ct.run(['create', '--console-socket', sockPath, '--bundle', bundle, id]);
    assert.equal(r.status, 0, r.stderr);
    const { name, master } = await receiveMaster(await next());
    assert.match(name, /^\/dev\/pts\/\d+$/, 'the payload is the pty name');
    assert.equal(ct.run(['start', id]).status, 0);
    const out = await readUntil(master, /hello-tty/);
    assert.match(out, /tty=1 rows=33 cols=101/, out);
    assert.match(out, /hello-tty/);
    closeSync(master);
    r = ct.run(['exec', '--tty', '--console-socket', sockPath, '-d', id, 'sh', '-c', 'ct-probe tty; echo exec-tty; sleep 5']);
    assert.equal(r.status, 0, r.stderr);
    const e = await receiveMaster(await next());
    const eout = await readUntil(e.master, /exec-tty/);
    assert.match(eout, /tty=1/);
    assert.match(eout, /exec-tty/);
    closeSync(e.master);
    r = ct.run(['create', '--bundle', bundle, `${id}-x`]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /console socket/);
  } finally {
    server.close();
    ct.cleanup([id, `${id}-x`]);
    removeBundle(bundle);
  }
}

/**
 * A foreground `run` with process.terminal and no --console-socket: ct holds the pty (runc's way). The test gives ct
 * a terminal of its own (script(1), 33x91): the container sees a tty of that size, reads a line typed on ct's
 * terminal, and its exit status is run's.
 */
async function checkForegroundRun(ct: Runtime, owner: { uid: number; gid: number } | undefined, user: { runtimeDir: string } | undefined): Promise<void> {
  const bundle = await makeBundleDir(join(tmpdir(), 'ct-tty'), owner);
  const id = `ttyrun-${process.pid}`;
  try {
    copyFileSync(probeBinary(), join(bundle, 'rootfs/bin/ct-probe'));
    chmodSync(join(bundle, 'rootfs/bin/ct-probe'), 0o755);
    const ids = owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const args = ['sh', '-c', 'ct-probe tty; read line; echo got=$line; exit 3'];
    writeConfig(bundle, args, specTemplate({ rootless: owner !== undefined || !isRoot(), uid: ids.uid, gid: ids.gid }) as Json);
    const c = readConfig(bundle);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...c, process: { ...(c['process'] as Json), terminal: true } }));
    chmodSync(join(bundle, 'config.json'), 0o644);
    const ctLine = [process.execPath, ctBin, '--root', ct.root, 'run', '--bundle', bundle, id].map((a) => `'${a}'`).join(' ');
    const env = ['env', 'TMPDIR=/tmp', 'HOME=/tmp', ...(user !== undefined ? [`XDG_RUNTIME_DIR=${user.runtimeDir}`] : [])];
    const cmd = [...(user !== undefined ? ['runuser', '-u', 'ctci', '--'] : []), ...env, 'script', '-qec', `stty cols 91 rows 33; ${ctLine}`, '/dev/null'];
    const r = spawnSync(cmd[0]!, cmd.slice(1), { input: 'typed-line\n', encoding: 'utf8', timeout: 60_000, cwd: '/' });
    assert.equal(r.status, 3, r.stderr + r.stdout);
    assert.match(r.stdout, /tty=1 rows=33 cols=91/, r.stdout);
    assert.match(r.stdout, /got=typed-line/, r.stdout);
    // without a terminal to hold (create returns at once), runc's refusal
    const x = ct.run(['create', '--bundle', bundle, `${id}-x`]);
    assert.equal(x.status, 1);
    assert.match(x.stderr, /cannot allocate tty if .* will detach without setting console socket/);
  } finally {
    ct.cleanup([id, `${id}-x`]);
    removeBundle(bundle);
  }
}

describe('ct terminal @root', () => {
  it('run in the foreground with process.terminal and no console socket: ct holds the pty', async function () {
    requireFeature(this, isRoot() && existsSync(probeBinary()), 'needs root and the probe (tools/images)');
    requireFeature(this, spawnSync('script', ['--version']).status === 0, 'script (util-linux) is not installed');
    await checkForegroundRun(new Runtime('ct', tempDir('ct-tty-')), undefined, undefined);
  });
  it('create with process.terminal, the master by SCM_RIGHTS; output and consoleSize through it; exec --tty', async function () {
    requireFeature(this, isRoot() && existsSync(probeBinary()), 'needs root and the probe (tools/images)');
    await check(new Runtime('ct', tempDir('ct-tty-')), undefined);
  });
});

describe('ct terminal unprivileged @rootless', () => {
  it('run in the foreground with process.terminal and no console socket: ct holds the pty', async function () {
    requireFeature(this, existsSync(probeBinary()), 'needs the probe (tools/images)');
    requireFeature(this, spawnSync('script', ['--version']).status === 0, 'script (util-linux) is not installed');
    const user = ciUser();
    if (isRoot()) {
      requireFeature(this, user !== undefined, 'needs the ctci user');
      await checkForegroundRun(new Runtime('ct', `/tmp/ct-ttyrun-ctci-${process.pid}`, user), user, user);
    } else {
      await checkForegroundRun(new Runtime('ct', tempDir('ct-tty-')), undefined, undefined);
    }
  });
  it('create with process.terminal, the master by SCM_RIGHTS; output and consoleSize through it; exec --tty', async function () {
    requireFeature(this, existsSync(probeBinary()), 'needs the probe (tools/images)');
    const user = ciUser();
    if (isRoot()) {
      requireFeature(this, user !== undefined, 'needs the ctci user');
      await check(new Runtime('ct', `/tmp/ct-tty-ctci-${process.pid}`, user), user);
    } else {
      await check(new Runtime('ct', tempDir('ct-tty-')), undefined);
    }
  });
});
