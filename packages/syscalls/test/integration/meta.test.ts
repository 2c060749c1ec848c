import { strict as assert } from 'node:assert';
import { closeSync, constants as fsConstants, mkdtempSync, openSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { requireFeature } from '@ct/test-utils';
import { join } from 'node:path';
import {
  F, LOCK, O, SyscallError, XATTR, flistxattr, flock, fremovexattr, flockTry, fsetxattr, lgetxattr, llistxattr, lremovexattr,
  lsetxattr, ofdGetLock, ofdLock, ofdLockTry, statx,
} from '../../src/index.js';

describe('xattr, statx and locks', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ct-meta-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lsetxattr and lgetxattr, binary user.* value round-trips', function () {
    const f = join(dir, 'f');
    writeFileSync(f, '');
    const value = Buffer.from([0, 1, 2, 255]);
    try {
      lsetxattr(f, 'user.ct', value);
    } catch (e) {
      if (e instanceof SyscallError && e.code === 'ENOTSUP') requireFeature(this, false, 'user xattrs on the temp dir');
      throw e;
    }
    assert.deepEqual(lgetxattr(f, 'user.ct'), value);
    assert.throws(() => lsetxattr(f, 'user.ct', value, XATTR.CREATE), (e: unknown) => e instanceof SyscallError && e.code === 'EEXIST');
    assert.deepEqual(llistxattr(f).map(String), ['user.ct']);
    lremovexattr(f, 'user.ct');
    assert.throws(() => lgetxattr(f, 'user.ct'), (e: unknown) => e instanceof SyscallError && e.code === 'ENODATA');
  });
  it('fsetxattr and flistxattr, on an fd', function () {
    const fd = openSync(join(dir, 'g'), 'w');
    try {
      fsetxattr(fd, 'user.a', Buffer.from('1'));
      fsetxattr(fd, 'user.b', Buffer.alloc(0));
    } catch (e) {
      closeSync(fd);
      if (e instanceof SyscallError && e.code === 'ENOTSUP') requireFeature(this, false, 'user xattrs on the temp dir');
      throw e;
    }
    assert.deepEqual(flistxattr(fd).map(String).sort(), ['user.a', 'user.b']);
    fremovexattr(fd, 'user.a');
    assert.deepEqual(flistxattr(fd).map(String), ['user.b']);
    assert.throws(() => fremovexattr(fd, 'user.a'), (e: unknown) => e instanceof SyscallError && e.code === 'ENODATA');
    closeSync(fd);
  });
  it('lgetxattr, a symlink is not followed', () => {
    symlinkSync('/nonexistent', join(dir, 'l'));
    assert.throws(() => lgetxattr(join(dir, 'l'), 'user.x'), (e: unknown) => e instanceof SyscallError && e.code === 'ENODATA');
  });
  it('statx, sizes and times as bigint', () => {
    writeFileSync(join(dir, 'f'), 'hello');
    const st = statx(-100, join(dir, 'f'));
    assert.equal(st.size, 5n);
    assert.equal(typeof st.mtimeNs, 'bigint');
    assert.ok(st.mtimeNs > 1_600_000_000_000_000_000n);
    assert.ok(st.mntId > 0n);
  });
  it('flockTry, a second description is refused until unlock', async () => {
    const f = join(dir, 'lock');
    writeFileSync(f, '');
    const a = openSync(f, 'r');
    const b = openSync(f, 'r');
    assert.equal(flockTry(a, LOCK.EX), true);
    assert.equal(flockTry(b, LOCK.EX), false);
    const waiting = flock(b, LOCK.EX);
    let done = false;
    void waiting.then(() => { done = true; });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(done, false, 'the blocking flock must wait (on a worker, not the loop)');
    flockTry(a, LOCK.UN);
    await waiting;
    assert.equal(done, true);
    closeSync(a);
    closeSync(b);
  });
  it('ofdLock, OFD write locks conflict between descriptions and wait asynchronously', async () => {
    const f = join(dir, 'ofd');
    writeFileSync(f, 'xxxx');
    const a = openSync(f, 'r+');
    const b = openSync(f, 'r+');
    assert.equal(ofdLockTry(a, 'write', { start: 0, len: 2 }), true);
    assert.equal(ofdLockTry(b, 'write', { start: 0, len: 1 }), false);
    assert.equal(ofdLockTry(b, 'write', { start: 2, len: 2 }), true);
    assert.equal(ofdGetLock(b, 'write', { start: 0, len: 1 }), 'write');
    const waiting = ofdLock(b, 'read', { start: 0, len: 2 });
    setTimeout(() => ofdLockTry(a, 'unlock', { start: 0, len: 2 }), 30);
    await waiting;
    assert.equal(ofdGetLock(a, 'write', { start: 0, len: 2 }), 'read');
    assert.equal(F.OFD_SETLKW, 38);
    closeSync(a);
    closeSync(b);
  });
  it('openSync, O constants match Node', () => {
    assert.equal(O.NOFOLLOW, fsConstants.O_NOFOLLOW);
  });
});
