/**
 * Hostile bundles through the runtime's create/run, as root in the root pass and as the unprivileged user in the
 * other: fields runc refuses (or that ct refuses with a clear error where runc goes on) fail create naming the
 * config.json field and leave no state directory; symlinks in the rootfs under mount destinations, process.cwd and
 * maskedPaths resolve inside the rootfs and leave the host's files as they were. runc's result for each case was
 * taken on this machine (runc 1.1, session 6 report of the hostile helper) and is in each title.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireFeature } from '@ct/test-utils';
import { createContext, type RuntimeContext } from '../../src/context.js';
import { createContainer } from '../../src/container-create.js';
import { deleteContainer } from '../../src/container-delete.js';
import { runContainer } from '../../src/container-run.js';
import { ConfigError } from '../../src/errors.js';
import { containerPaths } from '../../src/state-store.js';
import { asRoot, busyboxPresent, cleanup, makeBundle, scratchDir, uniqueId, type Json } from './bundle.js';

describe('runtime, hostile bundles', function () {
  let root = '';
  let ctx: RuntimeContext;
  let host = '';
  const ids: string[] = [];
  before(function () {
    requireFeature(this, busyboxPresent, 'no /bin/busybox for the test rootfs');
    root = scratchDir('ct-rt-hostile-state-');
    ctx = createContext({ root });
    // a host directory the cases aim at: it must look the same afterwards
    host = scratchDir('ct-rt-hostile-host-');
    writeFileSync(join(host, 'victim'), 'host file\n');
  });
  after(async () => {
    for (const id of ids) await deleteContainer(ctx, id, { force: true }).catch(() => undefined);
    cleanup();
  });
  const id = (name: string): string => {
    const full = uniqueId(name);
    ids.push(full);
    return full;
  };
  const hostUntouched = (): void => {
    assert.deepEqual(readdirSync(host), ['victim']);
    assert.equal(readFileSync(join(host, 'victim'), 'utf8'), 'host file\n');
  };
  const linux = (c: Json): Json => c['linux'] as Json;
  const proc = (c: Json): Json => c['process'] as Json;
  const mounts = (c: Json): Json[] => c['mounts'] as Json[];

  const refusals: Array<[string, string, (c: Json) => void, ((bundle: string) => void)?]> = [
    ['root.path a symlink (runc: "invalid rootfs: ... a symlink")', 'root.path', () => undefined,
      (b) => { renameSync(join(b, 'rootfs'), join(b, 'real')); symlinkSync('real', join(b, 'rootfs')); }],
    ['process.cwd relative (runc: "Cwd must be an absolute path")', 'process.cwd', (c) => { proc(c)['cwd'] = 'tmp'; }],
    ['a bind mount onto /proc/sys/kernel/core_pattern (runc: "cannot be mounted because it is inside /proc")', 'mounts[@].destination',
      (c) => { mounts(c).push({ destination: '/proc/sys/kernel/core_pattern', type: 'bind', source: '/etc/hostname', options: ['bind'] }); }],
    ['a bind mount onto /proc/self/attr/current (runc refuses)', 'mounts[@].destination',
      (c) => { mounts(c).push({ destination: '/proc/self/attr/current', type: 'bind', source: '/etc/hostname', options: ['bind'] }); }],
    ['a bind mount onto /proc from a file that is not a procfs (runc refuses)', 'mounts[@].destination',
      (c) => { mounts(c).push({ destination: '/proc', type: 'bind', source: '/tmp', options: ['rbind'] }); }],
    ['10,000 mounts (runc mounts them; ct refuses past its launch plan)', 'mounts',
      (c) => { for (let i = 0; i < 10_000; i++) mounts(c).push({ destination: `/m${i}`, type: 'tmpfs', source: 'tmpfs' }); }],
    ['100,000 environment entries (runc runs them; ct refuses past its launch plan)', 'process.env',
      (c) => { (proc(c)['env'] as string[]).push(...Array.from({ length: 100_000 }, (_, i) => `V${i}=x`)); }],
    ['an environment entry of 200 KiB (execve: E2BIG)', 'process.env[',
      (c) => { (proc(c)['env'] as string[]).push(`BIG=${'x'.repeat(200 * 1024)}`); }],
    ['a relative hook path (runc: "fork/exec bin/true: no such file" at start)', 'hooks.prestart[0].path',
      (c) => { c['hooks'] = { prestart: [{ path: 'bin/true' }] }; }],
    ['a device path with .. (runc makes it in the rootfs)', 'linux.devices[0].path',
      (c) => { linux(c)['devices'] = [{ path: '/dev/../../../tmp/ct-hostile-dev', type: 'c', major: 1, minor: 3 }]; }],
    ['a sysctl name with ../ (runc: open /proc/sys/net/tmp/...: no such file)', 'linux.sysctl',
      (c) => { linux(c)['sysctl'] = { 'net/../../../../tmp/ct-hostile-sysctl': '1' }; }],
  ];
  for (const [title, field, edit, prep] of refusals) {
    it(`create, ${title}: refused naming ${field}, nothing left`, async function () {
      this.timeout(60_000);
      const bundle = makeBundle(['true'], edit);
      prep?.(bundle);
      const c = id('refused');
      await assert.rejects(createContainer(ctx, c, { bundle }), (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        const want = field.replace('[@]', `[${mounts(JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Json).length - 1}]`);
        assert.ok(e.jsonPath.startsWith(want), `${e.jsonPath} names ${want}`);
        assert.ok(e.message.length < 600, `a short message: ${e.message.slice(0, 100)}`);
        return true;
      });
      assert.equal(existsSync(containerPaths(root, c).dir), false, 'state directory left');
      hostUntouched();
    });
  }

  it('create, config.json a symlink to a file out of the bundle is read (as runc reads it)', async () => {
    const bundle = makeBundle(['true']);
    const outside = join(scratchDir('ct-rt-hostile-cfg-'), 'config.json');
    renameSync(join(bundle, 'config.json'), outside);
    symlinkSync(outside, join(bundle, 'config.json'));
    assert.equal(await runContainer(ctx, id('cfglink'), { bundle }), 0);
  });

  it('run, a mount destination through an absolute symlink in the rootfs lands inside the rootfs (runc: same)', async () => {
    const bundle = makeBundle(['sh', '-c', 'test -d /evil/x && echo inside > /evil/x/f && cat /evil/x/f'], (c) => {
      mounts(c).push({ destination: '/evil/x', type: 'tmpfs', source: 'tmpfs' });
    });
    // /evil -> HOST: the host's directory does not exist in the rootfs until made there
    mkdirSync(join(bundle, 'rootfs', host, 'x'), { recursive: true });
    symlinkSync(host, join(bundle, 'rootfs', 'evil'));
    assert.equal(await runContainer(ctx, id('mntlink'), { bundle }), 0);
    hostUntouched();
  });

  it('run, a mount destination through a relative symlink climbing out of the rootfs stays inside (runc: same)', async () => {
    const bundle = makeBundle(['true'], (c) => { mounts(c).push({ destination: '/evil/x', type: 'tmpfs', source: 'tmpfs' }); });
    mkdirSync(join(bundle, 'rootfs', host, 'x'), { recursive: true });
    symlinkSync(`../../../../../../../../..${host}`, join(bundle, 'rootfs', 'evil'));
    assert.equal(await runContainer(ctx, id('mntrel'), { bundle }), 0);
    hostUntouched();
  });

  it('run, a mount destination through a symlink to a directory missing in the rootfs fails naming the mount (runc makes it in the rootfs)', async () => {
    const bundle = makeBundle(['true'], (c) => { mounts(c).push({ destination: '/evil/x', type: 'tmpfs', source: 'tmpfs' }); });
    symlinkSync(join(host, 'missing'), join(bundle, 'rootfs', 'evil'));
    const c = id('mntmissing');
    await assert.rejects(runContainer(ctx, c, { bundle }), (e: unknown) => /mounts\[\d+\]/.test(String(e)));
    hostUntouched();
  });

  it('run, process.cwd a symlink climbing out of the rootfs is the rootfs\'s directory (runc: same)', async () => {
    const bundle = makeBundle(['sh', '-c', `pwd -P > /tmp/pwd`], (c) => {
      proc(c)['cwd'] = '/wd';
      (c['root'] as Json)['readonly'] = false;
    });
    symlinkSync('../../../../../../../../tmp', join(bundle, 'rootfs', 'wd'));
    assert.equal(await runContainer(ctx, id('cwdlink'), { bundle }), 0);
    assert.equal(readFileSync(join(bundle, 'rootfs', 'tmp', 'pwd'), 'utf8'), '/tmp\n');
  });

  it('run, maskedPaths and readonlyPaths that are symlinks to host paths mask inside the container only (runc: same)', async () => {
    const bundle = makeBundle(['sh', '-c', 'cat /evilmask/victim 2>/dev/null; echo > /evilro/new 2>/dev/null; true'], (c) => {
      linux(c)['maskedPaths'] = ['/evilmask'];
      linux(c)['readonlyPaths'] = ['/evilro'];
    });
    // the links' target exists in the rootfs too: the mask and the read-only bind land there
    mkdirSync(join(bundle, 'rootfs', host), { recursive: true });
    symlinkSync(host, join(bundle, 'rootfs', 'evilmask'));
    symlinkSync(host, join(bundle, 'rootfs', 'evilro'));
    assert.equal(await runContainer(ctx, id('masklink'), { bundle }), 0);
    hostUntouched();
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(host), 'no mount on the host directory');
  });

  it('run, a device outside /dev is made in the rootfs, not on the host (runc: same as root)', async () => {
    const name = `ct-hostile-dev-${process.pid}`;
    const bundle = makeBundle(['true'], (c) => { linux(c)['devices'] = [{ path: `/etc/${name}`, type: 'c', major: 1, minor: 3 }]; });
    if (asRoot) {
      assert.equal(await runContainer(ctx, id('devout'), { bundle }), 0);
      assert.ok(existsSync(join(bundle, 'rootfs', 'etc', name)));
    } else {
      // Unprivileged, devices are binds of the host's nodes onto files made under /dev only: one outside /dev fails
      // naming it (runc makes the file to bind onto). Not done: making the target outside /dev.
      await assert.rejects(runContainer(ctx, id('devout'), { bundle }), (e: unknown) => String(e).includes(`/etc/${name}`));
    }
    assert.ok(!existsSync(`/etc/${name}`));
  });
});
