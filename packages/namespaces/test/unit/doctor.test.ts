/**
 * ct doctor's checks against an injected /proc, /sys and /etc root, a PATH of fake programs and canned trials:
 * the situations this machine cannot make for real (AppArmor's sysctl, max_user_namespaces = 0, cgroup v2
 * delegation, a file capability on newuidmap), each checked for its verdict, cause and exact fix, and for
 * explainSetupError mapping the matching failure to the same cause and fix.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SyscallError } from '@ct/syscalls';
import { CgroupError, ContainerSpecError, IdMapError, NamespaceSetupError } from '../../src/errors.js';
import { loginEnvironment, type DoctorOptions } from '../../src/doctor/environment.js';
import { explainSetupError } from '../../src/doctor/explain.js';
import { capabilityGrants } from '../../src/doctor/check-ids.js';
import { formatDoctorReport, runDoctor } from '../../src/doctor/run-doctor.js';
import { CHECK_IDS, type CheckId, type CheckResult, type DoctorTrials, type TrialOutcome } from '../../src/doctor/types.js';

const OK: TrialOutcome = { ok: true };
const myUid = process.geteuid?.() ?? 0;
/** The uid the fake host is checked for: ours when unprivileged; as root an arbitrary one the files are chowned to. */
const uid = myUid === 0 ? 4242 : myUid;
const gid = 4242;

/** A v3 security.capability value: effective flag, permitted set `bits`. */
function capValue(bits: number[], effective = true): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0x03000000 | (effective ? 1 : 0), 0);
  b.writeUInt32LE(bits.reduce((m, bit) => m | (1 << bit), 0) >>> 0, 4);
  return b;
}

describe('doctor (injected /proc, /sys, /etc)', () => {
  let root: string;
  let caps: Map<string, Buffer>;
  let trials: Partial<DoctorTrials>;
  const proc = (): string => join(root, 'proc');
  const put = (file: string, text: string, mode = 0o644): string => {
    const path = join(root, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };
  const own = (path: string): void => { if (myUid === 0) chownSync(path, uid, gid); };
  const options = (extra: Partial<DoctorOptions> = {}): DoctorOptions => ({
    procRoot: proc(), sysRoot: join(root, 'sys'), etcRoot: join(root, 'etc'), path: join(root, 'bin'),
    uid, gid, xdgRuntimeDir: join(root, 'run-user'), tmpDir: join(root, 'tmp'), runRoot: join(root, 'run'),
    trials: {
      userNamespace: async () => OK, overlay: async () => OK, timeNamespace: async () => OK,
      mountSetattr: async () => OK, idmappedMount: async () => OK, pidfd: () => OK, openat2: () => OK,
      fileCapability: (file) => caps.get(file), ...trials,
    },
    ...extra,
  });
  const check = async (id: CheckId, extra: Partial<DoctorOptions> = {}): Promise<CheckResult> => {
    const found = (await runDoctor(options(extra))).checks.find((c) => c.id === id);
    assert.ok(found !== undefined, id);
    return found;
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ct-doctor-unit-'));
    chmodSync(root, 0o755);
    caps = new Map();
    trials = {};
    put('proc/self/ns/user', '');
    put('proc/sys/user/max_user_namespaces', '63000\n');
    put('proc/sys/kernel/osrelease', '6.18.0\n');
    put('proc/self/status', 'Name:\tnode\nSeccomp:\t0\n');
    put('proc/self/cgroup', '0::/user.slice/user-1000.slice/session-1.scope\n');
    put('proc/1/comm', 'init\n');
    put('etc/passwd', `root:x:0:0::/root:/bin/sh\nalice:x:${uid}:${gid}::/home/alice:/bin/sh\n`);
    put('etc/subuid', `alice:100000:65536\nbob:165536:65536\n`);
    put('etc/subgid', `alice:100000:65536\nbob:165536:65536\n`);
    for (const name of ['newuidmap', 'newgidmap', 'pasta']) put(`bin/${name}`, '#!/bin/sh\n', 0o755);
    caps.set(join(root, 'bin/newuidmap'), capValue([7]));
    caps.set(join(root, 'bin/newgidmap'), capValue([6]));
    const cg = join(root, 'sys/fs/cgroup/user.slice/user-1000.slice/session-1.scope');
    put('sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory pids\n');
    put('sys/fs/cgroup/user.slice/user-1000.slice/session-1.scope/cgroup.controllers', 'cpu memory pids\n');
    own(put('sys/fs/cgroup/user.slice/user-1000.slice/session-1.scope/cgroup.procs', '1234\n'));
    own(cg);
    mkdirSync(join(root, 'run-user'), { mode: 0o700 });
    own(join(root, 'run-user'));
    mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
    chmodSync(join(root, 'tmp'), 0o1777);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('runDoctor, a well set-up host: every check ok, in CHECK_IDS order', async () => {
    const report = await runDoctor(options());
    assert.deepEqual(report.checks.map((c) => c.id), [...CHECK_IDS]);
    assert.deepEqual(report.checks.filter((c) => c.status !== 'ok'), []);
    assert.equal(report.canRunContainers, true);
    assert.deepEqual(report.user, { name: 'alice', uid, gid });
  });

  it('user-namespaces, no /proc/self/ns/user', async () => {
    rmSync(join(proc(), 'self/ns/user'));
    const c = await check('user-namespaces');
    assert.equal(c.status, 'failure');
    assert.equal(c.cause, 'userns-missing');
  });
  it('user-namespaces, max_user_namespaces 0 fails with the sysctl fix and stops containers', async () => {
    put('proc/sys/user/max_user_namespaces', '0\n');
    const report = await runDoctor(options());
    const c = report.checks[0];
    assert.equal(c?.status, 'failure');
    assert.equal(c?.cause, 'userns-max-zero');
    assert.match(c?.fix ?? '', /^sudo sysctl -w user\.max_user_namespaces=\d+ /);
    assert.equal(report.canRunContainers, false);
    assert.match(formatDoctorReport(report), /^failure user-namespaces: .*max_user_namespaces: 0$/m);
    assert.match(formatDoctorReport(report), /cannot run \(1 failure\)/);
  });
  it('user-namespaces, Ubuntu\'s apparmor_restrict_unprivileged_userns 1', async () => {
    put('proc/sys/kernel/apparmor_restrict_unprivileged_userns', '1\n');
    const c = await check('user-namespaces');
    assert.equal(c.cause, 'userns-apparmor');
    assert.match(c.fix ?? '', /^sudo sysctl -w kernel\.apparmor_restrict_unprivileged_userns=0 /);
  });
  it('user-namespaces, Debian\'s unprivileged_userns_clone 0', async () => {
    put('proc/sys/kernel/unprivileged_userns_clone', '0\n');
    const c = await check('user-namespaces');
    assert.equal(c.cause, 'userns-clone-disabled');
    assert.match(c.fix ?? '', /kernel\.unprivileged_userns_clone=1/);
  });
  it('user-namespaces, the settings allow it but the trial clone gets EPERM', async () => {
    trials = { userNamespace: async () => ({ ok: false, code: 'EPERM', syscall: 'clone3' }) };
    const c = await check('user-namespaces');
    assert.equal(c.status, 'failure');
    assert.equal(c.cause, 'userns-refused');
    assert.match(c.message, /clone3 CLONE_NEWUSER: EPERM/);
  });

  it('subordinate-ids, no entry: warning with a usermod range after the last one used', async () => {
    put('etc/subuid', 'bob:165536:65536\n');
    put('etc/subgid', 'bob:165536:65536\n');
    const report = await runDoctor(options());
    const c = report.checks.find((x) => x.id === 'subordinate-ids');
    assert.equal(c?.status, 'warning');
    assert.equal(c?.fix, 'sudo usermod --add-subuids 231072-296607 --add-subgids 231072-296607 alice');
    assert.equal(report.canRunContainers, true);
  });
  it('subordinate-ids, an entry by uid counts', async () => {
    put('etc/subuid', `${uid}:300000:1000\n`);
    put('etc/subgid', `${uid}:300000:1000\n`);
    assert.equal((await check('subordinate-ids')).status, 'ok');
  });

  it('subordinate-ids, two of the user\'s own ranges that overlap: failure naming both lines, fix deletes the later', async () => {
    // Debian's useradd range beside the same range added by hand: newuidmap's write to uid_map gets EINVAL
    put('etc/subuid', 'alice:100000:65536\nbob:165536:65536\nalice:100000:65536\n');
    put('etc/subgid', 'alice:100000:65536\n');
    const c = await check('subordinate-ids');
    assert.equal(c.status, 'failure');
    assert.equal(c.cause, 'subids-overlap');
    const file = join(root, 'etc/subuid');
    assert.match(c.message, new RegExp(`${file}:3 \\(alice:100000:65536\\) overlaps ${file}:1 \\(alice:100000:65536\\)`));
    assert.match(c.message, /EINVAL/);
    assert.equal(c.fix, `sudo sed -i '3d' ${file}`);
  });
  it('subordinate-ids, a range holding the user\'s own gid: failure (the map would overlap)', async () => {
    put('etc/subuid', 'alice:100000:65536\n');
    put('etc/subgid', `alice:${gid}:10\nalice:200000:65536\n`);
    const c = await check('subordinate-ids');
    assert.equal(c.status, 'failure');
    assert.match(c.message, new RegExp(`subgid:1 \\(alice:${gid}:10\\) holds alice's own gid ${gid}`));
    assert.equal(c.fix, `sudo sed -i '1d' ${join(root, 'etc/subgid')}`);
  });
  it('subordinate-ids, a range shared with another user: warning naming both lines, a fresh range in the fix', async () => {
    put('etc/subuid', 'bob:100000:65536\nalice:150000:65536\n');
    put('etc/subgid', 'alice:300000:65536\n');
    const c = await check('subordinate-ids');
    assert.equal(c.status, 'warning');
    assert.equal(c.cause, 'subids-overlap');
    assert.match(c.message, /subuid:2 \(alice:150000:65536\) overlaps .*subuid:1 \(bob:100000:65536\)/);
    assert.match(c.fix ?? '', /--add-subuids 365536-431071 --add-subgids 365536-431071 alice/);
  });
  it('subordinate-ids, ranges that only touch do not overlap', async () => {
    put('etc/subuid', 'bob:100000:65536\nalice:165536:65536\nalice:231072:10\n');
    put('etc/subgid', 'alice:165536:65536\n');
    assert.equal((await check('subordinate-ids')).status, 'ok');
  });

  it('newidmap, not on PATH: warning with the install command of the distribution', async () => {
    rmSync(join(root, 'bin/newuidmap'));
    put('etc/os-release', 'ID=fedora\n');
    const c = await check('newidmap');
    assert.equal(c.status, 'warning');
    assert.equal(c.cause, 'newidmap-missing');
    assert.equal(c.fix, 'sudo dnf install shadow-utils');
  });
  it('newidmap, no setuid bit and no file capability with ranges: failure', async () => {
    caps.delete(join(root, 'bin/newgidmap'));
    const c = await check('newidmap');
    assert.equal(c.status, 'failure');
    assert.equal(c.cause, 'newidmap-not-privileged');
    const file = join(root, 'bin/newgidmap');
    assert.equal(c.fix, `sudo chown root:root ${file} && sudo chmod u+s ${file}`);
  });
  it('newidmap, a file capability without the effective flag does not count', async () => {
    caps.set(join(root, 'bin/newuidmap'), capValue([7], false));
    assert.equal((await check('newidmap')).status, 'failure');
  });
  it('capabilityGrants, the bit asked for only', () => {
    assert.equal(capabilityGrants(capValue([7]), 7), true);
    assert.equal(capabilityGrants(capValue([7]), 6), false);
    assert.equal(capabilityGrants(Buffer.alloc(4), 7), false);
  });

  it('cgroups, v2 with the user\'s own cgroup delegated', async () => {
    const c = await check('cgroups');
    assert.equal(c.status, 'ok', c.message);
  });
  it('cgroups, v2 not delegated (the cgroup is another user\'s), systemd fix', async () => {
    put('proc/1/comm', 'systemd\n');
    const c = await check('cgroups', { uid: uid + 1 });
    assert.equal(c.status, 'warning');
    assert.equal(c.cause, 'cgroup-not-delegated');
    assert.match(c.fix ?? '', /Delegate=pids memory cpu/);
  });
  it('cgroups, v2 delegated without the memory controller', async () => {
    put('sys/fs/cgroup/user.slice/user-1000.slice/session-1.scope/cgroup.controllers', 'cpu pids\n');
    const c = await check('cgroups');
    assert.equal(c.cause, 'cgroup-not-delegated');
    assert.match(c.message, /missing memory/);
  });
  it('cgroups, hybrid layout: no limits for a user', async () => {
    rmSync(join(root, 'sys/fs/cgroup/cgroup.controllers'));
    put('sys/fs/cgroup/unified/cgroup.controllers', '');
    const c = await check('cgroups');
    assert.equal(c.cause, 'cgroup-v1');
    assert.match(c.message, /^cgroup hybrid/);
  });

  it('runtime-dir, XDG_RUNTIME_DIR owned by another user and closed: failure', async () => {
    const c = await check('runtime-dir', { uid: uid + 1 });
    assert.equal(c.status, 'failure');
    assert.equal(c.cause, 'runtime-dir-foreign');
  });
  it('runtime-dir, XDG_RUNTIME_DIR unset: warning naming the fallback', async () => {
    const c = await check('runtime-dir', { xdgRuntimeDir: null });
    assert.equal(c.status, 'warning');
    assert.equal(c.cause, 'runtime-dir-unset');
    assert.match(c.message, new RegExp(`/ct-${uid}`));
  });

  it('runtime-dir, XDG_RUNTIME_DIR unset with the user\'s /run/user/UID: warning, the export fixes it', async () => {
    mkdirSync(join(root, 'run/user', String(uid)), { recursive: true });
    own(join(root, 'run/user', String(uid)));
    const c = await check('runtime-dir', { xdgRuntimeDir: null });
    assert.equal(c.status, 'warning');
    assert.equal(c.fix, `export XDG_RUNTIME_DIR=${join(root, 'run/user', String(uid))}`);
  });

  it('network, neither pasta nor slirp4netns', async () => {
    rmSync(join(root, 'bin/pasta'));
    const c = await check('network');
    assert.equal(c.status, 'warning');
    assert.equal(c.fix, 'sudo apt-get install passt');
  });
  it('overlay, refused in a user namespace: warning, copies', async () => {
    trials = { overlay: async () => ({ ok: false, code: 'EINVAL', syscall: 'mount' }) };
    const c = await check('overlay');
    assert.equal(c.status, 'warning');
    assert.match(c.message, /mount: EINVAL/);
  });
  it('kernel features, no pidfd fails; no time namespace, openat2 or seccomp only warn', async () => {
    const no: TrialOutcome = { ok: false, code: 'ENOSYS', syscall: undefined };
    trials = { pidfd: () => no, openat2: () => no, timeNamespace: async () => no };
    put('proc/self/status', 'Name:\tnode\n');
    const report = await runDoctor(options());
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    assert.equal(status.pidfd, 'failure');
    assert.equal(status.openat2, 'warning');
    assert.equal(status['time-namespace'], 'warning');
    assert.equal(status.seccomp, 'warning');
    assert.equal(status.clone3, 'ok'); // Linux 6.18 has clone3 even when the time namespace trial fails
    assert.equal(report.canRunContainers, false);
  });

  it('loginEnvironment, the user\'s HOME and USER over a base without the caller\'s TMPDIR', () => {
    const login = loginEnvironment('alice', { etcRoot: join(root, 'etc'), base: { PATH: '/bin', TMPDIR: '/root/tmp', HOME: '/root' } });
    assert.equal(login.uid, uid);
    assert.equal(login.env.HOME, '/home/alice');
    assert.equal(login.env.USER, 'alice');
    assert.equal(login.env.PATH, '/bin');
    assert.equal(login.env.TMPDIR, undefined);
  });
  it('loginEnvironment, no such user', () => {
    assert.throws(() => loginEnvironment('nobody-here', { etcRoot: join(root, 'etc') }), { code: 'DOCTOR_USER' });
  });

  describe('explainSetupError', () => {
    const same = async (err: unknown, id: CheckId, extra: Partial<DoctorOptions> = {}): Promise<void> => {
      const c = await check(id, extra);
      assert.notEqual(c.status, 'ok');
      const e = explainSetupError(err, options(extra));
      assert.deepEqual(e, { check: id, cause: c.cause, message: c.message, fix: c.fix });
    };
    it('explainSetupError, newuidmap refused while its copy has no privilege', async () => {
      caps.clear();
      const err = new IdMapError(join(root, 'bin/newuidmap'), undefined, 'write to uid_map failed: Operation not permitted');
      await same(err, 'newidmap');
    });
    it('explainSetupError, clone3 EPERM under the AppArmor restriction', async () => {
      put('proc/sys/kernel/apparmor_restrict_unprivileged_userns', '1\n');
      await same(new NamespaceSetupError('clone', undefined, new SyscallError('clone3', 1)), 'user-namespaces');
    });
    it('explainSetupError, clone3 ENOSPC with max_user_namespaces 0', async () => {
      put('proc/sys/user/max_user_namespaces', '0\n');
      await same(new SyscallError('clone3', 28), 'user-namespaces');
    });
    it('explainSetupError, a cgroup refused without delegation', async () => {
      const eacces = Object.assign(new Error('EACCES'), { code: 'EACCES' });
      await same(new CgroupError('/sys/fs/cgroup/x', 'mkdir', eacces), 'cgroups', { uid: uid + 1 });
    });
    it('explainSetupError, mkdir of the state dir in another user\'s XDG_RUNTIME_DIR', async () => {
      const err = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'mkdir', path: join(root, 'run-user/ct') });
      await same(err, 'runtime-dir', { uid: uid + 1 });
    });
    it('explainSetupError, hostUids > 1 without /etc/subuid ranges: the usermod fix', async () => {
      put('etc/subuid', '');
      put('etc/subgid', '');
      await same(new ContainerSpecError('hostUids', 'an unprivileged caller without /etc/subuid ranges maps one id'), 'subordinate-ids');
    });
    it('explainSetupError, an overlay mount refused in the child', () => {
      const cause = new SyscallError('mount', 22, { path: '/x/merged', step: 9, stepOp: 'mount' });
      const e = explainSetupError(new NamespaceSetupError('mount overlay', 1, cause, '/x/merged'), options());
      assert.equal(e?.check, 'overlay');
      assert.equal(e?.cause, 'overlay-refused');
      assert.match(e?.message ?? '', /mount: EINVAL/);
    });
    it('explainSetupError, a failure that is not a set-up cause', () => {
      assert.equal(explainSetupError(new NamespaceSetupError('exec', 1, new SyscallError('execve', 2)), options()), undefined);
      assert.equal(explainSetupError(new Error('boom'), options()), undefined);
    });
  });
});
