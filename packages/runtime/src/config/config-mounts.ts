/**
 * config.json `mounts` → typed mounts: destination checked (container-path.ts; a relative one taken from /), source resolved against the
 * bundle for binds (runtime-spec: relative sources are relative to the bundle), options parsed into flags. A bind
 * inside /proc is refused as runc refuses it (checkProcMount).
 *
 * Man pages: mount(2), statfs(2).
 */
import { statfsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { checkContainerPath } from './container-path.js';
import { asObject, optString, optStrings, reqString, type JsonObject } from './json-fields.js';
import type { JsonValue } from '@ct/oci/spec';
import { parseMountOptions, type MountOptions } from './mount-options.js';

/** One mount of config.json, typed. */
export interface ConfigMount {
  /** Absolute, normalised path in the container. */
  readonly destination: string;
  /** File system type ('proc', 'tmpfs', 'bind', 'none'...); undefined for a bind without a type. */
  readonly type: string | undefined;
  /** Source: an absolute host path for binds, the device or 'none' otherwise. */
  readonly source: string;
  /** Parsed options. */
  readonly options: MountOptions;
}

/**
 * Under /proc, runc's checkProcMount allows a bind only onto the files lxcfs emulates; onto /proc itself only from
 * a procfs (a bind over /proc/sys/kernel/core_pattern or /proc/self/... would hand the host's knobs or hide the
 * kernel's). Other types (a tmpfs over /proc/sys) are mounted, as runc mounts them.
 */
const PROC_BIND_ALLOWED = new Set([
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime', '/proc/loadavg',
  '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid',
  '/proc/pressure/cpu', '/proc/pressure/io', '/proc/pressure/memory',
]);
const PROC_SUPER_MAGIC = 0x9fa0;

function checkProcBind(destination: string, source: string, field: string): void {
  if (destination !== '/proc' && !destination.startsWith('/proc/')) return;
  if (PROC_BIND_ALLOWED.has(destination)) return;
  if (destination === '/proc') {
    let type: number | undefined;
    try {
      type = Number(statfsSync(source).type);
    } catch {
      type = undefined;
    }
    if (type === PROC_SUPER_MAGIC) return;
    throw new ConfigError(field, `${destination}: a bind mount onto /proc must come from a procfs (runc refuses it too)`);
  }
  throw new ConfigError(field, `${destination}: a bind mount inside /proc is refused, except onto ${[...PROC_BIND_ALLOWED].join(', ')} (as runc)`);
}

/** Parse `mounts[i]`. */
export function readMount(v: JsonValue, i: number, bundle: string): ConfigMount {
  const path = `mounts[${i}]`;
  const o: JsonObject = asObject(v, path);
  // a relative destination is relative to / (config.md: deprecated, but it MUST be read so; runc does)
  const written = reqString(o, 'destination', path);
  const destination = checkContainerPath(written !== '' && !written.startsWith('/') ? `/${written}` : written, `${path}.destination`);
  const type = optString(o, 'type', path);
  const options = parseMountOptions(optStrings(o, 'options', path));
  const isBind = options.bind !== 'none' || type === 'bind';
  let source = optString(o, 'source', path) ?? type ?? 'none';
  if (isBind) {
    if (optString(o, 'source', path) === undefined) throw new ConfigError(`${path}.source`, 'a bind mount needs a source');
    if (!isAbsolute(source)) source = resolve(bundle, source);
  }
  if (isBind) checkProcBind(destination, source, `${path}.destination`);
  if (options.idmap !== 'none') throw new ConfigError(`${path}.options`, `${options.idmap}: idmapped mounts are not supported yet`);
  if (options.tmpcopyup && type !== 'tmpfs') throw new ConfigError(`${path}.options`, 'tmpcopyup is only for tmpfs');
  return { destination, type, source, options: isBind && options.bind === 'none' ? { ...options, bind: 'bind' } : options };
}
