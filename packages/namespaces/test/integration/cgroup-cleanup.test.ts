/**
 * A container's cgroup found and removed by its name alone on this machine, as root, as a runtime must after a
 * crash that lost its record: a running container (in every v1 hierarchy, with the freezer, as the runtime makes
 * it) whose shell keeps forking is frozen, killed, thawed and its directories removed; a process in a cgroup of the
 * same name on the v2 mount beside them goes too (cgroup.kill).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { detectCgroupVersion, findContainerCgroups, readOwnCgroups, removeContainerCgroups, runContainer } from '../../src/index.js';
import { guardContainers, sh, toolSpec } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => { setTimeout(resolve, ms); });

describe('cgroup cleanup by name @root', function () {
  before(function () {
    guardContainers(this);
    requireFeature(this, isRoot() && detectCgroupVersion('/sys/fs/cgroup') === 'v1' && existsSync('/sys/fs/cgroup/freezer/cgroup.procs'),
      'root and cgroup v1 with a freezer hierarchy');
  });

  it('removeContainerCgroups, a forking container left without its handle: killed, every directory removed', async function () {
    this.timeout(30000);
    const name = `ct-clean-${process.pid}`;
    const devnull = openSync('/dev/null', 'w');
    const handle = await runContainer(toolSpec(sh('while :; do sleep 5 & sleep 0.01; done'), {
      consoleTty: null, stdio: [devnull, devnull, devnull],
      cgroup: { name, resources: { pids: 200 }, freezer: true, allControllers: true },
    }));
    closeSync(devnull);
    // a process that joined the container's cgroup on the v2 mount only (ct made one there, as runc)
    const own = readOwnCgroups().get('') ?? '/';
    const unified = join('/sys/fs/cgroup/unified', own, name);
    const hasUnified = existsSync('/sys/fs/cgroup/unified/cgroup.controllers');
    const stray = hasUnified ? spawn('/bin/busybox', ['sleep', '60'], { stdio: 'ignore' }) : undefined;
    if (stray !== undefined) {
      assert.ok(handle.cgroup?.paths.includes(unified), `${unified}: made with the v1 directories`);
      writeFileSync(join(unified, 'cgroup.procs'), String(stray.pid));
    }
    const strayExit = stray === undefined ? undefined : new Promise((resolve) => { stray.on('exit', (_code, signal) => resolve(signal)); });
    try {
      await sleep(300);
      const found = findContainerCgroups({ name });
      assert.deepEqual(found, [...(handle.cgroup?.paths ?? [])].sort());
      const pidsDir = handle.cgroup?.dirOf('pids') ?? '';
      assert.ok(readFileSync(join(pidsDir, 'cgroup.procs'), 'utf8').trim().split('\n').length > 1, 'the shell has children');
      assert.deepEqual(await removeContainerCgroups({ name }), found);
      for (const d of found) assert.equal(existsSync(d), false, d);
      assert.equal((await handle.wait()).status, 137);
      if (strayExit !== undefined) assert.equal(await strayExit, 'SIGKILL');
      assert.deepEqual(findContainerCgroups({ name }), []);
    } finally {
      handle.kill('SIGKILL');
      stray?.kill('SIGKILL');
    }
  });
});
