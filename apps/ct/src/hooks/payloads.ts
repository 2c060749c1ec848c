/**
 * The hooks `ct` fires for plugins, and their typed payloads. A plugin lists a hook in its package.json
 * (`"oclif": {"hooks": {"ct:container-prerun": "./hooks/prerun.js"}}`); oclif calls it with the payload's fields
 * plus `config` (oclif's Config). See apps/ct/PLUGINS.md for when each fires and which paths never load plugins.
 */
import type { Config, Hook } from '@oclif/core';

/** `ct:image-imported`: after an image was imported into (or pulled to) the image store. */
export interface ImageImportedPayload {
  /** The image's names in the store (e.g. `busybox:latest`); may be empty. */
  readonly names: readonly string[];
  /** The manifest digest (`sha256:…`). */
  readonly digest: string;
  /** Where it came from: the path (OCI layout, oci-archive, docker-archive, with :TAG/@DIGEST) or registry reference. */
  readonly source: string;
  /** The image store it went into. */
  readonly storageRoot: string;
}

/** `ct:container-prerun`: before a container from `ct container run` is created and started. */
export interface ContainerPrerunPayload {
  /** The container id (the `--name`, or the id ct chose). */
  readonly id: string;
  /** The image as the user gave it (a store name, digest or path). */
  readonly image: string;
  /** The command after IMAGE on the command line (empty: the image's own). */
  readonly argv: readonly string[];
  /** The bundle dir the container will run from (config.json is written there next). */
  readonly bundle: string;
  /** The runtime state root (`--root`). */
  readonly root: string;
}

/** `ct:container-exited`: after a foreground container from `ct container run` exited (not fired with --detach). */
export interface ContainerExitedPayload {
  /** The container id. */
  readonly id: string;
  /** The exit status ct returns: the process's code, 128 + signal, or podman's 125 (ct failed), 126, 127. */
  readonly status: number;
}

/** Each ct hook's payload by event name. */
export interface CtHookPayloads {
  readonly 'ct:image-imported': ImageImportedPayload;
  readonly 'ct:container-prerun': ContainerPrerunPayload;
  readonly 'ct:container-exited': ContainerExitedPayload;
}

/** The ct hooks in the shape of oclif's `Hooks` map (options and return per event), for `config.runHook`. */
export type CtOclifHooks = { readonly [K in CtHookName]: { options: CtHookPayloads[K]; return: void } };

/** The name of a ct hook event. */
export type CtHookName = keyof CtHookPayloads;

/** The event names, in the order a `container run` of a path fires them. */
export const ctHookNames: readonly CtHookName[] = ['ct:image-imported', 'ct:container-prerun', 'ct:container-exited'];

/** The type of a plugin's hook function for event `K` (for plugins written in TypeScript). */
export type CtHook<K extends CtHookName> = (
  this: Hook.Context,
  options: CtHookPayloads[K] & { readonly config: Config },
) => Promise<void>;
