/**
 * ct doctor's checks on this machine for real: the trials (user namespace, overlay with userxattr, time
 * namespace, mount_setattr, pidfd) must pass here, and the broken situations an unprivileged user can make are
 * made for real: a PATH without newuidmap, copies of newuidmap/newgidmap without their setuid bit (then a
 * container start through them fails and explainSetupError maps the error to the doctor's cause and fix), an
 * XDG_RUNTIME_DIR owned by root (open: warning; closed: failure, and the state dir's mkdir fails the same way).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import {
  explainSetupError, findProgram, runDoctor, type CheckId, type CheckResult, type DoctorOptions, type DoctorReport,
} from '../../src/index.js';
import { guardContainers, runCaptured, sh, toolSpec } from './helpers.js';
import { userSubordinateIds } from '../../src/doctor/check-ids.js';
import { resolveDoctorEnvironment } from '../../src/doctor/environment.js';

function find(report: DoctorReport, id: CheckId): CheckResult {
  const c = report.checks.find((x) => x.id === id);
  assert.ok(c !== undefined, id);
  return c;
}

describe('doctor, this machine', function () {
  before(function () { guardContainers(this); });

  it('runDoctor, no failure and the kernel trials pass', async () => {
    const report = await runDoctor();
    assert.deepEqual(report.checks.filter((c) => c.status === 'failure'), []);
    assert.equal(report.canRunContainers, true);
    for (const id of ['user-namespaces', 'overlay', 'time-namespace', 'clone3', 'pidfd', 'openat2', 'mount-setattr', 'seccomp'] as const) {
      assert.equal(find(report, id).status, 'ok', `${id}: ${find(report, id).message}`);
    }
  });
  it('runDoctor, the network check follows pasta/slirp4netns on PATH', async () => {
    const helper = findProgram('pasta') ?? findProgram('slirp4netns');
    assert.equal(find(await runDoctor(), 'network').status, helper === undefined ? 'warning' : 'ok');
  });
});

describe('doctor, an unprivileged user\'s broken set-up @rootless @nonroot', function () {
  let dir: string;
  before(function () {
    if (isRoot()) this.skip(); // these are an unprivileged user's situations; the @root CLI suite makes them via runuser
    guardContainers(this);
    const ranges = userSubordinateIds(resolveDoctorEnvironment());
    requireFeature(this, ranges.subuid.length > 0 && ranges.subgid.length > 0, 'an /etc/subuid and /etc/subgid range for this user');
  });
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ct-doctor-int-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runDoctor, a PATH without newuidmap: warning, single-id mode, install uidmap', async () => {
    const c = find(await runDoctor({ path: dir }), 'newidmap');
    assert.equal(c.status, 'warning');
    assert.equal(c.cause, 'newidmap-missing');
    assert.equal(c.fix, 'sudo apt-get install uidmap');
  });

  it('runContainer, newuidmap copies without the setuid bit: the doctor\'s failure and explainSetupError agree', async () => {
    const uidmap = join(dir, 'newuidmap');
    const gidmap = join(dir, 'newgidmap');
    copyFileSync(findProgram('newuidmap') ?? '/usr/bin/newuidmap', uidmap);
    copyFileSync(findProgram('newgidmap') ?? '/usr/bin/newgidmap', gidmap);
    const options: DoctorOptions = { path: `${dir}:${process.env.PATH ?? ''}` };
    const report = await runDoctor(options);
    const c = find(report, 'newidmap');
    assert.equal(c.status, 'failure');
    assert.equal(report.canRunContainers, false);
    assert.equal(c.fix, `sudo chown root:root ${uidmap} && sudo chmod u+s ${uidmap} && sudo chown root:root ${gidmap} && sudo chmod u+s ${gidmap}`);
    const error = await runCaptured(toolSpec(sh('true')), { newuidmap: uidmap, newgidmap: gidmap }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof Error, 'the container start must fail');
    assert.equal((error as { code?: string }).code, 'ID_MAP');
    assert.deepEqual(explainSetupError(error, options), { check: 'newidmap', cause: c.cause, message: c.message, fix: c.fix });
  });

  it('runDoctor, XDG_RUNTIME_DIR in root\'s open /tmp: warning, state in another user\'s dir', async () => {
    const c = find(await runDoctor({ xdgRuntimeDir: '/tmp' }), 'runtime-dir');
    assert.equal(c.status, 'warning');
    assert.equal(c.cause, 'runtime-dir-foreign');
  });

  it('runDoctor, XDG_RUNTIME_DIR in root\'s closed dir: failure, and the state dir\'s mkdir error maps to it', async () => {
    const closed = join(dir, 'closed');
    mkdirSync(closed, { mode: 0o500 });
    const foreign = '/root';
    const options: DoctorOptions = { xdgRuntimeDir: foreign };
    const report = await runDoctor(options);
    const c = find(report, 'runtime-dir');
    assert.equal(c.status, 'failure');
    assert.equal(c.cause, 'runtime-dir-foreign');
    assert.equal(report.canRunContainers, false);
    let error: unknown;
    try {
      mkdirSync(join(foreign, 'ct'), { recursive: true });
    } catch (e) {
      error = e;
    }
    assert.equal((error as { code?: string }).code, 'EACCES');
    assert.deepEqual(explainSetupError(error, options), { check: 'runtime-dir', cause: c.cause, message: c.message, fix: c.fix });
    const own = find(await runDoctor({ xdgRuntimeDir: closed }), 'runtime-dir');
    assert.equal(own.status, 'failure');
    assert.equal(own.cause, 'runtime-dir-unwritable');
    assert.equal(own.fix, `chmod u+rwx ${closed}`);
  });
});
