/**
 * Helpers shared by the test suites of every package (not published).
 *
 * The guard rule (STYLE.md, tests): an integration suite starts with a guard built from the library's own
 * probes. Outside CI a missing feature skips with its reason logged; under CI=true a missing feature fails,
 * because this machine has every feature the suites use and a skip would hide breakage.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when running under CI (CI=true or CI=1). */
export function isCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

/** True when the effective uid is 0. */
export function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

/**
 * Guard a suite or test: when `available` is false, skip with `reason` (outside CI) or fail (under CI).
 * Call it from a `before`/`beforeEach` hook or an `it` body with mocha's `this`.
 */
export function requireFeature(ctx: Mocha.Context, available: boolean, reason: string): void {
  if (available) return;
  if (isCi()) throw new Error(`required feature missing under CI: ${reason}`);
  console.log(`      skipped: ${reason}`);
  ctx.skip();
}

/** The repository root (the folder holding pnpm-workspace.yaml). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repoRoot: pnpm-workspace.yaml not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** Path of a built test image (an OCI image layout) under test-images/build/, made by tools/images. */
export function testImage(name: string): string {
  return resolve(repoRoot(), 'test-images', 'build', name);
}

/** Path of the static probe program built by tools/images (runs inside containers). */
export function probeBinary(): string {
  return resolve(repoRoot(), 'test-images', 'build', 'bin', 'ct-probe');
}

export { descendants, isAlive, processStat, type TreeProcess } from './process-tree.js';
export {
  CT_BRIDGE_NETWORK, hostResourcesLeft, killProcessesNaming, processesNaming, recordedHostResources, type HostResources, type NamedProcess,
} from './host-leftovers.js';
export { tempDir } from './temp-dir.js';
