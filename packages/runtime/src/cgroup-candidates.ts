/**
 * The cgroup directories a `create` may make for a container, computed before it makes any, so the state record
 * names them before they exist (issue 24: a create killed between making the cgroup and recording it leaked one
 * directory per v1 hierarchy). The placement is the launch's (`cgroupPlacement`: linux.cgroupsPath, or `ct-<id>`),
 * resolved the way @ct/namespaces' cgroup drivers resolve it: below each mounted v1 hierarchy (every one: the
 * launch makes a directory in all of them as root, and a superset costs only an ENOENT at removal), or in the v2
 * tree; a relative path or a plain name starts at our own cgroup there (/proc/self/cgroup), an absolute path at the
 * hierarchy's root. The parents a nested path would need that do not exist yet are listed too (deepest first), to
 * be removed when empty.
 *
 * TODO: this mirrors cgroups/v1.ts and v2.ts of @ct/namespaces; a function there that plans without creating
 * (the cgroups helper's) should replace it, so the two cannot drift.
 *
 * Man pages: cgroups(7), proc_pid_cgroup(5).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a create will put the container's cgroup (container-launch.ts' cgroupPlacement). */
export type CgroupPlacement = { readonly name: string } | { readonly path: string };

/** The planned directories, as recorded before the launch. */
export interface CgroupCandidates {
  /** v1: one directory per mounted hierarchy; v2: one. */
  readonly paths: readonly string[];
  /** Missing parents of a nested path, deepest first. */
  readonly parents: readonly string[];
}

/** Our own cgroup per hierarchy key (`pids`, `cpu,cpuacct`, `name=systemd`, and each controller; `` for v2). */
function ownCgroups(procRoot: string): Map<string, string> {
  const map = new Map<string, string>();
  let text = '';
  try {
    text = readFileSync(`${procRoot}/self/cgroup`, 'utf8');
  } catch {
    return map;
  }
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    map.set(m[1], m[2]);
    for (const ctrl of m[1].split(',')) if (ctrl !== '') map.set(ctrl, m[2]);
  }
  return map;
}

/** The mounted v1 hierarchies under `root` (directories with cgroup.procs, not a v2 tree). */
function v1Hierarchies(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
  return names.filter((d) => existsSync(join(root, d, 'cgroup.procs')) && !existsSync(join(root, d, 'cgroup.controllers'))).sort();
}

/** Our cgroup in v1 hierarchy `h` (named hierarchies appear as `name=x` in /proc/self/cgroup). */
function ownIn(own: Map<string, string>, h: string): string {
  return own.get(h) ?? own.get(`name=${h}`) ?? h.split(',').map((c) => own.get(c)).find((p) => p !== undefined) ?? '/';
}

/** The directories of `placement` below a hierarchy at `top` where we sit in `self`, and its missing parents. */
function below(top: string, self: string, placement: CgroupPlacement): { path: string; parents: string[] } {
  if ('name' in placement) return { path: join(top, self, placement.name), parents: [] };
  const base = placement.path.startsWith('/') ? top : join(top, self);
  const parts = placement.path.split('/').filter((p) => p !== '');
  const parents: string[] = [];
  let dir = base;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    if (!existsSync(dir)) parents.unshift(dir);
  }
  return { path: join(base, ...parts), parents };
}

/** The directories a create with `placement` may make under the cgroupfs `root` (see the module comment). */
export function cgroupCandidates(placement: CgroupPlacement, root: string, procRoot = '/proc'): CgroupCandidates {
  const own = ownCgroups(procRoot);
  if (existsSync(join(root, 'cgroup.controllers'))) {
    const { path, parents } = below(root, own.get('') ?? '/', placement);
    return { paths: [path], parents };
  }
  const paths: string[] = [];
  const parents: string[] = [];
  for (const h of v1Hierarchies(root)) {
    const planned = below(join(root, h), ownIn(own, h), placement);
    paths.push(planned.path);
    parents.push(...planned.parents);
  }
  return { paths, parents };
}
