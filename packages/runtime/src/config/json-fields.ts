/**
 * Typed field access on config.json as parsed by @ct/oci/spec's lossless parser, every failure a ConfigError naming
 * the JSON path. Small on purpose: the runtime reads only what it applies (TODO(NEEDS.md): @ct/oci/spec's
 * validators once they cover devices, domainname and the rest).
 */
import { ConfigError } from '../errors.js';
import type { JsonValue } from '@ct/oci/spec';

/** A JSON object. */
export type JsonObject = { readonly [key: string]: JsonValue };

/** The value as an object, or an error at `path`. */
export function asObject(v: JsonValue | undefined, path: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(path, 'must be an object');
  return v as JsonObject;
}

/** An optional object field. */
export function optObject(o: JsonObject, key: string, path: string): JsonObject | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : asObject(v, `${path}.${key}`);
}

/** An optional array field. */
export function optArray(o: JsonObject, key: string, path: string): readonly JsonValue[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(`${path}.${key}`, 'must be an array');
  return v;
}

/** A required string field. */
export function reqString(o: JsonObject, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ConfigError(`${path}.${key}`, v === undefined ? 'missing' : 'must be a string');
  return v;
}

/** An optional string field. */
export function optString(o: JsonObject, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ConfigError(`${path}.${key}`, 'must be a string');
  return v;
}

/** An optional boolean field. */
export function optBool(o: JsonObject, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ConfigError(`${path}.${key}`, 'must be a boolean');
  return v;
}

/** An optional array of strings. */
export function optStrings(o: JsonObject, key: string, path: string): readonly string[] {
  return optArray(o, key, path).map((v, i) => {
    if (typeof v !== 'string') throw new ConfigError(`${path}.${key}[${i}]`, 'must be a string');
    return v;
  });
}

/** An integer in [min, max] (numbers or lossless bigints). */
export function asInteger(v: JsonValue | undefined, path: string, min: bigint, max: bigint): bigint {
  if (typeof v !== 'number' && typeof v !== 'bigint') throw new ConfigError(path, v === undefined ? 'missing' : 'must be an integer');
  if (typeof v === 'number' && !Number.isInteger(v)) throw new ConfigError(path, 'must be an integer');
  const n = BigInt(v);
  if (n < min || n > max) throw new ConfigError(path, `${n} is out of range [${min}, ${max}]`);
  return n;
}

/** The largest id (uid/gid) a mapping may reach: 2^32 - 2 ((uid_t)-1 is "no id"). */
export const maxId = 0xfffffffen;

/** A required uid/gid. */
export function reqId(o: JsonObject, key: string, path: string): number {
  return Number(asInteger(o[key], `${path}.${key}`, 0n, maxId));
}
