/**
 * `evalInContainer(fn | {module, export}, options)`: Guix's `eval/container` for Node. Runs a JavaScript function
 * in a Node process inside a container whose tmpfs root holds only the node binary, its shared libraries and the
 * listed host paths, all read-only at their host paths (plus any writable `mounts`). The function's JSON result
 * comes back on fd 3 (a file the parent reads); a thrown error is rethrown in the caller as an EvalError; an exit
 * without a result is a ContainerExitError carrying the status (`process.exit(42)` gives 42).
 *
 * Man pages: ld.so(8), ldd(1), execve(2).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WaitOptions } from './wait-options.js';
import { callWithContainer, type GuixContainerOptions } from './call-with-container.js';
import { CtError } from './errors.js';
import type { RunOptions } from './run-container.js';
import type { Mount } from './spec.js';

/** A function (serialised with toString: it must not close over variables) or a module's named export. */
export type EvalTarget<T> = ((...args: never[]) => T | Promise<T>) | {
  /** The module file, an absolute path: its directory is bound read-only into the container and it is imported there. */
  readonly module: string;
  /** The name of the exported function to call. */
  readonly export: string;
};

/**
 * Options of `evalInContainer` (`signal`/`timeout`: the container is killed and reaped and the call rejects, as
 * callWithContainer does).
 */
export interface EvalOptions extends Omit<GuixContainerOptions, 'stdio'>, WaitOptions {
  /** Host paths visible read-only at the same path inside. */
  readonly paths?: readonly string[];
  /** Further mounts (writable mappings), after the read-only paths. */
  readonly mounts?: readonly Mount[];
  /** The environment of the node process (default empty). */
  readonly env?: Readonly<Record<string, string>>;
  /** JSON-serialisable arguments given to the function. */
  readonly args?: readonly unknown[];
  /** How the parent runs the container. */
  readonly run?: RunOptions;
}

/** The function ran and threw: its name, message and stack as seen inside. */
export class ContainerEvalError extends CtError {
  /** The error's `name` inside. */
  readonly remoteName: string;
  /** The stack inside, when there was one. */
  readonly remoteStack: string | undefined;
  constructor(name: string, message: string, code: string | undefined, stack: string | undefined) {
    super(code ?? 'EVAL_THREW', `eval in container: ${name}: ${message}`);
    this.name = 'ContainerEvalError';
    this.remoteName = name;
    this.remoteStack = stack;
  }
}

/** The container exited without a result (exit code or 128 + signal in `status`). */
export class ContainerExitError extends CtError {
  /** The container's exit status. */
  readonly status: number;
  constructor(status: number) {
    super('EVAL_EXIT', `eval in container: exited with status ${status} and no result`);
    this.name = 'ContainerExitError';
    this.status = status;
  }
}

/** The node binary's dynamic loader (its PT_INTERP) and shared libraries, from ldd. */
export function nodeLibraries(node = process.execPath): { loader: string | undefined; libraries: string[] } {
  let loader: string | undefined;
  const libraries: string[] = [];
  for (const line of execFileSync('ldd', [node], { encoding: 'utf8' }).split('\n')) {
    const m = /(=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m?.[2] === undefined) continue;
    if (m[1] === undefined) loader = m[2];
    else libraries.push(m[2]);
  }
  return { loader, libraries };
}

/** The files the node binary needs to start: itself, its libraries and loader (ldd), and ld.so.cache. */
export function nodeRuntimePaths(node = process.execPath): string[] {
  const { loader, libraries } = nodeLibraries(node);
  const paths = new Set<string>([node, ...libraries, ...(loader === undefined ? [] : [loader])]);
  if (existsSync('/etc/ld.so.cache')) paths.add('/etc/ld.so.cache');
  return [...paths];
}

function readOnlyBinds(paths: readonly string[]): Mount[] {
  return paths.map((path) => {
    if (!isAbsolute(path)) throw new CtError('EINVAL', `eval in container: ${path}: not an absolute path`);
    return { type: 'bind', source: realpathSync(path), target: path, readOnly: true };
  });
}

/** The module node runs: it loads `target`, calls it with `args` and writes the outcome to fd 3 as JSON. */
export function evalScript(target: EvalTarget<unknown>, args: readonly unknown[]): string {
  const load = typeof target === 'function'
    ? `const fn = (${target.toString()});`
    : `const fn = (await import(${JSON.stringify(pathToFileURL(target.module).href)}))[${JSON.stringify(target.export)}];`;
  return `import { writeSync } from 'node:fs';
const put = (r) => writeSync(3, JSON.stringify(r));
try {
  ${load}
  const value = await fn(...${JSON.stringify(args)});
  put({ ok: true, value: value === undefined ? null : value });
} catch (e) {
  put({ ok: false, name: String(e?.name ?? 'Error'), message: String(e?.message ?? e), code: e?.code, stack: e?.stack });
  process.exitCode = 1;
}`;
}

/** What evalScript wrote to `file`: its value, its error rethrown, or a ContainerExitError with `status`. */
export function readEvalResult<T>(file: string, status: number): T {
  const text = readFileSync(file, 'utf8');
  if (text === '') throw new ContainerExitError(status);
  const parsed = JSON.parse(text) as
    | { ok: true; value: T } | { ok: false; name: string; message: string; code?: string; stack?: string };
  if (parsed.ok) return parsed.value;
  // The function is sent as its source text alone: a variable of the caller's scope is not defined inside.
  const message = parsed.name === 'ReferenceError' && / is not defined$/.test(parsed.message)
    ? `${parsed.message} (the function runs from its source alone, as an ES module: it cannot use the caller's variables or require; pass values as arguments, import modules)`
    : parsed.message;
  throw new ContainerEvalError(parsed.name, message, parsed.code, parsed.stack);
}

/** Run `target` in a Node process inside a container; resolves with its JSON result or rethrows its error. */
export async function evalInContainer<T>(target: EvalTarget<T>, options: EvalOptions = {}): Promise<T> {
  const { paths = [], mounts = [], args = [], run = {}, env = {}, ...spec } = options;
  const visible = [...nodeRuntimePaths(), ...paths];
  if (typeof target !== 'function') visible.push(dirname(target.module));
  const dir = mkdtempSync(join(tmpdir(), 'ct-eval-'));
  const resultFile = join(dir, 'result');
  const result = openSync(resultFile, 'w+', 0o600);
  try {
    const status = await callWithContainer(
      [...readOnlyBinds([...new Set(visible)]), ...mounts],
      { argv: [process.execPath, '--input-type=module', '-e', evalScript(target, args)], env },
      { ...spec, stdio: [0, 1, 2], extraFds: [{ from: result, to: 3 }] },
      run,
    );
    return readEvalResult<T>(resultFile, status);
  } finally {
    closeSync(result);
    rmSync(dir, { recursive: true, force: true });
  }
}
