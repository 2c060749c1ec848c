import { strict as assert } from 'node:assert';
import { CtError, SyscallError, errnoName } from '../../src/errors.js';
import { cPath } from '../../src/internal/c-path.js';

describe('errors', () => {
  it('SyscallError, carries SystemError fields and a stable code', () => {
    const e = new SyscallError('openat2', 2, { path: '/x' });
    assert.ok(e instanceof CtError);
    assert.equal(e.code, 'ENOENT');
    assert.equal(e.errno, 2);
    assert.equal(e.syscall, 'openat2');
    assert.equal(e.path, '/x');
  });
  it('SyscallError, names the child step', () => {
    const e = new SyscallError('mount', 1, { step: 3, stepOp: 'mount', path: '/proc' });
    assert.equal(e.step, 3);
    assert.equal(e.stepOp, 'mount');
    assert.equal(e.code, 'EPERM');
  });
  it('errnoName, unknown errno', () => {
    assert.equal(errnoName(9999), 'E9999');
  });
  it('errnoName, the kernel\'s names where libuv has none (ENOEXEC was E8), Node\'s where it has one', () => {
    assert.deepEqual([8, 42, 133, 95, 11].map(errnoName), ['ENOEXEC', 'ENOMSG', 'EHWPOISON', 'ENOTSUP', 'EAGAIN']);
    assert.equal(new SyscallError('execve', 8).code, 'ENOEXEC');
  });
  it('cPath, byte paths stay byte-exact and get a NUL', () => {
    const raw = Buffer.from([0x61, 0xff, 0x62]);
    assert.deepEqual(cPath(raw), Buffer.from([0x61, 0xff, 0x62, 0]));
  });
  it('cPath, embedded NUL refused', () => {
    assert.throws(() => cPath('a\0b'), (e: unknown) => e instanceof CtError && e.code === 'EINVAL');
  });
});
