/**
 * A bundle's config.json, read once and checked: the typed view the runtime applies. Parsed without losing
 * 64-bit precision; every problem is a ConfigError naming the field. Safety checks made here, before anything
 * runs: the file is a regular file no larger than 4 MiB (checked with fstat before it is read, and the read is
 * bounded), the rootfs must be a real directory (not a symlink, not the host's /), mount and device destinations may
 * not contain `..`, process ids must be mapped when a user namespace has mappings, cwd must be absolute.
 *
 * Man pages: open(2), fstat(2), lstat(2), realpath(3).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, RuntimeError, errnoPhrase, errnoCode } from '../errors.js';
import { checkConfigVersion } from '../oci-version.js';
import { checkNamespaceUses, isMapped, readLinux, type ConfigLinux } from './config-linux.js';
import { readMount, type ConfigMount } from './config-mounts.js';
import { readConfinement, type ConfigConfinement } from './config-confinement.js';
import { readConfigProcess, type ConfigProcess } from './config-process.js';
import { readHooks, type Hooks } from '../hooks.js';
import { asObject, optArray, optBool, optObject, optString, reqString } from './json-fields.js';
import { parseJson } from '@ct/oci/spec';

export { readConfigProcess, type ConfigProcess, type ConfigRlimit } from './config-process.js';

/** The largest config.json ct reads (as @ct/oci/spec's parser bounds any JSON document). */
export const maxConfigBytes = 4 * 1024 * 1024;

/**
 * The most `mounts` ct applies: the launch plan holds at most 4096 steps and a mount takes up to three (mkdir,
 * mount, read-only remount) beside the default ones. runc has no limit; 10,000 failed with "need 1..4096 steps".
 */
export const maxMounts = 1000;

/** config.json, typed and checked. */
export interface BundleConfig {
  /** config.json's `ociVersion` (checked to be one ct accepts). */
  readonly ociVersion: string;
  /** Absolute bundle directory. */
  readonly bundle: string;
  /** Absolute, real (symlink-free) rootfs directory. */
  readonly rootfs: string;
  /** `root.readonly` (default false). */
  readonly rootReadonly: boolean;
  /** `process`, parsed; undefined when config.json has none (creating the container then fails with ConfigError). */
  readonly process: ConfigProcess | undefined;
  /** `hostname` (needs a uts namespace). */
  readonly hostname: string | undefined;
  /** `domainname` (needs a uts namespace). */
  readonly domainname: string | undefined;
  /** `mounts`, in order, with their options parsed. */
  readonly mounts: readonly ConfigMount[];
  /** `annotations` ({} when absent). */
  readonly annotations: Readonly<Record<string, string>>;
  /** `linux`: namespaces, id mappings, devices, paths (config-linux.ts). */
  readonly linux: ConfigLinux;
  /** Capabilities, seccomp, resources, sysctl and the other confinement fields (config-confinement.ts). */
  readonly confinement: ConfigConfinement;
  /** The OCI hooks by kind (hooks.ts). */
  readonly hooks: Hooks;
  /** The config.json text as read (snapshotted into the state dir). */
  readonly text: string;
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
 * The bytes of a config file: opened without waiting on a FIFO (O_NONBLOCK; Node opens with O_CLOEXEC), refused unless it is a
 * regular file of at most `maxConfigBytes` (fstat first: a huge file is never read), read with a bounded read.
 */
export function readConfigFile(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new RuntimeError('ECONFIG', `open config: ${file}: ${errnoPhrase(errnoCode(err))}`, { cause: err });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new RuntimeError('ECONFIG', `read config: ${file}: not a regular file`);
    if (st.size > maxConfigBytes) {
      throw new RuntimeError('ECONFIG', `read config: ${file}: ${st.size} bytes is over the limit of ${maxConfigBytes} (4 MiB)`);
    }
    // one byte more than the limit tells a file that grew since fstat
    const buf = Buffer.alloc(Math.min(Number(st.size), maxConfigBytes) + 1);
    let got = 0;
    for (let n; got < buf.length && (n = readSync(fd, buf, got, buf.length - got, null)) > 0;) got += n;
    if (got > maxConfigBytes) throw new RuntimeError('ECONFIG', `read config: ${file}: over the limit of ${maxConfigBytes} bytes (4 MiB)`);
    return buf.subarray(0, got);
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw new RuntimeError('ECONFIG', `read config: ${file}: ${errnoPhrase(errnoCode(err))}`, { cause: err });
  } finally {
    closeSync(fd);
  }
}

/**
 * Read `<bundle>/config.json` and check it (see the module comment); `file` reads another copy (the snapshot in
 * the state directory) with paths still relative to the bundle.
 */
export function readBundleConfig(bundleDir: string, configFile?: string): BundleConfig {
  const bundle = resolve(bundleDir);
  const file = configFile ?? join(bundle, 'config.json');
  const bytes = readConfigFile(file);
  const text = bytes.toString('utf8');
  let json;
  try {
    // lossless (64-bit integers as bigint), duplicate keys refused, size and depth bounded
    json = parseJson(bytes, file, { maxBytes: maxConfigBytes });
  } catch (err) {
    throw new ConfigError('$', `invalid json: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const o = asObject(json, '$');
  const ociVersion = checkConfigVersion(o['ociVersion']);
  const root = optObject(o, 'root', '$');
  if (root === undefined) throw new ConfigError('root', 'missing');
  const rootfs = checkRootfs(bundle, reqString(root, 'path', 'root'));
  const procObj = optObject(o, 'process', '$');
  const process = procObj === undefined ? undefined : readConfigProcess(procObj);
  const linux = readLinux(optObject(o, 'linux', '$'));
  const mountList = optArray(o, 'mounts', '$');
  if (mountList.length > maxMounts) {
    throw new ConfigError('mounts', `${mountList.length} entries, more than the ${maxMounts} ct applies (each takes steps of the launch plan, bounded at 4096)`);
  }
  const mounts = mountList.map((m, i) => readMount(m, i, bundle));
  const confinement = readConfinement(o);
  const domainname = optString(o, 'domainname', '$');
  checkNamespaceUses(linux, { domainname, sysctl: confinement.sysctl });
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
    ociVersion,
    bundle,
    rootfs,
    rootReadonly: optBool(root, 'readonly', 'root') ?? false,
    process,
    hostname: optString(o, 'hostname', '$'),
    domainname,
    mounts,
    annotations,
    linux,
    confinement,
    hooks: readHooks(o),
    text,
  };
}
