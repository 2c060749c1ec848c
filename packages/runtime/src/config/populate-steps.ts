/**
 * The parts of an OCI config that @ct/namespaces' ContainerSpec has no field for yet, as child steps run after
 * pivot_root (the spec's `populate` list, paths inside the new root): rootfsPropagation, the flags of bind mounts (nosuid, nodev,
 * noexec as a remount keeping the locked flags; `r*` options through mount_setattr; propagation), masked paths (/dev/null over a file, a
 * read-only tmpfs over a directory), read-only paths (a recursive bind onto itself, remounted read-only), extra
 * devices (mknod as real root), domainname, umask and linux.sysctl (rlimits, no_new_privs and the other
 * confinement fields are ContainerSpec fields now: to-container-spec.ts). TODO(NEEDS.md): move into ContainerSpec fields when @ct/namespaces has them.
 *
 * Man pages: mount(2), mount_setattr(2), mknod(2), setdomainname(2), umask(2), prlimit(2), prctl(2) (PR_SET_NO_NEW_PRIVS).
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { MS, S } from '@ct/syscalls';
import type { Step } from '@ct/syscalls';
import { ConfigError } from '../errors.js';
import type { BundleConfig } from './bundle-config.js';
import type { ConfigDevice } from './config-linux.js';

/** Where a path inside the container can be looked at before the container exists. */
/**
 * Whether config.json's own /proc mount is used: the namespaces plan mounts /proc only with a new pid namespace, so
 * without one the config's proc mount is kept (it shows the host's or the joined pid namespace, as under runc; it
 * needs the privilege over that namespace: real root for the host's).
 */
export function procFromConfig(config: BundleConfig): boolean {
  const newPid = config.linux.namespaces.some((n) => n.type === 'pid' && n.path === undefined);
  return !newPid && config.mounts.some((m) => m.destination === '/proc' && m.type === 'proc');
}

function probeKind(config: BundleConfig, path: string): 'dir' | 'file' | undefined {
  // no /proc at all: no new pid namespace and no proc mount in config.json (the rootfs's /proc stays empty)
  const newPid = config.linux.namespaces.some((n) => n.type === 'pid' && n.path === undefined);
  if ((path === '/proc' || path.startsWith('/proc/')) && !newPid && !procFromConfig(config)) return undefined;
  // /proc and /sys are the kernel's, the same inside as on the host; everything else comes from the rootfs
  const host = path.startsWith('/proc/') || path.startsWith('/sys/') ? path : join(config.rootfs, path);
  try {
    const st = lstatSync(host);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

function maskSteps(config: BundleConfig): Step[] {
  const steps: Step[] = [];
  for (const path of config.linux.maskedPaths) {
    const kind = probeKind(config, path);
    if (kind === 'dir') steps.push({ op: 'mount', source: 'tmpfs', target: path, fstype: 'tmpfs', flags: MS.RDONLY, data: 'size=0' });
    else if (kind === 'file') steps.push({ op: 'mount', source: '/dev/null', target: path, flags: MS.BIND });
  }
  for (const path of config.linux.readonlyPaths) {
    if (probeKind(config, path) === undefined) continue;
    steps.push(
      { op: 'mount', source: path, target: path, flags: MS.BIND | MS.REC },
      { op: 'remount', target: path, flags: MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, recursive: true },
    );
  }
  return steps;
}

/** Bind-mount options ContainerSpec's BindMount cannot carry (it has readOnly and recursive only). */
function bindOptionSteps(config: BundleConfig): Step[] {
  const steps: Step[] = [];
  const extra = MS.NOSUID | MS.NODEV | MS.NOEXEC;
  for (const m of config.mounts) {
    if (m.options.bind === 'none') continue;
    const recursive = m.options.bind === 'rbind';
    const flags = m.options.flags & extra;
    if (flags !== 0n) {
      steps.push({ op: 'remount', target: m.destination, flags: flags | (m.options.flags & MS.RDONLY), recursive });
    }
    if (m.options.recursiveSet !== 0n || m.options.recursiveClear !== 0n) {
      steps.push({
        op: 'mountSetattr', target: m.destination, attrSet: m.options.recursiveSet, attrClr: m.options.recursiveClear,
        propagation: 0n, recursive: true,
      });
    }
    for (const propagation of m.options.propagation) steps.push({ op: 'propagation', target: m.destination, flags: propagation });
  }
  return steps;
}

/** Device nodes made with mknod (real root only; a user namespace cannot), then given their exact mode. */
function deviceSteps(devices: readonly ConfigDevice[]): Step[] {
  const typeBits = { c: S.IFCHR, u: S.IFCHR, b: S.IFBLK, p: S.IFIFO } as const;
  return devices.flatMap((d): Step[] => [
    { op: 'mknod', path: d.path, mode: typeBits[d.type] | d.fileMode, major: d.major, minor: d.minor },
    // mknod's mode went through the umask
    { op: 'chmod', path: d.path, mode: d.fileMode },
  ]);
}

/** linux.sysctl (namespaced keys only, checked in config-confinement.ts), written before /proc/sys turns read-only. */
function sysctlSteps(config: BundleConfig): Step[] {
  return Object.entries(config.confinement.sysctl).map(([key, value]): Step =>
    ({ op: 'writeFile', path: `/proc/sys/${key.replace(/\./g, '/')}`, data: value, mode: 0o644 }));
}

const rootPropagation: Readonly<Record<string, bigint>> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** linux.rootfsPropagation, applied to the container's / after pivot_root (the plan made everything private). */
function rootPropagationSteps(config: BundleConfig): Step[] {
  const name = config.linux.rootfsPropagation;
  if (name === undefined || name === '') return [];
  const flags = rootPropagation[name];
  if (flags === undefined) throw new ConfigError('linux.rootfsPropagation', `unknown propagation ${JSON.stringify(name)}`);
  return [{ op: 'propagation', target: '/', flags }];
}

/**
 * The populate steps for `config`. `mknod` says whether device nodes can be made (real root, no new user
 * namespace); otherwise the host's nodes are bound, which must happen before pivot_root (to-container-spec.ts
 * makes them bind mounts).
 */
export function populateSteps(config: BundleConfig, mknod: boolean): Step[] {
  const steps: Step[] = [
    ...rootPropagationSteps(config), ...bindOptionSteps(config), ...(mknod ? deviceSteps(config.linux.devices) : []),
    ...sysctlSteps(config), ...maskSteps(config),
  ];
  if (config.domainname !== undefined) steps.push({ op: 'setdomainname', name: config.domainname });
  if (config.process?.umask !== undefined) steps.push({ op: 'umask', mask: config.process.umask });
  return steps;
}
