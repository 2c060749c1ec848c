/** `ct:image-imported`: after an image was imported into the store. Records the digest and where it came from. */
import { logEvent } from '../lib/event-log.js';

/** @param {{names: string[], digest: string, source: string, storageRoot: string}} options */
export default async function imageImported(options) {
  logEvent('ct:image-imported', { names: options.names, digest: options.digest, source: options.source });
}
