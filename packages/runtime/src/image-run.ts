/**
 * `ct container run IMAGE [CMD...]`: what a person types (shared/DESIGN.md, command names). The image (an OCI
 * layout, oci-archive or docker-save archive path, with `:TAG` or `@DIGEST`) is unpacked by @ct/oci into a bundle
 * under the state root's `.bundles/<id>` (rootless when we are), CMD replaces the image's command, and the
 * bundle runs as `ct run` would; the bundle is removed afterwards unless the container is kept or detached.
 * @ct/oci is imported only here, so the engine verbs never load it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeContext } from './context.js';
import { runContainer } from './container-run.js';
import { systemError } from './errors.js';
import { checkContainerId, ensureStateRoot } from './state-store.js';

/** Options of `container run`. */
export interface ImageRunOptions {
  /** The image reference (a path, optionally with :TAG or @DIGEST). */
  readonly image: string;
  /** Replaces the image's entrypoint and command when not empty. */
  readonly command?: readonly string[];
  /** Container id (default: ct- and 12 random hex digits). */
  readonly name?: string | undefined;
  /** Return once started; the bundle stays until `ct delete`. */
  readonly detach?: boolean | undefined;
  /** Keep the stopped container and its bundle. */
  readonly keep?: boolean | undefined;
  /** `none` (default): a network namespace of its own with only lo; `host`: the caller's network. */
  readonly network?: 'none' | 'host' | undefined;
}

/** The bundle directory `container run` uses for `id`. */
export function imageBundleDir(ctx: RuntimeContext, id: string): string {
  return join(ctx.stateRoot.path, '.bundles', id);
}

/** Remove the bundle `container run` made for a container (called by delete; a no-op for other bundles). */
export async function removeImageBundle(ctx: RuntimeContext, id: string, bundle: string): Promise<void> {
  if (bundle !== imageBundleDir(ctx, id)) return;
  const oci = await import('@ct/oci');
  await oci.removeTree(bundle);
}

/** Unpack `image` and run it; resolves with the exit status (0 when detached). */
export async function runImage(ctx: RuntimeContext, options: ImageRunOptions): Promise<number> {
  const id = options.name ?? `ct-${randomBytes(6).toString('hex')}`;
  checkContainerId(id);
  ensureStateRoot(ctx.stateRoot.path);
  const bundle = imageBundleDir(ctx, id);
  try {
    mkdirSync(join(ctx.stateRoot.path, '.bundles'), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw systemError('container run: create bundle dir', bundle, err);
  }
  const oci = await import('@ct/oci');
  await oci.unpackImage(options.image, bundle, { rootless: ctx.rootless });
  const keepBundle = options.detach === true || options.keep === true;
  try {
    const file = join(bundle, 'config.json');
    const config = oci.parseJson(readFileSync(file), file) as {
      process?: { args?: readonly string[]; terminal?: boolean };
      linux?: { namespaces?: readonly { type: string }[] };
    };
    if (options.network === 'host' && config.linux?.namespaces !== undefined) {
      config.linux.namespaces = config.linux.namespaces.filter((n) => n.type !== 'network');
    }
    if (config.process !== undefined) {
      // no console sockets yet (issue 9): the container shares our stdio
      config.process.terminal = false;
      if (options.command !== undefined && options.command.length > 0) config.process.args = [...options.command];
    }
    writeFileSync(file, oci.stringifyJson(config, 2));
    return await runContainer(ctx, id, { bundle, detach: options.detach, keep: options.keep });
  } finally {
    if (!keepBundle) await oci.removeTree(bundle);
  }
}
