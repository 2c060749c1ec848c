// OCI bundles for the runtime benchmarks: a test image unpacked with umoci (the peer every runtime accepts), and
// config.json from `runc spec` (`--rootless` for an unprivileged user) with the process changed to run `args`
// without a terminal. Every runtime in a run gets the very same bundle directory.
// Man pages: umoci-unpack(1), runc-spec(8).

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tools/bench/lib → ../../..). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * An OCI layout of the test images, built by tools/images/build.mjs.
 * @param {string} name e.g. "busybox"
 */
export function testImage(name) {
  const dir = join(repoRoot, 'test-images/build', name);
  if (!existsSync(join(dir, 'index.json'))) {
    throw new Error(`test image ${name}: ${dir}: missing (build it: node tools/images/build.mjs)`);
  }
  return dir;
}

/**
 * Unpack `image` (an OCI layout, tag latest) into `dir` and write runc's default config running `args`.
 * An existing `dir` is replaced.
 * @param {string} dir
 * @param {{image: string, args: readonly string[], rootless: boolean}} options
 * @returns {string} dir
 */
export function makeBundle(dir, options) {
  rmSync(dir, { recursive: true, force: true });
  execFileSync('umoci', ['unpack', ...(options.rootless ? ['--rootless'] : []), '--image', `${options.image}:latest`, dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  rmSync(join(dir, 'config.json'));
  execFileSync('runc', ['spec', ...(options.rootless ? ['--rootless'] : [])], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  config.process.args = [...options.args];
  config.process.terminal = false;
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return dir;
}
