/**
 * The id-shifted layers of a `--userns` mode (userns-mode.ts). The store's layers were unpacked for the default
 * rootless map; under another map their files would show other owners (root's files owned by nobody). As podman
 * re-chowns a copy of the image for a new map (containers/storage), each layer gets a copy re-owned for the mode,
 * kept in the store beside the layer (`layers/<chainid>/shifted/<key>/`, `key` naming the maps), so it is made
 * once per (layer, map) and goes with the layer when `image rm` or `image prune` removes it.
 * Idmapped mounts would avoid the copy, but mount_setattr(MOUNT_ATTR_IDMAP) needs CAP_SYS_ADMIN in the user
 * namespace owning the layers' file system (the initial one for the store's disk), which an unprivileged caller
 * lacks (EPERM on this 6.18 kernel's ext4 from a user's own user and mount namespace, checked).
 * Crash safety (as the store's imports): a copy is built in `shifted/<key>.tmp-<hex>` and renamed into place once
 * complete, and its record `shifted/<key>.tmp-<hex>.json` (our pid and its start time) is written before the
 * directory exists; a later run removes the copies whose builder is gone. Two runs building the same copy both
 * finish: the first rename wins, the second copy is removed.
 * The copies are made, and the container's own dirs given to its root, by a worker in a user namespace with the
 * default map (userns-shift-worker.ts), never in this process.
 * Man pages: rename(2), user_namespaces(7), newuidmap(1).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RuntimeError, errnoCode } from './errors.js';
import { readProcStat } from './proc-stat.js';
import { randomHex } from './random-hex.js';
import { mapId, type UsernsPlan } from './userns-mode.js';
import type { ShiftJob } from './userns-shift-tree.js';
import { runWorkerInUserNamespace, workerModulePath } from './userns-worker.js';

/** The record of a copy being built. */
interface BuildRecord {
  readonly pid: number;
  readonly startTime: string;
}

/** The name of the shifted copies of `plan` (the same maps, the same name). */
export function shiftKey(plan: UsernsPlan): string {
  const maps = [plan.baseUidMappings, plan.baseGidMappings, plan.uidMappings, plan.gidMappings];
  return `${plan.mode}-${createHash('sha256').update(JSON.stringify(maps)).digest('hex').slice(0, 16)}`;
}

/** True while the builder a record names runs (same pid, same start time). */
function builderAlive(record: BuildRecord): boolean {
  return readProcStat(record.pid)?.startTime.toString() === record.startTime;
}

/** The copies under `dir` (a layer's `shifted/`) whose builder is gone: their dirs and records. */
function staleBuilds(dir: string): { dirs: string[]; records: string[] } {
  const dirs: string[] = [];
  const records: string[] = [];
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (!/\.tmp-[0-9a-f]+\.json$/.test(name)) continue;
    let record: BuildRecord | undefined;
    try {
      record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as BuildRecord;
    } catch {
      record = undefined; // half-written: its writer died before the dir was made
    }
    if (record !== undefined && builderAlive(record)) continue;
    dirs.push(join(dir, name.slice(0, -'.json'.length)));
    records.push(join(dir, name));
  }
  return { dirs, records };
}

/** Run the worker with `job` in a namespace with the plan's default maps. */
async function runWorker(plan: UsernsPlan, job: ShiftJob): Promise<void> {
  const worker = workerModulePath(new URL('./userns-shift-worker.js', import.meta.url));
  const status = await runWorkerInUserNamespace(worker, JSON.stringify(job), { uidMappings: plan.baseUidMappings, gidMappings: plan.baseGidMappings });
  if (status !== 0) throw new RuntimeError('ESETUP', `container run: --userns ${plan.mode}: re-own the image's layers: the worker exited with status ${status}`);
}

/**
 * The layer dirs of `lowerDirs` (the store's `layers/<chainid>/diff`, top first) re-owned for `plan`, made where
 * missing (one worker for all; none when every copy exists and no stale one is left).
 * @throws RuntimeError ESETUP (the worker failed), NamespaceSetupError (no user namespace).
 */
export async function shiftImageLayers(plan: UsernsPlan, lowerDirs: readonly string[]): Promise<string[]> {
  const key = shiftKey(plan);
  const self = readProcStat(process.pid);
  const record: BuildRecord = { pid: process.pid, startTime: self?.startTime.toString() ?? '' };
  const layers: { src: string; dst: string; final: string; record: string }[] = [];
  const remove: string[] = [];
  const staleRecords: string[] = [];
  const out = lowerDirs.map((lower) => {
    const dir = join(dirname(lower), 'shifted');
    const final = join(dir, key);
    const stale = staleBuilds(dir);
    remove.push(...stale.dirs);
    staleRecords.push(...stale.records);
    if (existsSync(final)) return final;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const dst = join(dir, `${key}.tmp-${randomHex(6)}`);
    // the record before the dir: a crash from here on leaves a record naming what to remove
    writeFileSync(`${dst}.json`, JSON.stringify(record), { mode: 0o600 });
    mkdirSync(dst, { mode: 0o755 });
    layers.push({ src: lower, dst, final, record: `${dst}.json` });
    return final;
  });
  if (layers.length === 0 && remove.length === 0) return out;
  // a failure leaves our partial copies with their records: a later run (we are gone then) removes them
  await runWorker(plan, { remove, layers: layers.map(({ src, dst }) => ({ src, dst })), chown: [], uidShift: plan.uidShift, gidShift: plan.gidShift });
  for (const r of staleRecords) rmSync(r, { force: true });
  for (const l of layers) {
    try {
      renameSync(l.dst, l.final);
    } catch (err) {
      const code = errnoCode(err);
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw new RuntimeError('ESETUP', `container run: --userns: rename ${basename(l.dst)}: ${l.final}: ${code ?? String(err)}`, { cause: err });
      // another run made the same copy first: ours is marked abandoned (no builder), for the next run to remove
      writeFileSync(l.record, JSON.stringify({ pid: 0, startTime: '' } satisfies BuildRecord), { mode: 0o600 });
      continue;
    }
    rmSync(l.record, { force: true });
  }
  return out;
}

/**
 * Give `paths` (the container's upper, work and merged dirs, the files the bundle binds in) to the mode's
 * container root, as podman gives its container's files to the container's root.
 * @throws RuntimeError ESETUP (the worker failed), NamespaceSetupError (no user namespace).
 */
export async function chownToContainerRoot(plan: UsernsPlan, paths: readonly string[]): Promise<void> {
  const uid = mapId(plan.uidShift, 0);
  const gid = mapId(plan.gidShift, 0);
  if (uid === undefined || gid === undefined) throw new TypeError('chownToContainerRoot: the mode maps no container root');
  if (paths.length === 0) return;
  await runWorker(plan, { remove: [], layers: [], chown: paths.map((path) => ({ path, uid, gid })), uidShift: plan.uidShift, gidShift: plan.gidShift });
}
