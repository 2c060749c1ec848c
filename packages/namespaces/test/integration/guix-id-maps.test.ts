/**
 * Guix's id maps (issue 19 items 1 and 2): host-uids 1 for an unprivileged user who has /etc/subuid ranges (as
 * Debian's useradd gives every user) is the caller's own ids alone, written directly (newgidmap would deny
 * setgroups and the child's setgroups failed with EPERM); the Guix-shaped wrappers write Guix's
 * `GUEST-UID HOST-UID HOST-UIDS` with host-uids 1 by default, so as root a guest 1000 over 65536 ids writes files
 * owned by host root. Mount locking is off where the test reads /proc/self/uid_map (the inner namespace's map is the
 * identity).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot } from '@ct/test-utils';
import { callWithContainer, runContainerGuix } from '../../src/index.js';
import { appletLinks, captured, guardContainers, runCaptured, sh, toolMounts, toolSpec } from './helpers.js';

const NS = ['user', 'ipc', 'uts', 'net', 'pid', 'mnt'] as const;
const uid = (): number => process.getuid?.() ?? 0;
const gid = (): number => process.getgid?.() ?? 0;

const fields = (line: string | undefined): string[] => (line ?? '').trim().split(/\s+/);

describe('Guix id maps', function () {
  before(function () { guardContainers(this); });

  it('runContainer, hostUids 1 (with /etc/subuid ranges when unprivileged): the own id alone, and setgroups works as planned', async () => {
    const r = await runCaptured(toolSpec(sh('cat /proc/self/uid_map; cat /proc/self/setgroups; id -u; id -g'),
      { hostUids: 1, guestUid: 1000, guestGid: 1000, lockMounts: false }));
    const [map, setgroups, u, g] = r.stdout.trim().split('\n');
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(fields(map), ['1000', String(process.geteuid?.()), '1']);
    assert.equal(setgroups, isRoot() ? 'allow' : 'deny');
    assert.deepEqual([u, g], ['1000', '1000']);
  });

  it('callWithContainer, Guix\'s map: the caller\'s ids seen as the guest ids, one id by default', async () => {
    const r = await captured((stdio) => callWithContainer(toolMounts(), sh('cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g'), {
      guestUid: 42, guestGid: 77, populate: appletLinks(), consoleTty: null, lockMounts: false, stdio,
    }));
    assert.equal(r.status, 0, r.stdout);
    const [umap, gmap, u, g] = r.stdout.trim().split('\n');
    assert.deepEqual(fields(umap), ['42', String(uid()), '1']);
    assert.deepEqual(fields(gmap), ['77', String(gid()), '1']);
    assert.deepEqual([u, g], ['42', '77']);
  });

  it('callWithContainer, host-uids 1 with locked mounts (Guix\'s defaults) runs', async () => {
    const r = await captured((stdio) => callWithContainer(toolMounts(), sh('id -u'), {
      guestUid: 1000, guestGid: 1000, populate: appletLinks(), consoleTty: null, stdio,
    }));
    assert.deepEqual(r, { status: 0, stdout: '1000\n' });
  });
});

describe('Guix id maps, root with host-uids 65536 @root', function () {
  before(function () { guardContainers(this); });

  it('runContainerGuix, guest 1000 over 65536 ids: "1000 0 65536", what the guest writes belongs to host root', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ct-guix-root-'));
    const out = mkdtempSync(join(tmpdir(), 'ct-guix-out-'));
    try {
      const mounts = [...toolMounts(), { type: 'bind' as const, source: out, target: '/out' }];
      const r = await captured(async (stdio) => {
        const c = await runContainerGuix(root, mounts, NS, 65536, sh('cat /proc/self/uid_map; id -u; echo x >/out/f'), {
          guestUid: 1000, guestGid: 1000, populate: appletLinks(), consoleTty: null, lockMounts: false, stdio,
        });
        return (await c.wait()).status;
      });
      assert.equal(r.status, 0, r.stdout);
      const [map, u] = r.stdout.trim().split('\n');
      assert.deepEqual(fields(map), ['1000', '0', '65536']);
      assert.equal(u, '1000');
      assert.equal(statSync(join(out, 'f')).uid, 0, 'the guest is host root');
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    }
  });
});
