/**
 * Bundles for the launch-path suites: a rootfs with the host's static busybox (applets linked) and an output
 * directory bound at /out where the container writes what the test reads, a config.json from `ct spec`
 * (rootless form when unprivileged), and a runtime context with a state root of its own.
 */
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, tempDir } from '@ct/test-utils';
import { createContext, type RuntimeContext } from '../../src/context.js';
import { createContainer } from '../../src/container-create.js';
import { startContainer } from '../../src/container-start.js';
import { deleteContainer } from '../../src/container-delete.js';
import { specTemplate } from '../../src/spec-template.js';
import { silentLogger } from '../../src/log.js';

const APPLETS = ['sh', 'sleep', 'cat', 'ls', 'readlink', 'echo', 'hostname', 'id', 'stat', 'mount', 'test', 'true'];

/** A bundle: its directory, the host directory bound at /out, and its config (edit, then `write()`). */
export interface TestBundle {
  readonly dir: string;
  readonly out: string;
  config: Record<string, unknown> & { process: Record<string, unknown>; linux: Record<string, unknown>; mounts: Record<string, unknown>[] };
  write(): void;
  /** The text the container wrote to /out/`name`. */
  read(name: string): string;
}

/** A fresh bundle whose process runs `sh -c script` (terminal off, root read-write so tests may write). */
export function makeBundle(script: string): TestBundle {
  const dir = tempDir('ct-launch-bundle-');
  chmodSync(dir, 0o755);
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  cpSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'out']) mkdirSync(join(rootfs, d));
  const out = join(dir, 'out');
  mkdirSync(out, { mode: 0o777 });
  chmodSync(out, 0o777);
  const config = specTemplate({ rootless: !isRoot() }) as TestBundle['config'];
  config.process.terminal = false;
  config.process.args = ['sh', '-c', script];
  config['root'] = { path: 'rootfs', readonly: false };
  config.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
  const bundle: TestBundle = {
    dir, out, config,
    write() { writeFileSync(join(dir, 'config.json'), JSON.stringify(bundle.config, null, 1)); },
    read(name) { return readFileSync(join(out, name), 'utf8'); },
  };
  bundle.write();
  return bundle;
}

/** A context with a state root of its own (removed by `cleanup`). */
export function makeContext(): { ctx: RuntimeContext; cleanup: () => void } {
  const root = tempDir('ct-launch-state-');
  const ctx = { ...createContext({ root }), logger: silentLogger };
  return { ctx, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Create and start `id` from `bundle`: the init's pid and its exit status to come. */
export async function startBundle(ctx: RuntimeContext, id: string, bundle: TestBundle): Promise<{ pid: number; exited: Promise<number> }> {
  const { record, init } = await createContainer(ctx, id, { bundle: bundle.dir });
  await startContainer(ctx, id);
  return { pid: record.pid, exited: init.wait() };
}

/** Run `id` from `bundle` to its end: its exit status. */
export async function runBundle(ctx: RuntimeContext, id: string, bundle: TestBundle): Promise<number> {
  return (await startBundle(ctx, id, bundle)).exited;
}

/** Delete containers (forced) and remove bundles, ignoring what is already gone. */
export async function removeAll(ctx: RuntimeContext, ids: readonly string[], bundles: readonly TestBundle[]): Promise<void> {
  for (const id of ids) await deleteContainer(ctx, id, { force: true }).catch(() => undefined);
  for (const b of bundles) rmSync(b.dir, { recursive: true, force: true });
}

/** A context for a suite, and the ids and bundles its tests add: deleted and removed after the suite. */
export function useRuntime(): { ctx: RuntimeContext; ids: string[]; bundles: TestBundle[] } {
  const { ctx, cleanup } = makeContext();
  const ids: string[] = [];
  const bundles: TestBundle[] = [];
  after(async () => {
    await removeAll(ctx, ids, bundles);
    cleanup();
  });
  return { ctx, ids, bundles };
}
