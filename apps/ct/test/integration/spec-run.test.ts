/**
 * `ct spec` (and `ct spec --rootless`) around the busybox rootfs, then `ct run`: the bundle ct writes runs with ct,
 * as root, unprivileged, and as euid 0 inside a user namespace someone else made. Also: the shapes of `ct spec`
 * match `runc spec`, and hostile bundles are refused with an error naming the field, or confined.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { ciUser, ctBin, makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;
const runcPresent = spawnSync('runc', ['--version']).status === 0;

function specOf(rt: Runtime, bundle: string, rootless: boolean): Json {
  rmSync(join(bundle, 'config.json'), { force: true });
  const r = rt.run(['spec', ...(rootless ? ['--rootless'] : []), '--bundle', bundle]);
  assert.equal(r.status, 0, r.stderr);
  return readConfig(bundle);
}

function shape(c: Json): Json {
  const linux = c['linux'] as Json;
  const mounts = c['mounts'] as Json[];
  return {
    namespaces: (linux['namespaces'] as Json[]).map((n) => n['type']),
    mounts: mounts.map((m) => `${String(m['destination'])} ${String(m['type'])} ${((m['options'] as string[] | undefined) ?? []).join(',')}`),
    uidMappings: linux['uidMappings'],
    readonlyPaths: linux['readonlyPaths'],
    process: { ...(c['process'] as Json) },
    root: c['root'],
  };
}

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    const user = rootless && isRoot() ? ciUser() : undefined;
    const base = rootless && isRoot() ? '/tmp/ct-spec-run' : join(tmpdir(), 'ct-spec-run');
    const stateBase = user !== undefined ? `${user.runtimeDir}/ct-spec-test-${process.pid}` : join(base, `state-${process.pid}`);
    const ct = new Runtime('ct', `${stateBase}-ct`, user);
    const runc = new Runtime('runc', `${stateBase}-runc`, user);
    let bundle = '';

    before(async function () {
      if (rootless && isRoot()) requireFeature(this, user !== undefined, 'the unprivileged user ctci does not exist');
      if (!rootless) requireFeature(this, isRoot(), 'needs root');
      bundle = await makeBundleDir(base, user);
    });
    after(() => {
      ct.cleanup([]);
      removeBundle(bundle);
    });

    it('ct spec, same shapes as runc spec', function () {
      requireFeature(this, runcPresent, 'runc is not installed');
      const mine = shape(specOf(ct, bundle, rootless));
      const theirs = shape(specOf(runc, bundle, rootless));
      assert.deepEqual(mine, theirs);
    });

    it('ct spec then ct run on the busybox rootfs', () => {
      const spec = specOf(ct, bundle, rootless);
      writeConfig(bundle, ['sh', '-c', 'echo ok; hostname; cat /proc/self/uid_map'], spec);
      const r = ct.run(['run', '--bundle', bundle, `specrun-${process.pid}`]);
      assert.equal(r.status, 0, r.stderr);
      const [ok, hostname, uidMap] = r.stdout.trim().split('\n');
      assert.equal(ok, 'ok');
      assert.equal(hostname, 'ct');
      const outside = (uidMap ?? '').trim().split(/\s+/)[1];
      assert.equal(outside, rootless ? String(user?.uid ?? process.geteuid?.()) : '0');
      assert.equal(ct.run(['state', `specrun-${process.pid}`]).status, 1, 'run without --keep removes the state');
    });

    it('ct run --keep leaves a stopped container to delete', () => {
      const spec = specOf(ct, bundle, rootless);
      writeConfig(bundle, ['true'], spec);
      const c = `keep-${process.pid}`;
      assert.equal(ct.run(['run', '--keep', '--bundle', bundle, c]).status, 0);
      assert.equal(ct.state(c)?.['status'], 'stopped');
      assert.equal(ct.run(['delete', c]).status, 0);
    });
  });
}

defineSuite('ct spec and ct run @root', false);
defineSuite('ct spec --rootless and ct run unprivileged @rootless', true);

describe('ct run as euid 0 in a user namespace made by someone else @rootless', function () {
  const user = isRoot() ? ciUser() : undefined;
  it('ct run, state root under XDG_RUNTIME_DIR and the container runs', async function () {
    requireFeature(this, !isRoot() || user !== undefined, 'the unprivileged user ctci does not exist');
    requireFeature(this, spawnSync('unshare', ['--version']).status === 0, 'unshare(1) is missing');
    const base = isRoot() ? '/tmp/ct-foreign-userns' : join(tmpdir(), 'ct-foreign-userns');
    const bundle = await makeBundleDir(base, user);
    const runtimeDir = user?.runtimeDir ?? process.env['XDG_RUNTIME_DIR'] ?? join(tmpdir(), 'xdg');
    const script = [
      `cd ${bundle}`, 'rm -f config.json', `${process.execPath} ${ctBin} spec --rootless`,
      `${process.execPath} -e "const f='config.json',c=JSON.parse(require('fs').readFileSync(f));c.process.terminal=false;` +
        `c.process.args=['sh','-c','id -u; cat /proc/self/uid_map'];require('fs').writeFileSync(f,JSON.stringify(c))"`,
      `${process.execPath} ${ctBin} run foreign-${process.pid}`,
      `ls -d ${runtimeDir}/ct`,
    ].join(' && ');
    const env = ['env', `XDG_RUNTIME_DIR=${runtimeDir}`, 'USER=ctci', 'HOME=/tmp', 'TMPDIR=/tmp', 'unshare', '--user', '--map-root-user', 'sh', '-c', script];
    const cmd = user !== undefined ? ['runuser', '-u', 'ctci', '--', ...env] : env;
    const r = spawnSync(cmd[0] ?? '', cmd.slice(1), { encoding: 'utf8', timeout: 60_000 });
    removeBundle(bundle);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '0');
    assert.match(lines[1] ?? '', /^\s*0\s+0\s+1$/);
    assert.equal(lines[2], `${runtimeDir}/ct`);
  });
});

describe('hostile bundles @root', function () {
  let bundle = '';
  const ct = new Runtime('ct', join(tmpdir(), `ct-hostile-${process.pid}`));
  before(async function () {
    requireFeature(this, isRoot(), 'needs root');
    bundle = await makeBundleDir(join(tmpdir(), 'ct-hostile'));
  });
  const extra: string[] = [];
  after(() => {
    ct.cleanup([]);
    for (const dir of [bundle, ...extra]) removeBundle(dir);
  });
  function runWith(edit: (c: Json) => void): { status: number | null; stderr: string } {
    const spec = specOf(ct, bundle, false);
    writeConfig(bundle, ['true'], spec);
    const c = readConfig(bundle);
    edit(c);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(c));
    return ct.run(['run', '--bundle', bundle, `hostile-${process.pid}`]);
  }

  it('ct run, a mount destination with .. is refused naming the field', () => {
    const r = runWith((c) => { (c['mounts'] as Json[]).push({ destination: '/tmp/../../../etc', type: 'tmpfs', source: 'tmpfs' }); });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /mounts\[7\]\.destination/);
  });
  it('ct run, a relative cwd is refused naming the field', () => {
    const r = runWith((c) => { (c['process'] as Json)['cwd'] = 'tmp'; });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /process\.cwd/);
  });
  it('ct run, a uid beyond the id space is refused naming the field', () => {
    const r = runWith((c) => { (c['process'] as Json)['user'] = { uid: 4294967296, gid: 0 }; });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /process\.user\.uid/);
  });
  it('ct create, a failure in the container setup leaves no state behind', () => {
    const spec = specOf(ct, bundle, false);
    (spec['mounts'] as Json[]).push({ destination: '/data', source: '/nonexistent/ct-test-source', options: ['rbind'] });
    writeConfig(bundle, ['true'], spec);
    const r = ct.run(['create', '--bundle', bundle, `setupfail-${process.pid}`]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no such file or directory/i);
    assert.equal(ct.run(['list', '-q']).stdout, '');
    // nor a cgroup (as root every container gets one, made before the plan that found the missing source)
    const own = /^\d+:pids:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
    const dir = join('/sys/fs/cgroup/pids', own, `ct-setupfail-${process.pid}`);
    assert.equal(existsSync(dir), false, `${dir} was left behind`);
  });
  it('ct run, a symlinked rootfs is refused', async () => {
    const other = await makeBundleDir(join(tmpdir(), 'ct-hostile'));
    extra.push(other);
    rmSync(join(other, 'rootfs'), { recursive: true });
    symlinkSync(join(bundle, 'rootfs'), join(other, 'rootfs'));
    writeFileSync(join(other, 'config.json'), readFileSync(join(bundle, 'config.json')));
    const r = ct.run(['run', '--bundle', other, `symroot-${process.pid}`]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /root\.path/);
  });
  for (const dir of ['proc', 'dev']) {
    it(`ct run, an image whose /${dir} is a symlink to the host's /etc cannot mount over the host /etc`, () => {
      const link = join(bundle, 'rootfs', dir);
      rmSync(link, { recursive: true, force: true });
      symlinkSync('/etc', link);
      try {
        runWith(() => {});
        const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]);
        assert.ok(!mounts.includes('/etc'), 'host /etc must not become a mount point');
        assert.ok(existsSync('/etc/passwd'));
        // what the /dev plan creates (mount points, device files) must land in the image, not in the host's /etc
        for (const made of ['pts', 'shm', 'null', 'ptmx', 'fd']) assert.ok(!existsSync(`/etc/${made}`), `host /etc/${made}`);
      } finally {
        rmSync(link, { force: true });
        mkdirSync(link);
      }
    });
  }
});
