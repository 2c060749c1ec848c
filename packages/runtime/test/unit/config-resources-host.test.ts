/**
 * linux.resources and linux.cgroupsPath against a fake cgroupfs root (a temp tree laid out as /sys/fs/cgroup, with
 * a fake /proc/self/cgroup): a limit whose v1 hierarchy is not mounted, and rootless on v1 a limit or cgroupsPath
 * the caller cannot have, are refused naming the field, as runc refuses them; v2 is left to the namespaces driver.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCgroupFields } from '../../src/config/config-resources-host.js';
import { readExtraResources } from '../../src/config/config-resources-extra.js';
import { readResources } from '../../src/config/config-resources.js';
import { ConfigError } from '../../src/errors.js';
import type { JsonObject } from '../../src/config/json-fields.js';

const refusing = (jsonPath: string) => (e: unknown): boolean => e instanceof ConfigError && e.code === 'ECONFIG' && e.jsonPath === jsonPath;

describe('checkCgroupFields (fake cgroupfs)', () => {
  let root: string;
  let proc: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ct-cghost-'));
    proc = mkdtempSync(join(tmpdir(), 'ct-cghost-proc-'));
    for (const h of ['pids', 'memory', 'cpu,cpuacct', 'devices']) {
      mkdirSync(join(root, h, 'user', 'me'), { recursive: true });
      writeFileSync(join(root, h, 'cgroup.procs'), '');
    }
    mkdirSync(join(proc, 'self'));
    writeFileSync(join(proc, 'self', 'cgroup'), '4:pids:/user/me\n3:memory:/user/me\n2:cpu,cpuacct:/user/me\n1:devices:/user/me\n0::/\n');
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(proc, { recursive: true, force: true });
  });
  const fields = (resources: JsonObject | undefined, cgroupsPath?: string) => ({
    resources: readResources(resources === undefined ? {} : { resources }, []),
    resourcesExtra: readExtraResources(resources === undefined ? {} : { resources }),
    cgroupsPath,
  });

  it('checkCgroupFields v1, a network or hugepage limit without its hierarchy mounted names the field', () => {
    const host = { root, rootless: false, procRoot: proc };
    assert.throws(() => checkCgroupFields(fields({ network: { classID: 1048577 } }), host), refusing('linux.resources.network.classID'));
    assert.throws(() => checkCgroupFields(fields({ network: { priorities: [{ name: 'lo', priority: 5 }] } }), host), refusing('linux.resources.network.priorities'));
    assert.throws(() => checkCgroupFields(fields({ hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }] }), host), refusing('linux.resources.hugepageLimits'));
    mkdirSync(join(root, 'net_cls,net_prio'));
    writeFileSync(join(root, 'net_cls,net_prio', 'cgroup.procs'), '');
    checkCgroupFields(fields({ network: { classID: 1048577, priorities: [{ name: 'lo', priority: 5 }] } }), host);
    checkCgroupFields(fields({ pids: { limit: 10 }, memory: { limit: 1 << 26 } }, '/a/b'), host);
  });

  it('checkCgroupFields v1 rootless, a limit below a cgroup the caller may not write is refused naming the field', () => {
    const asked: string[] = [];
    const host = (ok: boolean) => ({ root, rootless: true, procRoot: proc, writable: (dir: string) => { asked.push(dir); return ok; } });
    assert.throws(() => checkCgroupFields(fields({ memory: { limit: 1 << 26 }, pids: { limit: 10 } }), host(false)), refusing('linux.resources.memory'));
    assert.deepEqual(asked, [join(root, 'memory/user/me')], 'the caller\'s own cgroup, where the container\'s would go');
    assert.throws(() => checkCgroupFields(fields({ pids: { limit: 10 } }), host(false)), refusing('linux.resources.pids'));
    // a delegated (chowned) v1 subtree takes them
    checkCgroupFields(fields({ pids: { limit: 10 } }), host(true));
    // an absolute cgroupsPath starts at the hierarchy's root
    asked.length = 0;
    assert.throws(() => checkCgroupFields(fields({ pids: { limit: 10 } }, '/k8s/c1'), host(false)), refusing('linux.resources.pids'));
    assert.deepEqual(asked.map((d) => d.replace(/\/$/, '')), [join(root, 'pids')]);
  });

  it('checkCgroupFields v1 rootless, a cgroupsPath without limits is refused naming it; neither field: accepted', () => {
    const host = { root, rootless: true, procRoot: proc, writable: () => true };
    assert.throws(() => checkCgroupFields(fields(undefined, '/ct-x'), host), refusing('linux.cgroupsPath'));
    checkCgroupFields(fields(undefined), host);
  });

  it('checkCgroupFields v2, left to the namespaces driver (delegation decides): nothing refused here', () => {
    writeFileSync(join(root, 'cgroup.controllers'), 'memory pids');
    checkCgroupFields(fields({ network: { classID: 1 }, pids: { limit: 10 } }, '/x'), { root, rootless: true, procRoot: proc, writable: () => false });
  });
});
