/**
 * Finds and loads the compiled addon, as node-gyp-build and node-pty's loadNativeModule do: first a source build
 * (build/Release, made by scripts/gyp.mjs in the workspace or on request after an install), then the prebuilt
 * binary shipped in the package (prebuilds/<platform>-<arch>, made at pack time by scripts/prebuild.mjs). A source
 * build goes first because it is either the workspace's fresh build or one the user asked for when the prebuilt
 * one did not load (an older glibc, musl); a stale prebuilds/ left in the workspace by a pack must not shadow it.
 * When nothing loads, the error lists every candidate with why it failed and how to build from source.
 *
 * Man pages: dlopen(3).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { NativeLoadError, type NativeCandidate } from '../errors.js';

/** The paths tried for `<name>.node` under a package root, in order. */
export function nativeCandidates(packageRoot: string, name: string): string[] {
  return [
    join(packageRoot, 'build', 'Release', `${name}.node`),
    join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, `${name}.node`),
  ];
}

/** Loads `<name>.node` from the first candidate that loads; throws `NativeLoadError` naming each one otherwise. */
export function loadNative(packageRoot: string, name: string): unknown {
  const require = createRequire(join(packageRoot, 'package.json'));
  const tried: NativeCandidate[] = [];
  let lastError: unknown;
  for (const path of nativeCandidates(packageRoot, name)) {
    if (!existsSync(path)) {
      tried.push({ path, reason: 'not found' });
      continue;
    }
    try {
      return require(path);
    } catch (error) {
      lastError = error;
      tried.push({ path, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  const script = join(packageRoot, 'scripts', 'gyp.mjs');
  throw new NativeLoadError(
    `load addon: ${name}.node: no build for ${process.platform}-${process.arch} loads (Node ${process.version})\n` +
      tried.map((c) => `  ${c.path}: ${c.reason}\n`).join('') +
      `build it from source: install python3, make and g++ (Debian: apt-get install python3 make g++), then run\n` +
      `  node ${script} rebuild`,
    tried,
    lastError === undefined ? undefined : { cause: lastError },
  );
}
