// Builds ct-probe (probe.c, report.c, json.c and hook-record.c beside this file) as a static, stripped binary with the host's gcc. Reproducible for
// a given gcc and glibc: no debug info, no paths or dates embedded, the build-id a hash of the content. Skipped when
// a stamp next to the output shows the same source, flags and compiler. Relies on gcc(1) (-static needs libc6-dev).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageToolError } from '../lib/errors.mjs';

const DIR = dirname(fileURLToPath(import.meta.url));
const SOURCES = ['probe.c', 'report.c', 'report.h', 'json.c', 'json.h', 'hook-record.c'];
const FLAGS = ['-static', '-O2', '-s', '-Wall', '-Wextra', '-Werror', '-fno-ident'];

/**
 * @typedef {object} ProbeBuild
 * @property {string} path the binary
 * @property {string} digest "sha256:…" of the binary
 * @property {boolean} built false when the stamp showed it up to date
 */

/**
 * Compile the probe to `outFile` unless it is up to date.
 * @param {string} outFile e.g. test-images/build/bin/ct-probe
 * @param {{force?: boolean}} [options]
 * @returns {ProbeBuild}
 * @throws {ImageToolError} BUILD_FAILED with gcc's output
 */
export function compileProbe(outFile, options = {}) {
  const cc = spawnSync('gcc', ['-dumpfullversion'], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) throw new ImageToolError('BUILD_FAILED', 'compile ct-probe: gcc: not found (apt-get install gcc libc6-dev)');
  const hash = createHash('sha256');
  for (const name of SOURCES) hash.update(name).update(readFileSync(join(DIR, name)));
  const inputs = hash.update(FLAGS.join(' ')).update(cc.stdout).update(glibcVersion()).digest('hex');
  const stampFile = `${outFile}.stamp`;
  if (!options.force && existsSync(outFile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === inputs) {
    return { path: outFile, digest: fileDigest(outFile), built: false };
  }
  mkdirSync(dirname(outFile), { recursive: true });
  const tmp = `${outFile}.tmp-${process.pid}`;
  // Compile from the sources' folder with relative names, so no absolute path can reach the binary.
  const r = spawnSync('gcc', [...FLAGS, '-o', tmp, ...SOURCES.filter((s) => s.endsWith('.c'))], { cwd: DIR, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new ImageToolError('BUILD_FAILED', `compile ct-probe: gcc exit ${r.status}: ${(r.stderr || String(r.error)).trim()}`);
  }
  renameSync(tmp, outFile);
  writeFileSync(stampFile, inputs);
  return { path: outFile, digest: fileDigest(outFile), built: true };
}

/**
 * glibc's version (static linking copies it into the binary).
 * @returns {string}
 */
function glibcVersion() {
  const r = spawnSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

/**
 * @param {string} file
 * @returns {string}
 */
function fileDigest(file) {
  return `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}
