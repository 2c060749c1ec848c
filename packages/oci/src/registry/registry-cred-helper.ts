/**
 * Docker credential helpers (docker-credential-helpers' protocol, as docker and containers/image call them): the
 * program `docker-credential-<name>` found on PATH is run with the argument `get`, the server URL on its stdin,
 * and answers `{"ServerURL": …, "Username": …, "Secret": …}` on stdout; a Username of `<token>` means Secret is
 * an identity token (an OAuth2 refresh token), not a password. A helper that has nothing for the server exits
 * non-zero saying "credentials not found in native keychain": that is no credentials, not an error.
 * The program is looked up on PATH here (an executable regular file), so a missing helper is told apart from one
 * that cannot run, whatever unreadable directories PATH holds.
 * Man pages: execve(2), access(2).
 */
import { accessSync, statSync, constants as fsc } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { RegistryError } from './registry-error.js';

/** What a helper said for a server: a user name and password, or an identity token. */
export type HelperCredentials =
  | {
    /** The helper's Username was a user name: `password` is its Secret. */
    readonly kind: 'password';
    /** The helper's Username. */
    readonly username: string;
    /** The helper's Secret. */
    readonly password: string;
  }
  | {
    /** The helper's Username was `<token>`: its Secret is an identity token. */
    readonly kind: 'identity-token';
    /** The helper's Secret, an OAuth2 refresh token. */
    readonly identityToken: string;
  };

/** Where a helper was named, for error messages (`credHelpers.localhost:5000 in /root/.docker/config.json`). */
export interface HelperOrigin {
  /** The auth file's field naming the helper (`credHelpers.localhost:5000`, `credsStore`). */
  readonly field: string;
  /** The auth file's path. */
  readonly file: string;
}

/** The marker a helper prints when it holds nothing for the server (docker-credential-helpers' ErrCredentialsNotFound). */
const NOT_FOUND = 'credentials not found in native keychain';
const TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 1024 * 1024;

/** A helper name is a program name suffix: no path separators, nothing a shell or PATH search would read oddly. */
function checkName(name: string, origin: HelperOrigin): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new RegistryError('REGISTRY_AUTH_FILE_INVALID', `read auth file: ${origin.file}: ${origin.field}: ${JSON.stringify(name)} is not a credential helper name`);
  }
  return `docker-credential-${name}`;
}

/** The first executable regular file `program` in the directories of `path` (relative entries are skipped). */
function findOnPath(program: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(':')) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const file = join(dir, program);
    try {
      if (statSync(file).isFile()) {
        accessSync(file, fsc.X_OK);
        return file;
      }
    } catch {
      // absent, or a directory we may not search: go on
    }
  }
  return undefined;
}

interface Outcome { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string; readonly stderr: string }

async function run(program: string, input: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    // Not spawn's `timeout`: its timer outlives a spawn that failed (ENOENT) and keeps the process up.
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    timer.unref();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const collect = (into: Buffer[]) => (d: Buffer): void => {
      size += d.length;
      if (size > MAX_OUTPUT) child.kill('SIGKILL');
      else into.push(d);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.stdin.on('error', () => {}); // a helper that exits without reading its stdin: judged by its exit status
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(input);
  });
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 200) ?? '';
}

/**
 * Ask helper `name` (named at `origin`) for the credentials of `serverUrl`; undefined when it has none.
 * @throws RegistryError REGISTRY_CRED_HELPER_MISSING (no such program on PATH), REGISTRY_CRED_HELPER_FAILED (it
 *   failed, was killed, or answered something that is not its JSON), REGISTRY_AUTH_FILE_INVALID (a bad name).
 */
export async function credentialsFromHelper(name: string, serverUrl: string, origin: HelperOrigin, env: NodeJS.ProcessEnv = process.env): Promise<HelperCredentials | undefined> {
  const program = checkName(name, origin);
  const where = `${origin.field} in ${origin.file}`;
  const file = findOnPath(program, env['PATH']);
  if (file === undefined) {
    throw new RegistryError('REGISTRY_CRED_HELPER_MISSING', `get credentials for ${serverUrl}: ${program}: no executable of this name on PATH (named by ${where})`);
  }
  let outcome: Outcome;
  try {
    outcome = await run(file, serverUrl, env);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new RegistryError('REGISTRY_CRED_HELPER_FAILED', `get credentials for ${serverUrl}: ${program} get: ${code ?? String(cause)}`, {}, { cause });
  }
  const { code, signal, stdout, stderr } = outcome;
  if (code !== 0) {
    if (`${stdout}\n${stderr}`.includes(NOT_FOUND)) return undefined;
    const status = signal !== null ? `killed by ${signal}` : `exit status ${code}`;
    const said = firstLine(stderr) || firstLine(stdout);
    throw new RegistryError('REGISTRY_CRED_HELPER_FAILED', `get credentials for ${serverUrl}: ${program} get: ${status}${said !== '' ? `: ${said}` : ''}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch (cause) {
    throw new RegistryError('REGISTRY_CRED_HELPER_FAILED', `get credentials for ${serverUrl}: ${program} get: output is not JSON`, {}, { cause });
  }
  const o = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? doc as Record<string, unknown> : {};
  const { Username: username, Secret: secret } = o;
  if (typeof username !== 'string' || typeof secret !== 'string') {
    throw new RegistryError('REGISTRY_CRED_HELPER_FAILED', `get credentials for ${serverUrl}: ${program} get: output lacks string Username and Secret`);
  }
  if (secret === '') return undefined;
  return username === '<token>' ? { kind: 'identity-token', identityToken: secret } : { kind: 'password', username, password: secret };
}
