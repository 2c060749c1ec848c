/**
 * The published packages of the workspace (packages/* and apps/*, not private) and their tarballs, made with
 * `pnpm pack` as a release would be (workspace: and catalog: versions rewritten, prepack run).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A package that is published. */
export interface PublishedPackage {
  /** '@ct/syscalls'. */
  readonly name: string;
  /** Its version. */
  readonly version: string;
  /** Its directory in the workspace. */
  readonly dir: string;
}

/** The published packages under packages/ and apps/ of the workspace at `root`, sorted by name. */
export function publishedPackages(root: string): PublishedPackage[] {
  const found: PublishedPackage[] = [];
  for (const group of ['packages', 'apps']) {
    for (const entry of readdirSync(join(root, group))) {
      const file = join(root, group, entry, 'package.json');
      if (!existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name: string; version: string; private?: boolean };
      if (json.private !== true) found.push({ name: json.name, version: json.version, dir: join(root, group, entry) });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** `@ct/oci` at 0.1.0 → `ct-oci-0.1.0.tgz`, pnpm pack's file name. */
export function tarballName(pkg: Pick<PublishedPackage, 'name' | 'version'>): string {
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
}

/**
 * Packs each package into `dest` with `pnpm pack` and returns name → tarball path.
 * @throws Error naming the package when its pack fails or leaves no tarball
 */
export function packAll(packages: readonly PublishedPackage[], dest: string): Map<string, string> {
  const tarballs = new Map<string, string>();
  for (const pkg of packages) {
    try {
      execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: pkg.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const e = error as { stderr?: Buffer; stdout?: Buffer };
      throw new Error(`pnpm pack: ${pkg.name}: ${String(e.stderr ?? '')}${String(e.stdout ?? '')}`.trim(), { cause: error });
    }
    const file = join(dest, tarballName(pkg));
    if (!existsSync(file)) throw new Error(`pnpm pack: ${pkg.name}: no ${file}`);
    tarballs.set(pkg.name, file);
  }
  return tarballs;
}

/** One entry of a tarball listing. */
export interface TarEntry {
  /** The path inside the tarball, without the leading `package/`. */
  readonly path: string;
  /** The permission bits (0o644, 0o755). */
  readonly mode: number;
}

/** The files of a package tarball with their modes (`tar -tvzf`). */
export function listTarball(file: string): TarEntry[] {
  const out = execFileSync('tar', ['--numeric-owner', '-tvzf', file], { encoding: 'utf8' });
  return out.trim().split('\n').map((line) => {
    const fields = line.split(/\s+/);
    return { path: fields.slice(5).join(' ').replace(/^package\//, ''), mode: permissionBits(fields[0]!) };
  });
}

/** `-rwxr-xr-x` → 0o755. */
export function permissionBits(text: string): number {
  let mode = 0;
  for (const ch of text.slice(1, 10)) mode = (mode << 1) | (ch === '-' ? 0 : 1);
  return mode;
}

/** One file of a tarball as text (`tar -xOzf`). */
export function readTarballFile(file: string, path: string): string {
  return execFileSync('tar', ['-xOzf', file, `package/${path}`], { encoding: 'utf8' });
}
