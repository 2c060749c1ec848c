/**
 * Check: can this user create a user namespace at all? First the settings that forbid it, each with its own
 * fix (Debian's kernel.unprivileged_userns_clone, user.max_user_namespaces, Ubuntu's
 * kernel.apparmor_restrict_unprivileged_userns), then a real clone with CLONE_NEWUSER. A failure here stops every
 * rootless container.
 *
 * Man pages: user_namespaces(7), clone(2) (EPERM, ENOSPC, EUSERS), sysctl(8), apparmor(7).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSetting, type DoctorEnvironment } from './environment.js';
import { notOk, ok } from './check-result.js';
import type { CheckResult, TrialOutcome } from './types.js';

const AFFECTS = ['rootless containers (ct create, ct run, ct container run)', 'rootless image unpack'];

function persist(setting: string): string {
  return `sudo sysctl -w ${setting} && echo '${setting}' | sudo tee /etc/sysctl.d/90-ct-userns.conf`;
}

/**
 * The settings part of the check (no clone): a failure naming the file and value that forbids user
 * namespaces, or undefined when nothing forbids them.
 */
export function userNamespaceSettings(env: DoctorEnvironment): CheckResult | undefined {
  const proc = env.procRoot;
  if (!existsSync(join(proc, 'self/ns/user'))) {
    return notOk('user-namespaces', 'failure', 'userns-missing', `${proc}/self/ns/user: missing: the kernel has no user namespaces`,
      AFFECTS, 'use a kernel built with CONFIG_USER_NS=y');
  }
  const max = readSetting(join(proc, 'sys/user/max_user_namespaces'));
  if (max !== undefined && !(Number.parseInt(max, 10) > 0)) {
    return notOk('user-namespaces', 'failure', 'userns-max-zero', `${proc}/sys/user/max_user_namespaces: ${max}`,
      AFFECTS, persist('user.max_user_namespaces=28633'));
  }
  if (env.uid === 0) return undefined;
  const clone = readSetting(join(proc, 'sys/kernel/unprivileged_userns_clone'));
  if (clone !== undefined && clone !== '1') {
    return notOk('user-namespaces', 'failure', 'userns-clone-disabled',
      `${proc}/sys/kernel/unprivileged_userns_clone: ${clone}`, AFFECTS, persist('kernel.unprivileged_userns_clone=1'));
  }
  const apparmor = readSetting(join(proc, 'sys/kernel/apparmor_restrict_unprivileged_userns'));
  if (apparmor !== undefined && apparmor !== '0') {
    return notOk('user-namespaces', 'failure', 'userns-apparmor',
      `${proc}/sys/kernel/apparmor_restrict_unprivileged_userns: ${apparmor}`, AFFECTS,
      persist('kernel.apparmor_restrict_unprivileged_userns=0'));
  }
  return undefined;
}

/** The verdict when the settings allow user namespaces but the trial clone failed. */
export function userNamespaceRefused(outcome: Extract<TrialOutcome, { ok: false }>): CheckResult {
  const why = outcome.code === 'ENOSPC' || outcome.code === 'EUSERS'
    ? 'the per-user or nesting limit of user namespaces is reached'
    : 'a security module or seccomp filter refuses it';
  return notOk('user-namespaces', 'failure', 'userns-refused',
    `${outcome.syscall ?? 'clone3'} CLONE_NEWUSER: ${outcome.code}: ${why}`, AFFECTS,
    outcome.code === 'ENOSPC' || outcome.code === 'EUSERS'
      ? persist('user.max_user_namespaces=28633')
      : 'run ct outside the sandbox that forbids user namespaces (check `dmesg` for an AppArmor/SELinux denial)');
}

/** The whole check: settings, then a real clone. */
export async function checkUserNamespaces(env: DoctorEnvironment): Promise<CheckResult> {
  const settings = userNamespaceSettings(env);
  if (settings !== undefined) return settings;
  const outcome = await env.trials.userNamespace();
  if (!outcome.ok) return userNamespaceRefused(outcome);
  return ok('user-namespaces', 'a child cloned with CLONE_NEWUSER', AFFECTS);
}
