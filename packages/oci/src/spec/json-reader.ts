/**
 * Typed access to a parsed JSON document, failing with a {@link SpecValidationError} that names the JSON path.
 * The image-spec and runtime-spec validators are written with these, so every error says where it is.
 */
import type { JsonValue } from './lossless-json.js';
import { SpecValidationError } from './spec-error.js';

/** A JSON object as the parser returns it. */
export type JsonObject = { [key: string]: JsonValue };

function kindOf(v: JsonValue | undefined): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Fail validation of `what` at `path`. */
export function invalid(what: string, path: string, why: string): never {
  throw new SpecValidationError('OCI_SPEC_INVALID', path, `validate ${what}: ${path}: ${why}`);
}

/** The value at `path` as an object. */
export function asObject(v: JsonValue | undefined, what: string, path: string): JsonObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof v === 'bigint') {
    invalid(what, path, `expected an object, found ${kindOf(v)}`);
  }
  return v;
}

/** The value at `path` as an array. */
export function asArray(v: JsonValue | undefined, what: string, path: string): JsonValue[] {
  if (!Array.isArray(v)) invalid(what, path, `expected an array, found ${kindOf(v)}`);
  return v;
}

/** The value at `path` as a string. */
export function asString(v: JsonValue | undefined, what: string, path: string): string {
  if (typeof v !== 'string') invalid(what, path, `expected a string, found ${kindOf(v)}`);
  return v;
}

/** A present key's value or undefined (JSON null counts as absent, as Go's decoder treats it). */
export function field(o: JsonObject, key: string): JsonValue | undefined {
  const v = Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
  return v === null ? undefined : v;
}

/** A required string field. */
export function reqString(o: JsonObject, key: string, what: string, path: string): string {
  return asString(field(o, key), what, `${path}.${key}`);
}

/** An optional string field. */
export function optString(o: JsonObject, key: string, what: string, path: string): string | undefined {
  const v = field(o, key);
  return v === undefined ? undefined : asString(v, what, `${path}.${key}`);
}

/** An optional boolean field. */
export function optBool(o: JsonObject, key: string, what: string, path: string): boolean | undefined {
  const v = field(o, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') invalid(what, `${path}.${key}`, `expected a boolean, found ${kindOf(v)}`);
  return v;
}

/** An optional array of strings. */
export function optStringArray(o: JsonObject, key: string, what: string, path: string): string[] | undefined {
  const v = field(o, key);
  if (v === undefined) return undefined;
  return asArray(v, what, `${path}.${key}`).map((s, i) => asString(s, what, `${path}.${key}[${i}]`));
}

/** An optional object whose values are all strings (annotations, labels). */
export function optStringMap(o: JsonObject, key: string, what: string, path: string): Record<string, string> | undefined {
  const v = field(o, key);
  if (v === undefined) return undefined;
  const m = asObject(v, what, `${path}.${key}`);
  const out: Record<string, string> = {};
  for (const k of Object.keys(m)) out[k] = asString(m[k], what, `${path}.${key}.${k}`);
  return out;
}

/** An integer as bigint (JSON numbers of any size), within [min, max]. */
export function asInteger(v: JsonValue | undefined, what: string, path: string, min: bigint, max: bigint): bigint {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else invalid(what, path, `expected an integer, found ${kindOf(v)}`);
  if (n < min || n > max) invalid(what, path, `${n} is out of range [${min}, ${max}]`);
  return n;
}

/** Largest signed 64-bit integer (descriptor sizes are int64 in the image spec). */
export const INT64_MAX = (1n << 63n) - 1n;
/** Largest uint32 (uids, gids). */
export const UINT32_MAX = 0xffffffffn;

/** An optional uint32 field as a number. */
export function optUint32(o: JsonObject, key: string, what: string, path: string): number | undefined {
  const v = field(o, key);
  return v === undefined ? undefined : Number(asInteger(v, what, `${path}.${key}`, 0n, UINT32_MAX));
}
