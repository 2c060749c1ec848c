/**
 * The cgroup v1 devices controller as the kernel implements it (security/device_cgroup.c: devcgroup_update_access,
 * devices.list), over a fake cgroupfs: writes to `devices.allow`/`devices.deny` change a per-directory state (a
 * default behaviour plus an ordered exception list) and `devices.list` reads it back. Written from the kernel's
 * rules, not from ct's emulator, so a test comparing the two checks one against the other.
 */
import { dirname } from 'node:path';
import type { CgroupFs } from '../../src/index.js';

interface Exception { type: string; major: string; minor: string; access: string }
interface State { allowAll: boolean; exceptions: Exception[] }

const ORDER = 'rwm';
const norm = (a: string): string => [...ORDER].filter((c) => a.includes(c)).join('');

/** `base` with the devices files of every directory emulated; `writes` records each write in order. */
export function withDevicesController(base: CgroupFs): CgroupFs & { readonly writes: string[] } {
  const states = new Map<string, State>();
  const writes: string[] = [];
  // a new cgroup below the root starts as its parent: allow all (the root's state)
  const stateOf = (dir: string): State => {
    let s = states.get(dir);
    if (s === undefined) {
      s = { allowAll: true, exceptions: [] };
      states.set(dir, s);
    }
    return s;
  };
  const update = (dir: string, allowFile: boolean, line: string): void => {
    const s = stateOf(dir);
    const m = /^([abc])(?: (\d+|\*):(\d+|\*) ([rwm]+))?$/.exec(line.trim());
    if (m === null) throw Object.assign(new Error(`EINVAL: ${line}`), { code: 'EINVAL' });
    const [, type = '', major = '*', minor = '*', access = 'rwm'] = m;
    if (type === 'a') {
      s.allowAll = allowFile;
      s.exceptions = [];
      return;
    }
    const ex: Exception = { type, major, minor, access: norm(access) };
    const same = s.exceptions.find((e) => e.type === type && e.major === major && e.minor === minor);
    if (allowFile !== s.allowAll) {
      // dev_exception_add: merge into an identical exception, else append
      if (same !== undefined) same.access = norm(same.access + ex.access);
      else s.exceptions.push(ex);
    } else if (same !== undefined) {
      // dev_exception_rm: drop the bits from the identical exception only
      same.access = norm([...same.access].filter((c) => !ex.access.includes(c)).join(''));
      if (same.access === '') s.exceptions = s.exceptions.filter((e) => e !== same);
    }
  };
  return {
    ...base,
    writes,
    read(path) {
      if (!path.endsWith('/devices.list')) return base.read(path);
      const s = stateOf(dirname(path));
      if (s.allowAll) return 'a *:* rwm\n';
      return s.exceptions.map((e) => `${e.type} ${e.major}:${e.minor} ${e.access}\n`).join('');
    },
    write(path, data) {
      const allow = path.endsWith('/devices.allow');
      if (!allow && !path.endsWith('/devices.deny')) return base.write(path, data);
      writes.push(`${allow ? 'allow' : 'deny'} ${data}`);
      update(dirname(path), allow, data);
    },
    exists(path) {
      return /\/devices\.(allow|deny|list)$/.test(path) || base.exists(path);
    },
  };
}
