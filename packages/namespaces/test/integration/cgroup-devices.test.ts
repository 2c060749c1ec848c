/**
 * The device cgroup on this machine's kernel, as root. v1: a container whose rules allow /dev/null and reading
 * /dev/urandom only can write the one, read the other, and gets EPERM opening /dev/zero or writing /dev/urandom; its
 * devices.list shows the rules. v2 (the unified mount of this hybrid layout has no controllers, but device programs
 * attach to any v2 cgroup): the same rules as a BPF program on a child of the unified mount refuse a process placed
 * there the same way, whatever its v1 devices cgroup allows. Each cgroup is removed afterwards.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isRoot, requireFeature } from '@ct/test-utils';
import { createContainerCgroup, type DeviceRule, detectCgroupVersion, NODE_CGROUP_FS } from '../../src/index.js';
import { guardContainers, runCaptured, sh, toolSpec } from './helpers.js';

const rules: DeviceRule[] = [
  { allow: false, type: 'a', access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'r' },
];

/** Each check's output: "ok" or the shell's message (busybox names the errno's text). */
const PROBES = 'for c in "echo x >/dev/null" "head -c1 /dev/zero >/dev/null" "head -c1 /dev/urandom >/dev/null" "echo x >/dev/urandom"; do '
  + 'if e=$(eval "$c" 2>&1); then echo "ok"; else echo "$e"; fi; done';

/** Run PROBES in a host process (no namespaces) placed in `place` before it starts opening devices. */
function probeInCgroup(place: (pid: number) => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/busybox', ['sh', '-c', `read go; ${PROBES}`], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', () => resolve(out.trim().split('\n')));
    try {
      place(child.pid ?? 0);
    } catch (error) {
      child.kill('SIGKILL');
      reject(error);
      return;
    }
    child.stdin.end('go\n');
  });
}

describe('device cgroup, v1 @root', function () {
  before(function () {
    guardContainers(this);
    requireFeature(this, isRoot() && detectCgroupVersion('/sys/fs/cgroup') === 'v1' && existsSync('/sys/fs/cgroup/devices/cgroup.procs'),
      'root and a cgroup v1 devices hierarchy');
  });

  it('runContainer, the rules hold inside: /dev/null and reading /dev/urandom work, /dev/zero and writing /dev/urandom get EPERM', async () => {
    const r = await runCaptured(toolSpec(sh(PROBES), {
      cgroup: { name: `ct-devtest-${process.pid}`, resources: { devices: rules } },
    }));
    assert.equal(r.status, 0, r.stdout);
    const [nullWrite, zeroRead, randomRead, randomWrite] = r.stdout.trim().split('\n');
    assert.equal(nullWrite, 'ok');
    assert.match(zeroRead ?? '', /Operation not permitted/);
    assert.equal(randomRead, 'ok');
    assert.match(randomWrite ?? '', /Operation not permitted/);
  });

  it('createContainerCgroup, devices.list shows the rules; a process placed there is refused; removed after', async () => {
    const cg = createContainerCgroup({ name: `ct-devlist-${process.pid}`, resources: { devices: rules } }, 0, () => assert.fail('no warning expected'));
    assert.ok(cg);
    try {
      const dir = cg.dirOf('devices') ?? '';
      assert.deepEqual(readFileSync(`${dir}/devices.list`, 'utf8').trim().split('\n').sort(), ['c 1:3 rwm', 'c 1:9 r']);
      const [nullWrite, zeroRead] = await probeInCgroup((pid) => { cg.place(pid); });
      assert.equal(nullWrite, 'ok');
      assert.match(zeroRead ?? '', /Operation not permitted/);
    } finally {
      await cg.remove();
    }
    for (const p of cg.paths) assert.equal(existsSync(p), false, p);
  });
});

describe('device cgroup, v2 program on the unified mount @root', function () {
  const unified = '/sys/fs/cgroup/unified';
  before(function () {
    requireFeature(this, isRoot() && existsSync(`${unified}/cgroup.controllers`), `root and a cgroup v2 mount at ${unified}`);
  });

  it('createContainerCgroup v2, a process placed in the cgroup opens /dev/null but gets EPERM for /dev/zero and writing /dev/urandom', async () => {
    const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
    const cg = createContainerCgroup({ name: `ct-devbpf-${process.pid}`, resources: { devices: rules } }, 0, () => assert.fail('no warning expected'), {
      cgroupRoot: unified, cgroupVersion: 'v2', ownCgroups: new Map([['', own]]), cgroupFs: NODE_CGROUP_FS,
    });
    assert.ok(cg);
    try {
      const [nullWrite, zeroRead, randomRead, randomWrite] = await probeInCgroup((pid) => { cg.place(pid); });
      assert.equal(nullWrite, 'ok');
      assert.match(zeroRead ?? '', /Operation not permitted/);
      assert.equal(randomRead, 'ok');
      assert.match(randomWrite ?? '', /Operation not permitted/);
    } finally {
      await cg.remove();
    }
    assert.equal(existsSync(cg.paths[0] ?? ''), false);
  });
});
