/**
 * Programming a container's device cgroup from its rules. v1: the writes to devices.deny and devices.allow that
 * take the cgroup from what devices.list shows to the rules' state (the emulator's transition: a fresh cgroup,
 * which allows every device, gets `a` denied and then each allowed exception), checked afterwards against
 * devices.list as runc checks it. v2: the rules compiled into a BPF_CGROUP_DEVICE program attached to the cgroup.
 *
 * Man pages: cgroups(7), bpf(2); kernel docs admin-guide/cgroup-v1/devices.rst, admin-guide/cgroup-v2.rst
 * ("Device controller").
 */
import { join } from 'node:path';
import { CgroupError } from '../errors.js';
import { DeviceEmulator, deviceRuleString } from './device-emulator.js';
import { buildDeviceFilter } from './device-filter.js';
import { attachDeviceFilter } from './device-filter-attach.js';
import type { CgroupFs, DeviceRule } from './resources.js';

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** Write `rules` into the v1 devices cgroup `dir` (`field` names the rules in a ContainerSpecError). */
export function writeV1DeviceRules(dir: string, rules: readonly DeviceRule[], fs: CgroupFs, field = 'devices'): void {
  const list = join(dir, 'devices.list');
  const target = DeviceEmulator.fromRules(rules, field);
  const current = DeviceEmulator.fromList(fs.read(list), list);
  for (const rule of current.transition(target)) {
    const file = join(dir, rule.allow ? 'devices.allow' : 'devices.deny');
    const line = deviceRuleString(rule);
    try {
      fs.write(file, line);
    } catch (error) {
      throw new CgroupError(file, `write ${line}`, asError(error));
    }
  }
  // devices.list cannot show a black-list's exceptions: then only the mode can be checked (as runc)
  const after = DeviceEmulator.fromList(fs.read(list), list);
  const same = target.defaultAllow ? after.defaultAllow : after.equals(target);
  if (!same) throw new CgroupError(list, `shows ${after.rules().map(deviceRuleString).join(', ')}, not the rules written (${target.rules().map(deviceRuleString).join(', ')})`);
}

/**
 * Attach the program for `rules` to the v2 cgroup `dir`. An unprivileged caller cannot load device programs (nor can
 * runc or crun in a user namespace: both go on without one): its EPERM is a warning, and the container runs with
 * the devices its parent cgroup allows.
 */
export function attachV2DeviceRules(
  dir: string, rules: readonly DeviceRule[], fs: CgroupFs, unprivileged: boolean, warn: (message: string) => void, field = 'devices',
): void {
  const program = buildDeviceFilter(rules, field);
  const attach = fs.attachDeviceFilter ?? attachDeviceFilter;
  try {
    attach(dir, program);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (unprivileged && (code === 'EPERM' || code === 'EACCES')) {
      warn(`cgroup: ${dir}: device rules not applied: an unprivileged user cannot attach a device program (${asError(error).message})`);
      return;
    }
    throw new CgroupError(dir, 'attach device program', asError(error));
  }
}
