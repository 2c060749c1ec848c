/** One-line descriptions of unpack progress, for a CLI's status line. */
import type { UnpackProgress } from './unpack.js';

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The status line for `event` ("layer 2/3 sha256:0123456789ab: 12.5 MB, 1024 entries"), or undefined for none. */
export function describeProgress(event: UnpackProgress): string | undefined {
  switch (event.kind) {
    case 'resolved':
      return `${event.manifestDigest.slice(0, 19)}: ${event.layerCount} layers`;
    case 'layer-start':
      return `layer ${event.index + 1}/${event.count} ${event.digest.slice(0, 19)}: starting`;
    case 'layer-progress':
    case 'layer-done':
      return `layer ${event.index + 1}/${event.count} ${event.digest.slice(0, 19)}: ${mb(event.bytes)}, ${event.entries} entries${event.kind === 'layer-done' ? ', done' : ''}`;
    case 'layer-reused':
      return `layer ${event.index + 1}/${event.count} ${event.digest.slice(0, 19)}: already in the store`;
    case 'config-written':
      return 'config.json written';
    default:
      return undefined;
  }
}
