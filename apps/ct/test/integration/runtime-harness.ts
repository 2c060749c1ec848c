/**
 * Test harness shared by the runc-compatibility suites: a busybox bundle (the busybox test image unpacked by
 * @ct/oci when tools/images has built it, else the host's static busybox and its applet links), and
 * runners for `ct` and `runc` with their own state roots, optionally as the unprivileged user ctci.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testImage, tempDir } from '@ct/test-utils';

/** Where runtime output is collected. */
const outputDir = tempDir('ct-harness-');

/** The ct binary under test. */
export const ctBin = fileURLToPath(new URL('../../bin/ct.js', import.meta.url));

/** Result of one runtime call. */
export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The unprivileged test user, if this machine has it (uid, gid, XDG_RUNTIME_DIR). */
export function ciUser(): { uid: number; gid: number; runtimeDir: string } | undefined {
  const r = spawnSync('id', ['-u', 'ctci'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'ctci'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return undefined;
  const uid = Number(r.stdout.trim());
  return { uid, gid: Number(g.stdout.trim()), runtimeDir: `/run/user/${uid}` };
}

const applets = ['sh', 'true', 'false', 'sleep', 'echo', 'cat', 'id', 'hostname', 'ls', 'ps', 'mount'];

/** Fill `rootfs` with the host's static busybox and applet links. */
function copyBusybox(rootfs: string): void {
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  cpSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const a of applets) symlinkSync('busybox', join(rootfs, 'bin', a));
  for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) mkdirSync(join(rootfs, d), { recursive: true });
}

/** Unpack the busybox test image's rootfs into `dir/rootfs`; false when the image is not built or unpack fails. */
async function unpackTestImage(dir: string): Promise<boolean> {
  const image = testImage('busybox');
  if (!existsSync(join(image, 'index.json'))) return false;
  try {
    const { unpackImage } = await import('@ct/oci');
    const staging = join(dir, 'unpacked');
    await unpackImage(image, staging);
    cpSync(join(staging, 'rootfs'), join(dir, 'rootfs'), { recursive: true, verbatimSymlinks: true });
    rmSync(staging, { recursive: true, force: true });
    return true;
  } catch (err) {
    console.log(`      (busybox test image not usable, copying /bin/busybox: ${(err as Error).message})`);
    return false;
  }
}

/** A fresh directory under `base` that `owner` (when given) owns, with a busybox rootfs and no config.json. */
export async function makeBundleDir(base: string, owner?: { uid: number; gid: number }): Promise<string> {
  mkdirSync(base, { recursive: true, mode: 0o755 });
  chmodSync(base, 0o755);
  const dir = mkdtempSync(join(base, 'bundle-'));
  chmodSync(dir, 0o755);
  if (!(await unpackTestImage(dir))) copyBusybox(join(dir, 'rootfs'));
  if (owner !== undefined) {
    for (const sub of ['', 'rootfs', 'rootfs/bin', 'rootfs/tmp']) chownSync(join(dir, sub), owner.uid, owner.gid);
  }
  return dir;
}

/** Remove a bundle made by makeBundleDir (best effort: an unprivileged unpack can leave read-only dirs). */
export function removeBundle(dir: string): void {
  if (dir === '') return;
  spawnSync('chmod', ['-R', 'u+w', dir]);
  rmSync(dir, { recursive: true, force: true });
}

/** Write config.json from `<runtime> spec [--rootless]`, then set terminal false and the given args. */
export function writeConfig(dir: string, args: readonly string[], spec: Record<string, unknown>): void {
  const c = spec as { process: { terminal: boolean; args: readonly string[] } };
  c.process.terminal = false;
  c.process.args = args;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c, null, 2));
}

/** Read a bundle's config.json. */
export function readConfig(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
}

/** A runtime under test: its binary and state root, run directly or as ctci. */
export class Runtime {
  /**
   * @param name - 'ct' or 'runc'
   * @param root - its --root
   * @param asUser - run as this unprivileged user (via runuser) instead of ourselves
   */
  constructor(readonly name: 'ct' | 'runc', readonly root: string, readonly asUser?: { uid: number; runtimeDir: string }) {}

  /** Run `<runtime> --root ROOT ...args` and collect its output. */
  run(args: readonly string[], options: { cwd?: string; timeoutMs?: number; fd3?: number; listenFds?: number } = {}): Run {
    const argv = this.name === 'ct' ? [process.execPath, ctBin] : ['runc'];
    const runtime = [...argv, '--root', this.root, ...args];
    // socket activation: LISTEN_PID must be the runtime's own pid, so a shell sets it and execs the runtime
    const full = options.listenFds === undefined
      ? runtime
      : ['sh', '-c', `LISTEN_FDS=${options.listenFds} LISTEN_PID=$$ exec "$@"`, 'sh', ...runtime];
    const cmd = this.asUser === undefined
      ? full
      : ['runuser', '-u', 'ctci', '--', 'env', `XDG_RUNTIME_DIR=${this.asUser.runtimeDir}`, 'HOME=/tmp', 'TMPDIR=/tmp', ...full];
    // Files, not pipes: a created container keeps the stdio it was given, so a pipe would not see EOF until the
    // container exits (runc's docs/terminals.md, "detached" mode).
    const outFile = join(outputDir, `out-${process.pid}`);
    const errFile = join(outputDir, `err-${process.pid}`);
    const out = openSync(outFile, 'w+');
    const err = openSync(errFile, 'w+');
    try {
      const r = spawnSync(cmd[0] ?? '', cmd.slice(1), {
        cwd: options.cwd ?? '/', timeout: options.timeoutMs ?? 30_000,
        stdio: options.fd3 === undefined ? ['ignore', out, err] : ['ignore', out, err, options.fd3],
      });
      return { status: r.status, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8') };
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  /** `state ID` parsed, or undefined when it fails. */
  state(id: string): Record<string, unknown> | undefined {
    const r = this.run(['state', id]);
    return r.status === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined;
  }

  /** Poll `state` until `status` (or give up after 5 s); returns the last status seen. */
  async waitStatus(id: string, status: string): Promise<unknown> {
    let seen: unknown;
    for (let i = 0; i < 100; i++) {
      seen = this.state(id)?.['status'];
      if (seen === status) return seen;
      await new Promise((r) => setTimeout(r, 50));
    }
    return seen;
  }

  /** Remove the state root (best effort cleanup of what a failed test left). */
  cleanup(ids: readonly string[]): void {
    for (const id of ids) this.run(['delete', '--force', id]);
    if (this.asUser === undefined) rmSync(this.root, { recursive: true, force: true });
    else spawnSync('runuser', ['-u', 'ctci', '--', 'rm', '-rf', this.root]);
  }
}

/**
 * ct and runc side by side on one bundle, as root or as ctci (`rootless`): the runtimes with their own state roots,
 * the bundle, and the config edits the comparison suites make (runtime-lifecycle.test.ts).
 */
export class CompatPair {
  /** runc first (the reference), then ct. */
  readonly runtimes: readonly [Runtime, Runtime];
  /** The test user when running rootless as root. */
  readonly user: { uid: number; gid: number; runtimeDir: string } | undefined;
  private readonly base: string;
  private readonly ids: string[] = [];
  /** The bundle directory (after `setup`). */
  bundle = '';

  /** @param rootless - the unprivileged form (as ctci when we are root) */
  constructor(readonly rootless: boolean, readonly name: string) {
    const asRoot = process.geteuid?.() === 0;
    this.user = rootless && asRoot ? ciUser() : undefined;
    this.base = rootless && asRoot ? `/tmp/ct-${name}` : join(tmpdir(), `ct-${name}`);
    const stateBase = this.user !== undefined ? `${this.user.runtimeDir}/ct-test-${name}` : join(this.base, `state-${process.pid}`);
    this.runtimes = [new Runtime('runc', `${stateBase}-runc`, this.user), new Runtime('ct', `${stateBase}-ct`, this.user)];
  }

  /** Make the bundle (busybox rootfs, owned by the test user when rootless). */
  async setup(): Promise<void> {
    this.bundle = await makeBundleDir(this.base, this.user);
  }

  /** Delete what the tests left and remove the bundle. */
  cleanup(): void {
    for (const rt of this.runtimes) rt.cleanup(this.ids);
    removeBundle(this.bundle);
  }

  /** A container id for this test process (deleted by `cleanup` if a test leaves it). */
  id(name: string): string {
    const full = `${name}-${process.pid}`;
    this.ids.push(full);
    return full;
  }

  /** Write config.json: `runc spec` (--rootless when rootless), no terminal, `args`, then `edit`. */
  configure(args: readonly string[], edit: (c: Record<string, unknown>) => void = () => undefined): void {
    const file = join(this.bundle, 'config.json');
    spawnSync('rm', ['-f', file]);
    const r = this.runtimes[0].run(['spec', ...(this.rootless ? ['--rootless'] : []), '--bundle', this.bundle]);
    if (r.status !== 0) throw new Error(`runc spec: ${r.stderr}`);
    const spec = JSON.parse(spawnSync('cat', [file], { encoding: 'utf8' }).stdout) as Record<string, unknown>;
    spawnSync('rm', ['-f', file]);
    edit(spec);
    writeConfig(this.bundle, args, spec);
    if (this.user !== undefined) chownSync(file, this.user.uid, this.user.gid);
  }

  /** Run `fn` with runc, then with ct. */
  both<T>(fn: (rt: Runtime) => T): [T, T] {
    return [fn(this.runtimes[0]), fn(this.runtimes[1])];
  }
}

/** The `msg` of a runtime's last log line on stderr (runc's logrus text format, which ct writes too). */
export function lastMessage(r: Run): string {
  return /msg="((?:[^"\\]|\\.)*)"/.exec(r.stderr.trim().split('\n').pop() ?? '')?.[1]?.replace(/\\"/g, '"') ?? r.stderr;
}
