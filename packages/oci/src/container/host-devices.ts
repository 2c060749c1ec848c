/**
 * The host's device nodes for a `--privileged` container, as podman 4.3 gives them (runc's devices.HostDevices
 * walk of /dev: character and block devices, not under pts, shm, fd, mqueue, .lxc, .lxd-mounts or .udev, not
 * /dev/console). As root they become `linux.devices` (made with mknod, the device cgroup allowing all); an
 * unprivileged caller cannot mknod, so podman bind-mounts each node instead (not /dev/ptmx nor /dev/tty*: the
 * container has its own).
 * Man pages: mknod(2), makedev(3), stat(2).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeDevice, RuntimeMount } from '../spec/runtime-spec.js';

const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
const S_IFMT = 0o170000n;
const S_IFCHR = 0o020000n;
const S_IFBLK = 0o060000n;

/** major(3) and minor(3) of a dev_t (glibc's encoding). */
function splitDev(rdev: bigint): { major: number; minor: number } {
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

/** The device nodes under `dir` (default /dev), sorted by path. Unreadable directories are skipped. */
export function hostDevices(dir = '/dev'): RuntimeDevice[] {
  const out: RuntimeDevice[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(d, name);
      let st;
      try {
        st = lstatSync(path, { bigint: true });
      } catch {
        continue; // gone meanwhile
      }
      if (st.isDirectory()) {
        if (!SKIPPED_DIRS.has(name)) walk(path);
        continue;
      }
      const type = st.mode & S_IFMT;
      if ((type !== S_IFCHR && type !== S_IFBLK) || path === join(dir, 'console')) continue;
      out.push({ path, type: type === S_IFCHR ? 'c' : 'b', ...splitDev(st.rdev), fileMode: Number(st.mode & 0o177777n), uid: Number(st.uid), gid: Number(st.gid) });
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The bind mounts of the host's devices a rootless privileged container gets instead of device nodes. */
export function hostDeviceBinds(devices: readonly RuntimeDevice[]): RuntimeMount[] {
  return devices
    .filter((d) => d.path !== '/dev/ptmx' && !d.path.startsWith('/dev/tty'))
    .map((d) => ({ destination: d.path, type: 'bind', source: d.path, options: ['slave', 'nosuid', 'noexec', 'rw', 'rbind'] }));
}
