/**
 * Checks of the host set-up: the cgroup layout (v1, hybrid, v2) and, on v2, a delegated cgroup (the user's own
 * cgroup owned by the user with pids, memory and cpu available); the state directory rule of @ct/runtime
 * (root: /run/ct; else $XDG_RUNTIME_DIR/ct, then /run/user/UID/ct when ours, then $TMPDIR/ct-UID); and pasta or
 * slirp4netns for outbound network.
 *
 * Man pages: cgroups(7), systemd.resource-control(5) (Delegate=), pam_systemd(8) (XDG_RUNTIME_DIR), pasta(1),
 * slirp4netns(1).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installCommand, readSetting, type DoctorEnvironment } from './environment.js';
import { dirWritableBy, findOnPath, notOk, ok, statOrUndefined, userLabel } from './check-result.js';
import type { CheckResult } from './types.js';

const CGROUP_AFFECTS = ['resource limits (linux.resources: pids, memory, cpu)', 'ct update', 'ct pause/resume'];
const STATE_AFFECTS = ['container state: ct create, ct run, ct container run, ct list'];
const NET_AFFECTS = ['outbound network of rootless containers in a new network namespace'];
/** The controllers ct's limits use. */
export const NEEDED_CONTROLLERS = ['pids', 'memory', 'cpu'] as const;

/** The layout of the cgroup file systems under `sysRoot`/fs/cgroup. */
export function cgroupLayout(env: DoctorEnvironment): 'v2' | 'hybrid' | 'v1' | 'none' {
  const root = join(env.sysRoot, 'fs/cgroup');
  if (existsSync(join(root, 'cgroup.controllers'))) return 'v2';
  if (existsSync(join(root, 'unified/cgroup.controllers'))) return 'hybrid';
  return existsSync(root) ? 'v1' : 'none';
}

function delegateFix(env: DoctorEnvironment): string {
  if (readSetting(join(env.procRoot, '1/comm')) === 'systemd') {
    return 'sudo mkdir -p /etc/systemd/system/user@.service.d && printf \'[Service]\\nDelegate=pids memory cpu cpuset io\\n\' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload (then log in again)';
  }
  const mine = `/sys/fs/cgroup/ct-${userLabel(env)}`;
  return `echo '+pids +memory +cpu' | sudo tee /sys/fs/cgroup/cgroup.subtree_control && sudo mkdir -p ${mine} && sudo chown -R ${userLabel(env)}: ${mine} (then run ct from it: echo $$ > ${mine}/cgroup.procs)`;
}

/** Check: cgroup layout and, for a user on v2, delegation. */
export function checkCgroups(env: DoctorEnvironment): CheckResult {
  const layout = cgroupLayout(env);
  if (layout === 'none') {
    return notOk('cgroups', 'warning', 'cgroup-unreadable', `${join(env.sysRoot, 'fs/cgroup')}: not mounted`,
      CGROUP_AFFECTS, 'sudo mount -t cgroup2 none /sys/fs/cgroup');
  }
  if (layout !== 'v2') {
    if (env.uid === 0) return ok('cgroups', `cgroup ${layout}: root uses the v1 controller hierarchies`, CGROUP_AFFECTS);
    return notOk('cgroups', 'warning', 'cgroup-v1',
      `cgroup ${layout}: v1 controllers cannot be delegated to an unprivileged user: no resource limits`, CGROUP_AFFECTS,
      'boot with systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all (GRUB_CMDLINE_LINUX in /etc/default/grub, sudo update-grub, reboot)');
  }
  let own: string | undefined;
  try {
    own = /^0::(.*)$/m.exec(readFileSync(join(env.procRoot, 'self/cgroup'), 'utf8'))?.[1];
  } catch {
    own = undefined;
  }
  if (own === undefined) {
    return notOk('cgroups', 'warning', 'cgroup-unreadable', `${join(env.procRoot, 'self/cgroup')}: no 0:: line`,
      CGROUP_AFFECTS, delegateFix(env));
  }
  const dir = join(env.sysRoot, 'fs/cgroup', own);
  if (env.uid === 0) return ok('cgroups', `cgroup v2: ${dir}`, CGROUP_AFFECTS);
  const st = statOrUndefined(dir);
  const procs = statOrUndefined(join(dir, 'cgroup.procs'));
  if (st === undefined || !dirWritableBy(st, env.uid, env.gid) || procs?.uid !== env.uid) {
    return notOk('cgroups', 'warning', 'cgroup-not-delegated',
      `cgroup v2: ${dir}: not delegated to ${userLabel(env)}: no resource limits`, CGROUP_AFFECTS, delegateFix(env));
  }
  const available = (readSetting(join(dir, 'cgroup.controllers')) ?? '').split(/\s+/);
  const missing = NEEDED_CONTROLLERS.filter((c) => !available.includes(c));
  if (missing.length > 0) {
    return notOk('cgroups', 'warning', 'cgroup-not-delegated',
      `cgroup v2: ${dir}/cgroup.controllers: missing ${missing.join(' ')}: no ${missing.join('/')} limits`,
      CGROUP_AFFECTS, delegateFix(env));
  }
  return ok('cgroups', `cgroup v2: ${dir}: delegated (${NEEDED_CONTROLLERS.join(' ')})`, CGROUP_AFFECTS);
}

/** Check: where ct keeps container state for this user, and whether it can be made there. */
export function checkRuntimeDir(env: DoctorEnvironment): CheckResult {
  if (env.uid === 0) return ok('runtime-dir', 'state in /run/ct (root)', STATE_AFFECTS);
  const runUser = env.runUserDir;
  const runUserOurs = statOrUndefined(runUser)?.uid === env.uid;
  const makeRunUser = `sudo install -d -o ${userLabel(env)} -g ${env.gid} -m 0700 ${runUser} && export XDG_RUNTIME_DIR=${runUser}`;
  const xdg = env.xdgRuntimeDir;
  if (xdg !== undefined) {
    const st = statOrUndefined(xdg);
    const fix = runUserOurs && xdg !== runUser ? `export XDG_RUNTIME_DIR=${runUser}` : makeRunUser;
    const state = statOrUndefined(join(xdg, 'ct'));
    if (st === undefined) {
      return notOk('runtime-dir', 'failure', 'runtime-dir-unwritable', `XDG_RUNTIME_DIR ${xdg}: does not exist: the state dir ${xdg}/ct cannot be made`, STATE_AFFECTS, fix);
    }
    const writable = state === undefined ? dirWritableBy(st, env.uid, env.gid) : dirWritableBy(state, env.uid, env.gid);
    if (st.uid !== env.uid) {
      return notOk('runtime-dir', writable ? 'warning' : 'failure', 'runtime-dir-foreign',
        `XDG_RUNTIME_DIR ${xdg}: owned by uid ${st.uid}, not ${userLabel(env)}${writable ? ': state kept in another user\'s dir' : ': the state dir cannot be made'}`,
        STATE_AFFECTS, fix);
    }
    if (!writable) {
      return notOk('runtime-dir', 'failure', 'runtime-dir-unwritable', `${state === undefined ? xdg : `${xdg}/ct`}: not writable by ${userLabel(env)}: the state dir cannot be made`,
        STATE_AFFECTS, state === undefined ? `chmod u+rwx ${xdg}` : `chmod u+rwx ${xdg}/ct`);
    }
    return ok('runtime-dir', `state in ${xdg}/ct`, STATE_AFFECTS);
  }
  if (runUserOurs) {
    return notOk('runtime-dir', 'warning', 'runtime-dir-unset', `XDG_RUNTIME_DIR unset: using ${runUser}/ct`, STATE_AFFECTS,
      `export XDG_RUNTIME_DIR=${runUser}`);
  }
  const tmp = statOrUndefined(env.tmpDir);
  const fallback = join(env.tmpDir, `ct-${env.uid}`);
  if (tmp !== undefined && dirWritableBy(tmp, env.uid, env.gid)) {
    return notOk('runtime-dir', 'warning', 'runtime-dir-unset',
      `XDG_RUNTIME_DIR unset and no ${runUser}: using ${fallback} (survives reboots, shared /tmp)`, STATE_AFFECTS, makeRunUser);
  }
  return notOk('runtime-dir', 'failure', 'runtime-dir-unset',
    `XDG_RUNTIME_DIR unset, no ${runUser}, ${env.tmpDir} not writable: the state dir cannot be made`, STATE_AFFECTS, makeRunUser);
}

/** Check: pasta or slirp4netns on PATH. */
export function checkNetworkHelper(env: DoctorEnvironment): CheckResult {
  for (const name of ['pasta', 'slirp4netns']) {
    const path = findOnPath(env, name);
    if (path !== undefined) return ok('network', `${path}`, NET_AFFECTS);
  }
  return notOk('network', 'warning', 'network-helper-missing',
    'neither pasta nor slirp4netns on PATH: no outbound network (use --network host or none)', NET_AFFECTS,
    installCommand(env, { debian: 'passt', fedora: 'passt', arch: 'passt' }));
}
