/**
 * `-v SRC:DST[:OPTIONS]` and `--tmpfs DST[:OPTIONS]` as podman 4.3 reads them (pkg/util/mountOpts.go
 * ProcessOptions, pkg/specgen/generate volumes): options checked one by one (one of each pair, `z`/`Z` accepted
 * and dropped as podman does on a host without SELinux, `U` recorded for a chown of the source, `O` refused),
 * then podman's defaults appended: `rw`, `rprivate`, the source file system's own `noexec`/`nosuid`/`nodev`
 * (a bind cannot clear them inside a user namespace), `nosuid,nodev,tmpcopyup` for tmpfs, `rbind` for binds.
 * `--read-only-tmpfs` mounts are the tmpfs podman puts on /run, /tmp and /var/tmp of a read-only root.
 * Man pages: mount(8) (bind, propagation), tmpfs(5), proc(5) (/proc/self/mountinfo).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CtError } from '../internal/ct-error.js';
import type { RuntimeMount } from '../spec/runtime-spec.js';

/** A parsed `-v`. */
export interface VolumeMount {
  /** The bind mount for config.json's `mounts`. */
  readonly mount: RuntimeMount;
  /** `U`: the source is to be chowned (recursively) to the container user before the run (see chownVolume). */
  readonly chown: boolean;
}

const PROPAGATION = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'];
const PAIRS: ReadonlyArray<readonly [readonly string[], string]> = [
  [['exec', 'noexec'], "only one of 'noexec' and 'exec' can be used"],
  [['suid', 'nosuid'], "only one of 'nosuid' and 'suid' can be used"],
  [['dev', 'nodev'], "only one of 'nodev' and 'dev' can be used"],
  [['rw', 'ro'], "only one of 'rw' and 'ro' can be used"],
  [PROPAGATION, 'only one propagation mode can be used'],
  [['bind', 'rbind'], "only one of 'rbind' and 'bind' can be used"],
  [['z', 'Z'], "only one of 'z' and 'Z' can be used"],
  [['tmpcopyup', 'notmpcopyup'], "only one of 'tmpcopyup' and 'notmpcopyup' can be used"],
  [['size'], 'only one tmpfs size can be given'],
  [['mode'], 'only one tmpfs mode can be given'],
  [['U'], "'U' given twice"],
  [['idmap'], "'idmap' given twice"],
];
const TMPFS_ONLY = new Set(['size', 'mode', 'tmpcopyup', 'notmpcopyup']);
const BIND_ONLY = new Set(['bind', 'rbind', 'z', 'Z', 'U', 'idmap']);

function bad(flag: string, spec: string, why: string): CtError {
  return new CtError('OCI_OPTION_INVALID', `${flag} ${spec}: ${why}`);
}

/** The mount options of the file system holding `path` (its mountinfo line: the longest mount point above it). */
export function sourceMountOptions(path: string, mountinfo = '/proc/self/mountinfo'): Set<string> {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return new Set();
  }
  let best = '';
  let options = '';
  for (const line of readFileSync(mountinfo, 'utf8').split('\n')) {
    const f = line.split(' ');
    const point = (f[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const under = point === '/' || real === point || real.startsWith(`${point}/`);
    if (under && point.length >= best.length) { best = point; options = f[5] ?? ''; }
  }
  return new Set(options.split(','));
}

/** Check `options` of a bind (`tmpfs` false) or tmpfs mount and append podman's defaults. */
function processOptions(options: readonly string[], tmpfs: boolean, flag: string, spec: string, source: Set<string>): { options: string[]; chown: boolean } {
  const out: string[] = [];
  const given = new Set<string>();
  for (const opt of options) {
    const key = opt.split('=', 1)[0]!;
    if (key === 'O') throw bad(flag, spec, "option 'O' (an overlay on the source) is not supported by ct: mount the source read-only (ro) or copy it");
    const pair = PAIRS.find(([names]) => names.includes(key));
    if (pair === undefined) throw bad(flag, spec, `unknown mount option ${JSON.stringify(opt)}`);
    if (TMPFS_ONLY.has(key) && !tmpfs) throw bad(flag, spec, `option ${JSON.stringify(opt)} is only for tmpfs mounts`);
    if (BIND_ONLY.has(key) && tmpfs) throw bad(flag, spec, `option ${JSON.stringify(opt)} is not allowed with tmpfs mounts`);
    if ((key === 'size' || key === 'mode') !== opt.includes('=')) throw bad(flag, spec, `option ${JSON.stringify(opt)}: expected ${key}=VALUE`);
    if (pair[0].some((k) => given.has(k))) throw bad(flag, spec, pair[1]);
    given.add(key);
    // z, Z: SELinux relabelling, accepted and dropped as podman does where SELinux is off; notmpcopyup: not passed on
    if (!['z', 'Z', 'U', 'notmpcopyup'].includes(key)) out.push(opt);
  }
  const none = (...keys: string[]): boolean => !keys.some((k) => given.has(k));
  if (none('rw', 'ro')) out.push('rw');
  if (none(...PROPAGATION)) out.push('rprivate');
  const defaults = tmpfs ? new Set(['nosuid', 'nodev']) : source;
  for (const [opt, other] of [['noexec', 'exec'], ['nosuid', 'suid'], ['nodev', 'dev']] as const) {
    if (defaults.has(opt) && none(opt, other)) out.push(opt);
  }
  if (tmpfs && none('tmpcopyup', 'notmpcopyup')) out.push('tmpcopyup');
  if (!tmpfs && none('bind', 'rbind')) out.push('rbind');
  return { options: out, chown: given.has('U') };
}

function checkDestination(flag: string, spec: string, dst: string | undefined): string {
  if (dst === undefined || !dst.startsWith('/')) throw bad(flag, spec, `the container path ${JSON.stringify(dst ?? '')} is not absolute`);
  return dst;
}

/**
 * Parse a `-v SRC:DST[:OPTIONS]` bind mount. SRC is a host path (absolute or starting with `.`, resolved from the
 * working directory) that must exist; named volumes are not supported.
 * @throws CtError OCI_OPTION_INVALID naming the volume and what is wrong with it.
 */
export function parseVolume(spec: string, cwd: string = process.cwd()): VolumeMount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw bad('-v', spec, 'expected SRC:DST[:OPTIONS]');
  const [src = '', dst, opts] = parts;
  if (src === '') throw bad('-v', spec, 'the host path is empty');
  if (!isAbsolute(src) && !src.startsWith('.')) throw bad('-v', spec, `${JSON.stringify(src)} is not a path (named volumes are not supported: give an absolute or ./relative path)`);
  const destination = checkDestination('-v', spec, dst);
  const source = resolve(cwd, src);
  if (!existsSync(source)) throw bad('-v', spec, `${source}: no such file or directory`);
  const { options, chown } = processOptions(opts === undefined || opts === '' ? [] : opts.split(','), false, '-v', spec, sourceMountOptions(source));
  return { mount: { destination, type: 'bind', source, options }, chown };
}

/**
 * Parse a `--tmpfs DST[:OPTIONS]` (options: podman's, and tmpfs(5)'s `size=`, `mode=`).
 * @throws CtError OCI_OPTION_INVALID.
 */
export function parseTmpfs(spec: string): RuntimeMount {
  const colon = spec.indexOf(':');
  const destination = checkDestination('--tmpfs', spec, colon < 0 ? spec : spec.slice(0, colon));
  const opts = colon < 0 ? '' : spec.slice(colon + 1);
  const { options } = processOptions(opts === '' ? [] : opts.split(','), true, '--tmpfs', spec, new Set());
  return { destination, type: 'tmpfs', source: 'tmpfs', options };
}

/** The tmpfs mounts podman's `--read-only-tmpfs` (default on) gives a read-only root: /run, /tmp, /var/tmp. */
export function readOnlyTmpfsMounts(): RuntimeMount[] {
  return ['/run', '/tmp', '/var/tmp'].map((destination) => ({ destination, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] }));
}
