/**
 * `runDoctor(options)`: every check for one user, in `CHECK_IDS` order, as a `DoctorReport`. The trials that
 * clone run one after another (they are quick; running them together would only make their failures harder to
 * read). `canRunContainers` is false when any check failed.
 *
 * Man pages: user_namespaces(7), cgroups(7), subuid(5).
 */
import { resolveDoctorEnvironment, type DoctorOptions } from './environment.js';
import { checkUserNamespaces } from './check-userns.js';
import { checkNewIdMap, checkSubordinateIds } from './check-ids.js';
import { checkCgroups, checkNetworkHelper, checkRuntimeDir } from './check-host.js';
import {
  checkClone3, checkIdmappedMounts, checkMountSetattr, checkOpenat2, checkOverlay, checkPidfd, checkSeccomp,
  checkTimeNamespace,
} from './check-kernel.js';
import type { CheckResult, DoctorReport } from './types.js';

/** Run every check for the user of `options` (default: this process's) and report. */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = resolveDoctorEnvironment(options);
  const timeNamespace = await env.trials.timeNamespace();
  const checks: CheckResult[] = [
    await checkUserNamespaces(env),
    checkSubordinateIds(env),
    checkNewIdMap(env),
    checkCgroups(env),
    checkRuntimeDir(env),
    await checkOverlay(env),
    checkNetworkHelper(env),
    checkClone3(env, timeNamespace),
    checkPidfd(env),
    checkOpenat2(env),
    await checkMountSetattr(env),
    await checkIdmappedMounts(env),
    checkTimeNamespace(timeNamespace),
    checkSeccomp(env),
  ];
  return {
    user: { name: env.userName, uid: env.uid, gid: env.gid },
    checks,
    canRunContainers: checks.every((c) => c.status !== 'failure'),
  };
}

/** The report as text: one line per check (`ok`, `warning`, `failure`), with what it affects and the fix. */
export function formatDoctorReport(report: DoctorReport): string {
  const who = report.user.name === undefined ? `uid ${report.user.uid}` : `${report.user.name} (uid ${report.user.uid})`;
  const lines = [`ct doctor: ${who}`];
  for (const c of report.checks) {
    lines.push(`${c.status.padEnd(7)} ${c.id}: ${c.message}`);
    if (c.status !== 'ok') {
      lines.push(`        affects: ${c.affects.join('; ')}`);
      if (c.fix !== undefined) lines.push(`        fix: ${c.fix}`);
    }
  }
  const failures = report.checks.filter((c) => c.status === 'failure').length;
  const warnings = report.checks.filter((c) => c.status === 'warning').length;
  lines.push(report.canRunContainers
    ? `rootless containers can run (${warnings} warning${warnings === 1 ? '' : 's'})`
    : `rootless containers cannot run (${failures} failure${failures === 1 ? '' : 's'})`);
  return `${lines.join('\n')}\n`;
}
