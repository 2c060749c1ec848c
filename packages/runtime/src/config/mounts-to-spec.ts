/**
 * config.json's `mounts` → @ct/namespaces mounts, every one in the config's order with its type, source and
 * options (/proc, /sys, /dev, /dev/pts, /dev/shm, /dev/mqueue and /sys/fs/cgroup included: a `tmpfs` at /dev with
 * `size=65536k` is that tmpfs). Binds keep their flags (applied by a remount), their propagation changes in order
 * and their recursive `r*` attributes; other file systems keep their flags and data; a `cgroup`/`cgroup2` mount
 * becomes the container's cgroups at that destination (planned by @ct/namespaces once the cgroup exists), a
 * `cgroup2` mount the file system.
 *
 * Man pages: mount(2), mount_setattr(2), mount_namespaces(7).
 */
import { MOUNT_ATTR, MS } from '@ct/syscalls';
import type { Mount, MountAttribute, MountFlag, Propagation, RecursiveAttributes } from '@ct/namespaces/engine';
import type { ConfigMount } from './config-mounts.js';

const FLAG_NAMES: readonly (readonly [MountFlag, bigint])[] = [
  ['ro', MS.RDONLY], ['nosuid', MS.NOSUID], ['nodev', MS.NODEV], ['noexec', MS.NOEXEC], ['sync', MS.SYNCHRONOUS],
  ['dirsync', MS.DIRSYNC], ['noatime', MS.NOATIME], ['nodiratime', MS.NODIRATIME], ['relatime', MS.RELATIME],
  ['strictatime', MS.STRICTATIME], ['lazytime', MS.LAZYTIME], ['nosymfollow', MS.NOSYMFOLLOW], ['mand', MS.MANDLOCK],
  ['iversion', MS.I_VERSION], ['silent', MS.SILENT],
];

const PROPAGATION_NAMES: readonly (readonly [Propagation, bigint])[] = [
  ['private', MS.PRIVATE], ['rprivate', MS.PRIVATE | MS.REC], ['slave', MS.SLAVE], ['rslave', MS.SLAVE | MS.REC],
  ['shared', MS.SHARED], ['rshared', MS.SHARED | MS.REC], ['unbindable', MS.UNBINDABLE], ['runbindable', MS.UNBINDABLE | MS.REC],
];

const ATTRIBUTE_NAMES: readonly (readonly [MountAttribute, bigint])[] = [
  ['ro', MOUNT_ATTR.RDONLY], ['nosuid', MOUNT_ATTR.NOSUID], ['nodev', MOUNT_ATTR.NODEV], ['noexec', MOUNT_ATTR.NOEXEC],
  ['nosymfollow', MOUNT_ATTR.NOSYMFOLLOW], ['nodiratime', MOUNT_ATTR.NODIRATIME], ['noatime', MOUNT_ATTR.NOATIME],
  ['strictatime', MOUNT_ATTR.STRICTATIME],
];

/** MS_* bits → flag names. */
export function mountFlagNames(bits: bigint): MountFlag[] {
  return FLAG_NAMES.filter(([, bit]) => (bits & bit) !== 0n).map(([name]) => name);
}

function propagationNames(list: readonly bigint[]): Propagation[] {
  return list.flatMap((bits) => PROPAGATION_NAMES.filter(([, b]) => b === bits).map(([name]) => name));
}

/**
 * The parser's recursive attribute bits as names. The atime field cleared without a mode set (`ratime`,
 * `rnorelatime`, `rnostrictatime`) is 'relatime' cleared; `rrelatime` sets the field to 0 (relatime).
 */
function recursiveAttributes(set: bigint, clear: bigint): RecursiveAttributes | undefined {
  const names = (bits: bigint): MountAttribute[] => ATTRIBUTE_NAMES.filter(([, b]) => (bits & b) !== 0n).map(([n]) => n);
  const setNames = names(set);
  const atimeMode = (set & MOUNT_ATTR._ATIME) !== 0n;
  if (!atimeMode && (clear & MOUNT_ATTR._ATIME) === MOUNT_ATTR._ATIME) setNames.push('relatime');
  const clearNames = names(clear & ~MOUNT_ATTR._ATIME);
  if (setNames.length === 0 && clearNames.length === 0) return undefined;
  return { set: setNames, clear: clearNames };
}

/**
 * Whether a config.json mount is the container's cgroups (`cgroup`, which runc mounts from the container's own
 * cgroup). A `cgroup2` mount is the file system itself, mounted as runc's mountCgroupV2 does (without a cgroup
 * namespace it shows the whole unified hierarchy).
 */
export function isCgroupMount(m: ConfigMount): boolean {
  return m.type === 'cgroup';
}

/** One config.json mount as a ContainerSpec mount. */
export function toSpecMount(m: ConfigMount): Mount {
  const o = m.options;
  const attributes = recursiveAttributes(o.recursiveSet, o.recursiveClear);
  const common = {
    target: m.destination,
    ...(o.propagation.length === 0 ? {} : { propagation: propagationNames(o.propagation) }),
    ...(attributes === undefined ? {} : { recursiveAttributes: attributes }),
  };
  const flags = mountFlagNames(o.flags);
  if (isCgroupMount(m)) return { type: 'cgroup', ...common, flags };
  if (o.bind !== 'none') return { type: 'bind', ...common, source: m.source, recursive: o.bind === 'rbind', flags };
  return {
    type: 'filesystem', ...common, fstype: m.type ?? 'none', source: m.source, flags,
    ...(o.data.length > 0 ? { data: o.data.join(',') } : {}),
  };
}
