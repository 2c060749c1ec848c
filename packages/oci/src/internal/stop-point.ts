/**
 * Test hook for crash-point tests (issue 24): with `CT_TEST_STOP_AT=<name>` in the environment, the process that
 * reaches the stop point of that name sends itself SIGSTOP there, so a test can SIGKILL it at exactly that step
 * boundary and then check what the store holds. The variable is read once at load; unset (always, outside tests)
 * a stop point costs one comparison. The unpack worker gets the variable passed on (userns-run.ts), so points inside
 * it stop the worker, whose parent-death signal follows the test's SIGKILL of ct.
 * Man pages: signal(7) (SIGSTOP), proc(5) (/proc/PID/stat state T).
 */

/** The stop points of @ct/oci, in the order an import or a pull passes them. */
export const STOP_POINTS = Object.freeze([
  // pull (registry-pull.ts, registry-blob.ts)
  'pull:manifest-fetched', 'pull:blob-partial', 'pull:blob-complete', 'pull:downloaded',
  // import (store/store-import.ts) and the unpack it runs (bundle-build.ts, in the worker when unprivileged)
  'import:staging-created', 'unpack:layer-begun', 'unpack:entry-applied', 'unpack:layer-applied',
  'unpack:config-written', 'import:staged', 'import:layer-committed', 'import:blobs-stored', 'import:record-written',
  // after the import of a pull
  'pull:imported',
] as const);

/** A stop point's name. */
export type StopPointName = (typeof STOP_POINTS)[number];

/** The environment variable naming the stop point. */
export const STOP_AT_VARIABLE = 'CT_TEST_STOP_AT';

const wanted = process.env[STOP_AT_VARIABLE];

/** Stop this process here (SIGSTOP) when CT_TEST_STOP_AT names `name`. */
export function stopPoint(name: StopPointName): void {
  if (wanted === name) process.kill(process.pid, 'SIGSTOP');
}
