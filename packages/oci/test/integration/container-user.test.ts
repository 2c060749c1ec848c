/**
 * `-u` for `container run` and `exec` (resolveImageUser in the stored layers, resolveUserInRoot in a root
 * directory) and `-v ...:U` (chownVolume), as root and unprivileged: names resolve in the image's own files (a
 * later layer's /etc/passwd wins, a whited-out /etc/group is gone, a symlink to the host's /etc/passwd is read
 * inside the root), and a U volume ends up owned by the host ids that are the container user's.
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot } from '@ct/test-utils';
import { chownVolume, createContainerRoot, importImage, removeContainerRoot, removeTree, resolveImageUser, resolveUserInRoot } from '../../src/index.js';
import { userNamespaceMappings } from '../../src/userns-run.js';
import { imagesLib, tempDir } from '../helpers/fixtures.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n';
const GROUP = 'root:x:0:\nuser:x:1000:\nusers:x:100:user\n';

describe('container user and U volumes @rootless', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => { tmp = tempDir('ct-user-'); });
  after(async () => { await removeTree(tmp.dir); });

  it('resolveImageUser, the topmost layer\'s /etc/passwd wins and a whiteout removes /etc/group', async () => {
    const lib = await imagesLib();
    const base = lib.createLayer([{ type: 'dir', path: 'etc' }, { type: 'file', path: 'etc/passwd', content: PASSWD }, { type: 'file', path: 'etc/group', content: GROUP }]);
    const top = lib.createLayer([{ type: 'file', path: 'etc/passwd', content: `${PASSWD}app:x:2000:3000:app:/srv/app:/bin/sh\n` }, { type: 'whiteout', path: 'etc/group' }]);
    const image = join(tmp.dir, 'img');
    lib.writeImage(image, { layers: [base, top], refName: 'latest', config: { Env: ['PATH=/bin', 'HOME=/data'] } });
    const storageRoot = join(tmp.dir, 'store');
    const { image: record } = await importImage(`${image}:latest`, { storageRoot, name: 'users' });
    const root = await createContainerRoot(record.digest, 'user-test', { storageRoot });
    try {
      assert.deepEqual(root.env, ['PATH=/bin', 'HOME=/data'], 'the image Env, for ContainerOptions.imageEnv');
      assert.deepEqual(resolveImageUser(root.lowerDirs, 'app'), { uid: 2000, gid: 3000, additionalGids: [3000], home: '/srv/app' });
      // /etc/group is whited out: user's supplementary group "users" is gone, a group name cannot resolve
      assert.deepEqual(resolveImageUser(root.lowerDirs, 'user'), { uid: 1000, gid: 1000, additionalGids: [1000], home: '/home/user' });
      assert.throws(() => resolveImageUser(root.lowerDirs, 'user:users'), { code: 'OCI_USER_INVALID' });
      assert.deepEqual(resolveImageUser(root.lowerDirs, '4242'), { uid: 4242, gid: 0, additionalGids: [0], home: '/' });
    } finally {
      await removeContainerRoot('user-test', { storageRoot });
    }
  });

  it('resolveUserInRoot, podman\'s resolution; a symlinked /etc/passwd resolves inside the root', () => {
    const rootfs = join(tmp.dir, 'rootfs');
    mkdirSync(join(rootfs, 'etc'), { recursive: true });
    mkdirSync(join(rootfs, 'data'));
    writeFileSync(join(rootfs, 'data', 'passwd'), PASSWD);
    symlinkSync('/data/passwd', join(rootfs, 'etc', 'passwd'));
    writeFileSync(join(rootfs, 'etc', 'group'), GROUP);
    assert.deepEqual(resolveUserInRoot(rootfs, 'user'), { uid: 1000, gid: 1000, additionalGids: [1000, 100], home: '/home/user' });
    assert.deepEqual(resolveUserInRoot(rootfs, '1000:100'), { uid: 1000, gid: 100, additionalGids: [100], home: '/home/user' });
    assert.deepEqual(resolveUserInRoot(rootfs, ''), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
    assert.throws(() => resolveUserInRoot(rootfs, 'nobody'), { code: 'OCI_USER_INVALID' });
  });

  it('chownVolume, a U volume is owned by the host ids of the container user', async () => {
    const vol = join(tmp.dir, 'vol');
    mkdirSync(join(vol, 'sub'), { recursive: true });
    writeFileSync(join(vol, 'sub', 'f'), 'x');
    symlinkSync('/etc/hostname', join(vol, 'link'));
    const before = lstatSync('/etc/hostname');
    await chownVolume(vol, 1000, 1000);
    let uid = 1000;
    let gid = 1000;
    if (!isRoot()) {
      // the container's id 1000 is this host id in the caller's map (caller as 0, subuids as 1..N)
      const maps = await userNamespaceMappings();
      const host = (m: typeof maps.uidMappings, id: number): number => { const e = m.find((x) => id >= x.containerID && id < x.containerID + x.size)!; return e.hostID + id - e.containerID; };
      uid = host(maps.uidMappings, 1000);
      gid = host(maps.gidMappings, 1000);
    }
    for (const p of ['', 'sub', 'sub/f', 'link']) {
      const st = lstatSync(join(vol, p));
      assert.deepEqual([st.uid, st.gid], [uid, gid], p);
    }
    assert.equal(lstatSync('/etc/hostname').uid, before.uid, 'the link\'s target is not touched');
  });
});
