/**
 * `ct doctor` on this machine, with the broken situations made for real: a throwaway user with no /etc/subuid
 * entry (ctnosub, made with useradd and removed after), a PATH without newuidmap, copies of newuidmap/newgidmap
 * without the setuid bit first on PATH, an XDG_RUNTIME_DIR owned by root; the @root suite runs ct doctor as the
 * test users through runuser, the @rootless suite as itself. Each checks the verdict (exit status, JSON) and the
 * fix command.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot, requireFeature } from '@ct/test-utils';
import type { CheckId, CheckResult, DoctorReport } from '@ct/namespaces';
import { ciUser } from './runtime-harness.js';

const bin = fileURLToPath(new URL('../../bin/ct.js', import.meta.url));
const USER_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';

interface DoctorRun { status: number | null; report: DoctorReport; stdout: string; stderr: string }

/** `ct doctor --json` (or other args), as `user` through runuser when given, with exactly `env`. */
function doctor(env: Record<string, string>, user?: string, args: string[] = ['--json']): DoctorRun {
  const command = [process.execPath, bin, 'doctor', ...args];
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const r = user === undefined
    ? spawnSync(command[0] ?? 'node', command.slice(1), { encoding: 'utf8', env })
    : spawnSync('runuser', ['-u', user, '--', 'env', '-i', ...envArgs, ...command], { encoding: 'utf8' });
  const json = args.includes('--json');
  return { status: r.status, report: json ? JSON.parse(r.stdout) as DoctorReport : undefined as never, stdout: r.stdout, stderr: r.stderr };
}

function find(report: DoctorReport, id: CheckId): CheckResult {
  const c = report.checks.find((x) => x.id === id);
  assert.ok(c !== undefined, id);
  return c;
}

/** A directory every user can read, with unprivileged copies of newuidmap and newgidmap. */
function unprivilegedCopies(): { dir: string; fix: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ct-doctor-path-'));
  chmodSync(dir, 0o755);
  for (const name of ['newuidmap', 'newgidmap']) {
    copyFileSync(`/usr/bin/${name}`, join(dir, name));
    chmodSync(join(dir, name), 0o755); // a copy made by root may keep the setuid bit: drop it
  }
  const fix = ['newuidmap', 'newgidmap'].map((n) => `sudo chown root:root ${dir}/${n} && sudo chmod u+s ${dir}/${n}`).join(' && ');
  return { dir, fix };
}

describe('ct doctor, the test users through runuser @root', function () {
  const ci = isRoot() ? ciUser() : undefined;
  const ciEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    HOME: '/home/ctci', USER: 'ctci', PATH: USER_PATH, TMPDIR: '/tmp', XDG_RUNTIME_DIR: ci?.runtimeDir ?? '', ...extra,
  });
  before(function () {
    requireFeature(this, isRoot(), 'needs root (runuser, useradd)');
    requireFeature(this, ci !== undefined, 'the unprivileged user ctci does not exist');
  });

  it('ct doctor --user ctci, no failure on this machine, ranges found', () => {
    const r = doctor({ PATH: USER_PATH }, undefined, ['--json', '--user', 'ctci']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.report.user.name, 'ctci');
    assert.deepEqual(r.report.checks.filter((c) => c.status === 'failure'), []);
    assert.equal(find(r.report, 'subordinate-ids').status, 'ok');
    assert.equal(find(r.report, 'runtime-dir').status, 'ok');
  });

  it('ct doctor --user with an unknown user: exit 2 naming it', () => {
    const r = doctor({ PATH: USER_PATH }, undefined, ['--user', 'ct-no-such-user']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /ct-no-such-user: no such user/);
  });

  describe('a user without /etc/subuid entries', () => {
    before(function () {
      spawnSync('userdel', ['ctnosub']);
      const r = spawnSync('useradd', ['-M', '-s', '/usr/sbin/nologin', '-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0', 'ctnosub'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    });
    after(() => { spawnSync('userdel', ['ctnosub']); });

    it('ct doctor --user ctnosub, single-id warning with the usermod command, exit 0', () => {
      assert.doesNotMatch(readFileSync('/etc/subuid', 'utf8'), /^ctnosub:/m);
      const r = doctor({ PATH: USER_PATH }, undefined, ['--json', '--user', 'ctnosub']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.report.user.name, 'ctnosub');
      const c = find(r.report, 'subordinate-ids');
      assert.equal(c.status, 'warning');
      assert.equal(c.cause, 'subids-missing');
      const m = /^sudo usermod --add-subuids (\d+)-(\d+) --add-subgids \1-\2 ctnosub$/.exec(c.fix ?? '');
      assert.ok(m !== null, c.fix);
      // the suggested range overlaps nobody's
      for (const line of readFileSync('/etc/subuid', 'utf8').split('\n').filter(Boolean)) {
        const [, start, count] = line.split(':').map(Number);
        assert.ok(Number(m[1]) >= (start ?? 0) + (count ?? 0) || Number(m[2]) < (start ?? 0), line);
      }
      assert.equal(find(r.report, 'runtime-dir').cause, 'runtime-dir-unset'); // no /run/user/UID for it
    });
  });

  it('ct doctor as ctci with a PATH without newuidmap: warning, install uidmap', () => {
    const r = doctor(ciEnv({ PATH: '/nonexistent' }), 'ctci');
    assert.equal(r.status, 0, r.stderr);
    const c = find(r.report, 'newidmap');
    assert.equal(c.status, 'warning');
    assert.equal(c.cause, 'newidmap-missing');
    assert.equal(c.fix, 'sudo apt-get install uidmap');
  });

  it('ct doctor as ctci with newuidmap copies without setuid first on PATH: failure, exit 1, chmod u+s', () => {
    const { dir, fix } = unprivilegedCopies();
    try {
      const r = doctor(ciEnv({ PATH: `${dir}:${USER_PATH}` }), 'ctci');
      assert.equal(r.status, 1, r.stderr);
      const c = find(r.report, 'newidmap');
      assert.equal(c.status, 'failure');
      assert.equal(c.cause, 'newidmap-not-privileged');
      assert.equal(c.fix, fix);
      assert.equal(r.report.canRunContainers, false);
      const text = doctor(ciEnv({ PATH: `${dir}:${USER_PATH}` }), 'ctci', []);
      assert.equal(text.status, 1);
      assert.match(text.stdout, /^failure newidmap: /m);
      assert.ok(text.stdout.includes(`        fix: ${fix}\n`), text.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ct doctor as ctci with XDG_RUNTIME_DIR owned by root: failure, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-doctor-xdg-'));
    try {
      const r = doctor(ciEnv({ XDG_RUNTIME_DIR: dir }), 'ctci');
      assert.equal(r.status, 1, r.stderr);
      const c = find(r.report, 'runtime-dir');
      assert.equal(c.status, 'failure');
      assert.equal(c.cause, 'runtime-dir-foreign');
      assert.equal(c.fix, `export XDG_RUNTIME_DIR=${ci?.runtimeDir ?? ''}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ct doctor, as an unprivileged user @rootless @nonroot', function () {
  const env = (extra: Record<string, string> = {}): Record<string, string> => {
    const out: Record<string, string> = { PATH: process.env.PATH ?? USER_PATH, ...extra };
    for (const k of ['HOME', 'USER', 'TMPDIR', 'XDG_RUNTIME_DIR']) {
      const v = process.env[k];
      if (v !== undefined && out[k] === undefined) out[k] = v;
    }
    return out;
  };
  before(function () {
    if (isRoot()) this.skip(); // the @root suite runs these situations through runuser
  });

  it('ct doctor, warnings at most here (exit 0)', () => {
    const r = doctor(env());
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.report.checks.filter((c) => c.status === 'failure'), []);
  });
  it('ct doctor, newuidmap copies without setuid first on PATH: failure, exit 1', function () {
    const ranges = readFileSync('/etc/subuid', 'utf8').split('\n').some((l) => l.startsWith(`${process.env.USER ?? ''}:`));
    requireFeature(this, ranges, 'an /etc/subuid range for this user');
    const { dir, fix } = unprivilegedCopies();
    try {
      const r = doctor(env({ PATH: `${dir}:${process.env.PATH ?? USER_PATH}` }));
      assert.equal(r.status, 1, r.stderr);
      assert.equal(find(r.report, 'newidmap').fix, fix);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('ct doctor --user, refused without root (exit 2)', () => {
    const r = doctor(env(), undefined, ['--user', 'root']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /only root/);
  });
});
