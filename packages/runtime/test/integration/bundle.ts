/**
 * Bundles for the runtime's integration tests: a rootfs of the host's static busybox and its applet links, and
 * config.json from `specTemplate` (runc's default, or its rootless form mapped to the caller) edited per test, with
 * no terminal. Each bundle and state root is a fresh directory under the test's TMPDIR, removed by `cleanup`.
 */
import { existsSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { specTemplate } from '../../src/spec-template.js';

/** A plain config.json object. */
export type Json = Record<string, unknown>;

const applets = ['sh', 'true', 'false', 'sleep', 'echo', 'cat', 'id', 'ls'];

/** Whether the host has the static busybox these bundles copy. */
export const busyboxPresent = existsSync('/bin/busybox');

/** Whether we are root (the rootless form of the template otherwise). */
export const asRoot = process.geteuid?.() === 0;

const made: string[] = [];

/** A fresh scratch directory, removed by `cleanup`. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A bundle running `args`, with `edit` applied to the config (rootless form unless we are root). */
export function makeBundle(args: readonly string[], edit: (c: Json) => void = () => undefined): string {
  const dir = scratchDir('ct-rt-bundle-');
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  cpSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const a of applets) symlinkSync('busybox', join(rootfs, 'bin', a));
  for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) mkdirSync(join(rootfs, d), { recursive: true });
  const config = specTemplate({ rootless: !asRoot });
  const proc = config['process'] as Json;
  proc['terminal'] = false;
  proc['args'] = [...args];
  edit(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 1));
  return dir;
}

/** A unique container id for this test process. */
export function uniqueId(name: string): string {
  return `${name}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
}

/** Remove every directory made here. */
export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
