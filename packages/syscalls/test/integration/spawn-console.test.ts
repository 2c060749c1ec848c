import { strict as assert } from 'node:assert';
import { closeSync, readSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { recvmsg, spawn } from '../../src/index.js';
import { scratch, sh } from './spawn-helpers.js';

/** The fd under a net.Socket (test-only peek at Node's handle). */
function fdOf(sock: Socket): number {
  return (sock as unknown as { _handle: { fd: number } })._handle.fd;
}

/** Reads a pty master until EIO (slave closed). */
function drain(master: number): string {
  const out: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  for (;;) {
    try {
      const n = readSync(master, buf, 0, buf.length, null);
      if (n === 0) break;
      out.push(Buffer.from(buf.subarray(0, n)));
    } catch (e) {
      if ((e as { code?: string }).code === 'EIO') break;
      throw e;
    }
  }
  return Buffer.concat(out).toString();
}

describe('spawn, console socket', () => {
  let server: Server;
  let cleanup: () => void;
  let path: string;
  let accepted: Promise<Socket>;
  beforeEach(async () => {
    const s = scratch('ct-console-');
    cleanup = s.cleanup;
    path = join(s.dir, 'console.sock');
    server = createServer({ pauseOnConnect: true });
    accepted = new Promise((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(path, resolve));
  });
  afterEach(() => {
    server.close();
    cleanup();
  });

  it('spawn, console step sends the pty master over the socket', async () => {
    const c = spawn({
      namespaces: 0,
      steps: [{ op: 'console', socketPath: path, rows: 33, cols: 101 }, sh('tty; stty size; echo done')],
    });
    assert.deepEqual(await c.nextEvent(), { kind: 'exec' });
    const conn = await accepted;
    const msg = recvmsg(fdOf(conn), 256, 2);
    conn.destroy();
    assert.match(msg.data.toString(), /^\/dev\/pts\/\d+$/);
    assert.equal(msg.fds.length, 1);
    const master = msg.fds[0]!;
    const status = await c.wait();
    const out = drain(master);
    closeSync(master);
    assert.equal(status.status, 0, out);
    const lines = out.split(/\r?\n/);
    assert.equal(lines[0], msg.data.toString(), 'the program runs on the pty named in the payload');
    assert.equal(lines[1], '33 101');
    assert.equal(lines[2], 'done');
  });

  it('spawn, console socket that refuses is reported before the clone', () => {
    assert.throws(() => spawn({ namespaces: 0, steps: [{ op: 'console', socketPath: `${path}.missing` }, sh('true')] }),
      (e: unknown) => (e as { code?: string; step?: number }).code === 'ENOENT' && (e as { step?: number }).step === 0);
  });
});
