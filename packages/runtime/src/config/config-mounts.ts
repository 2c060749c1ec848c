/**
 * config.json `mounts` → typed mounts: destination checked (container-path.ts; a relative one taken from /), source resolved against the
 * bundle for binds (runtime-spec: relative sources are relative to the bundle), options parsed into flags.
 *
 * Man pages: mount(2).
 */
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
  if (options.idmap !== 'none') throw new ConfigError(`${path}.options`, `${options.idmap}: idmapped mounts are not supported yet`);
  if (options.tmpcopyup && type !== 'tmpfs') throw new ConfigError(`${path}.options`, 'tmpcopyup is only for tmpfs');
  return { destination, type, source, options: isBind && options.bind === 'none' ? { ...options, bind: 'bind' } : options };
}
