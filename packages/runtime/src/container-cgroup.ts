/**
 * The container's cgroup as the runtime keeps it: where cgroupfs is (`/sys/fs/cgroup`, or `CT_CGROUP_ROOT`, a
 * test-only override that points every verb at a fake cgroupfs the tests build), what `create` asks @ct/namespaces
 * for (as real root: a directory in every mounted v1 hierarchy with the freezer, as runc does, so `update` and
 * `pause` work whatever linux.resources held; v2: one directory), what state.json records of it (paths, version,
 * a non-default root) and how later verbs reopen it. The light verbs (`state`, `ps`, `delete`) read the few files
 * they need here directly; pause, update and events load @ct/namespaces' cgroup functions.
 *
 * Man pages: cgroups(7); kernel docs admin-guide/cgroup-v1/freezer-subsystem.rst, admin-guide/cgroup-v2.rst.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { CgroupFs, ContainerCgroup } from '@ct/namespaces/engine';
import { extraResourceWrites, type ExtraResources } from './config/config-resources-extra.js';
import { RuntimeError, systemError } from './errors.js';
import type { ContainerRecord } from './state-store.js';

/** The real cgroupfs mount point. */
export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * The cgroupfs root: `CT_CGROUP_ROOT` when set (test-only: a directory laid out like cgroupfs, so the v2 paths are
 * exercised on this v1 machine; a container records it and every later verb uses the recorded one), else the real one.
 */
export function cgroupRootFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const root = env['CT_CGROUP_ROOT'];
  return root === undefined || root === '' ? DEFAULT_CGROUP_ROOT : root;
}

/** Which cgroup version the cgroupfs at `root` is (v2: a unified hierarchy, with cgroup.controllers at its root). */
export function cgroupVersionAt(root: string): 'v1' | 'v2' {
  return existsSync(join(root, 'cgroup.controllers')) ? 'v2' : 'v1';
}

/** The file a fake cgroupfs (CT_CGROUP_ROOT) gets instead of a device program attached: the program's bytes. */
export const FAKE_DEVICE_PROGRAM_FILE = 'ct-test.devices.bpf';

/**
 * The cgroupfs operations for `root`: undefined (the default ones) for the real root; under a fake root
 * (CT_CGROUP_ROOT, test-only) `base` except that a v2 device program, which only a real cgroup2 directory takes, is
 * written to FAKE_DEVICE_PROGRAM_FILE in the container's directory for the test to run.
 */
export function cgroupFsFor(root: string, base: CgroupFs): CgroupFs | undefined {
  if (root === DEFAULT_CGROUP_ROOT) return undefined;
  return { ...base, attachDeviceFilter: (dir, program) => { writeFileSync(join(dir, FAKE_DEVICE_PROGRAM_FILE), program); } };
}

/** What state.json keeps of a container's cgroup. */
export interface RecordedCgroup {
  /** The directories (one per v1 hierarchy, one for v2). */
  readonly cgroupPaths?: readonly string[];
  /** The parents made for a nested cgroupsPath (deepest first; absent when none), removed by delete when empty. */
  readonly cgroupParents?: readonly string[];
  /** 'v2' when the cgroup is in a unified hierarchy (absent: v1). */
  readonly cgroupVersion?: 'v1' | 'v2';
  /** The cgroupfs root when it is not /sys/fs/cgroup (CT_CGROUP_ROOT at create). */
  readonly cgroupRoot?: string;
}

/** The record fields for a created cgroup. */
export function recordCgroup(cg: { version: 'v1' | 'v2'; paths: readonly string[]; parents?: readonly string[] } | undefined, root: string): RecordedCgroup {
  if (cg === undefined || cg.paths.length === 0) return {};
  return {
    cgroupPaths: cg.paths,
    ...(cg.parents === undefined || cg.parents.length === 0 ? {} : { cgroupParents: cg.parents }),
    ...(cg.version === 'v2' ? { cgroupVersion: 'v2' as const } : {}),
    ...(root === DEFAULT_CGROUP_ROOT ? {} : { cgroupRoot: root }),
  };
}

function rootOf(record: RecordedCgroup): string {
  return record.cgroupRoot ?? DEFAULT_CGROUP_ROOT;
}

/** The recorded v1 directory of `controller` (its hierarchy is the path's first component below the root). */
export function recordedDir(record: RecordedCgroup, controller: string): string | undefined {
  const paths = record.cgroupPaths ?? [];
  if (record.cgroupVersion === 'v2') return paths[0];
  return paths.find((p) => (relative(rootOf(record), p).split('/')[0] ?? '').split(',').includes(controller));
}

/** The directory whose files say whether the container is frozen (v1 freezer, v2 the cgroup); none without one. */
function freezerDir(record: RecordedCgroup): string | undefined {
  return recordedDir(record, 'freezer');
}

/** Whether the container's cgroup is frozen or freezing (`paused` status), read without loading @ct/namespaces. */
export function isCgroupFrozen(record: RecordedCgroup): boolean {
  const dir = freezerDir(record);
  if (dir === undefined) return false;
  try {
    if (record.cgroupVersion === 'v2') {
      return /^frozen 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8')) || readFileSync(join(dir, 'cgroup.freeze'), 'utf8').trim() === '1';
    }
    const state = readFileSync(join(dir, 'freezer.state'), 'utf8').trim();
    return state === 'FROZEN' || state === 'FREEZING';
  } catch {
    return false;
  }
}

/** Thaw without waiting (delete: frozen tasks keep a pending SIGKILL until thawed). */
export function thawRecorded(record: RecordedCgroup): void {
  const dir = freezerDir(record);
  if (dir === undefined) return;
  const [file, value] = record.cgroupVersion === 'v2' ? ['cgroup.freeze', '0'] : ['freezer.state', 'THAWED'];
  try {
    writeFileSync(join(dir, file), value);
  } catch (err) {
    throw systemError('delete: thaw', join(dir, file), err);
  }
}

/**
 * The host pids in the container's cgroup (cgroup.procs of its pids, freezer or first directory: exec'd processes
 * joined it too); undefined when it has no cgroup.
 */
export function cgroupPids(record: RecordedCgroup): number[] | undefined {
  const dir = recordedDir(record, 'pids') ?? recordedDir(record, 'freezer') ?? record.cgroupPaths?.[0];
  if (dir === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
  } catch (err) {
    throw systemError('ps: read cgroup.procs', dir, err);
  }
  return text.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number);
}

/**
 * Signal every process in the container's cgroup (`kill --all`, `delete --force`: runc finds them by cgroup, so a
 * process that left the pid namespace's view, or joined the cgroup from outside, is not missed). The listing is
 * live, so a listed pid is the member it names; one that exits meanwhile is skipped.
 */
export function signalCgroup(record: RecordedCgroup, signal: number): void {
  for (const dir of record.cgroupPaths ?? []) {
    let text: string;
    try {
      text = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!/^\d+$/.test(line)) continue;
      try {
        process.kill(Number(line), signal);
      } catch {
        // exited meanwhile
      }
    }
  }
}

/** v2 controllers (the files' prefixes that name one; `cgroup.*` and the like need no enabling). */
const V2_CONTROLLERS: ReadonlySet<string> = new Set(['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']);

/**
 * Write linux.resources' cpuset, blockIO, hugepageLimits and unified into the container's cgroup (create, update):
 * each file into its controller's directory (an error naming the field's controller when the container has none);
 * of alternatives (blkio.weight or blkio.bfq.weight, ...) the first that exists; v2 controllers enabled first.
 */
export async function applyExtraResources(cg: ContainerCgroup, x: ExtraResources, verb: string): Promise<void> {
  const writes = extraResourceWrites(x, cg.version);
  const { ensureDelegated } = await import('@ct/namespaces/engine');
  const dir = cg.paths[0];
  if (cg.version === 'v2' && dir !== undefined) ensureDelegated(cg.fs, dirname(dir), [...new Set(writes.map((w) => w.controller))].filter((c) => V2_CONTROLLERS.has(c)));
  for (const w of writes) {
    const at = cg.dirOf(w.controller);
    if (at === undefined) throw new RuntimeError('ESETUP', `${verb}: ${w.field}: the container has no ${w.controller} cgroup`);
    const [file, value] = w.candidates.find(([f]) => cg.fs.exists(join(at, f))) ?? w.candidates[0] ?? ['', ''];
    try {
      cg.fs.write(join(at, file), value);
    } catch (err) {
      throw systemError(`${verb}: ${w.field}: write ${value}`, join(at, file), err);
    }
  }
}

/** The container's cgroup reopened through @ct/namespaces (pause, update, events); an error when it has none. */
export async function openRecordedCgroup(record: ContainerRecord, verb: string): Promise<ContainerCgroup> {
  const paths = record.cgroupPaths ?? [];
  if (paths.length === 0) {
    throw new RuntimeError('EUSAGE', `${verb}: container ${record.id} has no cgroup (rootless: cgroup v1 cannot be delegated, and cgroup v2 needs a delegated subtree)`);
  }
  const { openContainerCgroup } = await import('@ct/namespaces/engine');
  return openContainerCgroup(paths, { cgroupRoot: rootOf(record), cgroupVersion: record.cgroupVersion ?? 'v1' });
}
