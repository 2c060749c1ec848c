/**
 * `ct container run`'s command line as @ct/runtime's ImageRunOptions (the lean entry and the oclif class share
 * it). Only parsing: sizes (`512m`), CPU counts, the network mode, the storage driver (flag, else $CT_STORAGE_DRIVER),
 * capability lists, --security-opt entries.
 */
import { readFileSync } from 'node:fs';
import type { FlagValue } from '../flags/parse-argv.js';
import { UsageError } from '../flags/parse-argv.js';
import type { ImageRunOptions, PullPolicy, SeccompChoice, StorageDriver, Ulimit } from '@ct/runtime';

type Flags = Readonly<Record<string, FlagValue>>;

const str = (f: Flags, n: string): string | undefined => (typeof f[n] === 'string' ? f[n] : undefined);
const strs = (f: Flags, n: string): string[] | undefined => (Array.isArray(f[n]) ? [...(f[n] as readonly string[])] : undefined);

/** `512m` → bytes. */
export function parseSize(text: string): bigint {
  const m = /^(\d+)([bkmg]?)$/i.exec(text);
  if (m === null) throw new UsageError(`invalid value ${JSON.stringify(text)} for flag --memory: expected a number with b, k, m or g`);
  const unit = { '': 1n, b: 1n, k: 1024n, m: 1024n ** 2n, g: 1024n ** 3n }[m[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g'];
  return BigInt(m[1]!) * unit;
}

function storageDriver(text: string | undefined): StorageDriver | undefined {
  if (text === undefined || text === '') return undefined;
  if (text !== 'overlay' && text !== 'copy') throw new UsageError(`invalid value ${JSON.stringify(text)} for --storage-driver (or CT_STORAGE_DRIVER): expected overlay or copy`);
  return text;
}

function pullPolicy(text: string | undefined): PullPolicy | undefined {
  if (text === undefined) return undefined;
  if (text !== 'missing' && text !== 'always' && text !== 'never') throw new UsageError(`invalid value ${JSON.stringify(text)} for --pull: expected missing, always or never`);
  return text;
}

/** podman's smallest --memory (6 MiB): below it a container cannot even start. */
const MIN_MEMORY = 6n * 1024n * 1024n;

/** `--memory` as bytes, at least podman's minimum. */
function memoryLimit(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  const bytes = parseSize(text);
  if (bytes < MIN_MEMORY) throw new UsageError(`invalid value ${JSON.stringify(text)} for flag --memory: the smallest limit is 6m (as podman's)`);
  return bytes;
}

/** `--pids-limit`: a count, or -1 for none (podman's). */
function pidsLimit(value: FlagValue | undefined): bigint | undefined {
  if (typeof value !== 'number') return undefined;
  if (value === -1) return undefined;
  if (value < 1) throw new UsageError(`invalid value "${value}" for flag --pids-limit: expected a count of 1 or more, or -1 for no limit`);
  return BigInt(value);
}

/** `-e` entries: NAME=VALUE or NAME (taken from ours); an empty name is refused as podman refuses it. */
export function envEntries(entries: string[] | undefined): string[] | undefined {
  for (const e of entries ?? []) {
    if (e === '' || e.startsWith('=')) throw new UsageError(`invalid value ${JSON.stringify(e)} for flag --env: expected NAME=VALUE or NAME (a variable needs a name)`);
  }
  return entries;
}

/**
 * `--env-file FILE` entries (podman's format): a line is NAME=VALUE, or NAME (taken from ours); leading blanks,
 * blank lines and lines starting with # are skipped; the value is the rest of the line as it is (no quotes removed).
 */
export function envFileEntries(files: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const file of files ?? []) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`invalid value ${JSON.stringify(file)} for flag --env-file: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    text.split('\n').forEach((raw, n) => {
      // podman's reading: leading blanks go, the value is kept as it is; a name has no blanks
      const line = raw.replace(/^\s+/, '');
      if (line === '' || line.startsWith('#')) return;
      const name = line.split('=', 1)[0]!;
      if (name === '' || /\s/.test(name)) {
        throw new UsageError(`invalid value ${JSON.stringify(file)} for flag --env-file: line ${n + 1}: ${JSON.stringify(line)}: ${name === '' ? 'a variable needs a name' : 'a name has no blanks'}`);
      }
      out.push(line);
    });
  }
  return out;
}

/** `--label KEY=VALUE` entries (a KEY alone: an empty value, as podman's); an empty key is refused. */
export function labelMap(entries: readonly string[] | undefined): Record<string, string> | undefined {
  if (entries === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    const eq = e.indexOf('=');
    const key = eq < 0 ? e : e.slice(0, eq);
    if (key === '') throw new UsageError(`invalid value ${JSON.stringify(e)} for flag --label: expected KEY=VALUE (a label needs a key)`);
    out[key] = eq < 0 ? '' : e.slice(eq + 1);
  }
  return out;
}

/** The rlimits `--ulimit` names (podman's names: the RLIMIT_ suffix in lower case). */
const ULIMIT_NAMES = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

/** `--ulimit NAME=SOFT[:HARD]` entries (podman's; -1 is unlimited; HARD defaults to SOFT). */
function ulimits(entries: readonly string[] | undefined): Ulimit[] | undefined {
  return entries?.map((e) => {
    const m = /^([a-z]+)=(-1|\d+)(?::(-1|\d+))?$/.exec(e);
    const bad = (why: string): UsageError => new UsageError(`invalid value ${JSON.stringify(e)} for flag --ulimit: ${why}`);
    if (m === null) throw bad('expected NAME=SOFT[:HARD] (nofile=1024:2048; -1 for unlimited)');
    if (!ULIMIT_NAMES.includes(m[1]!)) throw bad(`unknown limit ${JSON.stringify(m[1])}: one of ${ULIMIT_NAMES.join(', ')}`);
    const value = (v: string): bigint => (v === '-1' ? 2n ** 64n - 1n : BigInt(v));
    const soft = value(m[2]!);
    const hard = value(m[3] ?? m[2]!);
    if (soft > hard) throw bad('the soft limit is above the hard one');
    return { type: `RLIMIT_${m[1]!.toUpperCase()}`, soft, hard };
  });
}

/**
 * `--mount type=volume,...` as the -v entry it means: `NAME:DST[:OPTIONS]` (source=, src=), or `DST` (an anonymous
 * volume: without options, as -v has no form for an anonymous volume with options). Keys: readonly (ro),
 * volume-nocopy (the nocopy option), podman's z, Z, U and flags; volume-opt and others refused, naming them.
 */
function volumeMountEntry(take: (...names: string[]) => string | undefined, kv: ReadonlyMap<string, unknown>, target: string, bad: (why: string) => UsageError): string {
  const source = take('source', 'src');
  const opts: string[] = [];
  const ro = take('readonly', 'ro');
  if (ro !== undefined && ro !== 'false') opts.push('ro');
  const nocopy = take('volume-nocopy');
  if (nocopy !== undefined && nocopy !== 'false') opts.push('nocopy');
  for (const flag of ['z', 'Z', 'U', 'nosuid', 'nodev', 'noexec', 'suid', 'dev', 'exec', 'rw']) if (take(flag) !== undefined) opts.push(flag);
  if (kv.size > 0) throw bad(`${[...kv.keys()].join(', ')}: not a volume mount option ct knows`);
  if (source === undefined || source === '') {
    if (opts.length > 0) throw bad(`${opts.join(', ')}: an anonymous volume (no source=) takes no options in ct: give source=NAME`);
    return target;
  }
  // a source that would read as a host path is no volume name: refused here, as -v would bind it
  if (source.startsWith('/') || source.startsWith('.')) throw bad(`source=${source}: a volume name, not a path (use type=bind for a host path)`);
  return `${source}:${target}${opts.length > 0 ? `:${opts.join(',')}` : ''}`;
}

/**
 * `--mount type=bind|volume|tmpfs,...` (podman's, docker's keys) as the -v and --tmpfs entries they mean; keys ct
 * does not know are refused, naming them.
 */
export function mountEntries(entries: readonly string[] | undefined): { volumes: string[]; tmpfs: string[] } {
  const out = { volumes: [] as string[], tmpfs: [] as string[] };
  for (const e of entries ?? []) {
    const bad = (why: string): UsageError => new UsageError(`invalid value ${JSON.stringify(e)} for flag --mount: ${why}`);
    const kv = new Map<string, string | undefined>();
    for (const part of e.split(',')) {
      const eq = part.indexOf('=');
      kv.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? undefined : part.slice(eq + 1));
    }
    const take = (...names: string[]): string | undefined => {
      const found = names.find((n) => kv.has(n));
      if (found === undefined) return undefined;
      const v = kv.get(found);
      for (const n of names) kv.delete(n);
      return v ?? '';
    };
    const type = take('type');
    const target = take('target', 'destination', 'dst');
    if (target === undefined || target === '') throw bad('target= (destination=, dst=) is missing');
    if (type === 'bind') {
      const source = take('source', 'src');
      if (source === undefined || source === '') throw bad('source= (src=) is missing');
      const opts: string[] = [];
      const ro = take('readonly', 'ro');
      if (ro !== undefined && ro !== 'false') opts.push('ro');
      const propagation = take('bind-propagation');
      if (propagation !== undefined) opts.push(propagation);
      for (const flag of ['z', 'Z', 'U', 'nosuid', 'nodev', 'noexec', 'suid', 'dev', 'exec', 'rw']) if (take(flag) !== undefined) opts.push(flag);
      if (kv.size > 0) throw bad(`${[...kv.keys()].join(', ')}: not a bind mount option ct knows`);
      out.volumes.push(`${source}:${target}${opts.length > 0 ? `:${opts.join(',')}` : ''}`);
    } else if (type === 'tmpfs') {
      const opts: string[] = [];
      const size = take('tmpfs-size');
      if (size !== undefined) opts.push(`size=${size}`);
      const mode = take('tmpfs-mode');
      if (mode !== undefined) opts.push(`mode=${mode}`);
      for (const flag of ['ro', 'rw', 'nosuid', 'nodev', 'noexec', 'suid', 'dev', 'exec']) if (take(flag) !== undefined) opts.push(flag);
      if (kv.size > 0) throw bad(`${[...kv.keys()].join(', ')}: not a tmpfs mount option ct knows`);
      out.tmpfs.push(`${target}${opts.length > 0 ? `:${opts.join(',')}` : ''}`);
    } else if (type === 'volume') {
      out.volumes.push(volumeMountEntry(take, kv, target, bad));
    } else {
      throw bad(`type=${type ?? ''}: expected type=bind, type=volume or type=tmpfs`);
    }
  }
  return out;
}

/** Capability names given to --cap-add/--cap-drop, each flag repeatable and comma-separated (podman's). */
function capabilityList(entries: string[] | undefined): string[] | undefined {
  return entries?.flatMap((e) => e.split(',')).map((c) => c.trim()).filter((c) => c !== '');
}

/** What --security-opt entries ask for. */
interface SecurityOptions {
  readonly seccomp?: SeccompChoice;
  readonly noNewPrivileges?: boolean;
}

/**
 * `--security-opt` entries: seccomp=unconfined|FILE, no-new-privileges[=true|false]; label=… and apparmor=… are
 * accepted and have no effect, as podman on a host without SELinux or AppArmor (this one has neither).
 */
function securityOptions(entries: readonly string[] | undefined): SecurityOptions {
  let out: SecurityOptions = {};
  for (const e of entries ?? []) {
    const eq = e.indexOf('=');
    const key = eq < 0 ? e : e.slice(0, eq);
    const value = eq < 0 ? undefined : e.slice(eq + 1);
    if (key === 'seccomp' && value !== undefined && value !== '') out = { ...out, seccomp: value === 'unconfined' ? 'unconfined' : { file: value } };
    else if (key === 'no-new-privileges' && (value === undefined || value === 'true' || value === 'false')) out = { ...out, noNewPrivileges: value !== 'false' };
    else if ((key === 'label' || key === 'apparmor') && value !== undefined) continue;
    else throw new UsageError(`invalid value ${JSON.stringify(e)} for flag --security-opt: expected seccomp=FILE|unconfined, no-new-privileges[=true|false], label=... or apparmor=...`);
  }
  return out;
}

/** The options of a parsed `container run` command line (`env`: where CT_STORAGE_DRIVER is read). */
export function imageRunOptions(args: readonly string[], f: Flags, env: NodeJS.ProcessEnv = process.env): ImageRunOptions {
  const cpus = str(f, 'cpus');
  if (cpus !== undefined && !(Number(cpus) > 0)) throw new UsageError(`invalid value ${JSON.stringify(cpus)} for flag --cpus: expected a positive number`);
  const network = str(f, 'network');
  if (f['rm'] === true && f['keep'] === true) throw new UsageError('the --rm and --keep options conflict: --rm removes the container once it exits, --keep keeps it');
  // --env-file first, then -e (podman's order: a later -e wins)
  const fromFiles = envFileEntries(strs(f, 'env-file'));
  const given = envEntries(strs(f, 'env'));
  const mounts = mountEntries(strs(f, 'mount'));
  const volumes = [...(strs(f, 'volume') ?? []), ...mounts.volumes];
  const tmpfs = [...(strs(f, 'tmpfs') ?? []), ...mounts.tmpfs];
  return {
    image: args[0] ?? '', command: args.slice(1), name: str(f, 'name'),
    detach: f['detach'] === true, keep: f['keep'] === true, remove: f['rm'] === true, cidFile: str(f, 'cidfile'),
    labels: labelMap(strs(f, 'label')), stopSignal: str(f, 'stop-signal'),
    stopTimeout: typeof f['stop-timeout'] === 'number' ? f['stop-timeout'] : undefined,
    // --restart: parsed by @ct/runtime (restart-policy.ts), which names the flag in its refusal
    restart: str(f, 'restart'),
    // network flags: checked by @ct/runtime's network module (network/network-config.ts)
    network, publish: strs(f, 'publish'), publishAll: f['publish-all'] === true, dns: strs(f, 'dns'), dnsSearch: strs(f, 'dns-search'),
    dnsOption: strs(f, 'dns-option'), addHost: strs(f, 'add-host'),
    env: fromFiles.length > 0 || given !== undefined ? [...fromFiles, ...(given ?? [])] : undefined, volumes: volumes.length > 0 ? volumes : undefined, workdir: str(f, 'workdir'), user: str(f, 'user'), userns: str(f, 'userns'),
    hostname: str(f, 'hostname'), entrypoint: str(f, 'entrypoint'), readOnly: f['read-only'] === true,
    readOnlyTmpfs: f['read-only-tmpfs'] !== false, tmpfs: tmpfs.length > 0 ? tmpfs : undefined, ulimits: ulimits(strs(f, 'ulimit')),
    capAdd: capabilityList(strs(f, 'cap-add')), capDrop: capabilityList(strs(f, 'cap-drop')), privileged: f['privileged'] === true,
    ...securityOptions(strs(f, 'security-opt')),
    memory: memoryLimit(str(f, 'memory')),
    pidsLimit: pidsLimit(f['pids-limit']),
    cpus: cpus !== undefined ? Number(cpus) : undefined,
    storageRoot: str(f, 'storage-root'),
    storageDriver: storageDriver(str(f, 'storage-driver') ?? env['CT_STORAGE_DRIVER']),
    init: f['init'] === true,
    pull: pullPolicy(str(f, 'pull')),
    showPullProgress: process.stderr.isTTY === true,
    tty: f['tty'] === true,
  };
}
