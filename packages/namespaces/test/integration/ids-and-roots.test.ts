/** Id-map variants, a rootfs directory as root, and the caller dying. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot } from '@ct/test-utils';
import { type IdMapEntry, readSubordinateIds, runContainer } from '../../src/index.js';
import { BUSYBOX, guardContainers, probe, runCaptured, sh, toolSpec } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('containers, id maps and roots', function () {
  before(function () { guardContainers(this); });

  it('runContainer, a single id when ranges are not wanted', async () => {
    const r = await runCaptured(toolSpec(sh('cat /proc/self/uid_map; id -u'),
      { useSubordinateIds: false, hostUids: 1, lockMounts: false }));
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    assert.deepEqual(lines[0]?.trim().split(/\s+/), ['0', String(process.geteuid?.()), '1']);
    assert.equal(lines[1], '0');
  });
  it('runContainer, a single id with locked mounts', async () => {
    const r = await runCaptured(toolSpec(sh('/bin/ct-probe id; /bin/ct-probe umount /bin/busybox; cat /proc/self/uid_map'),
      { useSubordinateIds: false, hostUids: 1, capabilities: 'all' }));
    const [id, umount, inner] = r.stdout.trim().split('\n');
    assert.match(id ?? '', /^uid=0 gid=0 /);
    assert.equal(umount, 'EINVAL');
    assert.deepEqual(inner?.trim().split(/\s+/), ['0', '0', '1']);
  });
  it('runContainer, a rootfs directory as the root', async () => {
    const rootfs = mkdtempSync(join(tmpdir(), 'ct-rootfs-'));
    try {
      mkdirSync(join(rootfs, 'bin'));
      copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
      mkdirSync(join(rootfs, 'etc'));
      const r = await runCaptured({
        root: { kind: 'rootfs', path: rootfs },
        command: { argv: ['/bin/busybox', 'sh', '-c', '/bin/busybox ls /; /bin/busybox mkdir /x 2>&1'] },
      });
      assert.equal(r.stdout.split('\n').slice(0, 5).join(' '), 'bin dev etc proc sys');
      assert.match(r.stdout, /Read-only file system/);
      assert.equal(existsSync(join(rootfs, 'etc', 'hosts')), false, 'no /etc/hosts written into a rootfs');
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  });
  it('callWithContainer, the container dies with its caller', async function () {
    this.timeout(30000);
    const caller = spawn(process.execPath, ['--import', 'tsx', join(here, '..', 'fixtures', 'parent-dies.mts')],
      { cwd: join(here, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      caller.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      caller.once('exit', (code) => reject(new Error(`caller exited ${code} before printing a pid`)));
    });
    assert.ok(existsSync(`/proc/${pid}`));
    caller.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((r) => { setTimeout(r, 50); });
    assert.equal(existsSync(`/proc/${pid}`), false, `container ${pid} outlived its caller`);
  });
});

describe('containers, root id range @root', function () {
  before(function () {
    guardContainers(this);
    assert.ok(isRoot(), 'a @root suite run unprivileged (the unprivileged pass leaves @root out)');
  });

  it('runContainer, 65536 ids from a host base, container root owns the tmpfs root', async () => {
    const r = await runCaptured(toolSpec(sh('cat /proc/self/uid_map; /bin/ct-probe id; stat -c %u /'),
      { hostIdBase: 200000, lockMounts: false }));
    const [map, id, owner] = r.stdout.trim().split('\n');
    assert.deepEqual(map?.trim().split(/\s+/), ['0', '200000', '65536']);
    assert.match(id ?? '', /^uid=0 gid=0 /);
    assert.equal(owner, '0');
  });
  it('runContainer, a net namespace joined by path', async () => {
    const first = await runContainer(toolSpec(sh('sleep 100')));
    try {
      const r = await runCaptured(toolSpec(sh('readlink /proc/self/ns/net'),
        { namespaces: ['mnt', 'pid', 'uts', { kind: 'net', path: `/proc/${first.pid}/ns/net` }] }));
      assert.equal(r.stdout, `${readlinkSync(`/proc/${first.pid}/ns/net`)}\n`);
    } finally {
      first.kill('SIGKILL');
      await first.wait();
    }
  });
  it('runContainer, locked mounts with a 65536-id range (Guix fails here: guix#4788)', async () => {
    const r = await runCaptured(toolSpec(probe('umount', '/bin/busybox'), { hostIdBase: 200000, capabilities: 'all' }));
    assert.deepEqual(r, { status: 1, stdout: 'EINVAL\n' });
  });
});

describe('containers nested in a user namespace of two extents (issue 19 item 4)', function () {
  before(function () { guardContainers(this); });

  it('runContainer inside a container mapped as rootless engines map (own id, then a subordinate range): ct\'s maps fit its extents', async function () {
    this.timeout(60000);
    const euid = process.geteuid?.() ?? 0;
    const egid = process.getegid?.() ?? 0;
    // the second extent: the caller's /etc/subuid range (as root, any range: root may map any ids)
    const sub = (file: string, id: number): { start: number; count: number } =>
      (isRoot() ? undefined : readSubordinateIds(file, userInfo().username, id)[0]) ?? { start: 100000, count: 65536 };
    const [su, sg] = [sub('/etc/subuid', euid), sub('/etc/subgid', egid)];
    const map = (own: number, r: { start: number; count: number }): IdMapEntry[] =>
      [{ inside: 0, outside: own, count: 1 }, { inside: 1, outside: r.start, count: Math.min(r.count, 65536) }];
    const pkg = join(here, '..', '..');
    const r = await runCaptured({
      namespaces: ['user'], uidMap: map(euid, su), gidMap: map(egid, sg), capabilities: 'all',
      command: { argv: [process.execPath, '--import', 'tsx', join(here, '..', 'fixtures', 'nested.mts')], cwd: pkg, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    });
    assert.equal(r.status, 0, r.stdout);
    const [first, second, id] = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    assert.deepEqual([first, second, id], ['0 0 1', '1 1 65535', '0']);
  });
});
