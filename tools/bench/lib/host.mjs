// Facts about the host the benchmarks need, and the two ways a benchmark re-runs itself: in a private mount
// namespace (to give crun the cgroup v1 hierarchies it insists on without changing the host's mount table) and
// as an unprivileged user (the rootless runs).
// Man pages: unshare(1), runuser(1), cgroups(7) (/proc/cgroups), mount_namespaces(7).

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Whether `name` is an executable on PATH. @param {string} name */
export function hasCommand(name) {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export const isRoot = () => process.geteuid?.() === 0;

/**
 * cgroup v1 controllers the kernel has enabled that are mounted nowhere (hierarchy 0 in /proc/cgroups), as the
 * mount option lists crun 1.8 expects (net_cls and net_prio together), on a host whose v1 hierarchies live in
 * /sys/fs/cgroup. Empty on a pure cgroup v2 host.
 * @returns {string[]}
 */
export function unmountedCgroupV1Controllers() {
  if (!existsSync('/sys/fs/cgroup/memory') && !existsSync('/sys/fs/cgroup/cpu')) return [];
  const lines = readFileSync('/proc/cgroups', 'utf8').split('\n').slice(1).filter(Boolean);
  const missing = lines.map((l) => l.split('\t')).filter((f) => f[1] === '0' && f[3] === '1').map((f) => f[0] ?? '');
  const out = missing.filter((c) => c !== 'net_cls' && c !== 'net_prio' && c !== 'rdma' && c !== 'misc');
  if (missing.includes('net_cls') || missing.includes('net_prio')) out.push(['net_cls', 'net_prio'].filter((c) => missing.includes(c)).join(','));
  return out;
}

/**
 * Run this script again inside a private mount namespace where the missing cgroup v1 hierarchies are mounted
 * under /sys/fs/cgroup (so runc, crun and ct all see the same layout), and exit with its status. The mount points
 * are created on the shared /sys/fs/cgroup tmpfs, so they are removed again afterwards (they are empty outside the
 * namespace). Returns only when nothing needs doing, or when already inside.
 * @param {readonly string[]} controllers from unmountedCgroupV1Controllers()
 * @param {(text: string) => void} say where the notice goes
 */
export function reexecWithCgroupV1Mounts(controllers, say) {
  if (controllers.length === 0 || process.env.CT_BENCH_CGROUP_NS === '1') return;
  if (!isRoot() || !hasCommand('unshare')) return;
  say(`mounting cgroup v1 hierarchies ${controllers.join(' ')} under /sys/fs/cgroup in a private mount namespace (crun 1.8 refuses this hybrid layout without them)`);
  const script = controllers.map((c) => `mkdir -p /sys/fs/cgroup/${c} && mount -t cgroup -o ${c} cgroup /sys/fs/cgroup/${c}`).join(' && ');
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', `${script} && exec "$@"`, 'sh',
    process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, CT_BENCH_CGROUP_NS: '1' },
  });
  for (const c of controllers) {
    const dir = `/sys/fs/cgroup/${c}`;
    try {
      if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
    } catch (err) {
      say(`could not remove ${dir}: ${/** @type {Error} */ (err).message}`);
    }
  }
  process.exit(r.status ?? 1);
}

/**
 * The environment an unprivileged user's session would have (HOME, XDG_RUNTIME_DIR, TMPDIR), for runuser.
 * @param {string} user
 * @returns {{uid: number, env: string[]}}
 */
export function userEnvironment(user) {
  const id = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  if (id.status !== 0) throw new Error(`id -u ${user}: ${id.stderr.trim()}`);
  const uid = Number(id.stdout.trim());
  const home = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === user)?.[5] ?? '/tmp';
  return { uid, env: [`HOME=${home}`, `XDG_RUNTIME_DIR=/run/user/${uid}`, 'TMPDIR=/tmp', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`] };
}

/**
 * Run this script again as `user` with extra arguments; returns its stdout (the caller passes --json).
 * @param {string} user
 * @param {readonly string[]} args
 */
export function rerunAsUser(user, args) {
  const { env } = userEnvironment(user);
  // the caller already waited for a quiet machine (quiet.mjs): the user's run measures at once
  const r = spawnSync('runuser', ['-u', user, '--', 'env', ...env, process.execPath, process.argv[1] ?? '', ...args, '--quiet-wait', '0'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`run as ${user}: exit ${r.status}`);
  return r.stdout;
}
