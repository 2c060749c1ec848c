/**
 * A fresh consumer project outside the workspace: a package.json depending on one packed ct package (its ct
 * dependencies resolved to the other tarballs through overrides, since they are not on the registry), installed
 * with npm or pnpm at their default settings (no allowBuilds, no ignore-scripts), as root or as another user, from
 * a given cache directory (npm's cache, pnpm's store and metadata cache) so that the registry is asked once per run.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chownSync, lchownSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package managers a consumer may use. */
export type PackageManager = 'npm' | 'pnpm';

/** Who runs the install and the examples. */
export interface ProjectUser {
  /** The login name ('root', 'ctci'). */
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** Its home directory. */
  readonly home: string;
}

/** Where and how a project is made. */
export interface ConsumerProject {
  /** The project's directory (made empty, owned by `user`). */
  readonly dir: string;
  readonly manager: PackageManager;
  readonly user: ProjectUser;
  /** The ct package the project depends on. */
  readonly dependency: string;
  /** Every packed ct package: name → tarball path (readable by `user`). */
  readonly tarballs: ReadonlyMap<string, string>;
  /** Extra devDependencies from the registry (typescript, @types/node), exact versions. */
  readonly devDependencies: Readonly<Record<string, string>>;
  /** The cache directory (owned by `user`): npm/ for npm, pnpm-store/ and pnpm-cache/ for pnpm. */
  readonly cache: string;
  /** Fail on a cache miss instead of asking the registry. */
  readonly offline: boolean;
  /** PATH for every command (a compiler-free one). */
  readonly path: string;
}

/** The clean environment commands of the project run with (nothing of the test runner's npm_* or CI leaks in). */
export function projectEnv(project: ConsumerProject): Record<string, string> {
  const { user } = project;
  return {
    PATH: `${join(project.dir, 'node_modules', '.bin')}:${project.path}`,
    HOME: user.home,
    USER: user.name,
    LOGNAME: user.name,
    LANG: 'C.UTF-8',
    TMPDIR: join(project.dir, 'tmp'),
    // A login session's runtime dir (tools/dev/ci-user.sh makes it); root's state lives in /run/ct.
    ...(user.uid === 0 ? {} : { XDG_RUNTIME_DIR: `/run/user/${user.uid}` }),
  };
}

/** Writes the project's files (package.json, and pnpm-workspace.yaml for pnpm's overrides and cache paths). */
export function writeProject(project: ConsumerProject): void {
  mkdirSync(join(project.dir, 'tmp'), { recursive: true });
  const tarball = project.tarballs.get(project.dependency);
  if (tarball === undefined) throw new Error(`consumer project: ${project.dependency}: no tarball`);
  const links = Object.fromEntries([...project.tarballs].map(([name, file]) => [name, `file:${file}`]));
  const pkg: Record<string, unknown> = {
    name: 'ct-consumer',
    version: '0.0.0',
    private: true,
    type: 'module',
    dependencies: { [project.dependency]: `file:${tarball}` },
    devDependencies: project.devDependencies,
  };
  if (project.manager === 'npm') pkg['overrides'] = links;
  writeFileSync(join(project.dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  if (project.manager === 'pnpm') {
    // pnpm 12 reads overrides from here only (package.json's "pnpm" field is ignored); no allowBuilds.
    const yaml = [
      `storeDir: ${JSON.stringify(join(project.cache, 'pnpm-store'))}`,
      `cacheDir: ${JSON.stringify(join(project.cache, 'pnpm-cache'))}`,
      'overrides:',
      ...Object.entries(links).map(([name, spec]) => `  ${JSON.stringify(name)}: ${JSON.stringify(spec)}`),
    ];
    writeFileSync(join(project.dir, 'pnpm-workspace.yaml'), `${yaml.join('\n')}\n`);
  }
  chownTree(project.dir, project.user.uid, project.user.gid);
}

/** Runs a command in the project as its user, with its environment. */
export function runInProject(
  project: ConsumerProject, argv: readonly string[], options: { cwd?: string; input?: string; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  const env = projectEnv(project);
  const asUser = project.user.uid === process.geteuid?.()
    ? [...argv]
    : ['runuser', '-u', project.user.name, '--', 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv];
  return spawnSync(asUser[0]!, asUser.slice(1), {
    cwd: options.cwd ?? project.dir,
    env,
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The install command of the project's package manager, at its defaults but for the cache and offline mode. */
export function installCommand(project: ConsumerProject): string[] {
  if (project.manager === 'npm') {
    return ['npm', 'install', '--no-audit', '--no-fund', '--cache', join(project.cache, 'npm'),
      project.offline ? '--offline' : '--prefer-offline'];
  }
  return ['pnpm', 'install', project.offline ? '--offline' : '--prefer-offline'];
}

/** chown -R of a directory (symbolic links themselves, not their targets). */
export function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const child = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(child, uid, gid);
    else lchownSync(child, uid, gid);
  }
}
