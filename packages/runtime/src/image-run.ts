/**
 * `ct container run IMAGE [CMD...]`: what a person types (shared/DESIGN.md, command names). IMAGE is a name or
 * digest in the image store of @ct/oci, or a path (OCI layout, oci-archive, docker-archive, with :TAG or @DIGEST)
 * imported into the store first, or else a registry reference pulled into the store (--pull missing|always|never,
 * podman's policy; @ct/oci pullImage with its progress line on a terminal). The container's root is an overlay of the image's layer dirs with its own upper
 * and work dirs in the store's `containers/<id>/`, mounted by the container's child inside its own mount
 * namespace (image-run-config.ts), so a second container from an image unpacks nothing. The bundle (config.json,
 * hosts, resolv.conf, hostname, and `store.json` naming the store) lives under the state root's `.bundles/<id>`;
 * the bundle and the container root are removed afterwards unless the container is kept or detached (then by
 * `ct delete` or `ct container rm`). A detached container runs under a monitor process (container-run-monitor/)
 * that writes its log and exit status into the bundle. @ct/oci is imported only here, so the engine verbs never load it.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import type { RuntimeContext } from './context.js';
import { runContainer } from './container-run.js';
import { randomHex } from './random-hex.js';
import { containerState } from './container-state.js';
import { deleteContainer } from './container-delete.js';
import type { RunNetwork } from './network/network-attach.js';
import { errnoCode, RuntimeError, systemError } from './errors.js';
import { copyImageRoot, overlayDataTooLong, overlayRefusal, type StorageDriver } from './image-run-copy.js';
import { entrypointOf, writeImageRunConfig, type ImageRunFlags, type RunRoot, type VolumeChown } from './image-run-config.js';
import { claimContainerName } from './image-run-claim.js';
import { parseSignal } from './signals.js';
import { checkContainerId, containerPaths, ensureStateRoot, writeFileAtomic } from './state-store.js';
import { stopForTest } from './test-stop.js';
import { anonymousVolumesOf, classifyVolume, imageConfigVolumes, mountRunVolumes, removeUnusedVolumes } from './volume-mounts.js';
import { checkRestartPolicy, mayRestart, NO_RESTART, parseRestartPolicy, type RestartPolicy } from './container-run-monitor/restart-policy.js';
import { parseUsernsMode } from './userns-mode.js';
import { prepareUserns } from './userns-prepare.js';
import type { ContainerRoot } from '@ct/oci/store';

export type { ImageRunFlags, SeccompChoice, Ulimit } from './image-run-config.js';
export type { StorageDriver } from './image-run-copy.js';
export { execInImageContainer, type ImageExecOptions } from './image-run-exec.js';
export { execInRunContainer, ExecProgramError } from './image-exec.js';

/** Options of `container run`. */
export interface ImageRunOptions extends ImageRunFlags {
  /** The image: a store name or digest, or a path (imported first). */
  readonly image: string;
  /** Container id (default: ct- and 12 random hex digits). */
  readonly name?: string | undefined;
  /** Return once started; the bundle and root stay until `ct delete`. */
  readonly detach?: boolean | undefined;
  /** Keep the stopped container, its bundle and root. */
  readonly keep?: boolean | undefined;
  /**
   * `--rm`: remove the container once it exits. A foreground container is removed unless `keep` anyway; a detached
   * one is kept (for `ps --all`, `logs`) unless this is set, when its monitor removes it, as podman's `-d --rm`.
   */
  readonly remove?: boolean | undefined;
  /** Write the container's id to this file once its name is claimed (podman's --cidfile); an existing file is refused. */
  readonly cidFile?: string | undefined;
  /** podman's --label: KEY=VALUE pairs kept with the container (`container inspect`'s Config.Labels). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** The signal `container stop` sends first (podman's --stop-signal; default SIGTERM). */
  readonly stopSignal?: string | undefined;
  /** Seconds `container stop` waits before SIGKILL (podman's --stop-timeout; default 10). */
  readonly stopTimeout?: number | undefined;
  /**
   * podman's --restart (container-run-monitor/restart-policy.ts), as its text (`on-failure:3`) or parsed: the
   * container's monitor starts it again after an exit the policy restarts. A policy other than `no` keeps the
   * container (podman's default; refused with `remove`) and runs it under a monitor, in the foreground too
   * (refused with a foreground `tty`).
   */
  readonly restart?: RestartPolicy | string | undefined;
  /** The image store (default: the user's). */
  readonly storageRoot?: string | undefined;
  /** Called with the id once a detached container runs. */
  readonly onDetached?: ((id: string) => void) | undefined;
  /** Where warnings go (default: stderr). */
  readonly onWarning?: ((message: string) => void) | undefined;
  /**
   * The root: `overlay` (default; a copy after one warning where the kernel refuses the overlay) or `copy` (a copy
   * of the layers, as podman's vfs driver).
   */
  readonly storageDriver?: StorageDriver | undefined;
  /**
   * When to pull IMAGE from its registry (podman's --pull): `missing` (default: when the store has no such name),
   * `always` (then the store's copy is refreshed), `never` (a missing image is STORE_IMAGE_NOT_FOUND).
   */
  readonly pull?: PullPolicy | undefined;
  /** Draw the pull's progress line on stderr (a terminal); nothing is drawn otherwise. */
  readonly showPullProgress?: boolean | undefined;
}

/** When `container run` pulls its image. */
export type PullPolicy = 'missing' | 'always' | 'never';

/** The bundle directory `container run` uses for `id`. */
export function imageBundleDir(ctx: RuntimeContext, id: string): string {
  return join(ctx.stateRoot.path, '.bundles', id);
}

/** The log of a detached container (its stdout and stderr). */
export function imageLogFile(ctx: RuntimeContext, id: string): string {
  return join(imageBundleDir(ctx, id), 'container.log');
}

/** Where the monitor of a detached container records its exit status. */
export function imageExitFile(ctx: RuntimeContext, id: string): string {
  return join(imageBundleDir(ctx, id), 'exit.json');
}

/** What `container run` keeps for the other container verbs: labels, and how `container stop` stops it. */
export interface RunSettings {
  /** The container's labels (--label). */
  readonly labels: Readonly<Record<string, string>>;
  /** The signal `container stop` sends first (--stop-signal). */
  readonly stopSignal: string;
  /** Seconds `container stop` waits before SIGKILL (--stop-timeout). */
  readonly stopTimeout: number;
  /** The restart policy (--restart; `no` when not given). */
  readonly restart: RestartPolicy;
  /** When `container run` made it (RFC 3339): podman's Created, which its restarts keep (each run has a state of its own). */
  readonly created?: string;
  /** `-u` as it was given ('' when not: inspect's Config.User, as podman's). */
  readonly user?: string;
  /** The entrypoint its process's args start with (inspect splits them into Config.Entrypoint and Config.Cmd). */
  readonly entrypoint?: readonly string[];
  /** The destinations of the mounts the user asked for (-v, --mount, --tmpfs, the image's Volumes): inspect's Mounts. */
  readonly mounts?: readonly string[];
  /** Removed once it exits (`-d --rm`): podman's AutoRemove. */
  readonly autoRemove?: boolean;
}

/** Where a container's RunSettings are kept (its bundle's run.json). */
export function imageRunSettingsFile(ctx: RuntimeContext, id: string): string {
  return join(imageBundleDir(ctx, id), 'run.json');
}

function runSettings(options: ImageRunOptions, imageEntrypoint: readonly string[], volumes: readonly string[] | undefined): RunSettings {
  const mounts = [...(volumes ?? []).map((v) => (v.startsWith('/') && !v.includes(':') ? v : v.split(':')[1] ?? '')), ...(options.tmpfs ?? []).map((t) => t.split(':')[0]!)];
  return {
    labels: options.labels ?? {}, stopSignal: options.stopSignal ?? 'SIGTERM', stopTimeout: options.stopTimeout ?? 10,
    restart: typeof options.restart === 'object' ? options.restart : NO_RESTART,
    created: new Date().toISOString(), user: options.user ?? '',
    entrypoint: options.entrypoint === undefined ? imageEntrypoint : entrypointOf(options.entrypoint),
    mounts: mounts.filter((d) => d.startsWith('/')).map((d) => posix.resolve(d)), autoRemove: options.remove === true,
  };
}

/** Remove the bundle and store root `container run` made for a container (called by delete; a no-op for others). */
export async function removeImageBundle(ctx: RuntimeContext, id: string, bundle: string): Promise<void> {
  if (bundle !== imageBundleDir(ctx, id)) return;
  const oci = await import('@ct/oci/store');
  const storeFile = join(bundle, 'store.json');
  if (existsSync(storeFile)) {
    const { storageRoot } = JSON.parse(readFileSync(storeFile, 'utf8')) as { storageRoot: string };
    await removeRootAndVolumes(oci, id, storageRoot);
  }
  // the network helpers and bridge attachment its record names (after a crash of the run's owner too)
  if (existsSync(join(bundle, 'network.json'))) await (await import('./network/network-attach.js')).detachNetwork(bundle);
  // the bundle holds only files this process wrote (config.json, hosts, the log); moved aside first: the run's
  // monitor may still write its last record (exit.json) into it, which fails a recursive removal (ENOTEMPTY)
  const aside = join(ctx.stateRoot.path, '.bundles', `.removing-${randomHex(8)}`);
  try {
    renameSync(bundle, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw systemError('delete: move bundle aside', bundle, err);
  }
  rmSync(aside, { recursive: true, force: true });
}

/**
 * Remove the store root of container `id`, then the anonymous volumes of a container removed as it exits (podman's
 * --rm; `container rm -v` removes the others: image-containers.ts).
 */
async function removeRootAndVolumes(oci: typeof import('@ct/oci/store'), id: string, storageRoot: string): Promise<void> {
  const anonymous = anonymousVolumesOf(storageRoot, id, 'auto');
  await oci.removeContainerRoot(id, { storageRoot });
  await removeUnusedVolumes(storageRoot, anonymous);
}

/**
 * The run's `-v` entries with the volumes of the store (named, anonymous, the image config's Volumes) as binds of
 * their data dirs (volume-mounts.ts); the entries as they are when there is none.
 */
async function runVolumes(oci: typeof import('@ct/oci/store'), root: ContainerRoot, c: { storageRoot: string; id: string; rootless: boolean; autoRemove: boolean }, options: ImageRunOptions): Promise<readonly string[] | undefined> {
  const imageVolumes = imageConfigVolumes(oci.storePaths({ storageRoot: c.storageRoot }).blobs, root.image.configDigest);
  if (imageVolumes.length === 0 && (options.volumes ?? []).every((v) => classifyVolume(v).kind === 'bind')) return options.volumes;
  const otherDestinations = (options.tmpfs ?? []).map((t) => t.split(':')[0]!);
  return mountRunVolumes({ ...c, lowerDirs: root.lowerDirs, imageVolumes, otherDestinations }, options.volumes ?? []);
}

/** True when `image` names an existing path (an OCI layout or archive, with :TAG or @DIGEST): imported, not pulled. */
function isImagePath(oci: typeof import('@ct/oci/store'), image: string): boolean {
  try {
    return existsSync(oci.parseImageRef(image).path);
  } catch {
    return false;
  }
}

/** Pull `image` into the store through @ct/oci's pullImage (the registry code is loaded only here). */
async function pullStoreImage(image: string, storageRoot: string, showProgress: boolean): Promise<string> {
  const oci = await import('@ct/oci');
  const bar = showProgress ? new oci.PullProgressLine() : undefined;
  try {
    const result = await oci.pullImage(image, {
      storageRoot, ...(bar !== undefined ? { onProgress: (p) => process.stderr.write(`\r\x1b[K${bar.update(p)}`) } : {}),
    });
    return result.image.digest;
  } finally {
    if (bar !== undefined) process.stderr.write('\r\x1b[K');
  }
}

/** The store digest of `image` once it is a path (imported) or pulled as `pull` says; else `image` as it is. */
async function obtainImage(image: string, storageRoot: string, options: ImageRunOptions): Promise<string> {
  const oci = await import('@ct/oci/store');
  if (isImagePath(oci, image)) {
    // the import path (tar, unpack) is loaded only here: a run of a stored image never loads it
    return (await (await import('@ct/oci')).importImage(image, { storageRoot })).image.digest;
  }
  // a path that is not there is not a registry reference either ("." is no registry host): say what it is
  if (/^(\.{0,2}\/|~)/.test(image)) {
    throw new RuntimeError('EUSAGE', `container run: image ${image}: no such file or directory (a path must be an OCI layout, oci-archive or docker-archive, with :TAG or @DIGEST)`);
  }
  // an image id is never pulled (as podman); createContainerRoot reports STORE_IMAGE_NOT_FOUND
  if (options.pull === 'never' || /^sha256:[0-9a-f]+$/.test(image)) return image;
  try {
    return await pullStoreImage(image, storageRoot, options.showPullProgress === true);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    // --pull always fails on the registry's error even when the store has the image, as podman does
    const what = options.pull === 'always' ? '--pull always: the pull failed' : 'not in the store, and the pull failed';
    throw new RuntimeError('ESETUP', `container run: pull ${image}: ${what}: ${why}`, { cause: err });
  }
}

/**
 * The container root of `id` from `options.image`. A stored image (the warm path) costs one store lookup, made
 * by createContainerRoot itself; only when the store has no such image is it imported or pulled.
 */
async function imageRoot(oci: typeof import('@ct/oci/store'), id: string, storageRoot: string, options: ImageRunOptions): Promise<ContainerRoot> {
  if (options.pull !== 'always') {
    try {
      return await oci.createContainerRoot(options.image, id, { storageRoot });
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'STORE_IMAGE_NOT_FOUND') throw err;
    }
  }
  return oci.createContainerRoot(await obtainImage(options.image, storageRoot, options), id, { storageRoot });
}

/** Run the prepared bundle with a pty (image-run-tty.ts): the master's output is our stdout, our stdin its input. */
async function runWithTerminal(ctx: RuntimeContext, id: string, bundle: string, keep: boolean | undefined, network: RunNetwork | undefined): Promise<number> {
  const tty = await import('./image-run-tty.js');
  return tty.runWithConsole(bundle, (consoleSocket) => runContainer(ctx, id, { bundle, keep, consoleSocket, network }));
}

/**
 * Start the container of the prepared bundle: detached under a monitor, with a pty, or plainly. A foreground
 * container that is kept gets its exit status recorded where a detached one's monitor records it (`ps --all`).
 */
async function startPrepared(ctx: RuntimeContext, id: string, bundle: string, options: ImageRunOptions): Promise<number> {
  const status = await startContainerOf(ctx, id, bundle, options);
  // the monitor of a kept foreground run without -t recorded it already (image-run-attach.ts)
  if (options.detach !== true && options.keep === true && options.tty === true) {
    writeFileAtomic(imageExitFile(ctx, id), JSON.stringify({ status, finished: new Date().toISOString() }), 0o644);
  }
  return status;
}

/** Create and start the container: under a monitor (detached), with a pty relayed to ours, or with our stdio. */
async function startContainerOf(ctx: RuntimeContext, id: string, bundle: string, options: ImageRunOptions): Promise<number> {
  if (options.detach === true) {
    const { spawnMonitor } = await import('./container-run-monitor/monitor-spawn.js');
    await spawnMonitor(ctx, id, bundle, imageLogFile(ctx, id), imageExitFile(ctx, id), { tty: options.tty, remove: options.remove });
    options.onDetached?.(id);
    return 0;
  }
  // kept, without -t: under a monitor that logs its output, as podman (image-run-attach.ts); it attaches the network
  // (and restarts the container as its --restart says)
  if ((options.keep === true || restarts(options)) && options.tty !== true) return (await import('./image-run-attach.js')).runAttached(ctx, id, bundle);
  // the network is attached between create and start, by the process that waits for the container (network/)
  const network = existsSync(join(bundle, 'network.json')) ? (await import('./network/network-attach.js')).runNetworkOf(bundle) : undefined;
  if (options.tty === true) return runWithTerminal(ctx, id, bundle, options.keep, network);
  return runContainer(ctx, id, { bundle, keep: options.keep, network });
}

/**
 * Write `id` to `file` (created, never overwritten) once the container's root exists, as podman writes it at
 * create; on failure the root and the claim (`bundle`) are given back.
 */
async function writeCidFile(oci: typeof import('@ct/oci/store'), file: string, id: string, storageRoot: string, bundle: string): Promise<void> {
  try {
    writeFileSync(file, id, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    await oci.removeContainerRoot(id, { storageRoot });
    rmSync(bundle, { recursive: true, force: true });
    throw systemError('container run: --cidfile', file, err);
  }
}

/**
 * The init pid of running container `other` (`--network container:ID`).
 * @throws RuntimeError ENOCONTAINER, or EBADSTATE when it does not run
 */
function runningPid(ctx: RuntimeContext, other: string): number {
  const s = containerState(ctx, other);
  if (s.status !== 'running' && s.status !== 'created') {
    throw new RuntimeError('EBADSTATE', `container run: --network container:${other}: the container is ${s.status}: its network namespace is gone`);
  }
  return s.pid;
}

/** True when the run's --restart policy may restart it. */
function restarts(options: ImageRunOptions): boolean {
  return typeof options.restart === 'object' && mayRestart(options.restart);
}

/** `ct-` and 12 random hex digits. */
function randomId(): string {
  return `ct-${randomHex(6)}`;
}

/** The container root of `id`; the store's STORE_CONTAINER_EXISTS (the name used by another state root) said as such. */
async function claimedImageRoot(oci: typeof import('@ct/oci/store'), id: string, storageRoot: string, options: ImageRunOptions): Promise<ContainerRoot> {
  try {
    return await imageRoot(oci, id, storageRoot, options);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'STORE_CONTAINER_EXISTS') throw err;
    throw new RuntimeError('ECONTAINEREXISTS', `container run: the name ${JSON.stringify(id)} is in use in the image store ${storageRoot} by a container of another state root (--root): remove it there or choose another --name`, { cause: err });
  }
}

/**
 * Run `options.image`; resolves with the container's exit status (0 when detached).
 * @example
 * ```ts
 * import { createContext, runImage } from '@ct/runtime';
 * // as `ct container run --rm busybox echo hi`: pulled when the store lacks it, an overlay root, podman's confinement
 * const status = await runImage(createContext({}), { image: 'busybox', command: ['echo', 'hi'] });
 * ```
 */
export async function runImage(ctx: RuntimeContext, given: ImageRunOptions): Promise<number> {
  const options = typeof given.restart === 'string' ? { ...given, restart: parseRestartPolicy(given.restart) } : given;
  const id = options.name ?? randomId();
  checkContainerId(id);
  ensureStateRoot(ctx.stateRoot.path);
  // start loading the launch path (@ct/namespaces, the largest graph) now, beside the store's work: container
  // create imports it again and gets it from the module cache (its errors surface there)
  import('./container-launch.js').catch(() => undefined);
  if (options.stopSignal !== undefined) {
    try {
      parseSignal(options.stopSignal);
    } catch (err) {
      throw new RuntimeError('EUSAGE', `container run: --stop-signal ${options.stopSignal}: not a signal name or number`, { cause: err });
    }
  }
  // a volume name podman would refuse is refused before anything is made
  for (const v of options.volumes ?? []) classifyVolume(v);
  if (typeof options.restart === 'object') checkRestartPolicy(options.restart, { remove: options.remove === true, foregroundTty: options.tty === true && options.detach !== true });
  const usernsMode = parseUsernsMode(options.userns, ctx.rootless);
  // podman refuses a --cidfile that exists before it makes anything
  if (options.cidFile !== undefined && existsSync(options.cidFile)) {
    throw new RuntimeError('EUSAGE', `container run: --cidfile ${options.cidFile}: the file exists: remove it, or give another (another container may use it)`);
  }
  // the name first: from here on the bundle dir is ours, and a refusal above wrote nothing
  const bundle = await claimContainerName(ctx, id);
  stopForTest('run:claimed');
  const oci = await import('@ct/oci/store');
  // absolute: store.json keeps it for rm and ps --storage-root, from whatever directory they run in
  const storageRoot = resolve(options.storageRoot ?? oci.defaultStorageRoot());
  let root: ContainerRoot;
  try {
    // the store first (without the image: the store root may not be ours yet), so that a run killed while it makes
    // the store root leaves a claim naming where that root is (image-run-claim.ts)
    writeFileSync(join(bundle, 'store.json'), JSON.stringify({ storageRoot }));
    root = await claimedImageRoot(oci, id, storageRoot, options);
    stopForTest('run:root-made');
  } catch (err) {
    // the store's containers/<id> is not ours when this failed: only the claim goes
    rmSync(bundle, { recursive: true, force: true });
    throw err;
  }
  if (options.cidFile !== undefined) await writeCidFile(oci, options.cidFile, id, storageRoot, bundle);
  // a container with a restart policy is kept (podman keeps every container unless --rm)
  const keep = options.detach === true || options.keep === true || restarts(options);
  try {
    // only now, with a store root of our own: a stale claim's store.json names what to remove (image-run-claim.ts)
    writeFileSync(join(bundle, 'store.json'), JSON.stringify({ storageRoot, image: root.image.digest, imageName: options.image }));
    const warn = options.onWarning ?? ((m: string) => void process.stderr.write(`ct: warning: ${m}\n`));
    const initPath = options.init === true ? (await import('@ct/namespaces/engine')).initProgramPath() : undefined;
    const cgroupName = `ct-${id.slice(0, 64)}-${randomHex(6)}`;
    // named and anonymous volumes (made on first use, copied up) as binds of their data dirs
    // --userns keep-id: layers re-owned for the mode's map (userns-prepare.ts), the volumes copied up from them: a
    // file in a volume has the owner the container sees in the image (as podman's copy-up)
    const userns = await prepareUserns(usernsMode, root, bundle);
    const lowerDirs = userns?.lowerDirs ?? root.lowerDirs;
    const volumes = await runVolumes(oci, { ...root, lowerDirs }, { storageRoot, id, rootless: ctx.rootless, autoRemove: !keep || options.remove === true }, options);
    writeFileSync(imageRunSettingsFile(ctx, id), JSON.stringify(runSettings(options, root.entrypoint, volumes)));
    const writeConfig = async (runRoot: RunRoot): Promise<VolumeChown[]> => {
      const chowns = writeImageRunConfig({
        bundle, template: root.runtimeConfig, root: runRoot, rootless: ctx.rootless, id, cgroupName,
        imageEntrypoint: root.entrypoint, imageEnv: root.env, initPath, warn,
        containerPid: (other) => runningPid(ctx, other), userns: userns?.plan,
      }, volumes === options.volumes ? options : { ...options, volumes });
      await userns?.giveToContainerRoot();
      return chowns;
    };
    const useCopy = async (): Promise<VolumeChown[]> => {
      await copyImageRoot(lowerDirs, root.merged, ctx.rootless);
      return writeConfig({ merged: root.merged });
    };
    // more layers than one overlay mount takes (its data is one page): a copy, as where the kernel refuses the overlay
    const tooLong = options.storageDriver === 'copy' ? undefined : await overlayDataTooLong(lowerDirs, root.upper, root.work);
    if (tooLong !== undefined) {
      warn(`container run: ${lowerDirs.length} layers make ${tooLong} bytes of overlay mount data, more than the kernel reads: the root is a copy of the image's layers instead (as --storage-driver copy)`);
    }
    const chowns = options.storageDriver === 'copy' || tooLong !== undefined
      ? await useCopy()
      : await writeConfig({ merged: root.merged, overlay: { lowerDirs, upper: root.upper, work: root.work } });
    // -v SRC:DST:U (podman's): the source belongs to the container's user before it starts
    for (const v of chowns) await oci.chownVolume(v.source, v.uid, v.gid);
    stopForTest('run:configured');
    try {
      return await startPrepared(ctx, id, bundle, options);
    } catch (err) {
      const errno = options.storageDriver === 'copy' ? undefined : overlayRefusal(err);
      if (errno === undefined) throw err;
      warn(`container run: mount overlay: ${root.merged}: ${errno}: the root is a copy of the image's layers instead (as --storage-driver copy)`);
      await useCopy();
      return await startPrepared(ctx, id, bundle, options);
    }
  } catch (err) {
    // a detached container that never ran has no monitor to leave its bundle to; one whose monitor was killed after
    // create recorded it has a state (cgroups, init, network record in the bundle): delete takes all that with it
    if (options.detach === true) {
      if (existsSync(containerPaths(ctx.stateRoot.path, id).dir)) {
        await deleteContainer(ctx, id, { force: true }).catch((undo: unknown) => { throw new AggregateError([err, undo], (err as Error).message); });
      }
      await removeRootAndVolumes(oci, id, storageRoot);
      rmSync(bundle, { recursive: true, force: true });
    }
    throw err;
  } finally {
    if (!keep) {
      // usually done already by the delete of runContainer (removeImageBundle)
      if (existsSync(oci.containerDir(id, { storageRoot }))) await removeRootAndVolumes(oci, id, storageRoot);
      rmSync(bundle, { recursive: true, force: true });
    }
  }
}
