import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot } from '@ct/test-utils';
import { MNT, MS, SyscallError, mount, umount2 } from '../../src/index.js';

describe('mount @root', () => {
  before(function () {
    if (!isRoot()) this.skip();
  });
  it('mount, tmpfs then umount2 MNT_DETACH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-mnt-'));
    mount('tmpfs', dir, 'tmpfs', MS.NOSUID | MS.NODEV, 'size=1m,mode=0700');
    try {
      writeFileSync(join(dir, 'x'), 'on tmpfs');
      assert.match(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(` ${dir} .* - tmpfs `));
    } finally {
      umount2(dir, MNT.DETACH);
    }
    assert.equal(existsSync(join(dir, 'x')), false);
    rmSync(dir, { recursive: true });
  });
});

describe('mount, unprivileged', () => {
  it('umount2, a path that is not a mount point gives EINVAL or EPERM', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-mnt-'));
    assert.throws(() => umount2(dir), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'umount2' && (e.code === 'EINVAL' || e.code === 'EPERM'));
    rmSync(dir, { recursive: true });
  });
});
