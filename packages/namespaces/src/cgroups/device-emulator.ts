/**
 * The device cgroup's state as the v1 kernel keeps it, emulated (runc's libcontainer/cgroups/devices emulator): a
 * default (every device allowed, "black-list" mode, or none, "white-list" mode) and per-(type, major, minor)
 * exceptions with their access. Rules apply in order as `devices.allow`/`devices.deny` writes do; the state can be
 * read back from `devices.list`, and the shortest list of writes that turns one state into another is computed,
 * so a cgroup is programmed without a moment where a device the container uses is denied. The same state, read as
 * "default then exceptions", is what the cgroup v2 device program implements.
 *
 * One difference from the kernel, kept from runc: a deny that would punch a hole in a wildcard exception (deny
 * `c 1:3 r` while `c 1:* r` is allowed) is refused, since v1 silently ignores it and the device would stay open.
 *
 * Man pages: cgroups(7); kernel docs admin-guide/cgroup-v1/devices.rst.
 */
import { CgroupError, ContainerSpecError } from '../errors.js';
import type { DeviceRule } from './resources.js';

/** The wildcard major or minor (`*`). */
const ANY = -1;

interface Meta {
  readonly type: 'c' | 'b';
  readonly major: number;
  readonly minor: number;
}

const keyOf = (m: Meta): string => `${m.type} ${m.major}:${m.minor}`;
const ACCESS_ORDER = 'rwm';
const normalise = (access: Iterable<string>): string => {
  const set = new Set(access);
  return [...ACCESS_ORDER].filter((c) => set.has(c)).join('');
};
const union = (a: string, b: string): string => normalise(a + b);
const minus = (a: string, b: string): string => normalise([...a].filter((c) => !b.includes(c)));
const intersect = (a: string, b: string): string => normalise([...a].filter((c) => b.includes(c)));

type Exception = { readonly meta: Meta; readonly access: string };

/** Exceptions by major, minor, then type (wildcards, -1, first): a stable order for the writes and the program. */
const sorted = (m: ReadonlyMap<string, Exception>): Exception[] =>
  [...m.values()].sort((a, b) => a.meta.major - b.meta.major || a.meta.minor - b.meta.minor || a.meta.type.localeCompare(b.meta.type));

/** `c 1:3 rwm` / `a *:* rwm`: a rule as the v1 files take it and devices.list shows it. */
export function deviceRuleString(r: DeviceRule): string {
  const num = (n: number | undefined): string => (n === undefined || n === ANY ? '*' : String(n));
  return r.type === 'a' ? 'a *:* rwm' : `${r.type} ${num(r.major)}:${num(r.minor)} ${normalise(r.access)}`;
}

/** The emulated state of one device cgroup. */
export class DeviceEmulator {
  /** true: every device allowed except the exceptions (black-list); false: only the exceptions (white-list). */
  defaultAllow = false;
  private readonly exceptions = new Map<string, Exception>();

  /** The state after `rules`, from "no device allowed" (runc's starting point); `field` names rules in errors. */
  static fromRules(rules: readonly DeviceRule[], field = 'devices'): DeviceEmulator {
    const e = new DeviceEmulator();
    rules.forEach((r, i) => { e.apply(r, `${field}[${i}]`); });
    return e;
  }

  /**
   * The state a `devices.list` shows: `a *:* rwm` means black-list (whose deny exceptions the file cannot show:
   * such a cgroup counts as allowing every device); anything else lists the white-list's exceptions.
   */
  static fromList(text: string, file = 'devices.list'): DeviceEmulator {
    const e = new DeviceEmulator();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const m = /^([abc])\s+(\d+|\*):(\d+|\*)\s+([rwm]+)$/.exec(line.trim());
      if (m === null) throw new CgroupError(file, `not a devices.list line: ${JSON.stringify(line)}`);
      const [, type = 'a', major = '*', minor = '*', access = ''] = m;
      const num = (s: string): number => (s === '*' ? ANY : Number(s));
      e.apply({ allow: true, type: type as DeviceRule['type'], major: num(major), minor: num(minor), access }, file);
    }
    return e;
  }

  /** Apply one rule as a write to devices.allow (allow) or devices.deny would. */
  apply(rule: DeviceRule, field: string): void {
    if (rule.type === 'a') {
      this.defaultAllow = rule.allow;
      this.exceptions.clear();
      return;
    }
    const meta: Meta = { type: rule.type, major: rule.major ?? ANY, minor: rule.minor ?? ANY };
    const access = normalise(rule.access);
    // allowing in white-list mode, or denying in black-list mode, adds an exception; the other way removes one
    if (rule.allow !== this.defaultAllow) this.add(meta, access);
    else this.remove(meta, access, field);
  }

  private add(meta: Meta, access: string): void {
    const key = keyOf(meta);
    this.exceptions.set(key, { meta, access: union(this.exceptions.get(key)?.access ?? '', access) });
  }

  private remove(meta: Meta, access: string, field: string): void {
    for (const wide of [{ ...meta, major: ANY }, { ...meta, minor: ANY }, { ...meta, major: ANY, minor: ANY }]) {
      if (keyOf(wide) === keyOf(meta)) continue;
      const overlap = intersect(this.exceptions.get(keyOf(wide))?.access ?? '', access);
      if (overlap !== '') {
        throw new ContainerSpecError(field, `${deviceRuleString({ allow: false, ...meta, access })} cannot be carved out of the wider ${keyOf(wide)} ${overlap} (cgroup v1 would ignore it)`);
      }
    }
    const key = keyOf(meta);
    const left = minus(this.exceptions.get(key)?.access ?? '', access);
    if (left === '') this.exceptions.delete(key);
    else this.exceptions.set(key, { meta, access: left });
  }

  /** The exceptions sorted by major, minor, type (wildcards first), as rules of the non-default kind. */
  exceptionRules(): DeviceRule[] {
    return sorted(this.exceptions).map(({ meta, access }) => ({ allow: !this.defaultAllow, ...meta, access }));
  }

  /** The state as rules: the default (`a`) first, then the exceptions. */
  rules(): DeviceRule[] {
    return [{ allow: this.defaultAllow, type: 'a', access: 'rwm' }, ...this.exceptionRules()];
  }

  /** Whether two states are the same (default and exceptions). */
  equals(other: DeviceEmulator): boolean {
    const a = this.rules().map(deviceRuleString);
    const b = other.rules().map(deviceRuleString);
    return this.defaultAllow === other.defaultAllow && a.length === b.length && a.every((s, i) => s === b[i]);
  }

  /**
   * The writes that take a cgroup from this state to `target`: the default's reset when it changes (or when this
   * state is a black-list, whose deny exceptions are unknown), then what the old exceptions lose, then what the new
   * ones gain (runc's Transition).
   */
  transition(target: DeviceEmulator): DeviceRule[] {
    const out: DeviceRule[] = [];
    let old: ReadonlyMap<string, Exception> = this.exceptions;
    if (this.defaultAllow || this.defaultAllow !== target.defaultAllow) {
      out.push({ allow: target.defaultAllow, type: 'a', access: 'rwm' });
      old = new Map();
    }
    for (const { meta, access } of sorted(old)) {
      const dropped = minus(access, target.exceptions.get(keyOf(meta))?.access ?? '');
      if (dropped !== '') out.push({ allow: target.defaultAllow, ...meta, access: dropped });
    }
    for (const { meta, access } of sorted(target.exceptions)) {
      const gained = minus(access, old.get(keyOf(meta))?.access ?? '');
      if (gained !== '') out.push({ allow: !target.defaultAllow, ...meta, access: gained });
    }
    return out;
  }
}
