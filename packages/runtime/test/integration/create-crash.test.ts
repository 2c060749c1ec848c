/**
 * Crash points of `create` (issue 24): ct create is stopped at each named step (CT_TEST_STOP_AT), SIGKILLed there,
 * and `delete --force` (the library's) must then leave nothing: no state directory, no cgroup directory the create
 * made or could have made, no process it cloned. As root the container has cgroups (one per v1 hierarchy here);
 * unprivileged it has none, and the init of a killed create is found by the exec FIFO it holds.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { descendants, isAlive as alive, requireFeature } from '@ct/test-utils';
import { createContext } from '../../src/context.js';
import { deleteContainer } from '../../src/container-delete.js';
import { readProcStat } from '../../src/proc-stat.js';
import { containerPaths, readRecord } from '../../src/state-store.js';
import { STOP_POINTS } from '../../src/test-stop.js';
import { asRoot, busyboxPresent, cleanup, makeBundle, scratchDir, uniqueId } from './bundle.js';

const createMain = fileURLToPath(new URL('../fixtures/create-main.ts', import.meta.url));

/** Poll `check` until it holds or `ms` pass (the machine is shared: generous). */
async function waitFor(check: () => boolean, ms = 60_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (check()) return true;
  return check();
}

function defineSuite(title: string): void {
  describe(title, function () {
    before(function () {
      requireFeature(this, busyboxPresent, 'no /bin/busybox for the test rootfs');
    });
    after(cleanup);

    for (const point of STOP_POINTS) {
      it(`create killed at ${point}: delete --force leaves no state, cgroup or process`, async () => {
        const root = scratchDir('ct-rt-state-');
        const id = uniqueId('crash');
        const bundle = makeBundle(['sleep', '3600']);
        const create = spawn(process.execPath, ['--import', 'tsx', createMain, root, id, bundle], {
          stdio: 'ignore', env: { ...process.env, CT_TEST_STOP_AT: point },
        });
        const exited = new Promise((resolve) => create.once('exit', resolve));
        const pid = create.pid ?? 0;
        assert.ok(await waitFor(() => readProcStat(pid)?.state === 'T'), `ct create did not stop at ${point}`);
        const paths = containerPaths(root, id);
        const record = readRecord(paths, id);
        const cgroups = [...(record.cgroupPlanned?.paths ?? []), ...(record.cgroupPaths ?? [])];
        if (asRoot && point !== 'after-record') assert.ok(cgroups.some((d) => existsSync(d)), `no cgroup made by ${point}: ${cgroups.join(' ')}`);
        const children = descendants(pid);
        if (point !== 'after-record') assert.ok(children.length > 0, `no cloned init by ${point}`);
        create.kill('SIGKILL');
        await exited;

        await deleteContainer(createContext({ root }), id, { force: true });
        assert.equal(existsSync(paths.dir), false, 'state directory left');
        assert.deepEqual(cgroups.filter((d) => existsSync(d)), [], 'cgroup directories left');
        // a child paused in the launch ends by itself once its parent is gone (it may take a moment on a busy machine)
        assert.ok(await waitFor(() => !children.some(alive), 10_000), `processes left: ${children.filter(alive).map((c) => c.pid).join(' ')}`);
      });
    }
  });
}

if (asRoot) defineSuite('create crash points, root (cgroups) @root');
else defineSuite('create crash points, unprivileged @nonroot');
