/**
 * The caller's tty bound on /dev/console (Guix binds ttyname(stdin)); the test makes its own pty with script(1). A
 * console socket (runc's --console-socket): the container's own pty, bound on /dev/console too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, readSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireFeature } from '@ct/test-utils';
import { recvmsg } from '@ct/syscalls';
import { runContainer } from '../../src/index.js';
import { guardContainers, sh, toolSpec } from './helpers.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('containers, console', function () {
  before(function () {
    guardContainers(this);
    requireFeature(this, existsSync('/usr/bin/script'), 'script(1) (util-linux) to allocate a pty');
  });

  it('callWithContainer, the caller tty is /dev/console', async () => {
    const fixture = join(pkg, 'test', 'fixtures', 'console.mts');
    const out = await new Promise<string>((resolve, reject) => {
      execFile('/usr/bin/script', ['-qec', `${process.execPath} --import tsx ${fixture}`, '/dev/null'],
        { cwd: pkg, timeout: 30000 }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
    });
    assert.match(out.replace(/\r/g, ''), /character special file \d+\n\/dev\/console\nstatus 0\n/);
  });
});

describe('containers, a console socket', function () {
  before(function () { guardContainers(this); });

  it('runContainer, console: the process\'s pty comes over the socket and is /dev/console', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-console-'));
    const socketPath = join(dir, 'console.sock');
    const server = createServer({ pauseOnConnect: true });
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const handle = await runContainer(toolSpec(sh('stat -c %t:%T /dev/console; stat -L -c %t:%T /proc/self/fd/0; tty'), {
        console: { socketPath, rows: 30, cols: 90 },
      }));
      const conn = await accepted;
      const msg = recvmsg((conn as unknown as { _handle: { fd: number } })._handle.fd, 256, 2);
      conn.destroy();
      const master = msg.fds[0];
      assert.ok(master !== undefined, 'a master fd came');
      const out: Buffer[] = [];
      const buf = Buffer.alloc(4096);
      for (;;) {
        let n = 0;
        try {
          n = readSync(master, buf, 0, buf.length, null);
        } catch (e) {
          if ((e as { code?: string }).code === 'EIO') break;
          throw e;
        }
        if (n === 0) break;
        out.push(Buffer.from(buf.subarray(0, n)));
      }
      closeSync(master);
      assert.equal((await handle.wait()).status, 0);
      const [consoleDev, stdinDev, tty] = Buffer.concat(out).toString().replace(/\r/g, '').trim().split('\n');
      assert.equal(consoleDev, stdinDev, '/dev/console is the pty the process has on fd 0');
      assert.equal(tty, msg.data.toString());
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runContainer, console: a socket that is not there is refused naming the console step and the path (was "clone: ENOENT")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-console-'));
    const socketPath = join(dir, 'no-such.sock');
    try {
      await assert.rejects(runContainer(toolSpec(sh('true'), { console: { socketPath } })), (err: Error & { step?: string }) => {
        assert.equal(err.name, 'NamespaceSetupError');
        assert.equal(err.step, 'console');
        assert.equal(err.message, `console: ${socketPath}: ENOENT`);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
