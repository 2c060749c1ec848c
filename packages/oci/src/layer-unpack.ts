/**
 * One layer, streamed: blob (size and digest verified) → gunzip/zstd → diff_id verifier → tar scanner (header limits,
 * raw names) → tar-stream → {@link LayerApplier}. The diff_id is known to match only at the end of the stream, so the
 * caller unpacks into a staging directory and publishes it only when every layer verified (see unpack.ts).
 * Man pages: tar(5); RFC 1952 (gzip), RFC 8878 (zstd).
 */
import { createGunzip } from 'node:zlib';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { DigestVerifier } from './digest.js';
import { LayerUnpackError, OciLayoutError } from './errors.js';
import type { FsOps, UnpackWarning } from './fs-ops.js';
import type { ImageSource } from './image-source.js';
import type { ResolvedLayer } from './image-resolve.js';
import { holdYoungGeneration } from './internal/young-gc.js';
import { feedTar, newExtract } from './internal/tar-feed.js';
import { LayerApplier } from './tar-extract.js';
import { TarScanError, TarScanner, type RawEntry } from './tar-scan.js';

/** Counts of one applied layer. */
export interface LayerStats {
  /** Tar entries applied so far. */
  readonly entries: number;
  /** Bytes of regular-file contents written so far. */
  readonly bytes: number;
}

/** Options of {@link unpackLayer}. */
export interface LayerUnpackOptions {
  /** The file operations strategy (root, user namespace or rootless). */
  readonly fsOps: FsOps;
  /** Resolve paths with the O_NOFOLLOW component walk instead of openat2 RESOLVE_IN_ROOT (both are confined). */
  readonly forceWalk: boolean;
  /** Called for each thing skipped on purpose (a device node, owner or xattr the strategy cannot set). */
  readonly onWarning: (w: UnpackWarning) => void;
  /** Refuse the layer once its uncompressed stream passes this many bytes (a decompression bomb). */
  readonly maxUncompressedBytes?: number;
  /** Called now and then while the layer is applied (uncompressed bytes so far, entries so far). */
  readonly onProgress?: (stats: LayerStats) => void;
}

/** A layer blob to read: `open()` gives a verified stream; `verify(cause)` reads it whole and throws its mismatch. */
export interface LayerBlob {
  /** A stream of the compressed blob that fails with OciLayoutError when its size or digest is wrong. */
  open(): Readable;
  /**
   * Read the blob whole; throw its OciLayoutError (size or digest mismatch) with `cause` attached, or resolve when
   * the blob is sound (then the failure `cause` was the layer's own).
   */
  verify(cause: unknown): Promise<void>;
}

/** Counts the uncompressed bytes and fails past `max` with OCI_LAYER_TOO_LARGE (memory and disk stay bounded). */
class SizeLimit extends Transform {
  private seen = 0;
  constructor(private readonly max: number, private readonly layerDigest: string) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) {
      cb(new LayerUnpackError('OCI_LAYER_TOO_LARGE', this.layerDigest, undefined, `uncompressed size exceeds the limit of ${this.max} bytes`));
      return;
    }
    cb(null, chunk);
  }
}

/** The blob of `layer` in `source`. */
export function sourceBlob(source: ImageSource, layer: ResolvedLayer): LayerBlob {
  return { open: () => source.openBlob(layer.descriptor), verify: (cause) => verifyBlob(source, layer, cause) };
}

const TYPES: Readonly<Record<string, readonly number[]>> = {
  file: [0x30, 0], 'contiguous-file': [0x37], link: [0x31], symlink: [0x32], 'character-device': [0x33],
  'block-device': [0x34], directory: [0x35], fifo: [0x36],
};

/** True when tar-stream's header and the scanner's record describe the same member. */
function sameMember(type: string | null, size: number, raw: RawEntry): boolean {
  if (type === null) return raw.size === size && !Object.values(TYPES).some((t) => t.includes(raw.typeflag));
  return raw.size === size && (TYPES[type]?.includes(raw.typeflag) ?? false);
}

/**
 * Apply `layer` of `source` to the root open at `rootFd`.
 * @throws LayerUnpackError (bad tar, refused or failed entry) or OciLayoutError (blob or diff_id mismatch).
 */
export function unpackLayer(source: ImageSource, layer: ResolvedLayer, rootFd: number, options: LayerUnpackOptions): Promise<LayerStats> {
  return applyLayer(sourceBlob(source, layer), layer, new LayerApplier(options.fsOps, rootFd, layer.descriptor.digest, options), options);
}

/**
 * Stream `blob` (the blob of `layer`) through decompression, the diff_id check and the tar reader into `applier`.
 * @throws LayerUnpackError (bad tar, refused or failed entry, too large) or OciLayoutError (blob or diff_id mismatch).
 */
export async function applyLayer(blob: LayerBlob, layer: ResolvedLayer, applier: LayerApplier, options: LayerUnpackOptions): Promise<LayerStats> {
  const digest = layer.descriptor.digest;
  const raws: RawEntry[] = [];
  const stages: Transform[] = [];
  if (layer.compression === 'gzip') stages.push(createGunzip({ chunkSize: 64 * 1024 }));
  // fzstd is loaded only for zstd layers (it costs start-up time otherwise).
  if (layer.compression === 'zstd') stages.push(new (await import('./zstd-stream.js')).ZstdDecompressStream());
  if (options.maxUncompressedBytes !== undefined) stages.push(new SizeLimit(options.maxUncompressedBytes, digest));
  stages.push(new DigestVerifier({ digest: layer.diffId, mismatchCode: 'OCI_DIFF_ID_MISMATCH', what: `layer ${digest} diff_id` }));
  stages.push(new TarScanner((e) => raws.push(e)));
  const extract = newExtract();
  const feed = feedTar(blob.open(), stages, extract);
  let reported = 0;
  const release = holdYoungGeneration();
  try {
    for await (const entry of extract) {
      const raw = raws.shift();
      if (raw === undefined || !sameMember(entry.header.type, entry.header.size, raw)) {
        throw new LayerUnpackError('OCI_TAR_INVALID', digest, raw?.name, 'tar readers disagree on this member');
      }
      await applier.apply(raw, entry as unknown as AsyncIterable<Buffer> & { resume(): unknown });
      if (applier.bytes - reported >= PROGRESS_BYTES) {
        reported = applier.bytes;
        options.onProgress?.({ entries: applier.entries, bytes: applier.bytes });
      }
    }
    await feed.done;
    applier.finish();
  } catch (err) {
    applier.dispose();
    feed.abort(err as Error);
    // A corrupt blob usually breaks gunzip or the tar reader before its digest can be checked: report the blob.
    if (!(err instanceof OciLayoutError)) await blob.verify(err);
    throw toLayerError(err, digest);
  } finally {
    release();
  }
  return { entries: applier.entries, bytes: applier.bytes };
}

/** Progress is reported every this many bytes written. */
const PROGRESS_BYTES = 4 * 1024 * 1024;

/** Read the whole blob through its verifier; throws its OciLayoutError (with `cause`) when it does not verify. */
export async function verifyBlob(source: ImageSource, layer: ResolvedLayer, cause: unknown): Promise<void> {
  try {
    for await (const _chunk of source.openBlob(layer.descriptor)) { /* hashing only */ }
  } catch (e) {
    if (e instanceof OciLayoutError) throw new OciLayoutError(e.code, e.message, { digest: layer.descriptor.digest, mediaType: layer.descriptor.mediaType }, { cause });
  }
}

function toLayerError(err: unknown, digest: string): Error {
  if (err instanceof LayerUnpackError || err instanceof OciLayoutError) return err;
  if (err instanceof TarScanError) return new LayerUnpackError(err.code, digest, undefined, err.message, { cause: err });
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) return new LayerUnpackError('OCI_DECOMPRESS_FAILED', digest, undefined, `gunzip: ${e.message}`, { cause: err });
  return new LayerUnpackError('OCI_TAR_INVALID', digest, undefined, `read layer: ${e.message}`, { cause: err });
}
