/**
 * `spec` (`--bundle`, `--rootless`): writes runc's default config.json shapes. The rootless form is runc's
 * `ToRootless`: no network namespace, a user namespace with a one-id map of the caller's uid/gid, /sys as a
 * read-only rbind of the host's (sysfs cannot be mounted without owning a network namespace), no `gid=5` on
 * devpts (gid 5 is unmapped), no device cgroup rules.
 *
 * Man pages: none (runtime-spec config.md, config-linux.md).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RuntimeError, systemError } from './errors.js';
import { specVersion } from './oci-version.js';

/** What to generate. */
export interface SpecTemplateOptions {
  /** Make the rootless form (user namespace, mapped to `uid`/`gid`). */
  readonly rootless?: boolean;
  /** The host uid mapped to container root in the rootless form (default: our euid). */
  readonly uid?: number;
  /** The host gid mapped to container root in the rootless form (default: our egid). */
  readonly gid?: number;
}

const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/** runc's default config.json (or its rootless form) as a plain object. */
export function specTemplate(options: SpecTemplateOptions = {}): Record<string, unknown> {
  const rootless = options.rootless === true;
  const devpts = ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(rootless ? [] : ['gid=5'])];
  const sys = rootless
    ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
    : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] };
  const namespaces = rootless
    ? ['pid', 'ipc', 'uts', 'mount', 'user']
    : ['pid', 'network', 'ipc', 'uts', 'mount'];
  const linux: Record<string, unknown> = {};
  if (rootless) {
    linux['uidMappings'] = [{ containerID: 0, hostID: options.uid ?? process.geteuid?.() ?? 0, size: 1 }];
    linux['gidMappings'] = [{ containerID: 0, hostID: options.gid ?? process.getegid?.() ?? 0, size: 1 }];
  } else {
    linux['resources'] = { devices: [{ allow: false, access: 'rwm' }] };
  }
  linux['namespaces'] = namespaces.map((type) => ({ type }));
  linux['maskedPaths'] = [
    '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
    '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi', '/sys/devices/virtual/powercap',
  ];
  linux['readonlyPaths'] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
  return {
    ociVersion: specVersion,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, ambient: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'ct',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: devpts },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      sys,
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux,
  };
}

/**
 * Write the template to `<bundle>/config.json`; an existing file is an error, as with runc. Returns the path.
 * @throws RuntimeError EUSAGE (config.json exists), ESYSTEM (it cannot be written).
 */
export function writeSpec(bundle: string, options: SpecTemplateOptions = {}): string {
  const path = join(resolve(bundle), 'config.json');
  if (existsSync(path)) throw new RuntimeError('EUSAGE', `spec: ${path}: file exists, remove it first`);
  try {
    writeFileSync(path, JSON.stringify(specTemplate(options), null, '\t'), { mode: 0o666 });
  } catch (err) {
    throw systemError('spec', path, err);
  }
  return path;
}
