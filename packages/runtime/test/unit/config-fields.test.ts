import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxConfigBytes, readBundleConfig } from '../../src/config/bundle-config.js';
import { apparmorEnabled, readConfigProcess } from '../../src/config/config-process.js';
import { ConfigError, RuntimeError } from '../../src/errors.js';
import { checkConfigVersion, specVersion } from '../../src/oci-version.js';
import { specTemplate } from '../../src/spec-template.js';

type Json = Record<string, unknown>;
type JsonObject = Parameters<typeof readConfigProcess>[0];

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ct-config-fields-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'rootfs'));
  return dir;
}
function bundle(edit: (c: Json) => void): string {
  const dir = scratch();
  const config = specTemplate({ rootless: false }) as Json;
  edit(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}
function configError(jsonPath: string, message?: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof ConfigError && e.code === 'ECONFIG' && e.jsonPath === jsonPath && (message === undefined || message.test(e.message));
}
const proc = (c: Json): Json => c['process'] as Json;
const linux = (c: Json): Json => c['linux'] as Json;
/** A process object as config.json has it, with `extra` fields. */
const processWith = (extra: Json): JsonObject => ({ cwd: '/', args: ['sh'], ...extra }) as JsonObject;

after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('config.json fields', () => {
  describe('ociVersion', () => {
    it('checkConfigVersion, 1.0.0 to 1.3.x with pre-releases and build metadata are accepted as written', () => {
      for (const v of ['1.0.0', '1.0.2-dev', '1.1.0-rc.1', '1.2.0', '1.2.1+build.7', '1.3.0', '1.3.12']) assert.equal(checkConfigVersion(v), v);
    });
    it('checkConfigVersion, a missing one is accepted as runc accepts it and recorded as ct\'s spec version', () => {
      assert.equal(checkConfigVersion(undefined), specVersion);
    });
    it('checkConfigVersion, non-SemVer versions are ECONFIG at ociVersion', () => {
      for (const v of ['', '1', '1.2', 'v1.2.0', '1.2.0.0', '01.2.0', '1.2.0-', 'bogus']) {
        assert.throws(() => checkConfigVersion(v), configError('ociVersion', /SemVer/), v);
      }
      assert.throws(() => checkConfigVersion(1.2), configError('ociVersion', /must be a string/));
    });
    it('checkConfigVersion, versions outside 1.0-1.3 are ECONFIG at ociVersion', () => {
      for (const v of ['0.9.0', '1.4.0', '2.0.0', '0.1.0']) assert.throws(() => checkConfigVersion(v), configError('ociVersion', /not supported/), v);
    });
    it('readBundleConfig, a bad ociVersion is refused before anything else is read', () => {
      assert.throws(() => readBundleConfig(bundle((c) => { c['ociVersion'] = '2.0.0'; delete c['root']; })), configError('ociVersion'));
    });
  });

  describe('size', () => {
    it('readBundleConfig, a config.json over 4 MiB is refused by its size, naming the file and the limit', () => {
      const dir = scratch();
      const file = join(dir, 'config.json');
      // sparse: a 1 GiB file costs nothing to make, and is never read
      execFileSync('truncate', ['-s', '1G', file]);
      assert.throws(() => readBundleConfig(dir), (e: unknown) => e instanceof RuntimeError && e.code === 'ECONFIG'
        && e.message.includes(file) && e.message.includes(String(maxConfigBytes)) && e.message.includes('1073741824'));
    });
    it('readBundleConfig, a config.json of exactly 4 MiB is parsed (the limit itself is allowed)', () => {
      const dir = scratch();
      const text = JSON.stringify(specTemplate({ rootless: false }));
      writeFileSync(join(dir, 'config.json'), text + ' '.repeat(maxConfigBytes - Buffer.byteLength(text)));
      assert.equal(readBundleConfig(dir).process?.args[0], 'sh');
    });
    it('readBundleConfig, a config.json that is not a regular file (a FIFO) is refused without blocking', () => {
      const dir = scratch();
      execFileSync('mkfifo', [join(dir, 'config.json')]);
      assert.throws(() => readBundleConfig(dir), (e: unknown) => e instanceof RuntimeError && e.code === 'ECONFIG' && /not a regular file/.test(e.message));
    });
  });

  describe('security labels on a host without AppArmor or SELinux', () => {
    const noLsm = { sysRoot: '/nonexistent' };
    it('readConfigProcess, process.apparmorProfile is refused in runc\'s words', () => {
      assert.throws(() => readConfigProcess(processWith({ apparmorProfile: 'docker-default' }), noLsm),
        configError('process.apparmorProfile', /apparmor: config provided but apparmor not supported/));
    });
    it('readConfigProcess, process.selinuxLabel is refused in runc\'s words', () => {
      assert.throws(() => readConfigProcess(processWith({ selinuxLabel: 'system_u:system_r:container_t:s0' }), noLsm),
        configError('process.selinuxLabel', /selinux is disabled or not supported/));
    });
    it('readConfigProcess, empty labels are no labels (accepted)', () => {
      assert.equal(readConfigProcess(processWith({ apparmorProfile: '', selinuxLabel: '' }), noLsm).args[0], 'sh');
    });
    it('readConfigProcess, an AppArmor profile on a host with AppArmor is still refused (ct cannot apply it)', () => {
      const sys = scratch();
      mkdirSync(join(sys, 'kernel/security/apparmor'), { recursive: true });
      mkdirSync(join(sys, 'module/apparmor/parameters'), { recursive: true });
      writeFileSync(join(sys, 'module/apparmor/parameters/enabled'), 'Y\n');
      assert.equal(apparmorEnabled({ sysRoot: sys }), true);
      assert.throws(() => readConfigProcess(processWith({ apparmorProfile: 'p' }), { sysRoot: sys }), configError('process.apparmorProfile', /not supported by ct/));
    });
    it('readBundleConfig, linux.mountLabel is refused naming it', () => {
      assert.throws(() => readBundleConfig(bundle((c) => { linux(c)['mountLabel'] = 'system_u:object_r:container_file_t:s0'; })), configError('linux.mountLabel'));
    });
    it('readBundleConfig, process.apparmorProfile is refused on this host', () => {
      assert.throws(() => readBundleConfig(bundle((c) => { proc(c)['apparmorProfile'] = 'foo'; })), configError('process.apparmorProfile'));
    });
  });

  describe('fields ct refuses', () => {
    it('readBundleConfig, linux.memoryPolicy is refused naming it', () => {
      assert.throws(() => readBundleConfig(bundle((c) => { linux(c)['memoryPolicy'] = { mode: 'MPOL_BIND', nodes: '0' }; })), configError('linux.memoryPolicy'));
    });
    it('readBundleConfig, linux.intelRdt is refused naming it', () => {
      assert.throws(() => readBundleConfig(bundle((c) => { linux(c)['intelRdt'] = { closID: 'x' }; })), configError('linux.intelRdt'));
    });
  });

  describe('scheduling fields', () => {
    it('readConfigProcess, scheduler is read with its defaults', () => {
      const p = readConfigProcess(processWith({ scheduler: { policy: 'SCHED_BATCH', nice: 5 } }));
      assert.deepEqual(p.scheduler, { policy: 'SCHED_BATCH', nice: 5, priority: 0, flags: [], runtime: 0n, deadline: 0n, period: 0n });
    });
    it('readConfigProcess, scheduler checks as runc: nice range, priority only for FIFO/RR, deadline fields only for DEADLINE', () => {
      const bad: [Json, string][] = [
        [{ policy: 'SCHED_OTHER', nice: 20 }, 'process.scheduler.nice'],
        [{ policy: 'SCHED_OTHER', priority: 3 }, 'process.scheduler.priority'],
        [{ policy: 'SCHED_FIFO', runtime: 10 }, 'process.scheduler.runtime'],
        [{ policy: 'SCHED_FAIR' }, 'process.scheduler.policy'],
        [{ policy: 'SCHED_RR', flags: ['SCHED_FLAG_FAST'] }, 'process.scheduler.flags[0]'],
        [{ nice: 1 }, 'process.scheduler.policy'],
      ];
      for (const [s, at] of bad) assert.throws(() => readConfigProcess(processWith({ scheduler: s })), configError(at), JSON.stringify(s));
      assert.equal(readConfigProcess(processWith({ scheduler: { policy: 'SCHED_RR', priority: 10 } })).scheduler?.priority, 10);
      assert.equal(readConfigProcess(processWith({ scheduler: { policy: 'SCHED_DEADLINE', runtime: 1000, deadline: 2000, period: 3000 } })).scheduler?.period, 3000n);
    });
    it('readConfigProcess, ioPriority: the three classes, priority 0-7', () => {
      assert.deepEqual(readConfigProcess(processWith({ ioPriority: { class: 'IOPRIO_CLASS_IDLE', priority: 7 } })).ioPriority, { class: 'IOPRIO_CLASS_IDLE', priority: 7 });
      assert.throws(() => readConfigProcess(processWith({ ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 8 } })), configError('process.ioPriority.priority'));
      assert.throws(() => readConfigProcess(processWith({ ioPriority: { class: 'IOPRIO_CLASS_NONE', priority: 0 } })), configError('process.ioPriority.class'));
    });
    it('readConfigProcess, execCPUAffinity takes CPU lists and refuses anything else', () => {
      assert.deepEqual(readConfigProcess(processWith({ execCPUAffinity: { initial: '0-3,7', final: '1' } })).execCPUAffinity, { initial: '0-3,7', final: '1' });
      for (const bad of ['3-1', 'a', '1,', '-1', '1 2']) {
        assert.throws(() => readConfigProcess(processWith({ execCPUAffinity: { final: bad } })), configError('process.execCPUAffinity.final'), bad);
      }
    });
  });
});
