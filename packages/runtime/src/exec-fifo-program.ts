/**
 * Where ct-exec-fifo (native/exec-fifo.c) is: the static program a created container runs until `ct start`,
 * built by scripts/build-native.mjs into build/bin.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from './errors.js';

/** The host path of ct-exec-fifo; `ESETUP` when the package was installed without building it. */
export function execFifoProgram(): string {
  const path = fileURLToPath(new URL('../build/bin/ct-exec-fifo', import.meta.url));
  if (!existsSync(path)) throw new RuntimeError('ESETUP', `create: ${path}: no such file or directory (run the package build)`);
  return path;
}
