import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCaptured, scratch, sh } from './spawn-helpers.js';

const entry = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

describe('spawn, the creator exits before the exec', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = scratch('ct-spawn-creator-')));
  afterEach(() => cleanup());

  it('spawn, a child released from its FIFO after its creator exited still execs (no SIGPIPE)', async () => {
    const fifo = join(dir, 'fifo');
    const out = join(dir, 'out');
    // The creator: a separate Node process that spawns the child, which blocks on the FIFO, and exits at once.
    const script = `
      import { spawn, mknodat, S, AT } from ${JSON.stringify(entry)};
      mknodat(AT.FDCWD, ${JSON.stringify(fifo)}, S.IFIFO | 0o600);
      const c = spawn({ namespaces: 0, steps: [
        { op: 'waitFifo', path: ${JSON.stringify(fifo)} },
        { op: 'exec', path: '/bin/busybox', argv: ['sh', '-c', 'echo ran > ${out}'], env: [], search: false },
      ] });
      c.unref();
      process.exit(0);`;
    // stdio ignored: the blocked child holds the creator's stdio until its exec, as a created container does.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore', timeout: 20000 });
    assert.equal(r.status, 0, `creator exit: ${String(r.status)} ${String(r.error ?? '')}`);
    assert.ok(existsSync(fifo), 'the creator made the FIFO');
    // Release the child: open the FIFO for reading (non-blocking), and wait for its one byte or EOF.
    const fd = openSync(fifo, fsc.O_RDONLY | fsc.O_NONBLOCK);
    try {
      for (let i = 0; i < 200 && !existsSync(out); i++) await new Promise((res) => setTimeout(res, 25));
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(out, 'utf8'), 'ran\n');
  });

  it('spawn, a seccomp filter that denies sendto(2) still lets the exec be announced (write fallback)', async () => {
    // nr == sendto (44 on x86_64) → ERRNO(EPERM), else ALLOW.
    const ins = (code: number, jt: number, jf: number, k: number): Buffer => {
      const b = Buffer.alloc(8);
      b.writeUInt16LE(code, 0); b.writeUInt8(jt, 2); b.writeUInt8(jf, 3); b.writeUInt32LE(k >>> 0, 4);
      return b;
    };
    const bpf = Buffer.concat([
      ins(0x20, 0, 0, 0), ins(0x15, 0, 1, 44), ins(0x06, 0, 0, 0x00050000 | 1), ins(0x06, 0, 0, 0x7fff0000),
    ]);
    const { output, status } = await runCaptured({
      namespaces: 0,
      steps: [{ op: 'noNewPrivs' }, { op: 'seccomp', bpf, flags: 0 }, sh('echo ran')],
    });
    assert.equal(status.status, 0, output);
    assert.equal(output, 'ran\n');
  });
});
