import { strict as assert } from 'node:assert';
import { spawn as spawnNode } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import {
  MSG, SyscallError, getegid, geteuid, getgid, getuid, pidfdOpen, pidfdSendSignal, recvmsg, sendmsg, socketpair,
} from '../../src/index.js';

describe('sockets, pidfds and ids', () => {
  it('sendmsg and recvmsg, an fd crosses with SCM_RIGHTS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-sock-'));
    writeFileSync(join(dir, 'f'), 'payload');
    const [a, b] = socketpair();
    const fd = openSync(join(dir, 'f'), 'r');
    assert.equal(sendmsg(a, Buffer.from('tag'), [fd]), 3);
    const msg = recvmsg(b, 16, 4);
    assert.equal(msg.data.toString(), 'tag');
    assert.equal(msg.fds.length, 1);
    const got = msg.fds[0]!;
    assert.notEqual(got, fd);
    assert.equal(fstatSync(got).ino, fstatSync(fd).ino);
    const buf = Buffer.alloc(7);
    readSync(got, buf, 0, 7, 0);
    assert.equal(buf.toString(), 'payload');
    for (const x of [a, b, fd, got]) closeSync(x);
    rmSync(dir, { recursive: true });
  });
  it('recvmsg, MSG_DONTWAIT on an empty socket gives EAGAIN', () => {
    const [a, b] = socketpair();
    assert.throws(() => recvmsg(b, 16, 1, MSG.DONTWAIT), (e: unknown) => e instanceof SyscallError && e.code === 'EAGAIN');
    closeSync(a);
    closeSync(b);
  });
  it('pidfdSendSignal, kills a child through its pidfd', async () => {
    const child = spawnNode('sleep', ['30']);
    const pidfd = pidfdOpen(child.pid!);
    pidfdSendSignal(pidfd, 'SIGTERM');
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.equal(signal, 'SIGTERM');
    closeSync(pidfd);
  });
  it('pidfdOpen, a missing pid gives ESRCH', () => {
    assert.throws(() => pidfdOpen(0x3ffffff0), (e: unknown) => e instanceof SyscallError && e.code === 'ESRCH' && e.syscall === 'pidfd_open');
  });
  it('getuid, matches process ids', () => {
    assert.equal(getuid(), process.getuid!());
    assert.equal(geteuid(), process.geteuid!());
    assert.equal(getgid(), process.getgid!());
    assert.equal(getegid(), process.getegid!());
  });
});
