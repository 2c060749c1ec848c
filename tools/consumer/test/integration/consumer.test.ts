/**
 * ct as a library user meets it: every published package packed with `pnpm pack`, each installed alone into a
 * fresh project outside the workspace with npm and with pnpm (their defaults: no allowBuilds, scripts as they
 * are), as root and as the unprivileged test user, with a PATH that has no compiler and no make; then the
 * package README's Usage example, extracted from the README, typechecked by a strict NodeNext tsconfig and run
 * there. The registry is asked once per run: root's installs fill a cache (kept across runs), the test user's
 * installs run --offline from a copy of it.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { repoRoot, testImage } from '@ct/test-utils';
import { makeCompilerFreePath } from '../../src/compiler-free-path.js';
import {
  chownTree, installCommand, runInProject, writeProject, type ConsumerProject, type PackageManager, type ProjectUser,
} from '../../src/consumer-project.js';
import { EXAMPLES, KNOWN_BUILD_SCRIPTS } from '../../src/examples.js';
import { listTarball, packAll, publishedPackages, readTarballFile, type PublishedPackage } from '../../src/pack.js';
import { extractUsage } from '../../src/readme-usage.js';

const root = repoRoot();
const packages = publishedPackages(root);
const CACHE = process.env.CT_CONSUMER_CACHE ?? '/var/tmp/ct-consumer-cache';

/** The strict NodeNext settings a TypeScript consumer would use, our own library checks included. */
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022', lib: ['ES2023'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true,
    exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false, types: ['node'],
    outDir: 'out', rootDir: '.',
  },
  include: ['usage.ts'],
};

function userOf(name: string): ProjectUser {
  const [uid, gid, home] = execFileSync('sh', ['-c', 'id -u "$1"; id -g "$1"; getent passwd "$1" | cut -d: -f6', 'sh', name], { encoding: 'utf8' }).trim().split('\n');
  return { name, uid: Number(uid), gid: Number(gid), home: home! };
}

/** The versions the workspace pins for the consumer's TypeScript (pnpm-workspace.yaml's catalog). */
function catalogVersion(name: string): string {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const m = new RegExp(`^  "?${name.replace('/', '\\/')}"?: (\\S+)$`, 'm').exec(yaml);
  if (m === null) throw new Error(`pnpm-workspace.yaml: no catalog entry for ${name}`);
  return m[1]!;
}

/** Stdout and stderr of a failed command, for assertion messages. */
function output(r: { stdout: string; stderr: string; status: number | null; signal: NodeJS.Signals | null; error?: Error }): string {
  return `status ${r.status} signal ${r.signal}${r.error ? ` error ${r.error.message}` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Asserts the patterns match `text` in order. */
function assertInOrder(text: string, patterns: readonly RegExp[], what: string): void {
  let rest = text;
  for (const p of patterns) {
    const m = p.exec(rest);
    assert.ok(m, `${what}: ${p} not found after the previous match in:\n${text}`);
    rest = rest.slice(m.index + m[0].length);
  }
}

describe('consumer, packed packages installed and used outside the workspace @root', function () {
  this.timeout(20 * 60_000);
  let work: string;
  let tarballs: Map<string, string>;
  let path: string;

  before(function () {
    this.timeout(15 * 60_000);
    work = mkdtempSync(join(tmpdir(), 'ct-consumer-'));
    chmodSync(work, 0o755);
    mkdirSync(join(work, 'tarballs'), { mode: 0o755 });
    tarballs = packAll(packages, join(work, 'tarballs'));
    for (const file of tarballs.values()) chmodSync(file, 0o644);
    path = makeCompilerFreePath(join(work, 'bin'), process.env.PATH ?? '/usr/bin:/bin');
    mkdirSync(CACHE, { recursive: true, mode: 0o700 });
  });
  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('consumer, the published packages are the four layers and the CLI, each with a README example case', () => {
    assert.deepEqual(packages.map((p) => p.name), ['@ct/cli', '@ct/namespaces', '@ct/oci', '@ct/runtime', '@ct/syscalls']);
    assert.deepEqual(Object.keys(EXAMPLES).sort(), packages.map((p) => p.name));
  });

  it('consumer, the PATH used for installs finds no compiler and no make', () => {
    for (const tool of ['g++', 'gcc', 'cc', 'c++', 'make']) {
      const r = spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: path }, encoding: 'utf8' });
      assert.notEqual(r.status, 0, `${tool} found at ${r.stdout}`);
    }
    for (const tool of ['node', 'npm', 'pnpm', 'tar', 'runuser']) {
      assert.equal(spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: path } }).status, 0, `${tool} not on the PATH`);
    }
  });

  describe('tarballs', () => {
    const each = (title: string, check: (pkg: PublishedPackage, file: string) => void): void => {
      it(`tarballs, ${title}`, () => {
        for (const pkg of packages) check(pkg, tarballs.get(pkg.name)!);
      });
    };

    each('no install-time script and no root binding.gyp (npm and pnpm would add node-gyp rebuild)', (pkg, file) => {
      const json = JSON.parse(readTarballFile(file, 'package.json')) as { scripts?: Record<string, string> };
      for (const s of ['preinstall', 'install', 'postinstall']) assert.equal(json.scripts?.[s], undefined, `${pkg.name}: scripts.${s}`);
      assert.ok(!listTarball(file).some((e) => e.path === 'binding.gyp'), `${pkg.name}: binding.gyp at the root`);
    });

    each('no workspace: or catalog: version left, engines/os/cpu set', (pkg, file) => {
      const text = readTarballFile(file, 'package.json');
      assert.doesNotMatch(text, /"(workspace|catalog):/, pkg.name);
      const json = JSON.parse(text) as { engines?: { node?: string }; os?: string[]; cpu?: string[] };
      assert.equal(json.engines?.node, '>=20.19', pkg.name);
      assert.deepEqual([json.os, json.cpu], [['linux'], ['x64']], pkg.name);
    });

    each('no build leftovers: no .tsbuildinfo, every source map points at a shipped file', (pkg, file) => {
      const entries = listTarball(file);
      const paths = new Set(entries.map((e) => e.path));
      assert.ok(!entries.some((e) => e.path.endsWith('.tsbuildinfo')), `${pkg.name}: a .tsbuildinfo`);
      const unpacked = join(work, 'unpacked', pkg.name);
      mkdirSync(unpacked, { recursive: true });
      execFileSync('tar', ['-xzf', file, '-C', unpacked, '--strip-components=1']);
      for (const map of entries.filter((e) => e.path.endsWith('.map'))) {
        const { sources } = JSON.parse(readFileSync(join(unpacked, map.path), 'utf8')) as { sources: string[] };
        for (const source of sources) {
          const target = relative(unpacked, join(unpacked, dirname(map.path), source));
          assert.ok(paths.has(target), `${pkg.name}: ${map.path} points at ${target}, which is not shipped`);
        }
      }
    });

    it('tarballs, the addon is prebuilt for linux-x64 and the shipped programs are mode 0755', () => {
      const modeOf = (name: string, path: string): number | undefined => listTarball(tarballs.get(name)!).find((e) => e.path === path)?.mode;
      // eslint-disable-next-line no-restricted-syntax -- a path in the tarball's listing, not a load
      assert.ok(modeOf('@ct/syscalls', 'prebuilds/linux-x64/syscalls.node') !== undefined);
      assert.equal(modeOf('@ct/namespaces', 'build/bin/ct-init'), 0o755);
      assert.equal(modeOf('@ct/runtime', 'build/bin/ct-exec-fifo'), 0o755);
    });

    it('tarballs, the libraries take @types/node as an optional peer and node-gyp is no dependency', () => {
      for (const name of ['@ct/syscalls', '@ct/namespaces', '@ct/oci', '@ct/runtime']) {
        const json = JSON.parse(readTarballFile(tarballs.get(name)!, 'package.json')) as {
          dependencies?: Record<string, string>; peerDependencies?: Record<string, string>;
          peerDependenciesMeta?: Record<string, { optional?: boolean }>;
        };
        assert.ok(json.peerDependencies?.['@types/node'] !== undefined && json.peerDependenciesMeta?.['@types/node']?.optional === true, name);
        assert.equal(json.dependencies?.['node-gyp'], undefined, name);
      }
    });
  });

  const passes: Array<{ user: string; manager: PackageManager }> = [
    { user: 'root', manager: 'npm' }, { user: 'root', manager: 'pnpm' },
    { user: 'ctci', manager: 'npm' }, { user: 'ctci', manager: 'pnpm' },
  ];
  for (const pass of passes) {
    describe(`${pass.manager} as ${pass.user}`, () => {
      let user: ProjectUser;
      let cache: string;
      before(() => {
        user = userOf(pass.user);
        if (user.uid === 0) {
          cache = CACHE;
        } else {
          // The test user installs offline from a copy of what root's installs fetched.
          cache = join(work, `cache-${user.name}-${pass.manager}`);
          for (const sub of pass.manager === 'npm' ? ['npm'] : ['pnpm-store', 'pnpm-cache']) {
            cpSync(join(CACHE, sub), join(cache, sub), { recursive: true });
          }
          chownTree(cache, user.uid, user.gid);
        }
      });

      for (const pkg of packages) {
        it(`${pass.manager} as ${pass.user}, ${pkg.name}: installs alone with no compiler; its README example ${pass.user === 'root' ? 'typechecks and ' : ''}runs`, () => {
          const project: ConsumerProject = {
            dir: join(work, `${pass.manager}-${pass.user}-${pkg.name.replace('@ct/', '')}`),
            manager: pass.manager, user, dependency: pkg.name, tarballs, cache, offline: user.uid !== 0, path,
            devDependencies: { typescript: catalogVersion('typescript'), '@types/node': catalogVersion('@types/node') },
          };
          writeProject(project);
          installProject(project, KNOWN_BUILD_SCRIPTS[pkg.name] ?? []);
          runExample(project, pkg, join(work, `${pass.manager}-root-${pkg.name.replace('@ct/', '')}`, 'out', 'usage.js'));
        });
      }
      if (pass.manager === 'npm' && pass.user === 'root') {
        it('consumer, @ct/oci/spec and @ct/syscalls/errors load without the addon; @ct/syscalls then names what it tried', () => {
          const dir = join(work, 'npm-root-oci');
          assert.ok(existsSync(dir), 'the npm root @ct/oci project (above) is there');
          const prebuilds = join(dir, 'node_modules', '@ct', 'syscalls', 'prebuilds');
          renameSync(prebuilds, `${prebuilds}.hidden`);
          try {
            const script = `
              const spec = await import('@ct/oci/spec');
              spec.validateRuntimeSpec({ ociVersion: '1.2.0', root: { path: 'rootfs' } });
              const { NativeLoadError } = await import('@ct/syscalls/errors');
              try { await import('@ct/syscalls'); console.log('loaded'); } catch (e) { console.log(e instanceof NativeLoadError, e.code, e.candidates.length); }`;
            const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
            assert.equal(r.status, 0, output(r));
            assert.equal(r.stdout.trim(), 'true ENATIVE 2');
          } finally {
            renameSync(`${prebuilds}.hidden`, prebuilds);
          }
        });
      }
    });
  }

});

/**
 * Installs the project. With pnpm, a package whose dependencies bring build scripts (KNOWN_BUILD_SCRIPTS) must be
 * refused naming exactly those; the install is then redone with them answered `false`, as its README says.
 */
function installProject(project: ConsumerProject, knownBuilds: readonly string[]): void {
  let r = runInProject(project, installCommand(project));
  if (project.manager === 'pnpm' && knownBuilds.length > 0) {
    assert.notEqual(r.status, 0, `pnpm ran or ignored no build script for ${project.dependency}: update KNOWN_BUILD_SCRIPTS\n${output(r)}`);
    const ignored = /Ignored build scripts: (.*)/.exec(r.stdout + r.stderr)?.[1] ?? '';
    assert.deepEqual(ignored.split(', ').map((s) => s.replace(/@[^@]*$/, '')).sort(), [...knownBuilds].sort(), output(r));
    // pnpm leaves a placeholder per package in pnpm-workspace.yaml's allowBuilds; the user answers it.
    const yaml = join(project.dir, 'pnpm-workspace.yaml');
    let text = readFileSync(yaml, 'utf8');
    for (const name of knownBuilds) {
      const placeholder = `  ${name}: set this to true or false\n`;
      assert.ok(text.includes(placeholder), `pnpm-workspace.yaml has no allowBuilds placeholder for ${name}:\n${text}`);
      text = text.replace(placeholder, `  ${name}: false\n`);
    }
    writeFileSync(yaml, text);
    r = runInProject(project, installCommand(project));
  }
  assert.equal(r.status, 0, `${project.manager} install of ${project.dependency} as ${project.user.name}\n${output(r)}`);
  assert.ok(existsSync(join(project.dir, 'node_modules', ...project.dependency.split('/'), 'package.json')));
}

/**
 * Typechecks and runs the package README's Usage block in the project, and checks its output. Types do not depend
 * on who installed, and tsc (skipLibCheck off) is a good part of this test's time: the test user's projects run
 * what root's project of the same package manager compiled (`rootCompiled`), or compile without checking when
 * that is missing (root's failed).
 */
function runExample(project: ConsumerProject, pkg: PublishedPackage, rootCompiled: string): void {
  const readme = join(pkg.dir, 'README.md');
  const usage = extractUsage(readFileSync(readme, 'utf8'), readme);
  const expected = EXAMPLES[pkg.name]!;
  if (expected.busyboxImage) {
    cpSync(testImage('busybox'), join(project.dir, 'busybox'), { recursive: true });
  }
  let r;
  if (usage.lang === 'ts') {
    writeFileSync(join(project.dir, 'usage.ts'), usage.code);
    writeFileSync(join(project.dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    const reuse = project.user.uid !== 0 && existsSync(rootCompiled);
    if (reuse) {
      mkdirSync(join(project.dir, 'out'));
      cpSync(rootCompiled, join(project.dir, 'out', 'usage.js'));
    }
    chownTree(project.dir, project.user.uid, project.user.gid);
    if (!reuse) {
      const check = project.user.uid === 0 ? [] : ['--noCheck'];
      r = runInProject(project, ['tsc', '-p', 'tsconfig.json', ...check]);
      assert.equal(r.status, 0, `${readme}: the Usage example does not ${check.length === 0 ? 'typecheck as a strict NodeNext consumer' : 'compile'}\n${output(r)}`);
    }
    r = runInProject(project, ['node', 'out/usage.js'], { timeoutMs: 300_000 });
  } else {
    writeFileSync(join(project.dir, 'usage.sh'), usage.code);
    chownTree(project.dir, project.user.uid, project.user.gid);
    r = runInProject(project, ['bash', '-e', '-o', 'pipefail', 'usage.sh'], { timeoutMs: 300_000 });
  }
  assert.equal(r.status, 0, `${readme}: the Usage example failed as ${project.user.name}\n${output(r)}`);
  assertInOrder(r.stdout, expected.stdout, `${readme} as ${project.user.name}`);
}
