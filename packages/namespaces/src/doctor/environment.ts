/**
 * What the doctor looks at, all injectable: the /proc, /sys and /etc roots, PATH, the user (uid, gid, name from
 * /etc/passwd), XDG_RUNTIME_DIR and TMPDIR, and the real trials. `resolveDoctorEnvironment` fills the defaults
 * from this process once (umoci's `fill()`).
 *
 * Man pages: passwd(5), proc(5), environ(7).
 */
import { readFileSync, statSync } from 'node:fs';
import { CtError } from '../errors.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DoctorTrials } from './types.js';
import { realTrials } from './trials.js';

/** Options of `runDoctor` and `explainSetupError`. */
export interface DoctorOptions {
  /** The proc file system's root (default `/proc`). */
  readonly procRoot?: string;
  /** The sysfs root (default `/sys`; cgroups are under `fs/cgroup`). */
  readonly sysRoot?: string;
  /** The directory holding subuid, subgid, passwd and os-release (default `/etc`). */
  readonly etcRoot?: string;
  /** The program search path (default `$PATH`). */
  readonly path?: string;
  /** The uid checked (default this process's euid). */
  readonly uid?: number;
  /** The gid checked (default this process's egid). */
  readonly gid?: number;
  /** XDG_RUNTIME_DIR (default from the environment; `null`: unset). */
  readonly xdgRuntimeDir?: string | null;
  /** TMPDIR for the state-dir fallback and the trial directories (default `os.tmpdir()`). */
  readonly tmpDir?: string;
  /** The directory holding `user/UID`, the login runtime dirs (default `/run`). */
  readonly runRoot?: string;
  /** The real trials (default: clones and mounts through @ct/syscalls; a fake in unit tests). */
  readonly trials?: DoctorTrials;
}

/** The options with every default filled. */
export interface DoctorEnvironment {
  /** See `DoctorOptions.procRoot`. */
  readonly procRoot: string;
  /** See `DoctorOptions.sysRoot`. */
  readonly sysRoot: string;
  /** See `DoctorOptions.etcRoot`. */
  readonly etcRoot: string;
  /** See `DoctorOptions.path`. */
  readonly path: string;
  /** See `DoctorOptions.uid`. */
  readonly uid: number;
  /** See `DoctorOptions.gid`. */
  readonly gid: number;
  /** The login name of `uid` in `etcRoot`/passwd, if any. */
  readonly userName: string | undefined;
  /** XDG_RUNTIME_DIR, undefined when unset or empty. */
  readonly xdgRuntimeDir: string | undefined;
  /** See `DoctorOptions.tmpDir`. */
  readonly tmpDir: string;
  /** The user's login runtime dir: `runRoot`/user/UID. */
  readonly runUserDir: string;
  /** See `DoctorOptions.trials`. */
  readonly trials: DoctorTrials;
}

/** The login name of `uid` in a passwd file's text. */
export function userNameOf(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 3 && fields[2] === String(uid) && fields[0] !== '') return fields[0];
  }
  return undefined;
}

function readOptional(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Fill the defaults of `options` from this process. */
export function resolveDoctorEnvironment(options: DoctorOptions = {}): DoctorEnvironment {
  const etcRoot = options.etcRoot ?? '/etc';
  const uid = options.uid ?? process.geteuid?.() ?? 0;
  const xdg = options.xdgRuntimeDir === undefined ? process.env.XDG_RUNTIME_DIR : options.xdgRuntimeDir;
  return {
    procRoot: options.procRoot ?? '/proc',
    sysRoot: options.sysRoot ?? '/sys',
    etcRoot,
    path: options.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    uid,
    gid: options.gid ?? process.getegid?.() ?? 0,
    userName: userNameOf(readOptional(join(etcRoot, 'passwd')), uid),
    xdgRuntimeDir: xdg === null || xdg === '' ? undefined : xdg,
    tmpDir: options.tmpDir ?? tmpdir(),
    runUserDir: join(options.runRoot ?? '/run', 'user', String(uid)),
    trials: options.trials ?? realTrials(),
  };
}

/** The trimmed content of `file`, or undefined when it does not exist (or cannot be read). */
export function readSetting(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The package-install command for `pkg` on this distribution (`ID`/`ID_LIKE` of os-release). */
export function installCommand(env: DoctorEnvironment, pkgs: { debian: string; fedora: string; arch?: string }): string {
  const osRelease = readOptional(join(env.etcRoot, 'os-release'));
  const ids = /^(?:ID|ID_LIKE)=(.*)$/gm;
  const names = [...osRelease.matchAll(ids)].flatMap((m) => (m[1] ?? '').replace(/"/g, '').split(/\s+/));
  if (names.some((n) => n === 'fedora' || n === 'rhel' || n === 'centos')) return `sudo dnf install ${pkgs.fedora}`;
  if (names.includes('arch') && pkgs.arch !== undefined) return `sudo pacman -S ${pkgs.arch}`;
  return `sudo apt-get install ${pkgs.debian}`;
}

/** A user's passwd entry and the environment a login session would give it (for `ct doctor --user`). */
export interface LoginEnvironment {
  /** The login name. */
  readonly name: string;
  /** Its uid. */
  readonly uid: number;
  /** Its primary gid. */
  readonly gid: number;
  /**
   * The environment to run its commands with: `base` without the caller's per-user variables (HOME, USER,
   * LOGNAME, TMPDIR, XDG_RUNTIME_DIR), plus the user's HOME, USER, LOGNAME, and XDG_RUNTIME_DIR when
   * /run/user/UID exists and is the user's (as pam_systemd sets it).
   */
  readonly env: Readonly<Record<string, string>>;
}

const PER_USER = new Set(['HOME', 'USER', 'LOGNAME', 'TMPDIR', 'XDG_RUNTIME_DIR']);

/**
 * The login environment of user `name` from `etcRoot`/passwd (default /etc), over `base` (default none).
 * Throws CtError 'DOCTOR_USER' when there is no such user.
 */
export function loginEnvironment(
  name: string, options: { readonly etcRoot?: string; readonly base?: Readonly<Record<string, string | undefined>> } = {},
): LoginEnvironment {
  const file = join(options.etcRoot ?? '/etc', 'passwd');
  const fields = readOptional(file).split('\n').map((l) => l.split(':')).find((f) => f[0] === name && f.length >= 7);
  if (fields === undefined) throw new CtError('DOCTOR_USER', `doctor: --user ${name}: no such user in ${file}`);
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  const runUser = `/run/user/${uid}`;
  let ours: boolean;
  try {
    ours = statSync(runUser).uid === uid;
  } catch {
    ours = false;
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.base ?? {})) if (v !== undefined && !PER_USER.has(k)) env[k] = v;
  Object.assign(env, { HOME: fields[5] ?? '/', USER: name, LOGNAME: name });
  if (ours) env.XDG_RUNTIME_DIR = runUser;
  return { name, uid, gid, env };
}
