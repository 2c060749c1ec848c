/**
 * The name of a `ct container run`, claimed before anything is written for it, so that a refused run touches no
 * other container's files (a second run of a name in use under another --storage-root used to overwrite the
 * running container's store.json and delete its bundle). The claim is the bundle directory itself,
 * `.bundles/<id>`, made atomically: a private directory holding `claim.json` (the claiming process's pid and start
 * time) renamed into place, under a lock on `.bundles/.lock` so two runs never both judge a claim stale.
 *
 * A name is in use while its state directory exists (a running, paused or kept container, also one made by
 * `ct create`) or while the process that claimed it lives (a run still preparing: importing, pulling). A claim
 * whose process is gone and whose container never got a state (a run killed before create) is stale: it is
 * moved aside and removed with the store root its store.json names.
 *
 * Man pages: rename(2) (a directory renamed onto a non-empty one fails: EEXIST or ENOTEMPTY), flock(2),
 * proc_pid_stat(5).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeContext } from './context.js';
import { errnoCode, RuntimeError, systemError } from './errors.js';
import { withLock } from './lock.js';
import { readProcStat } from './proc-stat.js';
import { containerPaths, writeFileAtomic } from './state-store.js';
import { readRestartFailure } from './container-run-monitor/restart-record.js';

/** What a claim records. */
interface ClaimRecord {
  readonly pid: number;
  /** The claiming process's start time (clock ticks after boot, as text): a recycled pid does not hold a claim. */
  readonly startTime: string;
}

function inUse(id: string, why = ` by a container: remove it (ct container rm -f ${id}) or choose another --name`): RuntimeError {
  return new RuntimeError('ECONTAINEREXISTS', `container run: the name ${JSON.stringify(id)} is in use${why}`);
}

function readClaim(bundle: string): ClaimRecord | undefined {
  try {
    const c = JSON.parse(readFileSync(join(bundle, 'claim.json'), 'utf8')) as Partial<ClaimRecord>;
    return typeof c.pid === 'number' && typeof c.startTime === 'string' ? { pid: c.pid, startTime: c.startTime } : undefined;
  } catch {
    return undefined;
  }
}

function claimHolderLives(claim: ClaimRecord): boolean {
  const stat = readProcStat(claim.pid);
  // a zombie holds nothing: a killed monitor (its parent gone) waits to be reaped by an init that may never do it
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTime.toString() === claim.startTime;
}

/**
 * Remove the store root of container `id` that the store.json of `bundle` names. A store.json without the image
 * was written before the store root was made: the root there is ours only when it was born after the claim (an
 * older one of that name belongs to a container of another state root, which made the run fail; a file system
 * without birth times keeps it).
 */
async function removeStoreRoot(bundle: string, id: string): Promise<void> {
  let store: { storageRoot?: unknown; image?: unknown };
  try {
    store = JSON.parse(readFileSync(join(bundle, 'store.json'), 'utf8')) as typeof store;
  } catch (err) {
    // no store.json: the run died before it chose its store
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  if (typeof store.storageRoot !== 'string') return;
  const oci = await import('@ct/oci/store');
  if (store.image === undefined) {
    const born = (path: string): number => { try { return statSync(path).birthtimeMs; } catch { return 0; } };
    const root = born(oci.containerDir(id, { storageRoot: store.storageRoot }));
    if (root === 0 || root < born(join(bundle, 'claim.json'))) return;
  }
  await oci.removeContainerRoot(id, { storageRoot: store.storageRoot });
}

/**
 * What a claim's bundle still names: its store root, and a network attachment (a delete killed after it removed
 * the state dir and before it detached the network leaves the bundle with its network.json as a claim without a
 * state: its netns holder, CNI lease and rules would otherwise stay for good).
 */
async function removeClaimedResources(bundle: string, id: string): Promise<void> {
  if (existsSync(join(bundle, 'network.json'))) await (await import('./network/network-attach.js')).detachNetwork(bundle);
  await removeStoreRoot(bundle, id);
}

/** Remove a stale claim: moved aside first (the name is free at once), then its store root and files. */
async function removeStaleClaim(bundles: string, bundle: string): Promise<void> {
  const aside = mkdtempSync(join(bundles, '.stale-'));
  const id = bundle.slice(bundles.length + 1);
  // aside/ID: removeStaleClaims finds the name of the store root there should this removal be killed
  const moved = join(aside, id);
  renameSync(bundle, moved);
  await removeClaimedResources(moved, id);
  rmSync(aside, { recursive: true, force: true });
}

/** A claim without a container state: a run still preparing (`live`), or one killed before create (stale). */
export interface ClaimWithoutState {
  readonly id: string;
  /** The claiming process lives (a run importing or pulling): not stale. */
  readonly live: boolean;
  /** When the name was claimed (the claim's mtime), RFC 3339. */
  readonly claimed: string;
}

/**
 * The claims under the state root whose container has no state (yet, or ever): what `container ps --all` shows of
 * runs killed before create, so a user sees them (and their store roots) and removes them (`rm`, `prune`).
 */
export function listClaimsWithoutState(ctx: RuntimeContext): ClaimWithoutState[] {
  const bundles = join(ctx.stateRoot.path, '.bundles');
  if (!existsSync(bundles)) return [];
  const found: ClaimWithoutState[] = [];
  for (const id of readdirSync(bundles)) {
    if (id.startsWith('.') || existsSync(containerPaths(ctx.stateRoot.path, id).dir)) continue;
    const claim = readClaim(join(bundles, id));
    if (claim === undefined) continue;
    let claimed: string;
    try {
      claimed = statSync(join(bundles, id, 'claim.json')).mtime.toISOString();
    } catch {
      continue; // removed meanwhile
    }
    found.push({ id, live: claimHolderLives(claim), claimed });
  }
  return found;
}

/**
 * Remove what runs killed before create wrote their state left under the state root: stale claims (with the store
 * roots their store.json names), and the `.claim-`, `.stale-` and `.removing-` dirs of claims, removals and
 * deletes killed half-way. `only`: the claim of that name alone (`container rm ID`). Returns the names of the
 * stale claims removed. A claim whose process lives, or whose container has a state, is not stale and stays.
 */
export async function removeStaleClaims(ctx: RuntimeContext, only?: string): Promise<string[]> {
  const bundles = join(ctx.stateRoot.path, '.bundles');
  if (!existsSync(bundles)) return [];
  return withLock(join(bundles, '.lock'), async () => {
    const removed: string[] = [];
    for (const name of only === undefined ? readdirSync(bundles) : [only]) {
      const dir = join(bundles, name);
      if (name.startsWith('.')) {
        // .claim- and .stale- dirs exist only while their maker holds this lock: these are dead; a .removing- one
        // is a deleted container's files, moved aside before their removal
        if (!/^\.(claim|stale|removing)-/.test(name)) continue;
        // a stale claim moved aside as .stale-X/ID: its store root may still be there
        if (name.startsWith('.stale-')) for (const id of readdirSync(dir)) await removeClaimedResources(join(dir, id), id);
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const claim = readClaim(dir);
      // a container whose restart failed has no state but is no stale claim: rm and prune remove it as a container
      if (claim === undefined || claimHolderLives(claim) || existsSync(containerPaths(ctx.stateRoot.path, name).dir) || readRestartFailure(dir) !== undefined) continue;
      await removeStaleClaim(bundles, dir);
      removed.push(name);
    }
    return removed;
  });
}

/**
 * True while the process that holds the claim of `bundle` lives: a run preparing, `container start` starting it,
 * or the monitor of a `--restart` container (which may still restart it).
 */
export function claimHeld(bundle: string): boolean {
  const claim = readClaim(bundle);
  return claim !== undefined && claimHolderLives(claim);
}

/**
 * Make this process the holder of the claim of `bundle` (a `ct container run` bundle): while it lives, the claim
 * is not stale even when the container has no state. The monitor of a `--restart` container holds it, so the
 * moment between a run's state deleted and the next one's created is not taken for a run killed before create
 * (by `container run` of the name, `prune` or `rm`), and `container start` holds it while it starts the
 * container again. The file is replaced atomically: a reader never sees half of it.
 */
export function holdClaim(bundle: string): void {
  writeFileAtomic(join(bundle, 'claim.json'), JSON.stringify(ownClaim()), 0o600);
}

/** The claim record of this process. */
function ownClaim(): ClaimRecord {
  return { pid: process.pid, startTime: readProcStat(process.pid)?.startTime.toString() ?? '' };
}

/**
 * Claim `id` for a `container run` under the state root; returns the bundle directory, now ours (remove it to give
 * the name back).
 * @throws RuntimeError ECONTAINEREXISTS (the name is in use), ESYSTEM.
 */
export async function claimContainerName(ctx: RuntimeContext, id: string): Promise<string> {
  const bundles = join(ctx.stateRoot.path, '.bundles');
  const bundle = join(bundles, id);
  try {
    mkdirSync(bundles, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw systemError('container run: create bundle dir', bundles, err);
  }
  const record = ownClaim();
  return withLock(join(bundles, '.lock'), async () => {
    if (existsSync(containerPaths(ctx.stateRoot.path, id).dir)) throw inUse(id);
    const mine = mkdtempSync(join(bundles, '.claim-'));
    writeFileSync(join(mine, 'claim.json'), JSON.stringify(record));
    const place = (): boolean => {
      try {
        renameSync(mine, bundle);
        return true;
      } catch (err) {
        if (errnoCode(err) === 'EEXIST' || errnoCode(err) === 'ENOTEMPTY') return false;
        rmSync(mine, { recursive: true, force: true });
        throw systemError('container run: claim bundle dir', bundle, err);
      }
    };
    if (place()) return bundle;
    const theirs = readClaim(bundle);
    if (readRestartFailure(bundle) !== undefined) {
      rmSync(mine, { recursive: true, force: true });
      throw inUse(id);
    }
    if (theirs === undefined || claimHolderLives(theirs)) {
      rmSync(mine, { recursive: true, force: true });
      throw inUse(id, theirs === undefined
        ? `: ${bundle} exists without a claim (left by an older ct?): remove that directory or choose another --name`
        : ` by a container ct (pid ${theirs.pid}) is preparing: choose another --name`);
    }
    await removeStaleClaim(bundles, bundle);
    if (place()) return bundle;
    rmSync(mine, { recursive: true, force: true });
    throw inUse(id);
  });
}
