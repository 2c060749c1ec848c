/**
 * LaunchOptions.onCreated: called at the init's last pause, while it still dies with its creator. A creator killed
 * there leaves no init running; once onCreated returned, the init outlives its creator (ct create exits).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBundle, type TestBundle } from './launch-bundle.js';

const launcher = fileURLToPath(new URL('./launch-created-child.ts', import.meta.url));

/** Run the launcher (a creator process) on `bundle`; resolves with the init's pid and the creator's exit signal. */
function create(bundle: TestBundle, mode: 'die' | 'return', work: string): Promise<{ pid: number; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', launcher, bundle.dir, mode, work], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      try {
        resolve({ pid: Number(readFileSync(join(work, 'pid'), 'utf8')), signal });
      } catch (err) {
        reject(err);
      }
    });
  });
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) return true;
    await new Promise((r) => { setTimeout(r, 50); });
  }
  return false;
}

describe('runtime launch, onCreated and the parent-death signal @rootless', function () {
  const bundles: TestBundle[] = [];
  const works: string[] = [];
  const survivors: number[] = [];
  after(() => {
    for (const pid of survivors) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    for (const b of bundles) rmSync(b.dir, { recursive: true, force: true });
    for (const w of works) rmSync(w, { recursive: true, force: true });
  });
  const setup = (): { bundle: TestBundle; work: string } => {
    const bundle = makeBundle('exec sleep 30');
    delete bundle.config.linux['resources'];
    bundle.write();
    const work = mkdtempSync(join(tmpdir(), 'ct-launch-created-'));
    // a cgroupfs of our own: nothing is left in the real one when the creator dies
    writeFileSync(join(work, 'cgroup.controllers'), '');
    bundles.push(bundle);
    works.push(work);
    return { bundle, work };
  };

  it('launchInit, a creator killed at onCreated leaves no init running', async () => {
    const { bundle, work } = setup();
    const { pid, signal } = await create(bundle, 'die', work);
    assert.equal(signal, 'SIGKILL');
    assert.ok(pid > 0);
    assert.equal(await gone(pid), true, `init ${pid} still runs after its creator died`);
  });

  it('launchInit, once onCreated returned the init outlives its creator', async () => {
    const { bundle, work } = setup();
    const { pid, signal } = await create(bundle, 'return', work);
    assert.equal(signal, null);
    survivors.push(pid);
    await new Promise((r) => { setTimeout(r, 300); });
    assert.equal(existsSync(`/proc/${pid}`), true);
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^ct-exec-fifo\0/, 'waiting on the exec FIFO');
  });
});
