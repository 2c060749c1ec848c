/**
 * The volumes of a `ct container run` (podman 4.3's rules, pkg/specgen/volumes.go): a `-v` whose source starts
 * with `/` or `.` is a bind of a host path (left to @ct/oci's parseVolume), any other source names a volume of the
 * store (created on first use), and `-v /dst` alone is an anonymous volume (a random 64-hex-digit name), as is
 * each of the image config's `Volumes` no other mount covers. Each volume becomes a bind of its `_data` dir with
 * the options given (`nocopy` taken off: it only stops the copy-up), and the run's container records the volumes
 * it uses in its store root (`containers/<id>/volumes.json`, volume-store.ts).
 *
 * Copy-up (podman's NeedsCopyUp): a mount of a volume whose `_data` is empty and was never copied into copies
 * what the image has at the destination, merged from the layers as overlayfs would (image-run-copy.ts, in a user
 * namespace with the caller's subordinate ids when unprivileged, so owners look the same inside the container),
 * which also gives `_data` the owner and mode of the image's directory. Where the image has no directory there,
 * the first mount chowns the empty `_data` to the container's user (the `U` option), as podman's NeedsChown.
 * Volumes are bound nosuid and nodev unless suid or dev is given, as podman binds them. Not as podman: a volume
 * with files at its first mount keeps its owner (podman chowns its top directory), `nocopy` gives an empty volume to
 * the container's user (podman: the owner of the image's directory), and a destination behind a symlink of the
 * image is not copied up (ct looks at the layers without following links).
 * Man pages: overlayfs (Documentation/filesystems/overlayfs.rst, whiteouts and opaque directories), lstat(2).
 */
import { lstatSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { RuntimeError } from './errors.js';
import { copyImageRoot } from './image-run-copy.js';
import { randomHex } from './random-hex.js';
import { writeFileAtomic } from './state-store.js';
import {
  checkVolumeName, containerVolumesFile, createVolumeLocked, ensureVolumeData, readContainerVolumes, readVolumeRecord,
  removeVolumeLocked, volumeUsers, withVolumesLock, writeVolumeRecord, type ContainerVolume,
} from './volume-store.js';

/** What a `-v` entry is. */
export type VolumeSpec =
  | { readonly kind: 'bind' }
  | (VolumeTarget & { readonly kind: 'named'; readonly name: string })
  | (VolumeTarget & { readonly kind: 'anonymous' });

/** Where a volume of a `-v` goes and how. */
interface VolumeTarget {
  /** The destination, absolute and normalised. */
  readonly destination: string;
  /** podman's options (`ro`, `U`, `nocopy`...). */
  readonly options: readonly string[];
}

function usage(spec: string, why: string): RuntimeError {
  return new RuntimeError('EUSAGE', `container run: -v ${spec}: ${why}`);
}

function destinationOf(spec: string, dst: string): string {
  if (!dst.startsWith('/')) throw usage(spec, `the container path ${JSON.stringify(dst)} is not absolute`);
  return posix.resolve(dst);
}

/**
 * Classify a `-v` entry: a bind (left as it is), a named volume or an anonymous one (podman's rule: a source that
 * starts with neither `/` nor `.` is a volume name).
 * @throws RuntimeError EUSAGE (a relative destination); VolumeError VOLUME_NAME_INVALID.
 */
export function classifyVolume(spec: string): VolumeSpec {
  const parts = spec.split(':');
  if (parts.length === 1) return { kind: 'anonymous', destination: destinationOf(spec, spec), options: [] };
  const [src = '', dst = '', opts = ''] = parts;
  // an empty source, and more than three parts, are parseVolume's errors (it names them)
  if (src === '' || src.startsWith('/') || src.startsWith('.') || parts.length > 3) return { kind: 'bind' };
  checkVolumeName(src, `container run: -v ${spec}`);
  return { kind: 'named', name: src, destination: destinationOf(spec, dst), options: opts === '' ? [] : opts.split(',') };
}

/** The image config's `Volumes` (destinations), from its blob in the store. */
export function imageConfigVolumes(blobsDir: string, configDigest: string): string[] {
  try {
    const config = JSON.parse(readFileSync(join(blobsDir, configDigest.slice(configDigest.indexOf(':') + 1)), 'utf8')) as { config?: { Volumes?: unknown } };
    const v = config.config?.Volumes;
    return typeof v === 'object' && v !== null ? Object.keys(v).filter((d) => d.startsWith('/')) : [];
  } catch {
    return [];
  }
}

const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];

/**
 * The dirs of `lowerDirs` (top first) that make up directory `destination` of the merged image, top first:
 * a layer's own directory there, down to the first layer that hides what is below it (a whiteout, a
 * non-directory, a symlink or an opaque directory on the way).
 */
export function layerDirsAt(lowerDirs: readonly string[], destination: string, getxattr: (path: string, name: string) => Buffer): string[] {
  const parts = destination.split('/').filter((p) => p !== '');
  const out: string[] = [];
  for (const layer of lowerDirs) {
    let present = true;
    let hides = false;
    for (let i = 1; i <= parts.length; i++) {
      const path = join(layer, ...parts.slice(0, i));
      let st: Stats;
      try {
        st = lstatSync(path);
      } catch {
        present = false;
        break;
      }
      if (!st.isDirectory()) {
        present = false;
        hides = true;
        break;
      }
      if (OPAQUE_XATTRS.some((x) => { try { return getxattr(path, x).toString() === 'y'; } catch { return false; } })) hides = true;
    }
    if (present) out.push(join(layer, ...parts));
    if (hides) break;
  }
  return out;
}

/** podman's options of a volume's bind: nosuid and nodev, unless suid or dev is given. */
function volumeDefaults(options: readonly string[]): string[] {
  return [['nosuid', 'suid'], ['nodev', 'dev']].filter((pair) => !pair.some((o) => options.includes(o))).map(([o]) => o!);
}

/** What mountRunVolumes needs of the run. */
export interface RunVolumeContext {
  /** The image store (absolute). */
  readonly storageRoot: string;
  /** The container's id: its store root records the volumes. */
  readonly id: string;
  /** Unprivileged: copy-up runs in a user namespace. */
  readonly rootless: boolean;
  /** The image's layer dirs, top first (copy-up reads them). */
  readonly lowerDirs: readonly string[];
  /** The image config's Volumes (anonymous volumes where no other mount covers them). */
  readonly imageVolumes: readonly string[];
  /** The destinations of the run's other mounts (binds, --tmpfs): an image volume there is not made. */
  readonly otherDestinations: readonly string[];
  /** The container is removed as it exits (podman's --rm): its anonymous volumes go with it. */
  readonly autoRemove: boolean;
}

/** Copy up into volume data dir `data` what the image has at `destination`; false when it has no directory there. */
async function copyUp(c: RunVolumeContext, data: string, destination: string): Promise<boolean> {
  const { lgetxattr } = await import('@ct/syscalls');
  const dirs = layerDirsAt(c.lowerDirs, destination, (p, n) => lgetxattr(p, n));
  if (dirs.length === 0) return false;
  await copyImageRoot(dirs, data, c.rootless);
  return true;
}

/**
 * The `-v` entries of a run with every volume of the store (named, anonymous, the image's) replaced by a bind of
 * its data dir; volumes are created on first use and copied up (see the module comment); the container's store
 * root records what it uses. Binds are left as they are.
 * @throws RuntimeError EUSAGE; VolumeError VOLUME_NAME_INVALID.
 */
export async function mountRunVolumes(c: RunVolumeContext, volumes: readonly string[]): Promise<string[]> {
  const specs = volumes.map((v) => ({ text: v, spec: classifyVolume(v) }));
  const destinations = specs.map(({ text, spec }) => (spec.kind === 'bind' ? text.split(':')[1] ?? '' : spec.destination));
  const taken = new Set([...c.otherDestinations, ...destinations].filter((d) => d.startsWith('/')).map((d) => posix.resolve(d)));
  const fromImage = c.imageVolumes.map((d) => posix.resolve(d)).filter((d) => !taken.has(d));
  const all = [...specs, ...fromImage.map((d) => ({ text: d, spec: { kind: 'anonymous', destination: d, options: [] } as VolumeSpec }))];
  if (all.every(({ spec }) => spec.kind === 'bind')) return [...volumes];
  return withVolumesLock(c.storageRoot, async () => {
    const used: ContainerVolume[] = [];
    const out: string[] = [];
    for (const { text, spec } of all) {
      if (spec.kind === 'bind') {
        out.push(text);
        continue;
      }
      const anonymous = spec.kind === 'anonymous';
      const name = spec.kind === 'named' ? spec.name : randomHex(32);
      const record = readVolumeRecord(c.storageRoot, name) ?? createVolumeLocked(c.storageRoot, name, { anonymous });
      const data = ensureVolumeData(c.storageRoot, name);
      const options = [...spec.options.filter((o) => o !== 'copy' && o !== 'nocopy'), ...volumeDefaults(spec.options)];
      const empty = readdirSync(data).length === 0;
      // podman copies only into an empty volume, until it has once (a destination the image lacks copies nothing)
      const copied = record.needsCopyUp && empty && !spec.options.includes('nocopy') && await copyUp(c, data, spec.destination);
      // the first mount gives an empty volume to the container's user (the copy gave it the image directory's owner)
      if (record.needsChown && empty && !copied && !options.includes('U')) options.push('U');
      const needsCopyUp = record.needsCopyUp && !copied && empty;
      if (needsCopyUp !== record.needsCopyUp || record.needsChown) writeVolumeRecord(c.storageRoot, { ...record, needsCopyUp, needsChown: false });
      used.push({ name, destination: spec.destination, anonymous, autoRemove: anonymous && c.autoRemove });
      out.push(`${data}:${spec.destination}${options.length > 0 ? `:${options.join(',')}` : ''}`);
    }
    writeFileAtomic(containerVolumesFile(c.storageRoot, c.id), JSON.stringify(used) + '\n', 0o600);
    return out;
  });
}

/**
 * The anonymous volumes of container `id` to remove with it: those of a container removed as it exits (`auto`),
 * or every one (`all`: `container rm -v`). Read before its store root goes (the record is in it).
 */
export function anonymousVolumesOf(storageRoot: string, id: string, which: 'auto' | 'all'): string[] {
  return readContainerVolumes(storageRoot, id).filter((v) => v.anonymous && (which === 'all' || v.autoRemove)).map((v) => v.name);
}

/** Remove volumes `names` that exist and no container uses (a removed container's anonymous volumes). */
export async function removeUnusedVolumes(storageRoot: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await withVolumesLock(storageRoot, async () => {
    const users = volumeUsers(storageRoot);
    for (const name of names) {
      if (users.has(name) || readVolumeRecord(storageRoot, name) === undefined) continue;
      await removeVolumeLocked(storageRoot, name, users);
    }
  });
}
