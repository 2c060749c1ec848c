/**
 * `explainSetupError(err, options)`: map a failed container start (runContainer, newuidmap, the state dir, a
 * cgroup, an overlay mount) to the doctor's cause and fix, so a failing `ct create` or `ct container run` says
 * in a line or two what to change. It walks the error's `cause` chain, picks the check that the failure points
 * at and re-evaluates that check's settings and files (no trial clone: the failure already was the trial).
 * Returns undefined when the error is not a set-up problem the doctor knows.
 *
 * Man pages: user_namespaces(7), newuidmap(1), subuid(5), cgroups(7).
 */
import { basename } from 'node:path';
import { CgroupError, ContainerSpecError, IdMapError, NamespaceSetupError, SyscallError } from '../errors.js';
import { resolveDoctorEnvironment, type DoctorEnvironment, type DoctorOptions } from './environment.js';
import { userNamespaceRefused, userNamespaceSettings } from './check-userns.js';
import { checkNewIdMap, checkSubordinateIds } from './check-ids.js';
import { checkCgroups, checkRuntimeDir } from './check-host.js';
import { overlayResult } from './check-kernel.js';
import type { CheckId, CheckResult, SetupCause } from './types.js';

/** What `explainSetupError` says about a failure. */
export interface SetupExplanation {
  /** The doctor check that covers the cause. */
  readonly check: CheckId;
  /** The cause id (the same one `ct doctor` reports). */
  readonly cause: SetupCause;
  /** What is wrong, one line. */
  readonly message: string;
  /** The exact command that fixes it. */
  readonly fix: string;
}

const CLONE_CALLS = new Set(['clone', 'clone3', 'unshare']);
const REFUSALS = new Set(['EPERM', 'EACCES', 'ENOSPC', 'EUSERS', 'EINVAL', 'EROFS', 'ENOENT']);

function chain(err: unknown): Error[] {
  const out: Error[] = [];
  for (let e = err; e instanceof Error && out.length < 16; e = e.cause) out.push(e);
  return out;
}

function explanation(result: CheckResult): SetupExplanation | undefined {
  if (result.status === 'ok' || result.cause === undefined || result.fix === undefined) return undefined;
  return { check: result.id, cause: result.cause, message: result.message, fix: result.fix };
}

function explainUserNamespace(env: DoctorEnvironment, failure: SyscallError): SetupExplanation | undefined {
  return explanation(userNamespaceSettings(env)
    ?? userNamespaceRefused({ ok: false, code: failure.code, syscall: failure.syscall }));
}

function underStateDir(env: DoctorEnvironment, path: string): boolean {
  const roots = [env.xdgRuntimeDir, env.runUserDir, env.tmpDir].filter((r): r is string => r !== undefined);
  return roots.some((r) => path === r || path.startsWith(`${r}/`));
}

/**
 * The doctor's cause and fix for `err`, a failure of runContainer, newuidmap/newgidmap, the state dir, a cgroup
 * or an overlay mount; undefined when it is not one of the set-up causes (or the set-up now looks right).
 */
export function explainSetupError(err: unknown, options: DoctorOptions = {}): SetupExplanation | undefined {
  const errors = chain(err);
  const env = resolveDoctorEnvironment(options);
  for (const e of errors) {
    if (e instanceof IdMapError && /^new[ug]idmap$/.test(basename(e.file))) {
      return explanation(checkNewIdMap(env)) ?? explanation(checkSubordinateIds(env));
    }
    if (e instanceof ContainerSpecError && (e.field === 'uidMap' || e.field === 'hostUids')) {
      return explanation(checkNewIdMap(env)) ?? explanation(checkSubordinateIds(env));
    }
    if (e instanceof CgroupError) return explanation(checkCgroups(env));
  }
  const setupStep = errors.find((e): e is NamespaceSetupError => e instanceof NamespaceSetupError);
  const sys = errors.find((e): e is SyscallError => e instanceof SyscallError);
  if (sys !== undefined && REFUSALS.has(sys.code)) {
    const op = sys.stepOp ?? sys.syscall;
    if (CLONE_CALLS.has(op) || (CLONE_CALLS.has(sys.syscall) && setupStep?.step === 'clone')) {
      return explainUserNamespace(env, sys);
    }
    const overlay = errors.some((e) => /\boverlay\b/.test(e.message)) || setupStep?.step.includes('overlay') === true;
    if (overlay && op === 'mount') {
      return explanation(overlayResult(env, { ok: false, code: sys.code, syscall: 'mount' }));
    }
    const path = sys.path ?? '';
    if (path !== '' && underStateDir(env, path) && (op === 'mkdir' || (sys.code !== 'ENOENT' && op === 'open'))) {
      return explanation(checkRuntimeDir(env));
    }
  }
  for (const e of errors) {
    const code = (e as NodeJS.ErrnoException).code;
    const path = (e as NodeJS.ErrnoException).path;
    if (typeof path === 'string' && (code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      || (code === 'ENOENT' && (e as NodeJS.ErrnoException).syscall === 'mkdir'))
      && underStateDir(env, path)) {
      return explanation(checkRuntimeDir(env));
    }
  }
  return undefined;
}
