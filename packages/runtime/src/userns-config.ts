/**
 * What a `--userns` mode (userns-mode.ts) changes in the config.json of `container run`: the id maps, and for
 * keep-id what podman 4.3 does for the caller (libpod generateCurrentUserPasswdEntry): the process runs as the
 * caller's uid and gid unless `-u` is given; when the image's /etc/passwd has neither the caller's name nor uid, a
 * line `NAME:*:UID:GID:GECOS:HOME:/bin/sh` is added (the caller's host entry; HOME its home directory when a mount
 * is at it or above it, else the working directory), and HOME is set to it unless the environment sets one.
 * podman appends the line to the container's own /etc/passwd; ct binds a copy with the line over it (podman's way
 * for a read-only root), given to container root (userns-shift.ts) as podman's file is.
 * Man pages: passwd(5), user_namespaces(7).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readInRoots } from './config/root-files.js';
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
}

/** The caller's entry in the host's passwd text: name, gecos, home. */
function hostEntry(text: string, uid: number): { name: string; gecos: string; home: string } | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && f[2] === String(uid)) return { name: f[0]!, gecos: f[4]!, home: f[5]! };
  }
  return undefined;
}

/** True when `passwd` has a line for `name` or `uid`. */
function hasUser(passwd: string, name: string, uid: number): boolean {
  return passwd.split('\n').some((line) => {
    const f = line.split(':');
    return f[0] === name || (f.length >= 3 && f[2] === String(uid));
  });
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
 * process user, HOME and the passwd file (`bundle/passwd`, bound at /etc/passwd). Returns the bundle files to give
 * to container root.
 */
export function applyUserns(config: Json, c: UsernsConfigContext): string[] {
  const linux = (config['linux'] ?? {}) as Json;
  linux['uidMappings'] = c.plan.uidMappings;
  linux['gidMappings'] = c.plan.gidMappings;
  config['linux'] = linux;
  if (c.plan.mode !== 'keep-id' || c.userGiven) return [];
  const proc = (config['process'] ?? {}) as Json;
  proc['user'] = { uid: c.plan.uid, gid: c.plan.gid };
  const mounts = (config['mounts'] as Json[] | undefined) ?? [];
  const cwd = typeof proc['cwd'] === 'string' ? proc['cwd'] : '/';
  const host = hostEntry(c.hostPasswd ?? readHostPasswd(), c.plan.uid);
  const envHome = c.env.some((x) => /^HOME(=|$)/.test(x));
  const env = ((proc['env'] as string[] | undefined) ?? []).filter((e) => envHome || !e.startsWith('HOME='));
  const files: string[] = [];
  let home = cwd;
  if (host !== undefined) {
    home = keepIdHome(host.home, cwd, mounts.map((m) => String(m['destination'])));
    const passwd = readInRoots(c.layers, '/etc/passwd');
    if (passwd !== undefined && !hasUser(passwd, host.name, c.plan.uid)) {
      const file = join(c.bundle, 'passwd');
      const sep = passwd === '' || passwd.endsWith('\n') ? '' : '\n';
      writeFileSync(file, `${passwd}${sep}${host.name}:*:${c.plan.uid}:${c.plan.gid}:${host.gecos}:${home}:/bin/sh\n`, { mode: 0o644 });
      config['mounts'] = [...mounts, { destination: '/etc/passwd', type: 'bind', source: file, options: ['bind', 'nosuid', 'nodev', 'noexec'] }];
      files.push(file);
    }
  }
  proc['env'] = env.some((e) => e.startsWith('HOME=')) ? env : [...env, `HOME=${home}`];
  config['process'] = proc;
  return files;
}

function readHostPasswd(): string {
  try {
    return readFileSync('/etc/passwd', 'utf8');
  } catch {
    return '';
  }
}

/** A `-v ...:U` owner (container ids) as the ids of the default namespace chownVolume chowns in. */
export function volumeOwnerFor(plan: UsernsPlan | undefined, uid: number, gid: number): { uid: number; gid: number } {
  if (plan === undefined) return { uid, gid };
  return { uid: mapId(plan.uidShift, uid) ?? uid, gid: mapId(plan.gidShift, gid) ?? gid };
}
