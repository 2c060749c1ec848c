/**
 * A bundle's config.json, read once and checked: the typed view the runtime applies. Parsed without losing
 * 64-bit precision; every problem is a ConfigError naming the field. Safety checks made here, before anything
 * runs: the rootfs must be a real directory (not a symlink, not the host's /), mount and device destinations may
 * not contain `..`, process ids must be mapped when a user namespace has mappings, cwd must be absolute.
 *
 * Man pages: lstat(2), realpath(3).
 */
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, RuntimeError, errnoPhrase, errnoCode } from '../errors.js';
import { isMapped, readLinux, type ConfigLinux } from './config-linux.js';
import { readMount, type ConfigMount } from './config-mounts.js';
import { readConfinement, type ConfigConfinement } from './config-confinement.js';
import { readHooks, type Hooks } from '../hooks.js';
import {
  asInteger, asObject, maxId, optArray, optBool, optObject, optString, optStrings, reqId, reqString, type JsonObject,
} from './json-fields.js';
import { parseJson } from '@ct/oci/spec';

/** An rlimit (64-bit values as bigint). */
export interface ConfigRlimit {
  readonly type: string;
  readonly soft: bigint;
  readonly hard: bigint;
}

/** The user process. */
export interface ConfigProcess {
  readonly terminal: boolean;
  readonly args: readonly string[];
  readonly env: readonly string[];
  /** Absolute path in the container. */
  readonly cwd: string;
  readonly uid: number;
  readonly gid: number;
  readonly umask: number | undefined;
  readonly additionalGids: readonly number[];
  readonly noNewPrivileges: boolean;
  readonly rlimits: readonly ConfigRlimit[];
  /** process.consoleSize (with terminal). */
  readonly consoleSize: { readonly rows: number; readonly cols: number } | undefined;
}

/** config.json, typed and checked. */
export interface BundleConfig {
  readonly ociVersion: string;
  /** Absolute bundle directory. */
  readonly bundle: string;
  /** Absolute, real (symlink-free) rootfs directory. */
  readonly rootfs: string;
  readonly rootReadonly: boolean;
  readonly process: ConfigProcess | undefined;
  readonly hostname: string | undefined;
  readonly domainname: string | undefined;
  readonly mounts: readonly ConfigMount[];
  readonly annotations: Readonly<Record<string, string>>;
  readonly linux: ConfigLinux;
  /** Capabilities, seccomp, resources, sysctl and the other confinement fields (config-confinement.ts). */
  readonly confinement: ConfigConfinement;
  /** The OCI hooks by kind (hooks.ts). */
  readonly hooks: Hooks;
  /** The config.json text as read (snapshotted into the state dir). */
  readonly text: string;
}

function consoleSize(o: JsonObject): { rows: number; cols: number } | undefined {
  const c = optObject(o, 'consoleSize', 'process');
  if (c === undefined) return undefined;
  return {
    rows: Number(asInteger(c['height'] ?? 0, 'process.consoleSize.height', 0n, 65_535n)),
    cols: Number(asInteger(c['width'] ?? 0, 'process.consoleSize.width', 0n, 65_535n)),
  };
}

/** Read and check a runtime-spec `process` object (config.json's, or `ct exec --process` file's). */
export function readConfigProcess(o: JsonObject): ConfigProcess {
  const p = 'process';
  const user = optObject(o, 'user', p) ?? {};
  const cwd = reqString(o, 'cwd', p);
  if (!cwd.startsWith('/')) throw new ConfigError('process.cwd', `${JSON.stringify(cwd)} is not an absolute path`);
  const args = optStrings(o, 'args', p);
  const seen = new Set<string>();
  const rlimits = optArray(o, 'rlimits', p).map((v, i) => {
    const rp = `process.rlimits[${i}]`;
    const r = asObject(v, rp);
    const type = reqString(r, 'type', rp);
    if (seen.has(type)) throw new ConfigError(`${rp}.type`, `${type} given twice`);
    seen.add(type);
    const max = (1n << 64n) - 1n;
    return { type, soft: asInteger(r['soft'], `${rp}.soft`, 0n, max), hard: asInteger(r['hard'], `${rp}.hard`, 0n, max) };
  });
  const umask = user['umask'] === undefined || user['umask'] === null
    ? undefined : Number(asInteger(user['umask'], 'process.user.umask', 0n, 0o777n));
  return {
    terminal: optBool(o, 'terminal', p) ?? false,
    args,
    env: optStrings(o, 'env', p),
    cwd,
    uid: user['uid'] === undefined ? 0 : reqId(user, 'uid', 'process.user'),
    gid: user['gid'] === undefined ? 0 : reqId(user, 'gid', 'process.user'),
    umask,
    additionalGids: optArray(user, 'additionalGids', 'process.user').map((g, i) =>
      Number(asInteger(g, `process.user.additionalGids[${i}]`, 0n, maxId))),
    noNewPrivileges: optBool(o, 'noNewPrivileges', p) ?? false,
    rlimits,
    consoleSize: consoleSize(o),
  };
}

/** Resolve and check root.path: a real directory, not a symlink, not the host's /. */
function checkRootfs(bundle: string, rootPath: string): string {
  const path = isAbsolute(rootPath) ? rootPath : resolve(bundle, rootPath);
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    throw new ConfigError('root.path', `${path}: ${errnoPhrase(errnoCode(err))}`, { cause: err });
  }
  if (st.isSymbolicLink()) throw new ConfigError('root.path', `${path} is a symlink, not a directory`);
  if (!st.isDirectory()) throw new ConfigError('root.path', `${path} is not a directory`);
  const real = realpathSync(path);
  if (real === '/') throw new ConfigError('root.path', `${path} is the host's root directory`);
  return real;
}

/**
 * Read `<bundle>/config.json` and check it (see the module comment); `file` reads another copy (the snapshot in
 * the state directory) with paths still relative to the bundle.
 */
export function readBundleConfig(bundleDir: string, configFile?: string): BundleConfig {
  const bundle = resolve(bundleDir);
  const file = configFile ?? join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RuntimeError('ECONFIG', `open config: ${file}: ${errnoPhrase(errnoCode(err))}`, { cause: err });
  }
  let json;
  try {
    // lossless (64-bit integers as bigint), duplicate keys refused, size and depth bounded
    json = parseJson(text, file);
  } catch (err) {
    throw new ConfigError('$', `invalid json: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const o = asObject(json, '$');
  const root = optObject(o, 'root', '$');
  if (root === undefined) throw new ConfigError('root', 'missing');
  const rootfs = checkRootfs(bundle, reqString(root, 'path', 'root'));
  const procObj = optObject(o, 'process', '$');
  const process = procObj === undefined ? undefined : readConfigProcess(procObj);
  const linux = readLinux(optObject(o, 'linux', '$'));
  const mounts = optArray(o, 'mounts', '$').map((m, i) => readMount(m, i, bundle));
  if (process !== undefined && linux.uidMappings.length > 0) {
    if (!isMapped(process.uid, linux.uidMappings)) throw new ConfigError('process.user.uid', `${process.uid} is not mapped by linux.uidMappings`);
    if (!isMapped(process.gid, linux.gidMappings)) throw new ConfigError('process.user.gid', `${process.gid} is not mapped by linux.gidMappings`);
  }
  const annotations: Record<string, string> = {};
  const ann = optObject(o, 'annotations', '$') ?? {};
  for (const [k, v] of Object.entries(ann)) {
    if (typeof v !== 'string') throw new ConfigError(`annotations.${k}`, 'must be a string');
    annotations[k] = v;
  }
  return {
    ociVersion: reqString(o, 'ociVersion', '$'),
    bundle,
    rootfs,
    rootReadonly: optBool(root, 'readonly', 'root') ?? false,
    process,
    hostname: optString(o, 'hostname', '$'),
    domainname: optString(o, 'domainname', '$'),
    mounts,
    annotations,
    linux,
    confinement: readConfinement(o),
    hooks: readHooks(o),
    text,
  };
}
