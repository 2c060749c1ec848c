/** `ct:container-exited`: after a foreground `ct container run` container exited. Records its id and status. */
import { logEvent } from '../lib/event-log.js';

/** @param {{id: string, status: number}} options */
export default async function containerExited(options) {
  logEvent('ct:container-exited', { id: options.id, status: options.status });
}
