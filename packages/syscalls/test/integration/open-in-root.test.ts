import { strict as assert } from 'node:assert';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireFeature } from '@ct/test-utils';
import { O, SyscallError, openInRoot, openat2Supported } from '../../src/index.js';

/** Reads a whole fd as text. */
function readFd(fd: number): string {
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

for (const forceWalk of [false, true]) {
  const mode = forceWalk ? 'component walk' : 'openat2';
  describe(`openInRoot (${mode})`, () => {
    let host: string;
    let root: string;
    let rootFd: number;
    before(function () {
      if (!forceWalk) requireFeature(this, openat2Supported(), 'openat2');
    });
    beforeEach(() => {
      host = mkdtempSync(join(tmpdir(), 'ct-oir-'));
      root = join(host, 'root');
      mkdirSync(join(root, 'etc'), { recursive: true });
      mkdirSync(join(root, 'a/b'), { recursive: true });
      writeFileSync(join(host, 'secret'), 'host');
      writeFileSync(join(root, 'secret'), 'inside');
      writeFileSync(join(root, 'etc/passwd'), 'root-passwd');
      rootFd = openSync(root, O.RDONLY | O.DIRECTORY);
    });
    afterEach(() => {
      closeSync(rootFd);
      rmSync(host, { recursive: true, force: true });
    });
    const open = (p: string | Buffer, flags: number = O.RDONLY, m?: number): number =>
      openInRoot(rootFd, p, flags, { forceWalk, ...(m !== undefined ? { mode: m } : {}) });

    it(`openInRoot ${mode}, plain relative path`, () => {
      assert.equal(readFd(open('etc/passwd')), 'root-passwd');
    });
    it(`openInRoot ${mode}, .. clamped at the root`, () => {
      assert.equal(readFd(open('../../../secret')), 'inside');
      assert.equal(readFd(open('a/b/../../../../etc/passwd')), 'root-passwd');
    });
    it(`openInRoot ${mode}, absolute symlink resolved inside the root`, () => {
      symlinkSync('/secret', join(root, 'abs'));
      assert.equal(readFd(open('abs')), 'inside');
    });
    it(`openInRoot ${mode}, relative symlink climbing out is clamped`, () => {
      symlinkSync('../../../../../secret', join(root, 'a/b/up'));
      assert.equal(readFd(open('a/b/up')), 'inside');
    });
    it(`openInRoot ${mode}, symlinked directory in the middle`, () => {
      symlinkSync('/etc', join(root, 'a/e'));
      assert.equal(readFd(open('a/e/passwd')), 'root-passwd');
    });
    it(`openInRoot ${mode}, chain of symlinks to the host path stays inside`, () => {
      symlinkSync(host, join(root, 'hostdir'));
      symlinkSync('hostdir/secret', join(root, 'via'));
      assert.throws(() => open('via'), (e: unknown) => e instanceof SyscallError && e.code === 'ENOENT');
    });
    it(`openInRoot ${mode}, symlink loop gives ELOOP`, () => {
      symlinkSync('l2', join(root, 'l1'));
      symlinkSync('l1', join(root, 'l2'));
      assert.throws(() => open('l1'), (e: unknown) => e instanceof SyscallError && e.code === 'ELOOP');
    });
    it(`openInRoot ${mode}, O_CREAT through a dangling absolute symlink creates inside`, () => {
      symlinkSync('/etc/newfile', join(root, 'dangling'));
      closeSync(open('dangling', O.WRONLY | O.CREAT, 0o644));
      assert.equal(readlinkSync(join(root, 'dangling')), '/etc/newfile');
      assert.equal(readFileSync(join(root, 'etc/newfile'), 'utf8'), '');
    });
    it(`openInRoot ${mode}, O_NOFOLLOW on a final symlink gives ELOOP`, () => {
      symlinkSync('/secret', join(root, 'abs'));
      assert.throws(() => open('abs', O.RDONLY | O.NOFOLLOW), (e: unknown) => e instanceof SyscallError && e.code === 'ELOOP');
    });
    it(`openInRoot ${mode}, a file used as a directory gives ENOTDIR`, () => {
      assert.throws(() => open('secret/x'), (e: unknown) => e instanceof SyscallError && e.code === 'ENOTDIR');
    });
    it(`openInRoot ${mode}, the root itself for "/" and ".."`, () => {
      for (const p of ['/', '..', '.']) {
        const fd = open(p, O.RDONLY | O.DIRECTORY);
        assert.equal(fstatSync(fd).ino, fstatSync(rootFd).ino);
        closeSync(fd);
      }
    });
    it(`openInRoot ${mode}, byte-exact names`, () => {
      const name = Buffer.from([0x66, 0xff]);
      writeFileSync(Buffer.concat([Buffer.from(root + '/'), name]), 'bytes');
      assert.equal(readFd(open(name)), 'bytes');
    });
  });
}
