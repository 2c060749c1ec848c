import { strict as assert } from 'node:assert';
import { closeSync, fstatSync, mkdtempSync, readFileSync, rmSync, writeSync, openSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireFeature } from '@ct/test-utils';
import {
  AT, O, RENAME, S, SyscallError, fchmod, fchmodat, fchownat, linkat, mkdirat, mknodat, openat, openat2, readlinkat,
  renameat2, statx, symlinkat, unlinkat, utimensat, RESOLVE, getuid, getgid,
} from '../../src/index.js';

function isErr(code: string, syscall?: string) {
  return (e: unknown): boolean =>
    e instanceof SyscallError && e.code === code && (syscall === undefined || e.syscall === syscall);
}

describe('fs-at wrappers', () => {
  let dir: string;
  let dfd: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ct-fsat-'));
    dfd = openSync(dir, O.RDONLY | O.DIRECTORY);
  });
  afterEach(() => {
    closeSync(dfd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('openat, creates a file Node fs can write through the fd', () => {
    const fd = openat(dfd, 'f', O.WRONLY | O.CREAT | O.CLOEXEC, 0o600);
    writeSync(fd, 'hi');
    assert.equal(fstatSync(fd).mode & 0o777, 0o600 & ~process.umask());
    closeSync(fd);
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'hi');
  });
  it('openat2, RESOLVE_BENEATH refuses ..', () => {
    assert.throws(() => openat2(dfd, '../', { flags: O.PATH, resolve: RESOLVE.BENEATH }), isErr('EXDEV', 'openat2'));
  });
  it('openat2, RESOLVE_NO_SYMLINKS refuses a symlink', () => {
    symlinkat('.', dfd, 'l');
    assert.throws(() => openat2(dfd, 'l', { flags: O.PATH, resolve: RESOLVE.NO_SYMLINKS }), isErr('ELOOP'));
  });
  it('openat, missing file gives ENOENT with the path', () => {
    assert.throws(() => openat(dfd, 'nope', O.RDONLY), (e: unknown) => isErr('ENOENT', 'openat')(e) &&
      (e as SyscallError).path === 'nope');
  });
  it('mkdirat and unlinkat AT_REMOVEDIR', () => {
    mkdirat(dfd, 'd', 0o755);
    assert.equal(statx(dfd, 'd').mode & S.IFMT, S.IFDIR);
    unlinkat(dfd, 'd', AT.REMOVEDIR);
    assert.throws(() => statx(dfd, 'd'), isErr('ENOENT', 'statx'));
  });
  it('mknodat, a FIFO', () => {
    mknodat(dfd, 'p', S.IFIFO | 0o644);
    assert.equal(statx(dfd, 'p').mode & S.IFMT, S.IFIFO);
  });
  it('symlinkat and readlinkat, byte-exact names', () => {
    const target = Buffer.from([0x2f, 0x78, 0xfe, 0xff]);
    const name = Buffer.from([0x6c, 0xe9]);
    symlinkat(target, dfd, name);
    assert.deepEqual(readlinkat(dfd, name), target);
  });
  it('linkat, hard link shares the inode', () => {
    closeSync(openat(dfd, 'a', O.CREAT | O.WRONLY, 0o644));
    linkat(dfd, 'a', dfd, 'b');
    assert.equal(statx(dfd, 'a').ino, statx(dfd, 'b').ino);
    assert.equal(statx(dfd, 'a').nlink, 2);
  });
  it('linkat, AT_EMPTY_PATH from an O_TMPFILE fd', function () {
    let fd: number;
    try {
      fd = openat(dfd, '.', O.TMPFILE | O.WRONLY, 0o600);
    } catch (e) {
      if (e instanceof SyscallError && e.code === 'ENOTSUP') requireFeature(this, false, 'user xattrs on the temp dir');
      throw e;
    }
    writeSync(fd, 'x');
    try {
      linkat(fd, '', dfd, 'named', AT.EMPTY_PATH);
      assert.equal(readFileSync(join(dir, 'named'), 'utf8'), 'x');
    } catch (e) {
      // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH before Linux 6.10; unprivileged callers get ENOENT there.
      if (!(e instanceof SyscallError && e.code === 'ENOENT' && getuid() !== 0)) throw e;
    } finally {
      closeSync(fd);
    }
  });
  it('renameat2, RENAME_NOREPLACE refuses an existing target', () => {
    closeSync(openat(dfd, 'a', O.CREAT | O.WRONLY, 0o644));
    closeSync(openat(dfd, 'b', O.CREAT | O.WRONLY, 0o644));
    assert.throws(() => renameat2(dfd, 'a', dfd, 'b', RENAME.NOREPLACE), isErr('EEXIST', 'renameat2'));
    renameat2(dfd, 'a', dfd, 'b', RENAME.EXCHANGE);
  });
  it('fchmodat and fchmod', () => {
    const fd = openat(dfd, 'f', O.CREAT | O.WRONLY, 0o600);
    fchmod(fd, 0o640);
    closeSync(fd);
    assert.equal(statx(dfd, 'f').mode & 0o7777, 0o640);
    fchmodat(dfd, 'f', 0o604);
    assert.equal(statx(dfd, 'f').mode & 0o7777, 0o604);
  });
  it('fchmodat, AT_SYMLINK_NOFOLLOW on a symlink is ENOTSUP (fchmodat2)', () => {
    symlinkat('f', dfd, 'l');
    assert.throws(() => fchmodat(dfd, 'l', 0o600, AT.SYMLINK_NOFOLLOW), isErr('ENOTSUP', 'fchmodat2'));
  });
  it('fchownat, own ids with AT_SYMLINK_NOFOLLOW on a symlink', () => {
    symlinkat('dangling', dfd, 'l');
    fchownat(dfd, 'l', getuid(), getgid(), AT.SYMLINK_NOFOLLOW);
    assert.equal(statx(dfd, 'l', AT.SYMLINK_NOFOLLOW).uid, getuid());
  });
  it('utimensat, nanosecond times on a symlink itself', () => {
    symlinkat('dangling', dfd, 'l');
    const t = 1_700_000_000_123_456_789n;
    utimensat(dfd, 'l', t, t + 1n, AT.SYMLINK_NOFOLLOW);
    const st = statx(dfd, 'l', AT.SYMLINK_NOFOLLOW);
    assert.equal(st.mtimeNs, t + 1n);
    assert.equal(st.atimeNs, t);
  });
  it('utimensat, a time before the epoch', () => {
    closeSync(openat(dfd, 'f', O.CREAT | O.WRONLY, 0o644));
    utimensat(dfd, 'f', 'omit', -1_500_000_000n);
    assert.equal(statx(dfd, 'f').mtimeNs, -1_500_000_000n);
  });
  it('statx, an fd with AT_EMPTY_PATH', () => {
    symlinkSync('x', join(dir, 's'));
    const fd = openat(dfd, 's', O.PATH | O.NOFOLLOW);
    assert.equal(statx(fd, '', AT.EMPTY_PATH).mode & S.IFMT, S.IFLNK);
    closeSync(fd);
  });
});
