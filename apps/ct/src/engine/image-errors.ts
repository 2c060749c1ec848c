/**
 * How the `ct image` commands end in an error, without oclif (the lean entry's `image unpack` uses it too):
 * `Error: message` on stderr (cli-errors.ts); with --json also `{error: {code, message}}` on stdout; exit code 1
 * (image rm: podman's 2 for an image in use).
 */
import { stringifyJson } from '@ct/oci/spec';
import { fixFor, formatError } from './cli-errors.js';

/** Print `value` as JSON (bigints as exact integers). */
export function printJson(value: unknown): void {
  process.stdout.write(`${stringifyJson(value, 2)}\n`);
}

/**
 * Report `err` the store commands' way (ct's error style, cli-errors.ts; with --json also on stdout), exit code 1,
 * or what `status` gives for its code (podman-rmi(1): 2 for an image a container uses).
 */
export function reportError(err: unknown, json: boolean, status: Readonly<Record<string, number>> = {}): void {
  const e = err as Error & { code?: string };
  if (json) printJson({ error: { code: e.code ?? 'EUNKNOWN', message: e.message } });
  process.stderr.write(formatError(e.message + fixFor(e.code, '', undefined)));
  process.exitCode = (e.code === undefined ? undefined : status[e.code]) ?? 1;
}
