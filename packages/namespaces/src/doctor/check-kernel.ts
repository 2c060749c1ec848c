/**
 * Checks of the kernel features ct uses, most by trying them for real: overlayfs with userxattr in a user
 * namespace, clone3, pidfd_open, openat2, mount_setattr, idmapped mounts, time namespaces, and seccomp (the
 * Seccomp field of /proc/self/status). Only a missing pidfd_open fails (@ct/syscalls waits on pidfds); the
 * others have a fallback or only disable the feature they serve.
 *
 * Man pages: clone3(2), pidfd_open(2), openat2(2), mount_setattr(2), time_namespaces(7), seccomp(2), proc(5)
 * (/proc/PID/status), overlayfs (Documentation/filesystems/overlayfs.rst).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DoctorEnvironment } from './environment.js';
import { kernelAtLeast, notOk, ok } from './check-result.js';
import type { CheckResult, TrialOutcome } from './types.js';

const OVERLAY_AFFECTS = ['image rootfs as an overlay of the layers (without it: a copy per container)'];

function failed(outcome: TrialOutcome): string {
  return outcome.ok ? '' : `${outcome.syscall === undefined ? '' : `${outcome.syscall}: `}${outcome.code}`;
}

/** The fix for a refused overlay mount, by kernel release. */
export function overlayFix(env: DoctorEnvironment): string {
  return kernelAtLeast(env, 5, 11)
    ? 'keep the image store and TMPDIR on a file system with user xattrs (ext4, xfs, btrfs; tmpfs from Linux 6.6)'
    : 'upgrade to Linux 5.11 or later (overlayfs in user namespaces with userxattr)';
}

/** The verdict of an overlay trial. */
export function overlayResult(env: DoctorEnvironment, outcome: TrialOutcome): CheckResult {
  if (outcome.ok) return ok('overlay', 'overlay (userxattr) mounted in a user namespace', OVERLAY_AFFECTS);
  return notOk('overlay', 'warning', 'overlay-refused',
    `mount overlay (userxattr) in a user namespace: ${failed(outcome)}: rootfs copied instead`, OVERLAY_AFFECTS,
    overlayFix(env));
}

/** Check: overlayfs in a user namespace, on a scratch dir under TMPDIR. */
export async function checkOverlay(env: DoctorEnvironment): Promise<CheckResult> {
  return overlayResult(env, await env.trials.overlay(env.tmpDir));
}

/** Check: clone3 (proved by the time-namespace trial, which needs it; else by the kernel release). */
export function checkClone3(env: DoctorEnvironment, timeNamespace: TrialOutcome): CheckResult {
  const affects = ['time namespaces', 'clone with a pidfd in one call (else clone + pidfd_open)'];
  if (timeNamespace.ok) return ok('clone3', 'clone3 with CLONE_NEWTIME worked', affects);
  if (kernelAtLeast(env, 5, 3)) return ok('clone3', 'Linux ≥ 5.3 has clone3', affects);
  return notOk('clone3', 'warning', 'clone3-missing', 'clone3: not in this kernel (Linux < 5.3)', affects,
    'upgrade to Linux 5.3 or later');
}

/** Check: pidfd_open, which @ct/syscalls needs to wait for every child. */
export function checkPidfd(env: DoctorEnvironment): CheckResult {
  const outcome = env.trials.pidfd();
  const affects = ['every container (ct waits for its children through pidfds)'];
  if (outcome.ok) return ok('pidfd', 'pidfd_open works', affects);
  return notOk('pidfd', 'failure', 'pidfd-missing', `pidfd_open: ${failed(outcome)}`, affects,
    'upgrade to Linux 5.3 or later');
}

/** Check: openat2 (RESOLVE_IN_ROOT for paths inside a rootfs; else a slower O_NOFOLLOW walk). */
export function checkOpenat2(env: DoctorEnvironment): CheckResult {
  const outcome = env.trials.openat2();
  const affects = ['fast root-confined path resolution (else a component walk)'];
  if (outcome.ok) return ok('openat2', 'openat2 works', affects);
  return notOk('openat2', 'warning', 'openat2-missing', `openat2: ${failed(outcome)}`, affects,
    'upgrade to Linux 5.6 or later');
}

/** Check: mount_setattr in a user namespace. */
export async function checkMountSetattr(env: DoctorEnvironment): Promise<CheckResult> {
  const outcome = await env.trials.mountSetattr(env.tmpDir);
  const affects = ['recursive read-only mounts (rro)', 'idmapped mounts'];
  if (outcome.ok) return ok('mount-setattr', 'mount_setattr worked in a user namespace', affects);
  return notOk('mount-setattr', 'warning', 'mount-setattr-missing', `mount_setattr: ${failed(outcome)}`, affects,
    'upgrade to Linux 5.12 or later');
}

/**
 * Check: idmapped mounts. Root tries one; for other users the kernel refuses them whatever its version (only
 * real root may idmap a host file system), so the release alone is reported.
 */
export async function checkIdmappedMounts(env: DoctorEnvironment): Promise<CheckResult> {
  const affects = ['idmapped mounts (OCI mounts with uidMappings/gidMappings; root only)'];
  const fix = 'upgrade to Linux 5.12 or later (idmapped mounts)';
  if (env.uid !== 0) {
    if (kernelAtLeast(env, 5, 12)) return ok('idmapped-mounts', 'Linux ≥ 5.12 has idmapped mounts (root only: not tried)', affects);
    return notOk('idmapped-mounts', 'warning', 'idmapped-mounts-refused', 'idmapped mounts: Linux < 5.12', affects, fix);
  }
  const outcome = await env.trials.idmappedMount(env.tmpDir);
  if (outcome.ok) return ok('idmapped-mounts', 'an idmapped bind mount worked', affects);
  return notOk('idmapped-mounts', 'warning', 'idmapped-mounts-refused', `idmapped mount: ${failed(outcome)}`, affects,
    kernelAtLeast(env, 5, 12) ? `keep ${env.tmpDir} and the bundles on a file system with idmap support (ext4, xfs, btrfs; tmpfs from Linux 6.3)` : fix);
}

/** Check: time namespaces (the trial's outcome). */
export function checkTimeNamespace(outcome: TrialOutcome): CheckResult {
  const affects = ['time namespace offsets (timeOffsets, OCI linux.timeOffsets)'];
  if (outcome.ok) return ok('time-namespace', 'a child cloned with CLONE_NEWTIME', affects);
  return notOk('time-namespace', 'warning', 'time-namespace-missing', `clone3 CLONE_NEWTIME: ${failed(outcome)}`, affects,
    'use a Linux 5.6 or later kernel built with CONFIG_TIME_NS=y');
}

/** Check: seccomp filters (the Seccomp field of /proc/self/status exists when the kernel has them). */
export function checkSeccomp(env: DoctorEnvironment): CheckResult {
  const affects = ['seccomp profiles (OCI linux.seccomp)'];
  let status: string;
  try {
    status = readFileSync(join(env.procRoot, 'self/status'), 'utf8');
  } catch {
    status = '';
  }
  const mode = /^Seccomp:\s*(\d+)/m.exec(status)?.[1];
  if (mode !== undefined) return ok('seccomp', `seccomp available (this process: mode ${mode})`, affects);
  return notOk('seccomp', 'warning', 'seccomp-missing', `${join(env.procRoot, 'self/status')}: no Seccomp field`, affects,
    'use a kernel built with CONFIG_SECCOMP=y and CONFIG_SECCOMP_FILTER=y');
}
