/**
 * `ct container run`'s command line as @ct/runtime's ImageRunOptions (the lean entry and the oclif class share
 * it). Only parsing: sizes (`512m`), CPU counts, the network mode, the storage driver (flag, else $CT_STORAGE_DRIVER).
 */
import type { FlagValue } from '../flags/parse-argv.js';
import { UsageError } from '../flags/parse-argv.js';
import type { ImageRunOptions, PullPolicy, StorageDriver } from '@ct/runtime';

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

/** The options of a parsed `container run` command line (`env`: where CT_STORAGE_DRIVER is read). */
export function imageRunOptions(args: readonly string[], f: Flags, env: NodeJS.ProcessEnv = process.env): ImageRunOptions {
  const memory = str(f, 'memory');
  const cpus = str(f, 'cpus');
  if (cpus !== undefined && !(Number(cpus) > 0)) throw new UsageError(`invalid value ${JSON.stringify(cpus)} for flag --cpus: expected a positive number`);
  const network = str(f, 'network');
  const pids = f['pids-limit'];
  return {
    image: args[0] ?? '', command: args.slice(1), name: str(f, 'name'),
    detach: f['detach'] === true, keep: f['keep'] === true && f['rm'] !== true, remove: f['rm'] === true,
    network: network === 'host' || network === 'private' ? network : 'none',
    env: strs(f, 'env'), volumes: strs(f, 'volume'), workdir: str(f, 'workdir'), user: str(f, 'user'),
    hostname: str(f, 'hostname'), entrypoint: str(f, 'entrypoint'), readOnly: f['read-only'] === true,
    memory: memory !== undefined ? parseSize(memory) : undefined,
    pidsLimit: typeof pids === 'number' ? BigInt(pids) : undefined,
    cpus: cpus !== undefined ? Number(cpus) : undefined,
    storageRoot: str(f, 'storage-root'),
    storageDriver: storageDriver(str(f, 'storage-driver') ?? env['CT_STORAGE_DRIVER']),
    init: f['init'] === true,
    pull: pullPolicy(str(f, 'pull')),
    showPullProgress: process.stderr.isTTY === true,
    tty: f['tty'] === true || f['it'] === true || f['ti'] === true,
  };
}
