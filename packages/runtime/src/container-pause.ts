/**
 * `pause <id>` / `resume <id>`: the cgroup v1 freezer. pause makes `<freezer>/<own cgroup>/ct-<id>`, moves every
 * process of the container into it (again until none is left outside: a process may fork meanwhile), writes
 * FROZEN and waits until the kernel reports it; resume writes THAWED. The freezer path is recorded in state.json,
 * so the status reads `paused` while it is frozen, and `delete` thaws and removes it. Needs root (a v1 hierarchy
 * cannot be delegated); cgroup v2's cgroup.freeze is not done.
 *
 * Man pages: cgroups(7); the kernel's cgroup-v1/freezer-subsystem.rst.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeContext } from './context.js';
import { deriveStatus } from './container-status.js';
import { RuntimeError, systemError } from './errors.js';
import { withLock } from './lock.js';
import { containerPids } from './process-signal.js';
import { containerPaths, readRecord, writeRecord } from './state-store.js';

const FREEZER_ROOT = '/sys/fs/cgroup/freezer';

/** Our own freezer cgroup (from /proc/self/cgroup), under which the container's is made. */
function ownFreezer(): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes('freezer'));
  return line?.split(':')[2] ?? '/';
}

function write(file: string, value: string, step: string): void {
  try {
    writeFileSync(file, value);
  } catch (err) {
    throw systemError(step, file, err);
  }
}

async function settle(dir: string, want: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (readFileSync(join(dir, 'freezer.state'), 'utf8').trim() === want) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new RuntimeError('ESYSTEM', `freezer: ${dir}: still not ${want} after 5s`);
}

/** Thaw a frozen container's freezer cgroup (delete does this before killing: frozen tasks cannot die). */
export async function thawFreezer(dir: string): Promise<void> {
  if (!existsSync(join(dir, 'freezer.state'))) return;
  write(join(dir, 'freezer.state'), 'THAWED', 'resume: thaw');
  await settle(dir, 'THAWED');
}

/** Freeze every process of container `id` (it must be running). */
export async function pauseContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const paths = containerPaths(ctx.stateRoot.path, id);
  readRecord(paths, id);
  await withLock(paths.lock, async () => {
    const record = readRecord(paths, id);
    const status = deriveStatus(record, paths);
    if (status !== 'running') throw new RuntimeError('EBADSTATE', `cannot pause a container that is ${status}`);
    if (!existsSync(join(FREEZER_ROOT, 'cgroup.procs'))) {
      throw new RuntimeError('EUSAGE', 'pause: no cgroup v1 freezer hierarchy at /sys/fs/cgroup/freezer');
    }
    const dir = record.freezer ?? join(FREEZER_ROOT, ownFreezer(), `ct-${id}`);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw systemError('pause: create freezer cgroup', dir, err);
    }
    if (record.freezer === undefined) writeRecord(paths, { ...record, freezer: dir });
    const init = { pid: record.pid, startTime: record.initStartTime };
    for (let round = 0; round < 10; round++) {
      const inside = new Set(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter((x) => x !== '').map(Number));
      const outside = containerPids(init).filter((pid) => !inside.has(pid));
      if (outside.length === 0) break;
      for (const pid of outside) {
        try {
          writeFileSync(join(dir, 'cgroup.procs'), String(pid));
        } catch {
          // it exited meanwhile
        }
      }
    }
    write(join(dir, 'freezer.state'), 'FROZEN', 'pause: freeze');
    await settle(dir, 'FROZEN');
    ctx.logger.log('debug', `paused ${id}`);
  });
}

/** Thaw container `id` (it must be paused). */
export async function resumeContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const paths = containerPaths(ctx.stateRoot.path, id);
  readRecord(paths, id);
  await withLock(paths.lock, async () => {
    const record = readRecord(paths, id);
    const status = deriveStatus(record, paths);
    if (status !== 'paused' || record.freezer === undefined) throw new RuntimeError('EBADSTATE', `cannot resume a container that is ${status}`);
    await thawFreezer(record.freezer);
    ctx.logger.log('debug', `resumed ${id}`);
  });
}
