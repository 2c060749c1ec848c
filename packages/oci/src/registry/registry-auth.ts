/**
 * Registry credentials and challenges: the WWW-Authenticate header (RFC 7235 auth-params; Docker's token
 * authentication: `Bearer realm="…",service="…",scope="…"`), and credentials from the auth files containers tools
 * share: `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json` (containers-auth.json(5)), then
 * `~/.docker/config.json` (`"auths": {"host": {"auth": base64("user:pass")}}`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseJson, type JsonValue } from '../spec/lossless-json.js';
import { RegistryError } from './registry-error.js';

/** A parsed challenge: the scheme (lower case) and its parameters (names lower case). */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** A user name and password (or identity token as password). */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

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
  /** An auth file to read first (`--authfile`). */
  readonly authFile?: string | undefined;
  /** Environment (tests inject one). */
  readonly env?: NodeJS.ProcessEnv;
}

/** The auth files searched, in order. */
export function authFilePaths(options: AuthFileOptions = {}): string[] {
  const env = options.env ?? process.env;
  const out: string[] = [];
  if (options.authFile !== undefined) out.push(options.authFile);
  if (env['REGISTRY_AUTH_FILE'] !== undefined && env['REGISTRY_AUTH_FILE'] !== '') out.push(env['REGISTRY_AUTH_FILE']);
  if (env['XDG_RUNTIME_DIR'] !== undefined && env['XDG_RUNTIME_DIR'] !== '') out.push(join(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json'));
  const home = env['HOME'] ?? homedir();
  out.push(join(home, '.config', 'containers', 'auth.json'));
  out.push(join(home, '.docker', 'config.json'));
  return out;
}

function field(v: JsonValue | undefined, key: string): JsonValue | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v[key] : undefined;
}

/** Keys an auths entry may be filed under for `registry` (Docker Hub's legacy URL, a scheme prefix). */
function candidateKeys(registry: string): string[] {
  const keys = [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
  if (registry === 'docker.io') keys.push('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io');
  return keys;
}

/**
 * The credentials for `registry` (as users name it: `docker.io`, `localhost:5000`), or undefined.
 * @throws RegistryError REGISTRY_AUTH_FILE_INVALID when an auth file or its entry for this registry is malformed.
 */
export function findCredentials(registry: string, options: AuthFileOptions = {}): Credentials | undefined {
  for (const file of authFilePaths(options)) {
    if (!existsSync(file)) continue;
    let doc: JsonValue;
    try {
      doc = parseJson(readFileSync(file), file);
    } catch (err) {
      throw new RegistryError('REGISTRY_AUTH_FILE_INVALID', `read auth file: ${file}: not valid JSON`, {}, { cause: err });
    }
    const auths = field(doc, 'auths');
    for (const key of candidateKeys(registry)) {
      const entry = field(auths, key);
      if (entry === undefined) continue;
      const auth = field(entry, 'auth');
      if (typeof auth !== 'string') continue; // a credential-helper entry: not supported, try the next file
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      const sep = decoded.indexOf(':');
      if (sep <= 0) throw new RegistryError('REGISTRY_AUTH_FILE_INVALID', `read auth file: ${file}: auths.${key}.auth: not base64 of user:password`);
      return { username: decoded.slice(0, sep), password: decoded.slice(sep + 1) };
    }
  }
  return undefined;
}

/** The Authorization header value for Basic auth. */
export function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
