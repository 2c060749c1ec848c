/**
 * The parent side of an unprivileged unpack: start the unpack worker (unpack-worker.ts) inside a user namespace
 * with the caller's subuid range (userns-run.ts), send it the job and the layer blobs over a socketpair while
 * verifying each blob's size and digest, relay its progress and warnings, and rethrow its failure as the same
 * error class. A blob that fails verification wins over whatever the worker made of its bytes, as in-process.
 * Man pages: socketpair(2), unix(7), user_namespaces(7).
 */
import { once } from 'node:events';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { BundleFormat, LayerProgress } from './bundle-build.js';
import { LayerUnpackError, OciLayoutError } from './errors.js';
import type { UnpackWarning } from './fs-ops.js';
import type { ResolvedImage } from './image-resolve.js';
import { CtError } from './internal/ct-error.js';
import { reviveError, type WorkerJob, type WorkerMessage } from './internal/worker-protocol.js';
import { verifyBlob } from './layer-unpack.js';
import { stringifyJson } from './spec/lossless-json.js';
import { builtWorkerPath, startSocketWorker, userNamespaceMappings, type UserNamespaceOptions } from './userns-run.js';

/** Options of {@link buildBundleInUserNamespace}. */
export interface UserNamespaceBuildOptions extends UserNamespaceOptions {
  readonly format: BundleFormat;
  readonly forceWalk: boolean;
  readonly maxUncompressedBytes?: number;
  /** Layers already unpacked in overlay form (bottom first): not sent, not applied (see BuildOptions.lowerDirs). */
  readonly lowerDirs?: readonly string[];
  readonly onProgress: (event: LayerProgress) => void;
  readonly onWarning: (warning: UnpackWarning) => void;
}

/**
 * The compiled worker entry (dist/unpack-worker.js; from src/ under tsx, the built one beside it). Written as
 * `new URL('./unpack-worker.js', import.meta.url)` so that ct's bundle (apps/ct/scripts/bundle.mjs) points it at
 * its own bundled worker.
 */
export function workerPath(): string {
  return builtWorkerPath(new URL('./unpack-worker.js', import.meta.url));
}

async function jobOf(staging: string, image: ResolvedImage, o: UserNamespaceBuildOptions): Promise<WorkerJob> {
  return {
    staging,
    layers: image.layers.map((l) => ({
      digest: l.descriptor.digest, mediaType: l.descriptor.mediaType, size: String(l.descriptor.size), diffId: l.diffId,
      compression: l.compression,
    })),
    configJson: stringifyJson(image.config),
    format: o.format,
    forceWalk: o.forceWalk,
    ...(o.lowerDirs !== undefined ? { lowerDirs: o.lowerDirs } : {}),
    ...(o.maxUncompressedBytes !== undefined ? { maxUncompressedBytes: o.maxUncompressedBytes } : {}),
    rootless: { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0, ...await userNamespaceMappings(o) },
  };
}

/** Write `data` to `sock`, waiting while its buffer is full. */
async function write(sock: Socket, data: Buffer): Promise<void> {
  if (!sock.write(data)) await once(sock, 'drain');
}

/** Messages from the worker until `done`; rejects with its error, or when it goes away without a word. */
function readMessages(sock: Socket, o: UserNamespaceBuildOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let settled = false;
    const handle = (m: WorkerMessage): void => {
      if (m.t === 'progress') o.onProgress(m.event.kind === 'layer-start' ? { ...m.event, size: BigInt(m.event.size) } : m.event);
      else if (m.t === 'warning') o.onWarning(m.warning);
      else {
        settled = true;
        if (m.t === 'done') resolve();
        else reject(reviveError(m.error));
      }
    };
    sock.setEncoding('utf8');
    sock.on('data', (text: string) => {
      buffered += text;
      for (let nl = buffered.indexOf('\n'); nl >= 0 && !settled; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        handle(JSON.parse(line) as WorkerMessage);
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      if (!settled) reject(new CtError('OCI_WORKER_FAILED', 'unpack: the worker in the user namespace stopped without a result'));
    });
  });
}

/**
 * Build the bundle contents of `image` in `staging` (made by the caller) from a worker inside a user namespace.
 * @throws what the in-process build throws (LayerUnpackError, OciLayoutError, ...), rebuilt from the worker's
 * report; CtError OCI_WORKER_FAILED when the worker dies without one; NamespaceSetupError when it cannot start.
 */
export async function buildBundleInUserNamespace(staging: string, image: ResolvedImage, o: UserNamespaceBuildOptions): Promise<void> {
  const job = Buffer.from(JSON.stringify(await jobOf(staging, image, o)));
  const { worker, sock } = await startSocketWorker(workerPath(), o);
  let current: Readable | undefined;
  let sendingIndex = o.lowerDirs?.length ?? 0;
  const result = readMessages(sock, o);
  const sent = (async () => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(job.length, 0);
    await write(sock, Buffer.concat([head, job]));
    for (const [i, layer] of image.layers.entries()) {
      if (i < (o.lowerDirs?.length ?? 0)) continue;
      sendingIndex = i;
      current = image.source.openBlob(layer.descriptor);
      for await (const chunk of current) await write(sock, chunk as Buffer);
    }
    sock.end();
  })();
  try {
    await Promise.all([sent, result]);
  } catch (first) {
    current?.destroy();
    worker.kill('SIGKILL');
    sock.destroy();
    await worker.wait();
    const [s, r] = await Promise.allSettled([sent, result]);
    if (s.status === 'rejected' && s.reason instanceof OciLayoutError) throw s.reason;
    const err: unknown = r.status === 'rejected' && !(r.reason instanceof CtError && r.reason.code === 'OCI_WORKER_FAILED') ? r.reason : first;
    // A corrupt blob usually breaks gunzip or the tar reader before its digest is known: report the blob.
    if (!(err instanceof OciLayoutError)) {
      const digest = err instanceof LayerUnpackError ? err.layerDigest : undefined;
      const layer = image.layers.find((l) => l.descriptor.digest === digest) ?? image.layers[sendingIndex];
      if (layer !== undefined) await verifyBlob(image.source, layer, err);
    }
    throw err;
  }
  const status = await worker.wait();
  if (status.status !== 0) throw new CtError('OCI_WORKER_FAILED', `unpack: the worker in the user namespace exited with status ${status.status}`);
}
