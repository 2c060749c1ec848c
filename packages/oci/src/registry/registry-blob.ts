/**
 * Downloading one blob to a file, verified while it streams (DigestVerifier: size and digest) and resumable: bytes
 * go to `FILE.partial`; after a lost connection (or in a later run) the download goes on with a `Range` request
 * from the partial file's size, the kept bytes being hashed first so the whole blob is verified at the end. A
 * server that ignores the Range (200) restarts the file. Only a verified blob is renamed to FILE.
 * See RFC 9110 "Range requests" and distribution-spec "Pulling blobs".
 */
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestVerifier } from '../digest.js';
import { OciLayoutError } from '../errors.js';
import type { Descriptor } from '../spec/image-spec.js';
import type { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-error.js';
import { lockFile } from '../store/store-lock.js';
import { stopPoint } from '../internal/stop-point.js';

/** Progress of a blob download. */
export interface BlobProgress {
  /** The blob's digest. */
  readonly digest: string;
  /** Bytes of the blob on disk so far. */
  readonly bytes: bigint;
  /** The blob's size in bytes, from its descriptor. */
  readonly total: bigint;
}

/** Options of {@link downloadBlob}. */
export interface DownloadOptions {
  /** Retries with a Range request after a lost connection (default 3). */
  readonly retries?: number;
  /** Called after each chunk received; `bytes` includes what an interrupted earlier attempt left on disk. */
  readonly onProgress?: (p: BlobProgress) => void;
}

/** Passes on only the bytes after the first `skip` (those already on disk). */
function skipFirst(skip: bigint): Transform {
  let left = skip;
  return new Transform({
    transform(chunk: Buffer, _e, cb: TransformCallback): void {
      if (left >= BigInt(chunk.length)) { left -= BigInt(chunk.length); cb(); return; }
      const rest = chunk.subarray(Number(left));
      left = 0n;
      cb(null, rest);
    },
  });
}

function partialSize(file: string): bigint {
  return existsSync(file) ? BigInt(statSync(file).size) : 0n;
}

async function attempt(client: RegistryClient, desc: Descriptor, partial: string, options: DownloadOptions): Promise<void> {
  let have = partialSize(partial);
  if (have > desc.size) { rmSync(partial); have = 0n; }
  const res = await client.get(`blobs/${desc.digest}`, have > 0n ? { range: `bytes=${have}-` } : {});
  if (res.status === 404) {
    res.body.resume();
    throw new RegistryError('REGISTRY_NOT_FOUND', `get blob ${desc.digest}: not found in ${client.ref.repository}`, { url: res.url.href, status: 404 });
  }
  if (res.status === 416 && have === desc.size) {
    res.body.resume(); // all there already; verified below
  } else if (res.status === 200 || res.status === 206) {
    if (res.status === 200 || !String(res.headers['content-range'] ?? '').startsWith(`bytes ${have}-`)) { rmSync(partial, { force: true }); have = 0n; }
  } else {
    res.body.resume();
    throw new RegistryError('REGISTRY_HTTP', `get blob ${desc.digest}: status ${res.status}`, { url: res.url.href, status: res.status });
  }
  const verifier = new DigestVerifier({ digest: desc.digest, size: desc.size, mediaType: desc.mediaType });
  let bytes = have;
  const count = new Transform({
    transform(chunk: Buffer, _e, cb: TransformCallback): void {
      bytes += BigInt(chunk.length);
      options.onProgress?.({ digest: desc.digest, bytes, total: desc.size });
      cb(null, chunk);
      // half the blob has passed (the earlier chunks written to FILE.partial): a stop here leaves a partial download
      if (bytes >= desc.size / 2n && bytes - BigInt(chunk.length) < desc.size / 2n && bytes < desc.size) stopPoint('pull:blob-partial');
    },
  });
  const kept = have > 0n ? createReadStream(partial, { end: Number(have) - 1 }) : undefined;
  const network = res.status === 416 ? undefined : res.body;
  async function* source(): AsyncGenerator<Buffer> {
    if (kept !== undefined) for await (const c of kept) yield c as Buffer;
    if (network !== undefined) for await (const c of network) yield c as Buffer;
  }
  const sink = have === 0n && network !== undefined ? createWriteStream(partial, { flags: 'w', mode: 0o644 }) : createWriteStream(partial, { flags: 'a', mode: 0o644 });
  try {
    await pipeline(source, verifier, skipFirst(have), count, sink as Writable);
  } catch (err) {
    // The file stream may still be flushing: let it close so the partial file is settled before anyone looks.
    if (!sink.closed) await new Promise<void>((resolve) => sink.once('close', () => resolve()));
    if (err instanceof OciLayoutError) { rmSync(partial, { force: true }); throw err; }
    throw new RegistryError('REGISTRY_NETWORK', `get blob ${desc.digest}: ${(err as NodeJS.ErrnoException).code ?? String(err)} after ${bytes} of ${desc.size} bytes`, { url: res.url.href }, { cause: err });
  }
}

/**
 * Download `desc` to `file` (kept as is when it exists: callers write only verified blobs there).
 * A resumed download whose bytes fail verification is started again from byte 0 once, in the same call.
 * @throws OciLayoutError OCI_DIGEST_MISMATCH / OCI_SIZE_MISMATCH naming the blob (the partial file is removed);
 *   RegistryError REGISTRY_NETWORK after the retries (the partial file is kept for a later resume), REGISTRY_NOT_FOUND.
 */
export async function downloadBlob(client: RegistryClient, desc: Descriptor, file: string, options: DownloadOptions = {}): Promise<void> {
  if (existsSync(file)) return;
  // Two pulls of the same blob into one layout take turns on FILE.lock; the second finds the blob there. The lock
  // file is unlinked once the blob is in place: every holder checks for the blob again after locking.
  const lock = await lockFile(`${file}.lock`, 'exclusive');
  try {
    if (existsSync(file)) return;
    const partial = `${file}.partial`;
    const retries = options.retries ?? 3;
    let restarted = false;
    for (let i = 0; ; i++) {
      const resumed = partialSize(partial) > 0n;
      try {
        await attempt(client, desc, partial, options);
        renameSync(partial, file);
        stopPoint('pull:blob-complete');
        rmSync(`${file}.lock`, { force: true });
        return;
      } catch (err) {
        // Kept bytes that do not verify (a corrupt partial left by an earlier run) cost no failed pull: the partial
        // is gone (attempt removed it), so this pull starts the blob again from byte 0, once.
        if (err instanceof OciLayoutError && resumed && !restarted) { restarted = true; continue; }
        if (!(err instanceof RegistryError) || err.code !== 'REGISTRY_NETWORK' || i >= retries) throw err;
      }
    }
  } finally {
    lock.release();
  }
}
