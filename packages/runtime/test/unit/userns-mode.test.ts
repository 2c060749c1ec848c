import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeMaps, intermediateMap, mapId, parseUsernsMode, planUserns, type IdMapping } from '../../src/userns-mode.js';
import { applyUserns, keepIdHome, volumeOwnerFor } from '../../src/userns-config.js';

/** ct's default rootless map for uid 1001 with the subuid range 100000:65536 (as the CI user ctci has). */
const BASE: IdMapping[] = [{ containerID: 0, hostID: 1001, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];

describe('parseUsernsMode', () => {
  it('parseUsernsMode, host and no value are the default map', () => {
    assert.equal(parseUsernsMode(undefined, true), 'host');
    assert.equal(parseUsernsMode('host', false), 'host');
  });
  it('parseUsernsMode, keep-id unprivileged', () => {
    assert.equal(parseUsernsMode('keep-id', true), 'keep-id');
  });
  it('parseUsernsMode, keep-id as root is refused with podman 4.3\'s words', () => {
    for (const v of ['keep-id', 'nomap']) {
      assert.throws(() => parseUsernsMode(v, false), (e: Error & { code?: string }) => e.code === 'EUSAGE' && e.message === `${v} is only supported in rootless mode`);
    }
  });
  it('parseUsernsMode, another value is refused naming it', () => {
    for (const v of ['auto', 'nomap', 'keep-id:uid=5', 'ns:/proc/1/ns/user', 'bogus']) {
      assert.throws(() => parseUsernsMode(v, true), (e: Error & { code?: string }) => e.code === 'EUSAGE' && e.message.includes(`--userns ${v}:`), v);
    }
  });
});

describe('userns maps', () => {
  it('intermediateMap, keep-id as podman\'s GetKeepIDMapping: 0..U-1 → 1..U, U → 0, the rest themselves', () => {
    assert.deepEqual(intermediateMap('keep-id', 1001, BASE), [
      { containerID: 0, hostID: 1, size: 1001 }, { containerID: 1001, hostID: 0, size: 1 }, { containerID: 1002, hostID: 1002, size: 64535 },
    ]);
  });
  it('intermediateMap, keep-id with a uid past the subordinate ids: no third line', () => {
    assert.deepEqual(intermediateMap('keep-id', 70000, BASE), [{ containerID: 0, hostID: 1, size: 65536 }, { containerID: 70000, hostID: 0, size: 1 }]);
  });
  it('intermediateMap, without subordinate ids a mode is refused', () => {
    assert.throws(() => intermediateMap('keep-id', 1001, [{ containerID: 0, hostID: 1001, size: 1 }]), /needs subordinate ids/);
  });
  it('composeMaps, keep-id in host ids: root is the first subuid, the caller itself', () => {
    assert.deepEqual(composeMaps(intermediateMap('keep-id', 1001, BASE), BASE), [
      { containerID: 0, hostID: 100000, size: 1001 }, { containerID: 1001, hostID: 1001, size: 1 }, { containerID: 1002, hostID: 101001, size: 64535 },
    ]);
  });
  it('composeMaps, a line is split where the default map changes range', () => {
    const base: IdMapping[] = [{ containerID: 0, hostID: 1001, size: 1 }, { containerID: 1, hostID: 100000, size: 10 }, { containerID: 11, hostID: 300000, size: 10 }];
    assert.deepEqual(composeMaps([{ containerID: 0, hostID: 5, size: 10 }], base), [
      { containerID: 0, hostID: 100004, size: 6 }, { containerID: 6, hostID: 300000, size: 4 },
    ]);
  });
  it('planUserns, an image file keeps its apparent owner: host owner under the new map = default map of the shifted id', () => {
    const plan = planUserns('keep-id', 1001, 1001, { uidMappings: BASE, gidMappings: BASE });
    for (const k of [0, 1, 5, 1000, 1001, 1002, 65536]) {
      assert.equal(mapId(plan.uidMappings, k), mapId(BASE, mapId(plan.uidShift, k)!), `container id ${k}`);
    }
    assert.equal(plan.uid, 1001);
  });
  it('volumeOwnerFor, -v :U under keep-id: the caller\'s ids are 0 of the default namespace', () => {
    const plan = planUserns('keep-id', 1001, 1001, { uidMappings: BASE, gidMappings: BASE });
    assert.deepEqual(volumeOwnerFor(plan, 1001, 1001), { uid: 0, gid: 0 });
    assert.deepEqual(volumeOwnerFor(plan, 0, 0), { uid: 1, gid: 1 });
    assert.deepEqual(volumeOwnerFor(undefined, 7, 8), { uid: 7, gid: 8 });
  });
});

describe('applyUserns', () => {
  let dir: string;
  const plan = planUserns('keep-id', 1001, 1001, { uidMappings: BASE, gidMappings: BASE });
  const HOST = 'root:x:0:0:root:/root:/bin/bash\nctci:x:1001:1001:CI user:/home/ctci:/bin/sh\n';
  const GROUPS = 'root:x:0:\nctci:x:1001:\n';
  const config = (): Record<string, unknown> => ({ process: { user: { uid: 0, gid: 0 }, cwd: '/', env: ['PATH=/bin', 'HOME=/root'] }, linux: { uidMappings: BASE, gidMappings: BASE }, mounts: [] });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ct-userns-'));
    mkdirSync(join(dir, 'layer', 'etc'), { recursive: true });
    mkdirSync(join(dir, 'bundle'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applyUserns, keep-id: maps, the caller\'s ids, passwd and group lines bound over the image\'s, HOME the working dir', () => {
    writeFileSync(join(dir, 'layer', 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh');
    writeFileSync(join(dir, 'layer', 'etc', 'group'), 'root:x:0:\n');
    const c = config();
    const files = applyUserns(c, { plan, bundle: join(dir, 'bundle'), layers: [join(dir, 'layer')], userGiven: false, env: [], hostPasswd: HOST, hostGroup: GROUPS });
    assert.deepEqual(files, [join(dir, 'bundle', 'passwd'), join(dir, 'bundle', 'group')]);
    assert.equal(readFileSync(files[0]!, 'utf8'), 'root:x:0:0:root:/root:/bin/sh\nctci:*:1001:1001:CI user:/:/bin/sh\n');
    assert.equal(readFileSync(files[1]!, 'utf8'), 'root:x:0:\nctci:x:1001:ctci\n');
    const proc = c['process'] as { user: unknown; env: string[] };
    assert.deepEqual(proc.user, { uid: 1001, gid: 1001, additionalGids: [1001] });
    assert.deepEqual(proc.env, ['PATH=/bin', 'HOME=/']);
    assert.deepEqual((c['linux'] as { uidMappings: unknown }).uidMappings, plan.uidMappings);
    assert.deepEqual((c['mounts'] as { destination: string }[]).map((m) => m.destination), ['/etc/passwd', '/etc/group']);
  });
  it('applyUserns, keep-id: an image that has the uid and gid gets no line, and HOME is left to the runtime (its passwd entry)', () => {
    writeFileSync(join(dir, 'layer', 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nu:x:1001:1001::/home/u:/bin/sh\n');
    writeFileSync(join(dir, 'layer', 'etc', 'group'), 'g:x:1001:\n');
    const c = config();
    assert.deepEqual(applyUserns(c, { plan, bundle: join(dir, 'bundle'), layers: [join(dir, 'layer')], userGiven: false, env: [], hostPasswd: HOST, hostGroup: GROUPS }), []);
    assert.deepEqual((c['process'] as { env: string[] }).env, ['PATH=/bin']);
  });
  it('applyUserns, keep-id with -u: the user -u resolved to stays', () => {
    const c = config();
    assert.deepEqual(applyUserns(c, { plan, bundle: join(dir, 'bundle'), layers: [join(dir, 'layer')], userGiven: true, env: [], hostPasswd: HOST, hostGroup: GROUPS }), []);
    assert.deepEqual((c['process'] as { user: unknown }).user, { uid: 0, gid: 0 });
  });
  it('applyUserns, a config without maps (it joins another container\'s user namespace) is refused', () => {
    const c = { ...config(), linux: {} };
    assert.throws(() => applyUserns(c, { plan, bundle: join(dir, 'bundle'), layers: [], userGiven: false, env: [], hostPasswd: HOST, hostGroup: GROUPS }), (e: Error & { code?: string }) => e.code === 'EUSAGE');
  });
  it('keepIdHome, the host home when a mount is at it or above it, else the working dir', () => {
    assert.equal(keepIdHome('/home/ctci', '/w', ['/home/ctci']), '/home/ctci');
    assert.equal(keepIdHome('/home/ctci', '/w', ['/home/']), '/home/ctci');
    assert.equal(keepIdHome('/home/ctci', '/w', ['/data', '/']), '/w');
  });
});
