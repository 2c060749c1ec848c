/** `ct:container-prerun`: before a `ct container run` container starts. Records its id, image, argv and bundle. */
import { logEvent } from '../lib/event-log.js';

/** @param {{id: string, image: string, argv: string[], bundle: string, root: string}} options */
export default async function containerPrerun(options) {
  logEvent('ct:container-prerun', { id: options.id, image: options.image, argv: options.argv, bundle: options.bundle });
}
