/**
 * The unpack worker: a Node process that `unpack()` starts inside a user namespace mapping the caller (as 0) and
 * its subuid range (or only the caller), because Node cannot enter a user namespace itself. It reads its job and
 * the layer blobs from fd 3 (a Unix socket, internal/worker-protocol.ts), builds the bundle contents in the
 * staging directory as namespace root with `usernsFsOps` (so files get the ids the container sees), and reports
 * progress, warnings and the outcome as JSON lines on the same socket.
 * Man pages: user_namespaces(7), unix(7).
 */
import { Socket } from 'node:net';
import { buildBundle } from './bundle-build.js';
import { usernsFsOps } from './fs-ops.js';
import { ByteReader } from './internal/byte-reader.js';
import { serializeError, type WorkerJob, type WorkerMessage } from './internal/worker-protocol.js';
import type { ResolvedLayer } from './image-resolve.js';
import { validateImageConfig } from './spec/image-spec.js';
import { parseJson } from './spec/lossless-json.js';

const MAX_JOB_BYTES = 16 * 1024 * 1024;

const socket = new Socket({ fd: 3, readable: true, writable: true, allowHalfOpen: true });

function send(m: WorkerMessage): void {
  socket.write(`${JSON.stringify(m)}\n`);
}

async function run(): Promise<void> {
  const reader = new ByteReader(socket);
  const length = (await reader.read(4, 'job length')).readUInt32BE(0);
  if (length > MAX_JOB_BYTES) throw new RangeError(`unpack worker: job of ${length} bytes`);
  const job = JSON.parse((await reader.read(length, 'job')).toString('utf8')) as WorkerJob;
  const layers: ResolvedLayer[] = job.layers.map((l) => ({
    descriptor: { mediaType: l.mediaType, digest: l.digest, size: BigInt(l.size) },
    compression: l.compression,
    diffId: l.diffId,
  }));
  const config = validateImageConfig(parseJson(job.configJson, 'image config'), 'image config');
  let next = job.lowerDirs?.length ?? 0;
  await buildBundle(job.staging, {
    layers,
    config,
    blob: (index) => {
      if (index !== next) throw new RangeError(`unpack worker: layer ${index} asked for out of order`);
      next++;
      const layer = layers[index]!;
      return {
        open: () => reader.take(Number(layer.descriptor.size), `layer ${layer.descriptor.digest}`),
        // The parent verifies blobs as it sends them and reports a mismatch itself.
        verify: async () => {},
      };
    },
  }, {
    fsOps: usernsFsOps,
    format: job.format,
    forceWalk: job.forceWalk,
    ...(job.lowerDirs !== undefined ? { lowerDirs: job.lowerDirs } : {}),
    ...(job.maxUncompressedBytes !== undefined ? { maxUncompressedBytes: job.maxUncompressedBytes } : {}),
    rootless: job.rootless,
    onProgress: (event) => send({ t: 'progress', event: event.kind === 'layer-start' ? { ...event, size: String(event.size) } : event }),
    onWarning: (warning) => send({ t: 'warning', warning }),
  });
}

try {
  await run();
  send({ t: 'done' });
} catch (e) {
  send({ t: 'error', error: serializeError(e) });
  process.exitCode = 1;
}
// Done either way: stop reading (what is left of the blobs after a failure) once the last message is out.
socket.end(() => socket.destroy());
