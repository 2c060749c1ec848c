/**
 * Device-cgroup rules: the ones a container runtime allows whatever its config says (runc's
 * specconv.AllowedDevices: mknod of any device, /dev/null, random, full, tty, zero, urandom, ptmx and the pts
 * devices), appended after the config's own rules as runc appends them, so the config's rules come first and cannot
 * take these away; and the rules' validation.
 *
 * Man pages: cgroups(7); kernel docs admin-guide/cgroup-v1/devices.rst.
 */
import { ContainerSpecError } from '../errors.js';
import type { DeviceRule } from './resources.js';

/** A default rule and the device node it is for (none for the wildcard ones). */
export interface DefaultDeviceRule {
  /** The device node the rule is for (`/dev/null`); absent for the wildcard rules. */
  readonly path?: string;
  /** The rule. */
  readonly rule: DeviceRule;
}

const char = (major: number, minor: number | undefined, access: string, path?: string): DefaultDeviceRule => ({
  ...(path === undefined ? {} : { path }),
  rule: { allow: true, type: 'c', major, ...(minor === undefined ? {} : { minor }), access },
});

/** runc's default device rules, in its order. */
export const DEFAULT_DEVICE_RULES: readonly DefaultDeviceRule[] = Object.freeze([
  { rule: { allow: true, type: 'c', access: 'm' } },
  { rule: { allow: true, type: 'b', access: 'm' } },
  char(1, 3, 'rwm', '/dev/null'),
  char(1, 8, 'rwm', '/dev/random'),
  char(1, 7, 'rwm', '/dev/full'),
  char(5, 0, 'rwm', '/dev/tty'),
  char(1, 5, 'rwm', '/dev/zero'),
  char(1, 9, 'rwm', '/dev/urandom'),
  char(136, undefined, 'rwm'),
  char(5, 2, 'rwm'),
] satisfies DefaultDeviceRule[]);

/**
 * `rules` followed by the default rules, as runc builds a container's device list: a default whose device node the
 * config also creates (`devicePaths`: linux.devices[].path) is left out, the config's node taking its place (runc's
 * createDevices; the config's rules must then allow it).
 */
export function withDefaultDeviceRules(rules: readonly DeviceRule[], devicePaths: readonly string[] = []): DeviceRule[] {
  const nodes = new Set(devicePaths);
  return [...rules, ...DEFAULT_DEVICE_RULES.filter((d) => d.path === undefined || !nodes.has(d.path)).map((d) => d.rule)];
}

const isNumber = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= -1 && n <= 0xffff_ffff;

/** Check device rules (fields named `<field>[i].x`): type a/c/b, numbers -1..2^32-1, access a non-empty subset of rwm. */
export function validateDeviceRules(rules: readonly DeviceRule[], field: string): void {
  if (!Array.isArray(rules)) throw new ContainerSpecError(field, 'not a list of rules');
  rules.forEach((r: DeviceRule, i) => {
    const at = `${field}[${i}]`;
    if (typeof r !== 'object' || r === null) throw new ContainerSpecError(at, 'not a rule');
    if (typeof r.allow !== 'boolean') throw new ContainerSpecError(`${at}.allow`, `not a boolean: ${String(r.allow)}`);
    if (r.type !== 'a' && r.type !== 'c' && r.type !== 'b') throw new ContainerSpecError(`${at}.type`, `not a, c or b: ${String(r.type)}`);
    for (const key of ['major', 'minor'] as const) {
      if (r[key] !== undefined && !isNumber(r[key])) throw new ContainerSpecError(`${at}.${key}`, `not -1 or a device number: ${String(r[key])}`);
    }
    if (typeof r.access !== 'string' || !/^[rwm]+$/.test(r.access)) {
      throw new ContainerSpecError(`${at}.access`, `not a combination of r, w and m: ${JSON.stringify(r.access)}`);
    }
  });
}
