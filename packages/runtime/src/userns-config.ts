/**
 * What a `--userns` mode (userns-mode.ts) changes in the config.json of `container run`: the id maps, and for
 * keep-id what podman 4.3 does for the caller (libpod generateCurrentUserPasswdEntry): the process runs as the
 * caller's uid and gid unless `-u` is given; when the image's /etc/passwd has neither the caller's name nor uid, a
 * line `NAME:*:UID:GID:GECOS:HOME:/bin/sh` is added (the caller's host entry; HOME its home directory when a mount
 * is at it or above it, else the working directory), and HOME is set to it unless the environment sets one; when
 * the image's /etc/group has neither the caller's group name nor gid, `GROUP:x:GID:NAME` is added to it.
 * podman appends the lines to the container's own files; ct binds copies with the lines over them (podman's way
 * for a read-only root), given to container root (userns-shift.ts) as podman's files are.
 * Man pages: passwd(5), user_namespaces(7).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readInRoots } from './config/root-files.js';
import { RuntimeError } from './errors.js';
import { mapId, type UsernsPlan } from './userns-mode.js';

type Json = Record<string, unknown>;

/** What applyUserns needs besides the config. */
export interface UsernsConfigContext {
  readonly plan: UsernsPlan;
  readonly bundle: string;
  /** The image's layer dirs, top first (its /etc/passwd is read from the first that has one). */
  readonly layers: readonly string[];
  /** `-u` was given: the process user stays what it resolved to. */
  readonly userGiven: boolean;
  /** The environment the image and the flags set (a HOME there stays). */
  readonly env: readonly string[];
  /** The host's /etc/passwd text (tests). */
  readonly hostPasswd?: string | undefined;
  /** The host's /etc/group text (tests). */
  readonly hostGroup?: string | undefined;
}

/** The fields of the line of `text` (passwd or group) whose third field is `id`. */
function entryOf(text: string, id: number): string[] | undefined {
  return text.split('\n').map((line) => line.split(':')).find((f) => f.length >= 3 && f[2] === String(id));
}

/** True when `text` (passwd or group) has a line for `name` or `id`. */
function hasEntry(text: string, name: string, id: number): boolean {
  return text.split('\n').some((line) => {
    const f = line.split(':');
    return f[0] === name || (f.length >= 3 && f[2] === String(id));
  });
}

/**
 * `bundle/NAME`: the image's /etc/NAME (none: empty) with `line` added, bound over it; undefined (nothing written)
 * when the image has the entry already.
 */
function addEntry(config: Json, c: UsernsConfigContext, name: 'passwd' | 'group', entry: { name: string; id: number; line: string }): string | undefined {
  const text = readInRoots(c.layers, `/etc/${name}`) ?? '';
  if (hasEntry(text, entry.name, entry.id)) return undefined;
  const file = join(c.bundle, name);
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  // a config written again (the copy root after a refused overlay) finds the file given to container root
  rmSync(file, { force: true });
  writeFileSync(file, `${text}${sep}${entry.line}\n`, { mode: 0o644 });
  const mounts = (config['mounts'] as Json[] | undefined) ?? [];
  config['mounts'] = [...mounts, { destination: `/etc/${name}`, type: 'bind', source: file, options: ['bind', 'nosuid', 'nodev', 'noexec'] }];
  return file;
}

/** podman's HOME for the added user: its host home when a mount is at it or a directory above it, else `cwd`. */
export function keepIdHome(home: string, cwd: string, mountDestinations: readonly string[]): string {
  const dests = new Set(mountDestinations.map((d) => d.replace(/\/+$/, '') || '/'));
  for (let dir = home; dir !== '/' && dir !== '.' && dir !== ''; dir = dir.slice(0, dir.lastIndexOf('/')) || '/') {
    if (dests.has(dir)) return home;
  }
  return cwd;
}

/**
 * Apply the mode to `config` (config.json after the flags): linux.uidMappings and gidMappings, and for keep-id the
 * process user, HOME and the passwd and group files (`bundle/passwd`, `bundle/group`, bound over the image's).
 * Returns the bundle files to give to container root.
 */
export function applyUserns(config: Json, c: UsernsConfigContext): string[] {
  const linux = (config['linux'] ?? {}) as Json;
  // --network container:ID left the maps out: the container joins that one's user namespace and its maps
  if (linux['uidMappings'] === undefined) throw new RuntimeError('EUSAGE', `container run: --userns ${c.plan.mode}: the container joins another container's user namespace (--network container:ID): it has that one's maps`);
  linux['uidMappings'] = c.plan.uidMappings;
  linux['gidMappings'] = c.plan.gidMappings;
  config['linux'] = linux;
  if (c.plan.mode !== 'keep-id' || c.userGiven) return [];
  const proc = (config['process'] ?? {}) as Json;
  // podman's user UID:GID: the gid is its one supplementary group too (`id` shows groups=GID)
  proc['user'] = { uid: c.plan.uid, gid: c.plan.gid, additionalGids: [c.plan.gid] };
  const mounts = (config['mounts'] as Json[] | undefined) ?? [];
  const cwd = typeof proc['cwd'] === 'string' ? proc['cwd'] : '/';
  // HOME: the environment's; else the added entry's; else (the image has the user) the runtime's, from the image
  const envHome = c.env.some((x) => /^HOME(=|$)/.test(x));
  let env = ((proc['env'] as string[] | undefined) ?? []).filter((e) => envHome || !e.startsWith('HOME='));
  const files: string[] = [];
  const user = entryOf(c.hostPasswd ?? readHostFile('passwd'), c.plan.uid);
  if (user !== undefined) {
    const [name = '', , , , gecos = '', hostHome = ''] = user;
    const home = keepIdHome(hostHome, cwd, mounts.map((m) => String(m['destination'])));
    const passwd = addEntry(config, c, 'passwd', { name, id: c.plan.uid, line: `${name}:*:${c.plan.uid}:${c.plan.gid}:${gecos}:${home}:/bin/sh` });
    if (passwd !== undefined) {
      files.push(passwd);
      if (!envHome) env = [...env, `HOME=${home}`];
    }
    // the caller's group, with the caller as member (podman's generateCurrentUserGroupEntry)
    const group = entryOf(c.hostGroup ?? readHostFile('group'), c.plan.gid);
    const added = group === undefined ? undefined : addEntry(config, c, 'group', { name: group[0]!, id: c.plan.gid, line: `${group[0]}:x:${c.plan.gid}:${name}` });
    if (added !== undefined) files.push(added);
  }
  proc['env'] = env;
  config['process'] = proc;
  return files;
}

function readHostFile(name: 'passwd' | 'group'): string {
  try {
    return readFileSync(`/etc/${name}`, 'utf8');
  } catch {
    return '';
  }
}

/** A `-v ...:U` owner (container ids) as the ids of the default namespace chownVolume chowns in. */
export function volumeOwnerFor(plan: UsernsPlan | undefined, uid: number, gid: number): { uid: number; gid: number } {
  if (plan === undefined) return { uid, gid };
  return { uid: mapId(plan.uidShift, uid) ?? uid, gid: mapId(plan.gidShift, gid) ?? gid };
}
