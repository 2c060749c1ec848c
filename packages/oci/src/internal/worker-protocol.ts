/**
 * The protocol between `unpack()` and the unpack worker it runs inside a user namespace, over one Unix stream
 * socket (the worker's fd 3):
 * - parent → worker: a 4-byte big-endian length, the {@link WorkerJob} as JSON, then the layer blobs back to back
 *   (each exactly its descriptor's size; the parent verifies size and digest while it sends);
 * - worker → parent: JSON lines, one {@link WorkerMessage} each: progress, warnings, then `done` or `error`.
 * Errors cross as {@link SerializedError} and are rebuilt as the same classes (code, fields, cause chain).
 * Man pages: unix(7), socketpair(2).
 */
import { OciLayoutError, LayerUnpackError } from '../errors.js';
import { SpecValidationError } from '../spec/spec-error.js';
import type { BundleFormat, LayerProgress } from '../bundle-build.js';
import type { UnpackWarning } from '../fs-ops.js';
import type { IdMapping } from '../runtime-config.js';
import { CtError, SyscallError } from './ct-error.js';

/** One layer as the worker needs it (sizes as decimal strings: they are 64-bit). */
export interface WorkerLayer {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: string;
  readonly diffId: string;
  readonly compression: 'none' | 'gzip' | 'zstd';
}

/** What the worker is asked to do. */
export interface WorkerJob {
  /** The staging directory (absolute); the worker makes `rootfs/` (or `layers/`) and `config.json` in it. */
  readonly staging: string;
  readonly layers: readonly WorkerLayer[];
  /** The image config, as lossless JSON text. */
  readonly configJson: string;
  readonly format: BundleFormat;
  readonly forceWalk: boolean;
  readonly maxUncompressedBytes?: number;
  /** Layers already unpacked in overlay form, bottom first: their blobs are not sent. */
  readonly lowerDirs?: readonly string[];
  readonly rootless: { readonly uid: number; readonly gid: number; readonly uidMappings: IdMapping[]; readonly gidMappings: IdMapping[] };
}

/** A progress event on the wire (`size` of layer-start as a decimal string). */
export type WireProgress =
  | (Omit<Extract<LayerProgress, { kind: 'layer-start' }>, 'size'> & { readonly size: string })
  | Exclude<LayerProgress, { kind: 'layer-start' }>;

/** An error as JSON. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly fields: Readonly<Record<string, string | number>>;
  readonly cause?: SerializedError;
}

/** What the worker says. */
export type WorkerMessage =
  | { readonly t: 'progress'; readonly event: WireProgress }
  | { readonly t: 'warning'; readonly warning: UnpackWarning }
  | { readonly t: 'done' }
  | { readonly t: 'error'; readonly error: SerializedError };

const FIELDS = ['layerDigest', 'entryPath', 'digest', 'mediaType', 'jsonPath', 'errno', 'syscall', 'path', 'dest'] as const;

/** An error (and its causes, 4 deep) as JSON. */
export function serializeError(e: unknown, depth = 0): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e), fields: {} };
  const rec = e as unknown as Record<string, unknown>;
  const fields: Record<string, string | number> = {};
  for (const k of FIELDS) {
    const v = rec[k];
    if (typeof v === 'string' || typeof v === 'number') fields[k] = v;
  }
  if (Buffer.isBuffer(rec.entryPathBytes)) fields.entryPathBytes = rec.entryPathBytes.toString('base64');
  const code = typeof rec.code === 'string' ? rec.code : undefined;
  const cause = depth < 4 && e.cause !== undefined ? serializeError(e.cause, depth + 1) : undefined;
  return { name: e.name, message: e.message, ...(code !== undefined ? { code } : {}), fields, ...(cause !== undefined ? { cause } : {}) };
}

/** Rebuild a serialized error as its class (CtError subclasses of @ct/oci and @ct/syscalls; Error otherwise). */
export function reviveError(s: SerializedError): Error {
  const f = s.fields;
  const str = (k: string): string | undefined => (typeof f[k] === 'string' ? f[k] : undefined);
  const options = s.cause !== undefined ? { cause: reviveError(s.cause) } : undefined;
  const code = s.code ?? 'EUNKNOWN';
  let e: Error;
  switch (s.name) {
    case 'LayerUnpackError': {
      const bytes = str('entryPathBytes');
      e = new LayerUnpackError(code, str('layerDigest') ?? '', bytes !== undefined ? Buffer.from(bytes, 'base64') : undefined, '', options);
      break;
    }
    case 'OciLayoutError': {
      const digest = str('digest');
      const mediaType = str('mediaType');
      e = new OciLayoutError(code, s.message, { ...(digest !== undefined ? { digest } : {}), ...(mediaType !== undefined ? { mediaType } : {}) }, options);
      break;
    }
    case 'SpecValidationError':
      e = new SpecValidationError(code, str('jsonPath') ?? '$', s.message, options);
      break;
    case 'SyscallError': {
      const path = str('path');
      const dest = str('dest');
      e = new SyscallError(str('syscall') ?? '?', typeof f.errno === 'number' ? f.errno : 0,
        { ...(path !== undefined ? { path } : {}), ...(dest !== undefined ? { dest } : {}) }, options);
      break;
    }
    default:
      e = s.code !== undefined ? new CtError(s.code, s.message, options) : new Error(s.message, options);
      if (s.name !== e.name) e.name = s.name;
  }
  e.message = s.message;
  return e;
}
