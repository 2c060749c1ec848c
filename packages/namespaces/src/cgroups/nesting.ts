/**
 * Nested cgroup paths (`CgroupSpec.path`, the runtime-spec's `linux.cgroupsPath`): checking the path, making each
 * missing directory from the top down (so a caller can prepare each new level: v1 cpuset's cpus and mems copied
 * down, v2 controllers enabled for the next level), and removing, deepest first, the parents this process made once
 * they are empty. As runc's cgroupfs driver (libcontainer/cgroups/fs/paths.go): an absolute path starts at each
 * hierarchy's root, a relative one below the caller's own cgroup; unlike runc, which leaves parents behind, the
 * directories made for the path are removed with the container when nothing else uses them.
 *
 * Man pages: cgroups(7), rmdir(2) (EBUSY: a cgroup with children or tasks).
 */
import { join } from 'node:path';
import { CgroupError, ContainerSpecError } from '../errors.js';
import type { CgroupFs } from './resources.js';

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** One cgroup directory name: no slash, not `.` or `..`, not empty. */
const COMPONENT = /^[A-Za-z0-9_.:@,+=-]+$/;

/**
 * The components of a cgroup path (empty ones from doubled or trailing slashes dropped); a ContainerSpecError naming
 * `field` for a `.`/`..` component, a character outside [A-Za-z0-9_.:@,+=-], or a path with no component.
 */
export function cgroupPathComponents(path: string, field = 'cgroup.path'): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 0) throw new ContainerSpecError(field, `names no cgroup below the root: ${JSON.stringify(path)}`);
  const bad = parts.find((p) => p === '.' || p === '..' || !COMPONENT.test(p));
  if (bad !== undefined) throw new ContainerSpecError(field, `bad component ${JSON.stringify(bad)} in ${JSON.stringify(path)}`);
  return parts;
}

/**
 * Make `base/components...` one level at a time; `prepare(dir, isLeaf)` runs on every level, made or found, after
 * it exists (top first). Returns the directories this call made, top first. A failure removes what it made.
 */
export function mkdirNested(
  fs: CgroupFs, base: string, components: readonly string[], prepare: (dir: string, isLeaf: boolean) => void = () => undefined,
): string[] {
  const made: string[] = [];
  let dir = base;
  try {
    components.forEach((c, i) => {
      dir = join(dir, c);
      const at = dir;
      if (!fs.exists(at)) {
        try {
          fs.mkdir(at);
        } catch (error) {
          throw new CgroupError(at, 'mkdir', asError(error));
        }
        made.push(at);
      }
      prepare(at, i === components.length - 1);
    });
  } catch (error) {
    for (const d of [...made].reverse()) {
      try {
        fs.rmdir(d);
      } catch {
        // best effort: the error that stopped us is the one to report
      }
    }
    throw error;
  }
  return made;
}

/**
 * Remove the parents this process made (`parents`, deepest first), stopping at the first one still in use (EBUSY,
 * ENOTEMPTY: another container's cgroup or tasks below it) or already gone.
 */
export function removeMadeParents(fs: CgroupFs, parents: readonly string[]): void {
  for (const dir of parents) {
    try {
      fs.rmdir(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      if (code === 'EBUSY' || code === 'ENOTEMPTY' || code === 'EEXIST') return;
      throw new CgroupError(dir, 'rmdir', asError(error));
    }
  }
}
