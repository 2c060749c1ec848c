/**
 * Named volumes (podman's `volume create|ls|inspect|rm|prune`) in the image store, beside its images and
 * containers: `volumes/<name>/volume.json` (the record) and `volumes/<name>/_data` (the data, the Mountpoint, as
 * podman's `volumes/<name>/_data`), all changes under one flock on `volumes/.lock`.
 *
 * Crash rule (issue 24): the record is written (atomically) before `_data` exists, so a create killed at any
 * point leaves either nothing, a record-less `volumes/<name>/` or a record without `_data`; every verb treats
 * the first as a leftover (create takes it over, `rm NAME` and `prune` remove it) and mounts make `_data` for the
 * second. A removal renames `volumes/<name>` aside to `volumes/.removing-<name>-<hex>` first (the volume is gone
 * in one step) and then removes that; a removal killed midway leaves the dot dir, which the next rm or prune
 * removes. Names never start with a dot, so `.lock` and `.removing-*` are no volume's.
 *
 * A volume is in use while a container of the store records it: `containers/<id>/volumes.json` (volume-mounts.ts),
 * inside the container's store root, so it goes when the container's root goes, whatever removes it.
 * Man pages: flock(2), rename(2).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CtError } from '@ct/syscalls/errors';
import { errnoCode, systemError } from './errors.js';
import { withLock } from './lock.js';
import { randomHex } from './random-hex.js';
import { writeFileAtomic } from './state-store.js';

/** The stable codes of volume errors. */
export type VolumeErrorCode =
  /** No volume of that name in the store. */
  | 'VOLUME_NOT_FOUND'
  /** `volume create` of a name the store has. */
  | 'VOLUME_EXISTS'
  /** A container of the store uses the volume (`volume rm` without force). */
  | 'VOLUME_IN_USE'
  /** The name is not one a volume may have (podman's rule, or too long). */
  | 'VOLUME_NAME_INVALID'
  /** An option ct does not support (a driver, `--opt`). */
  | 'VOLUME_OPTION_UNSUPPORTED';

/** An error of the volume store; `name` is the volume's. */
export class VolumeError extends CtError {
  /** Stable code to branch on. */
  declare readonly code: VolumeErrorCode;
  /** The volume's name (as given). */
  readonly volume: string;
  /** The containers using it (VOLUME_IN_USE). */
  readonly containers: readonly string[];

  /**
   * @param code - the stable code
   * @param volume - the volume's name
   * @param message - "step: object: cause"
   * @param containers - the containers that use it (VOLUME_IN_USE)
   */
  constructor(code: VolumeErrorCode, volume: string, message: string, containers: readonly string[] = []) {
    super(code, message);
    this.name = 'VolumeError';
    this.volume = volume;
    this.containers = containers;
  }
}

/** What the store keeps of a volume. */
export interface VolumeRecord {
  /** The name. */
  readonly name: string;
  /** When it was made (RFC 3339). */
  readonly created: string;
  /** `--label KEY=VALUE`. */
  readonly labels: Readonly<Record<string, string>>;
  /** Made for one container (`-v /dst`, an image's Volumes): `container rm -v` and `--rm` remove it. */
  readonly anonymous: boolean;
  /** Never copied into: a mount into an empty one copies the image's files at the target (podman's copy-up). */
  readonly needsCopyUp: boolean;
  /** Not mounted yet: the first mount of an empty one chowns it to the container's user (podman's NeedsChown). */
  readonly needsChown: boolean;
}

/** `volume inspect`'s fields (podman 4.3's names). */
export interface VolumeDetails {
  /** The volume's name. */
  readonly Name: string;
  /** Always `local` (ct's volumes are directories of the store). */
  readonly Driver: 'local';
  /** The data directory, bound into the containers that use it. */
  readonly Mountpoint: string;
  /** When it was made (RFC 3339). */
  readonly CreatedAt: string;
  /** Its labels (`--label`). */
  readonly Labels: Readonly<Record<string, string>>;
  /** Always `local`. */
  readonly Scope: 'local';
  /** The driver options (none: `--opt` is refused). */
  readonly Options: Readonly<Record<string, string>>;
  /** How many times the driver mounted it: always 0 (a bind of its directory needs no mount of the volume). */
  readonly MountCount: 0;
  /** A mount is still to copy the image's files in (shown only then, as podman's). */
  readonly NeedsCopyUp?: true;
  /** The first mount is still to give it to the container's user (shown only then, as podman's). */
  readonly NeedsChown?: true;
  /** Made for one container (podman shows it only when true). */
  readonly Anonymous?: true;
}

/** Options of the volume functions. */
export interface VolumeStoreOptions {
  /** The image store (default: the user's, @ct/oci's defaultStorageRoot). */
  readonly storageRoot?: string | undefined;
}

/** podman's name rule (libpod's define.NameRegex), and a directory name's length limit. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const NAME_MAX = 255;

/**
 * Check a volume name: podman's rule (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`), at most 255 bytes.
 * @throws VolumeError VOLUME_NAME_INVALID naming it and the rule.
 */
export function checkVolumeName(name: string, what = 'volume'): void {
  if (name === '') throw new VolumeError('VOLUME_NAME_INVALID', name, `${what}: the name is empty: give a name of letters, digits, '_', '.' and '-'`);
  if (Buffer.byteLength(name) > NAME_MAX) throw new VolumeError('VOLUME_NAME_INVALID', name, `${what} ${name.slice(0, 32)}…: the name is ${Buffer.byteLength(name)} bytes long: at most ${NAME_MAX}`);
  if (!NAME_RE.test(name)) {
    throw new VolumeError('VOLUME_NAME_INVALID', name, `${what} ${JSON.stringify(name)}: not a volume name: names start with a letter or digit and hold only letters, digits, '_', '.' and '-' (a host path starts with / or .)`);
  }
}

/** The store root (absolute) of `options`. */
export async function volumeStorageRoot(options: VolumeStoreOptions): Promise<string> {
  return resolve(options.storageRoot ?? (await import('@ct/oci/store')).defaultStorageRoot());
}

/** `<store>/volumes`. */
export function volumesDir(storageRoot: string): string {
  return join(storageRoot, 'volumes');
}

/** The data directory of volume `name` (its Mountpoint). */
export function volumeDataDir(storageRoot: string, name: string): string {
  return join(volumesDir(storageRoot), name, '_data');
}

function recordFile(storageRoot: string, name: string): string {
  return join(volumesDir(storageRoot), name, 'volume.json');
}

/** Run `fn` holding the volumes lock of `storageRoot` (made with the store's mode, 0700, if missing). */
export async function withVolumesLock<T>(storageRoot: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    mkdirSync(storageRoot, { recursive: true, mode: 0o700 });
    mkdirSync(volumesDir(storageRoot), { mode: 0o700 });
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw systemError('volume: make the volumes directory', volumesDir(storageRoot), err);
  }
  return withLock(join(volumesDir(storageRoot), '.lock'), fn);
}

/** The record of `name`, or undefined when it has none (no such volume, or a killed create's leftover). */
export function readVolumeRecord(storageRoot: string, name: string): VolumeRecord | undefined {
  let text: string;
  try {
    text = readFileSync(recordFile(storageRoot, name), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw systemError('volume: read record', recordFile(storageRoot, name), err);
  }
  const r = JSON.parse(text) as Partial<VolumeRecord>;
  return {
    name, created: typeof r.created === 'string' ? r.created : '', labels: r.labels ?? {},
    anonymous: r.anonymous === true, needsCopyUp: r.needsCopyUp === true, needsChown: r.needsChown === true,
  };
}

/** Write the record of a volume (its directory must exist). */
export function writeVolumeRecord(storageRoot: string, record: VolumeRecord): void {
  writeFileAtomic(recordFile(storageRoot, record.name), JSON.stringify(record) + '\n', 0o600);
}

/** The entries of `volumes/` that may be volumes (not the lock or removals in progress). */
function volumeDirNames(storageRoot: string): string[] {
  try {
    return readdirSync(volumesDir(storageRoot)).filter((n) => !n.startsWith('.')).sort();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw systemError('volume: list', volumesDir(storageRoot), err);
  }
}

/** What the store's containers record of the volumes they use (volume-mounts.ts writes it). */
export interface ContainerVolume {
  /** The volume's name. */
  readonly name: string;
  /** Where it is mounted in the container. */
  readonly destination: string;
  /** An anonymous volume of this container. */
  readonly anonymous: boolean;
  /** Removed with the container whatever removes it (the container is removed as it exits: podman's `--rm`). */
  readonly autoRemove: boolean;
}

/** The file in a container's store root that names the volumes it uses. */
export function containerVolumesFile(storageRoot: string, id: string): string {
  return join(storageRoot, 'containers', id, 'volumes.json');
}

/** The volumes container `id` of the store uses ([] when it has none, or no root). */
export function readContainerVolumes(storageRoot: string, id: string): ContainerVolume[] {
  try {
    return JSON.parse(readFileSync(containerVolumesFile(storageRoot, id), 'utf8')) as ContainerVolume[];
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw systemError('volume: read the volumes of container', id, err);
  }
}

/** Per volume name, the ids of the store's containers that use it. */
export function volumeUsers(storageRoot: string): Map<string, string[]> {
  const users = new Map<string, string[]>();
  let ids: string[];
  try {
    ids = readdirSync(join(storageRoot, 'containers'));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return users;
    throw systemError('volume: list containers', join(storageRoot, 'containers'), err);
  }
  for (const id of ids) {
    for (const v of readContainerVolumes(storageRoot, id)) users.set(v.name, [...(users.get(v.name) ?? []), id]);
  }
  return users;
}

/** The details of `record` as `volume inspect` gives them. */
function details(storageRoot: string, record: VolumeRecord): VolumeDetails {
  return {
    Name: record.name, Driver: 'local', Mountpoint: volumeDataDir(storageRoot, record.name), CreatedAt: record.created,
    Labels: record.labels, Scope: 'local', Options: {},
    // podman's order and omissions (omitempty)
    ...(record.anonymous ? { Anonymous: true as const } : {}),
    MountCount: 0,
    ...(record.needsCopyUp ? { NeedsCopyUp: true as const } : {}),
    ...(record.needsChown ? { NeedsChown: true as const } : {}),
  };
}

/** Options of {@link createVolume}. */
export interface CreateVolumeOptions extends VolumeStoreOptions {
  /** `--label KEY=VALUE`. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Made for one container (see VolumeRecord.anonymous). */
  readonly anonymous?: boolean | undefined;
  /** The driver (`--driver`): only `local` (the default) is supported. */
  readonly driver?: string | undefined;
  /** Driver options (`--opt KEY=VALUE`): none is supported (podman's local driver mounts a device with them). */
  readonly driverOptions?: readonly string[] | undefined;
}

/**
 * Make volume `name` (the caller holds the volumes lock): the directory, the record, then `_data` (mode 0755, as
 * podman's). A record-less directory of that name is a killed create's: taken over.
 * @throws VolumeError VOLUME_EXISTS.
 */
export function createVolumeLocked(storageRoot: string, name: string, options: Omit<CreateVolumeOptions, 'storageRoot'> = {}): VolumeRecord {
  const dir = join(volumesDir(storageRoot), name);
  if (readVolumeRecord(storageRoot, name) !== undefined) {
    throw new VolumeError('VOLUME_EXISTS', name, `volume create: ${name}: a volume of that name exists (ct volume inspect ${name})`);
  }
  // a record-less directory is a killed create's (creates hold the lock): what it holds is no volume's data
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    throw systemError('volume create', dir, err);
  }
  const record: VolumeRecord = { name, created: new Date().toISOString(), labels: options.labels ?? {}, anonymous: options.anonymous === true, needsCopyUp: true, needsChown: true };
  writeVolumeRecord(storageRoot, record);
  ensureVolumeData(storageRoot, name);
  return record;
}

/** Make `_data` of volume `name` when missing (a create killed after its record). */
export function ensureVolumeData(storageRoot: string, name: string): string {
  const data = volumeDataDir(storageRoot, name);
  try {
    mkdirSync(data, { mode: 0o755 });
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw systemError('volume: make the data directory', data, err);
  }
  return data;
}

/**
 * `volume create [NAME]`: a volume of the store (a random 64-hex-digit name, as podman's, when none is given).
 * @throws VolumeError VOLUME_NAME_INVALID, VOLUME_EXISTS.
 */
export async function createVolume(name: string | undefined, options: CreateVolumeOptions = {}): Promise<VolumeDetails> {
  const chosen = name ?? randomHex(32);
  checkVolumeName(chosen, 'volume create');
  if (options.driver !== undefined && options.driver !== 'local') {
    throw new VolumeError('VOLUME_OPTION_UNSUPPORTED', chosen, `volume create: --driver ${options.driver}: not supported: ct has the local driver only (volumes are directories of the image store)`);
  }
  const opt = options.driverOptions?.[0];
  if (opt !== undefined) {
    throw new VolumeError('VOLUME_OPTION_UNSUPPORTED', chosen, `volume create: --opt ${opt}: not supported: ct's volumes are directories of the image store (no device, type or mount options)`);
  }
  const storageRoot = await volumeStorageRoot(options);
  return withVolumesLock(storageRoot, () => details(storageRoot, createVolumeLocked(storageRoot, chosen, options)));
}

/** `volume ls`: the store's volumes, by name. */
export async function listVolumes(options: VolumeStoreOptions = {}): Promise<VolumeDetails[]> {
  const storageRoot = await volumeStorageRoot(options);
  return volumeDirNames(storageRoot).flatMap((n) => {
    const r = readVolumeRecord(storageRoot, n);
    return r === undefined ? [] : [details(storageRoot, r)];
  });
}

/**
 * `volume inspect NAME`.
 * @throws VolumeError VOLUME_NOT_FOUND.
 */
export async function inspectVolume(name: string, options: VolumeStoreOptions = {}): Promise<VolumeDetails> {
  const storageRoot = await volumeStorageRoot(options);
  const r = name === '' || name.startsWith('.') || name.includes('/') ? undefined : readVolumeRecord(storageRoot, name);
  if (r === undefined) throw notFound('volume inspect', name);
  return details(storageRoot, r);
}

function notFound(verb: string, name: string): VolumeError {
  return new VolumeError('VOLUME_NOT_FOUND', name, `${verb}: no volume named ${JSON.stringify(name)}: ct volume ls lists them`);
}

/**
 * Remove volume directory `name` (the caller holds the lock): renamed aside, then removed with what its containers
 * wrote (files of subuids: inside a user namespace when unprivileged, @ct/oci's removeTree).
 */
async function removeVolumeDir(storageRoot: string, name: string): Promise<void> {
  const aside = join(volumesDir(storageRoot), `.removing-${name.slice(0, 200)}-${randomHex(4)}`);
  try {
    renameSync(join(volumesDir(storageRoot), name), aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw systemError('volume rm: move aside', join(volumesDir(storageRoot), name), err);
  }
  await removeTreeAnyOwner(aside);
}

/** Remove `path`: a plain removal, else (files of subuids) @ct/oci's removeTree in a user namespace. */
async function removeTreeAnyOwner(path: string): Promise<void> {
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch (err) {
    if (errnoCode(err) !== 'EACCES' && errnoCode(err) !== 'EPERM') throw systemError('volume rm', path, err);
  }
  await (await import('@ct/oci/unpack')).removeTree(path);
}

/** Remove the `.removing-*` dirs that killed removals left (the caller holds the lock). */
async function removeKilledRemovals(storageRoot: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(volumesDir(storageRoot));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  for (const n of names) if (n.startsWith('.removing-')) await removeTreeAnyOwner(join(volumesDir(storageRoot), n));
}

/**
 * Remove volume `name` unless a container uses it (the caller holds the lock). A record-less directory (a killed
 * create's) goes too.
 * @throws VolumeError VOLUME_NOT_FOUND, VOLUME_IN_USE (naming the containers).
 */
export async function removeVolumeLocked(storageRoot: string, name: string, users: ReadonlyMap<string, readonly string[]>): Promise<void> {
  if (name === '' || name.startsWith('.') || name.includes('/') || !existsSync(join(volumesDir(storageRoot), name))) throw notFound('volume rm', name);
  const using = users.get(name) ?? [];
  if (using.length > 0) {
    throw new VolumeError('VOLUME_IN_USE', name, `volume rm: ${name}: in use by container${using.length > 1 ? 's' : ''} ${using.join(', ')}: remove ${using.length > 1 ? 'them' : 'it'} first, or use -f to remove ${using.length > 1 ? 'them' : 'it'} with the volume`, using);
  }
  await removeVolumeDir(storageRoot, name);
}

/** Options of {@link removeVolumes}. */
export interface RemoveVolumesOptions extends VolumeStoreOptions {
  /**
   * Remove the containers that use a volume first (podman's `volume rm -f`): called for each with its id; it must
   * remove the container with its store root (the runtime's removeImageContainer with force).
   */
  readonly removeContainer?: ((id: string) => Promise<void>) | undefined;
}

/**
 * `volume rm NAME...`: remove each volume no container uses; with `removeContainer` (`-f`), the containers using
 * it are removed first. Stops at the first failure; returns the names removed.
 * @throws VolumeError VOLUME_NOT_FOUND, VOLUME_IN_USE.
 */
export async function removeVolumes(names: readonly string[], options: RemoveVolumesOptions = {}): Promise<string[]> {
  const storageRoot = await volumeStorageRoot(options);
  const removed: string[] = [];
  for (const name of names) {
    const remove = options.removeContainer;
    const using = remove === undefined ? [] : volumeUsers(storageRoot).get(name) ?? [];
    // outside the lock: removing a container removes its anonymous volumes under the lock (volume-mounts.ts)
    for (const id of using) {
      try {
        await remove?.(id);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new VolumeError('VOLUME_IN_USE', name, `volume rm -f: ${name}: container ${id} uses it and could not be removed (a container of another state root, --root?): ${why}`, [id]);
      }
    }
    await withVolumesLock(storageRoot, async () => {
      await removeKilledRemovals(storageRoot);
      // an anonymous volume of a container removed above went with it
      if (using.length > 0 && !existsSync(join(volumesDir(storageRoot), name))) return;
      await removeVolumeLocked(storageRoot, name, volumeUsers(storageRoot));
    });
    removed.push(name);
  }
  return removed;
}

/**
 * `volume prune`: remove every volume no container of the store uses, with the leftovers of killed creates and
 * removals; returns the names of the volumes removed.
 */
export async function pruneVolumes(options: VolumeStoreOptions = {}): Promise<string[]> {
  const storageRoot = await volumeStorageRoot(options);
  return withVolumesLock(storageRoot, async () => {
    await removeKilledRemovals(storageRoot);
    const users = volumeUsers(storageRoot);
    const removed: string[] = [];
    for (const name of volumeDirNames(storageRoot)) {
      if (users.has(name)) continue;
      const volume = readVolumeRecord(storageRoot, name) !== undefined;
      await removeVolumeDir(storageRoot, name);
      if (volume) removed.push(name);
    }
    return removed;
  });
}
