/**
 * `ct container run` with plugin hooks, for the lean entry. With no user plugin installed it is `runVerb` and
 * nothing more (one small file read). With plugins it fixes the container id first (so the hooks can name it),
 * imports IMAGE when it is a path not yet in the store (firing `ct:image-imported`), fires `ct:container-prerun`,
 * runs the container as `runVerb` would, then fires `ct:container-exited` (foreground runs only).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { ParsedCommand } from '../flags/parse-argv.js';
import { globalOptions, runVerb, type Output } from '../engine/handlers.js';
import { runCtHook, userPluginsInstalled } from './run-hook.js';

/** The store digest of `image` when it is a path not in the store yet (imported now, and announced); else undefined. */
async function importIfPath(image: string, storageRoot: string | undefined): Promise<string | undefined> {
  const oci = await import('@ct/oci');
  const root = storageRoot ?? oci.defaultStorageRoot();
  if (oci.matchImage(await oci.listImages({ storageRoot: root }), image) !== undefined) return undefined;
  let isPath: boolean;
  try {
    isPath = existsSync(oci.parseImageRef(image).path);
  } catch {
    isPath = false;
  }
  if (!isPath) return undefined;
  const { image: record } = await oci.importImage(image, { storageRoot: root });
  await runCtHook('ct:image-imported', { names: record.names, digest: record.digest, source: image, storageRoot: root });
  return record.digest;
}

/** Run a parsed `container run` command, firing the plugin hooks around it; resolves with its exit status. */
export async function runContainerWithHooks(cmd: ParsedCommand, out: Output): Promise<number> {
  if (!userPluginsInstalled()) return runVerb(cmd, out);
  const name = cmd.flags['name'];
  const id = typeof name === 'string' ? name : `ct-${randomBytes(6).toString('hex')}`;
  const image = cmd.args[0] ?? '';
  const storage = cmd.flags['storage-root'];
  let args = cmd.args;
  try {
    const runtime = await import('@ct/runtime');
    const ctx = runtime.createContext(globalOptions(cmd.globals));
    const digest = await importIfPath(image, typeof storage === 'string' ? storage : undefined);
    if (digest !== undefined) args = [digest, ...cmd.args.slice(1)];
    await runCtHook('ct:container-prerun', {
      id, image, argv: cmd.args.slice(1), bundle: runtime.imageBundleDir(ctx, id), root: ctx.stateRoot.path,
    });
  } catch (err) {
    // the container topic's style and status (engine/cli-errors.ts): ct failed before the container existed
    const { ENGINE_FAILED, formatError } = await import('../engine/cli-errors.js');
    process.stderr.write(formatError(`container run: ${err instanceof Error ? err.message : String(err)}`));
    return ENGINE_FAILED;
  }
  const status = await runVerb({ ...cmd, args, flags: { ...cmd.flags, name: id } }, out);
  if (cmd.flags['detach'] !== true) await runCtHook('ct:container-exited', { id, status });
  return status;
}
