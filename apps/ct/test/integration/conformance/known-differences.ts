/**
 * KNOWN_DIFFERENCES: where ct differs from runc on main today, each entry with the reason and who fixes it.
 *
 * An entry explains differences, not whole cases: it names the cases it applies to and matches differences by
 * path (and, where one path can differ in several ways, by what runc or ct shows there). A case whose every
 * difference is explained is reported pending (`this.skip()` with the reasons), never as passing; a case with a
 * difference no entry explains fails, so a regression inside a case that already differs still shows. An entry
 * that explains nothing in a full run of its suite fails the suite's last test ("stale"), unless it is marked
 * volatile (it depends on the machine's state): the lead removes entries as fixes land. Nothing here is a normalisation: the differences stay in the report.
 */
import type { Difference } from './json-diff.js';

/** Which suite an entry applies to. */
export type SuitePass = 'root' | 'rootless';

/** One known difference. */
export interface KnownDifference {
  /** A short name, unique, for the report and for grep. */
  readonly name: string;
  /** The cases it applies to: their titles (`<field>: <variant>`) or a pattern over them. */
  readonly cases: RegExp | readonly string[];
  /** The differences it explains: their path, and optionally what runc and ct show there. */
  readonly path: RegExp;
  readonly runc?: RegExp;
  readonly ct?: RegExp;
  /** A relation between the two sides the patterns cannot say (`ct` is runc's with flags added). */
  readonly test?: (d: Difference) => boolean;
  /** The suites it applies to (default: both). */
  readonly passes?: readonly SuitePass[];
  /** What differs and why, short. */
  readonly reason: string;
  /** Who fixes it: a helper (launch, cgroups, lifecycle) and the issue. */
  readonly fixBy: string;
  /** Why the difference may come and go with the machine's state (then it is never called stale). */
  readonly volatile?: string;
}

const ALL = /./;

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  // ---- the base config: every case
  {
    name: 'state-owner', cases: ALL, path: /(^states\.\w+|\.stdin)\.owner$/, runc: /^(|\(absent\))$/,
    reason: 'runc 1.1.5\'s state has owner "" (root and rootless alike); ct names the user, as crun does (owner is runc\'s extra field, not the runtime-spec\'s)',
    fixBy: 'none: a documented choice (packages/runtime/src/container-state.ts)',
  },
  {
    name: 'devices-default-tun', cases: ALL, passes: ['root'], path: /^report\.cgroupFiles\.devices\/devices\.list$/,
    test: (d) => d.runc.split('\n').filter((l) => l !== 'c 10:200 rwm').join('\n') === d.ct,
    reason: 'Debian\'s runc 1.1.5 allows c 10:200 (/dev/net/tun) in every container\'s device cgroup; ct follows runc 1.2, which dropped it (apps/ct/test/integration/runtime-devices.test.ts)',
    fixBy: 'none: a documented choice (cgroups); remove when the reference runc is 1.2',
  },

  // ---- choices where ct does as crun
  {
    name: 'userns-join-without-mappings', cases: ['linux.namespaces: user and network joined by path'], passes: ['rootless'], path: ALL,
    reason: 'runc 1.1.5 refuses a user namespace joined by path without uidMappings ("User namespaces enabled, but no uid mappings found"); ct runs it as crun does (the joined namespace has its maps; runc 1.2 accepts it too)',
    fixBy: 'none: a documented choice (packages/runtime/src/config/config-linux.ts checkNamespaceUses)',
  },
  {
    name: 'devices-null-again', cases: ['linux.devices: /dev/null given again'], passes: ['root'], path: ALL,
    reason: 'runc 1.1.5 fails when linux.devices gives /dev/null again ("error reopening /dev/null inside container: EPERM"); ct makes the node as crun does',
    fixBy: 'none: runc\'s failure; ct follows crun',
  },

  // ---- namespaces
  {
    name: 'userns-mqueue-owner', cases: ['linux.namespaces: user added with a 65536-id mapping'], path: /^report\.devices\.\/dev\/mqueue$/,
    reason: 'with a user namespace, /dev/mqueue is owned by 0:0 in ct (its ipc namespace is made after the switch to the container\'s root), 0:65534 in runc (made after its setresuid(0), before its gid is set)',
    fixBy: 'none: a documented choice (packages/namespaces/src/child-plan.ts)',
  },

  // ---- hooks

  {
    name: 'startContainer-hook-env', cases: ['hooks: all six kinds, two of each, in order'], path: /^report\.files\.\/tmp\/startContainer-\d+\.json\.env\[\d+\]$/, ct: /^\(absent\)$/,
    reason: 'a startContainer hook without env: runc\'s inherits the container process\'s environment (it runs from the init, after the process env is set); ct gives it none, as the hook\'s `env` says',
    fixBy: 'none: a documented choice (packages/runtime/src/hooks.ts)',
  },

];

/** Does `k` explain difference `d` of case `title` in suite `pass`? */
export function explains(k: KnownDifference, title: string, pass: SuitePass, d: Difference): boolean {
  if (k.passes !== undefined && !k.passes.includes(pass)) return false;
  const caseMatches = k.cases instanceof RegExp ? k.cases.test(title) : k.cases.includes(title);
  return caseMatches && k.path.test(d.path) && (k.runc?.test(d.runc) ?? true) && (k.ct?.test(d.ct) ?? true) && (k.test?.(d) ?? true);
}

/** Split a case's differences into those known (with the entries explaining them) and the rest. */
export function classify(title: string, pass: SuitePass, diffs: readonly Difference[]): { known: Set<KnownDifference>; unexplained: Difference[] } {
  const known = new Set<KnownDifference>();
  const unexplained: Difference[] = [];
  for (const d of diffs) {
    const entries = KNOWN_DIFFERENCES.filter((k) => explains(k, title, pass, d));
    if (entries.length === 0) unexplained.push(d);
    entries.forEach((k) => known.add(k));
  }
  return { known, unexplained };
}

