/**
 * OCI hooks (config.json `hooks`): reading them, and running one with the container's state JSON on its stdin,
 * its own args and env and its timeout (SIGKILL when it passes). As runc runs them: in the bundle directory (a
 * createContainer hook in the root file system's, the init's own directory then; poststop, run by `delete`, in the
 * caller's, as runc's delete), and a hook without `env` inherits the runtime's environment (Go's exec with a nil
 * Env), a createContainer hook the container process's (config.json's process.env, runc's init's then); a
 * startContainer hook without `env` gets none (runc's gets the process's: a documented difference).
 *
 * Where each kind runs here:
 * - prestart, createRuntime: in ct's namespaces, by `create` while the init pauses before pivot_root (its
 *   namespaces exist: network hooks can use /proc/PID/ns/net; the state's status is `creating`);
 * - createContainer: in the container's namespaces (@ct/namespaces' enterContainer), by `create` after the runtime
 *   hooks at the same pause, so its path resolves in the mount namespace before pivot_root (the host's tree), as
 *   runc's;
 * - startContainer: in the container's namespaces, by `start` before the user program is released;
 * - poststart: in ct's namespaces, by `start` after the release;
 * - poststop: in ct's namespaces, by `delete`.
 * The state each kind gets, and that poststart/poststop failures are warnings, are hook-state.ts'.
 * A failing create-time hook stops and destroys the container (the caller's job); the error names the hook.
 *
 * Man pages: setns(2), execve(2).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, RuntimeError } from './errors.js';
import { asInteger, asObject, optArray, optStrings, reqString, type JsonObject } from './config/json-fields.js';

/** The hook kinds of the runtime-spec. */
export const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

/** A hook kind. */
export type HookKind = (typeof HOOK_KINDS)[number];

/** One hook. */
export interface Hook {
  /** Absolute path of the program. */
  readonly path: string;
  /** argv (argv[0] included); default [path]. */
  readonly args: readonly string[];
  /** The whole environment (NAME=VALUE); undefined when config.json gives none (then inherited, as runc does). */
  readonly env?: readonly string[];
  /** Seconds before it is killed (undefined: no limit). */
  readonly timeout: number | undefined;
}

/** The hooks of a config, by kind (absent kinds left out). */
export type Hooks = Readonly<Partial<Record<HookKind, readonly Hook[]>>>;

/** Read config.json `hooks` (`o` is the top-level object). */
export function readHooks(o: JsonObject): Hooks {
  const h = o['hooks'];
  if (h === undefined || h === null) return {};
  const hooks = asObject(h, 'hooks');
  const out: Partial<Record<HookKind, Hook[]>> = {};
  for (const key of Object.keys(hooks)) {
    if (!(HOOK_KINDS as readonly string[]).includes(key)) throw new ConfigError(`hooks.${key}`, 'unknown hook kind');
    const list = optArray(hooks, key, 'hooks').map((v, i): Hook => {
      const at = `hooks.${key}[${i}]`;
      const x = asObject(v, at);
      const path = reqString(x, 'path', at);
      if (!path.startsWith('/')) throw new ConfigError(`${at}.path`, `${path} is not an absolute path`);
      const args = optStrings(x, 'args', at);
      const t = x['timeout'];
      return {
        path, args: args.length > 0 ? args : [path], ...(x['env'] === undefined || x['env'] === null ? {} : { env: optStrings(x, 'env', at) }),
        timeout: t === undefined || t === null ? undefined : Number(asInteger(t, `${at}.timeout`, 1n, 86_400n)),
      };
    });
    if (list.length > 0) out[key as HookKind] = list;
  }
  return out;
}

function hookError(kind: HookKind, index: number, hook: Hook, cause: string, err?: unknown): RuntimeError {
  return new RuntimeError('ESETUP', `${kind} hook ${index}: ${hook.path}: ${cause}`, err === undefined ? undefined : { cause: err });
}

/** Run one hook in ct's namespaces, in `cwd`; rejects with a RuntimeError naming it when it fails or times out. */
function runHostHook(kind: HookKind, index: number, hook: Hook, state: string, cwd: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(hook.path, hook.args.slice(1), {
      argv0: hook.args[0] ?? hook.path, env: hook.env === undefined ? process.env : hookEnvironment(kind, index, hook),
      stdio: ['pipe', 'inherit', 'inherit'], cwd,
    });
    let timedOut = false;
    const timer = hook.timeout === undefined ? undefined : setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, hook.timeout * 1000);
    child.stdin.on('error', () => undefined); // a hook that does not read its stdin
    child.stdin.end(state);
    child.once('error', (err) => {
      if (timer !== undefined) clearTimeout(timer);
      reject(hookError(kind, index, hook, err.message, err));
    });
    child.once('exit', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      if (timedOut) reject(hookError(kind, index, hook, `timed out after ${hook.timeout}s`));
      else if (code === 0) resolvePromise();
      else reject(hookError(kind, index, hook, signal !== null ? `killed by ${signal}` : `exit status ${code}`));
    });
  });
}

/** A hook's `env` (NAME=VALUE entries) as a record; an entry without `=` is the hook's error. */
function hookEnvironment(kind: HookKind, index: number, hook: Hook): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of hook.env ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw hookError(kind, index, hook, `env entry ${JSON.stringify(entry)} is not NAME=VALUE`);
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/**
 * Run one hook in the container (@ct/namespaces' enterContainer: the container's namespaces joined, its pid
 * namespace entered, our ids and capabilities kept, as runc runs it), its stdin a file of the state, in `cwd`
 * (undefined: the container's /).
 */
async function runContainerHook(
  kind: HookKind, index: number, hook: Hook, state: string, pid: number, cwd: string | undefined, inherited: readonly string[],
): Promise<void> {
  const { enterContainer } = await import('@ct/namespaces/engine');
  const dir = mkdtempSync(join(tmpdir(), 'ct-hook-'));
  const stateFile = join(dir, 'state.json');
  writeFileSync(stateFile, state, { mode: 0o600 });
  const stdin = openSync(stateFile, 'r');
  rmSync(dir, { recursive: true, force: true });
  try {
    let entered;
    try {
      entered = await enterContainer(pid, {
        command: {
          argv: hook.args, env: hookEnvironment(kind, index, hook.env === undefined ? { ...hook, env: inherited } : hook),
          ...(cwd === undefined ? {} : { cwd }),
        },
        path: hook.path, search: false,
      }, { stdio: [stdin, 1, 2] });
    } catch (err) {
      if (err instanceof RuntimeError) throw err;
      throw hookError(kind, index, hook, err instanceof Error ? err.message : String(err), err);
    }
    let timedOut = false;
    const timer = hook.timeout === undefined ? undefined : setTimeout(() => { timedOut = true; entered.kill('SIGKILL'); }, hook.timeout * 1000);
    const { status } = await entered.wait();
    if (timer !== undefined) clearTimeout(timer);
    if (timedOut) throw hookError(kind, index, hook, `timed out after ${hook.timeout}s`);
    if (status !== 0) throw hookError(kind, index, hook, `exit status ${status}`);
  } finally {
    closeSync(stdin);
  }
}

/** Where hooks run and what a container hook without `env` inherits. */
export interface HookContext {
  /** The bundle directory. */
  readonly bundle: string;
  /** The root file system's path (createContainer's directory; default the bundle). */
  readonly rootfs?: string;
  /** config.json's process.env (what a createContainer hook without `env` gets; default none). */
  readonly processEnv?: readonly string[];
}

/**
 * Run hook `index` of `kind` with `state` (the state JSON text) on stdin; the container kinds in the namespaces of
 * `pid`. It runs in the bundle directory (createContainer: the root file system's; startContainer: the container's /;
 * poststop: the caller's).
 */
export async function runHook(kind: HookKind, index: number, hook: Hook, state: string, pid: number, at: HookContext): Promise<void> {
  if (kind === 'createContainer') await runContainerHook(kind, index, hook, state, pid, at.rootfs ?? at.bundle, at.processEnv ?? []);
  else if (kind === 'startContainer') await runContainerHook(kind, index, hook, state, pid, undefined, []);
  else if (kind === 'poststop') await runHostHook(kind, index, hook, state, process.cwd());
  else await runHostHook(kind, index, hook, state, at.bundle);
}

/**
 * Run the hooks of `kind` in order with `state` (the state JSON) on stdin; the container kinds (createContainer,
 * startContainer) in the namespaces of `pid`. Stops at the first failure (a RuntimeError naming the hook).
 */
export async function runHooks(hooks: Hooks | undefined, kind: HookKind, state: object, pid: number, at: HookContext): Promise<void> {
  const json = JSON.stringify(state);
  for (const [i, hook] of (hooks?.[kind] ?? []).entries()) await runHook(kind, i, hook, json, pid, at);
}
