/**
 * Registry credentials and challenges: the WWW-Authenticate header (RFC 7235 auth-params; Docker's token
 * authentication: `Bearer realm="…",service="…",scope="…"`), and credentials from the auth files containers tools
 * share, searched as podman does (containers-auth.json(5)): `--authfile` or else `$REGISTRY_AUTH_FILE` alone when
 * given; otherwise `$XDG_RUNTIME_DIR/containers/auth.json`, `~/.config/containers/auth.json`, then
 * `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. In each file, as docker reads its config: a
 * `credHelpers` entry for the registry, then the `credsStore` helper, then `auths` (`auth`: base64 of
 * `user:password`; `identitytoken`). Helpers run through registry-cred-helper.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseJson, type JsonValue } from '../spec/lossless-json.js';
import { credentialsFromHelper, type HelperCredentials } from './registry-cred-helper.js';
import { RegistryError } from './registry-error.js';

/** A parsed challenge: the scheme (lower case) and its parameters (names lower case). */
export interface AuthChallenge {
  /** The scheme, lower case (`bearer`, `basic`). */
  readonly scheme: string;
  /** Its parameters (`realm`, `service`, `scope`, ...), names lower case, values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * A user name and password, or an identity token (an OAuth2 refresh token: docker's `identitytoken`, or a
 * credential helper's answer with Username `<token>`), which is exchanged at the token service.
 */
export type Credentials =
  | {
    /** The registry user name. */
    readonly username: string;
    /** Its password (or a personal access token). */
    readonly password: string;
    /** Absent in this form. */
    readonly identityToken?: undefined;
  }
  | {
    /** The OAuth2 refresh token, exchanged for an access token at the token service. */
    readonly identityToken: string;
    /** Absent in this form. */
    readonly username?: undefined;
    /** Absent in this form. */
    readonly password?: undefined;
  };

/**
 * Parse a WWW-Authenticate header value into its challenges (`Bearer realm="x",scope="a b", Basic realm="y"`).
 * Quoted values may contain commas and backslash escapes.
 */
export function parseAuthChallenges(header: string): AuthChallenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  const re = /\s*,?\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?/gy;
  let m: RegExpExecArray | null;
  let current: { scheme: string; params: Record<string, string> } | undefined;
  while (re.lastIndex < header.length && (m = re.exec(header)) !== null) {
    const [, name, raw] = m;
    if (name === undefined) break;
    if (raw === undefined) {
      // A token without '=' starts a new challenge (token68 forms are not used by registries).
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
    } else if (current !== undefined) {
      current.params[name.toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    }
  }
  return out;
}

/** Options of {@link findCredentials}. */
export interface AuthFileOptions {
  /** An auth file to use instead of the default ones (`--authfile`; `$REGISTRY_AUTH_FILE` otherwise). */
  readonly authFile?: string | undefined;
  /** Environment (tests inject one); also the credential helpers' environment and PATH. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The auth files searched, in order: the one asked for alone, else the default ones. */
export function authFilePaths(options: AuthFileOptions = {}): string[] {
  const env = options.env ?? process.env;
  const set = (v: string | undefined): v is string => v !== undefined && v !== '';
  if (set(options.authFile)) return [options.authFile];
  if (set(env['REGISTRY_AUTH_FILE'])) return [env['REGISTRY_AUTH_FILE']];
  const out: string[] = [];
  if (set(env['XDG_RUNTIME_DIR'])) out.push(join(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json'));
  const home = env['HOME'] ?? homedir();
  out.push(join(set(env['XDG_CONFIG_HOME']) ? env['XDG_CONFIG_HOME'] : join(home, '.config'), 'containers', 'auth.json'));
  out.push(set(env['DOCKER_CONFIG']) ? join(env['DOCKER_CONFIG'], 'config.json') : join(home, '.docker', 'config.json'));
  return out;
}

function field(v: JsonValue | undefined, key: string): JsonValue | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v[key] : undefined;
}

/** Keys an entry may be filed under for `registry` (Docker Hub's legacy URL, a scheme prefix). */
function candidateKeys(registry: string): string[] {
  const keys = [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
  if (registry === 'docker.io') keys.push('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io');
  return keys;
}

/** The server URL a helper is asked about: docker's legacy URL for Docker Hub, else host[:port]. */
export function helperServerUrl(registry: string): string {
  return registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
}

function readAuthFile(file: string): JsonValue {
  try {
    return parseJson(readFileSync(file), file);
  } catch (err) {
    throw new RegistryError('REGISTRY_AUTH_FILE_INVALID', `read auth file: ${file}: not valid JSON`, {}, { cause: err });
  }
}

function fromHelper(c: HelperCredentials): Credentials {
  return c.kind === 'identity-token' ? { identityToken: c.identityToken } : { username: c.username, password: c.password };
}

/** The `auths` entry of `key` in `file` as credentials; undefined when it holds none (a helper's placeholder `{}`). */
function fromAuthsEntry(entry: JsonValue, file: string, key: string): Credentials | undefined {
  const token = field(entry, 'identitytoken');
  if (typeof token === 'string' && token !== '') return { identityToken: token };
  const auth = field(entry, 'auth');
  if (typeof auth !== 'string' || auth === '') return undefined;
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep <= 0) throw new RegistryError('REGISTRY_AUTH_FILE_INVALID', `read auth file: ${file}: auths.${key}.auth: not base64 of user:password`);
  return { username: decoded.slice(0, sep), password: decoded.slice(sep + 1) };
}

/** The credentials `file` gives `registry`, by its credHelpers entry, its credsStore, then its auths entry. */
async function fromFile(file: string, registry: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const doc = readAuthFile(file);
  const server = helperServerUrl(registry);
  const helper = async (name: JsonValue | undefined, where: string): Promise<Credentials | undefined> => {
    if (name === undefined || name === '') return undefined;
    if (typeof name !== 'string') throw new RegistryError('REGISTRY_AUTH_FILE_INVALID', `read auth file: ${file}: ${where}: not a string`);
    const got = await credentialsFromHelper(name, server, { field: where, file }, env);
    return got === undefined ? undefined : fromHelper(got);
  };
  const helpers = field(doc, 'credHelpers');
  for (const key of candidateKeys(registry)) {
    const found = await helper(field(helpers, key), `credHelpers.${key}`);
    if (found !== undefined) return found;
  }
  const stored = await helper(field(doc, 'credsStore'), 'credsStore');
  if (stored !== undefined) return stored;
  const auths = field(doc, 'auths');
  for (const key of candidateKeys(registry)) {
    const entry = field(auths, key);
    const found = entry === undefined ? undefined : fromAuthsEntry(entry, file, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The credentials for `registry` (as users name it: `docker.io`, `localhost:5000`), or undefined: the first auth
 * file (see {@link authFilePaths}) that has some for it wins.
 * @throws RegistryError REGISTRY_AUTH_FILE_INVALID when an auth file or its entry for this registry is malformed;
 *   REGISTRY_CRED_HELPER_MISSING / REGISTRY_CRED_HELPER_FAILED when a credential helper it names is not on PATH or fails.
 */
export async function findCredentials(registry: string, options: AuthFileOptions = {}): Promise<Credentials | undefined> {
  const env = options.env ?? process.env;
  for (const file of authFilePaths(options)) {
    if (!existsSync(file)) continue;
    const found = await fromFile(file, registry, env);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The Authorization header value for Basic auth. */
export function basicAuthorization(c: { readonly username: string; readonly password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
