/**
 * Where ct-exec-fifo (native/exec-fifo.c) is: the static program a created container runs until `ct start`,
 * built by scripts/build-native.mjs into build/bin.
 */
import { fileURLToPath } from 'node:url';
import { checkShippedProgram } from '@ct/namespaces/engine';
import { RuntimeError } from './errors.js';

/**
 * The host path of ct-exec-fifo.
 * @throws RuntimeError `ESETUP` when it is missing or not mode r-x for all (the message names the file and the fix)
 */
export function execFifoProgram(): string {
  const path = fileURLToPath(new URL('../build/bin/ct-exec-fifo', import.meta.url));
  const problem = checkShippedProgram(path, '@ct/runtime');
  if (problem !== undefined) throw new RuntimeError('ESETUP', `create: ${problem}`);
  return path;
}
