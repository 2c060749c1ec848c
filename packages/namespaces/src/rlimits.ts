/**
 * Resource limits: names (RLIMIT_NOFILE, ...), validation, and clamping. rlimits are not namespaced: raising a
 * hard limit needs CAP_SYS_RESOURCE in the initial user namespace, which a container's root never has and which
 * even the host's root may lack (as on this machine). So a requested hard limit above the caller's is lowered to
 * the caller's, with a warning, as crun does, instead of failing the whole container with EPERM.
 *
 * Man pages: getrlimit(2), prlimit(2), proc(5) (/proc/PID/limits, /proc/PID/status CapEff).
 */
import { readFileSync } from 'node:fs';
import { ContainerSpecError } from './errors.js';
import { planned, type PlannedStep } from './planned-step.js';

/** The resource numbers of asm-generic/resource.h (x86_64). */
export const RLIMIT_RESOURCES = Object.freeze({
  /** CPU time, in seconds. */
  RLIMIT_CPU: 0,
  /** Largest file the process may create, in bytes. */
  RLIMIT_FSIZE: 1,
  /** Data segment size, in bytes. */
  RLIMIT_DATA: 2,
  /** Stack size, in bytes. */
  RLIMIT_STACK: 3,
  /** Core dump size, in bytes. */
  RLIMIT_CORE: 4,
  /** Resident set size, in bytes (no effect on current kernels). */
  RLIMIT_RSS: 5,
  /** Processes (threads) of the real user id. */
  RLIMIT_NPROC: 6,
  /** One more than the highest fd number the process may open. */
  RLIMIT_NOFILE: 7,
  /** Locked memory, in bytes. */
  RLIMIT_MEMLOCK: 8,
  /** Address space, in bytes. */
  RLIMIT_AS: 9,
  /** File locks (no effect on current kernels). */
  RLIMIT_LOCKS: 10,
  /** Queued signals of the real user id. */
  RLIMIT_SIGPENDING: 11,
  /** Bytes in POSIX message queues of the real user id. */
  RLIMIT_MSGQUEUE: 12,
  /** Ceiling of the nice value, as 20 - rlimit. */
  RLIMIT_NICE: 13,
  /** Ceiling of the real-time priority. */
  RLIMIT_RTPRIO: 14,
  /** Real-time CPU time without a blocking call, in microseconds. */
  RLIMIT_RTTIME: 15,
} as const);

/** An rlimit name ('RLIMIT_NOFILE'). */
export type RlimitName = keyof typeof RLIMIT_RESOURCES;

/** RLIM_INFINITY. */
export const RLIM_INFINITY = 0xffffffffffffffffn;

/** One limit: soft and hard values (bigint; RLIM_INFINITY for unlimited). */
export interface Rlimit {
  /** RLIMIT_* name. */
  readonly type: RlimitName;
  /** Soft limit. */
  readonly soft: bigint;
  /** Hard limit (at least `soft`). */
  readonly hard: bigint;
}

/** The caller's own hard limits and whether it may raise them, injectable in tests. */
export interface RlimitHost {
  /** The caller's hard limit for a resource (from /proc/self/limits). */
  readonly hardLimit: (type: RlimitName) => bigint;
  /** CAP_SYS_RESOURCE in the caller's effective set. */
  readonly canRaise: boolean;
}

/** /proc/self/limits names in the kernel's row order. */
const PROC_ROWS: readonly RlimitName[] = [
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC',
  'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
];

const CAP_SYS_RESOURCE = 24n;

/** Read the caller's hard limits and CAP_SYS_RESOURCE from `procRoot`/self (default /proc). */
export function readRlimitHost(procRoot = '/proc'): RlimitHost {
  const rows = readFileSync(`${procRoot}/self/limits`, 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '');
  const hard = new Map<RlimitName, bigint>();
  rows.forEach((row, i) => {
    const name = PROC_ROWS[i];
    // Columns are aligned: "Max open files            1024                 20000                files".
    const fields = row.slice(26).trim().split(/\s+/);
    if (name !== undefined && fields[1] !== undefined) {
      hard.set(name, fields[1] === 'unlimited' ? RLIM_INFINITY : BigInt(fields[1]));
    }
  });
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync(`${procRoot}/self/status`, 'utf8'))?.[1] ?? '0';
  return {
    hardLimit: (type) => hard.get(type) ?? RLIM_INFINITY,
    canRaise: ((BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n,
  };
}

/**
 * Check `rlimits` (field `rlimits[i]`): known names, no duplicates, soft ≤ hard, 64-bit values.
 * @throws ContainerSpecError naming `rlimits[i]` or its field.
 */
export function validateRlimits(rlimits: readonly Rlimit[]): readonly Rlimit[] {
  const seen = new Set<string>();
  rlimits.forEach((limit, i) => {
    if (!Object.hasOwn(RLIMIT_RESOURCES, limit.type)) throw new ContainerSpecError(`rlimits[${i}].type`, `unknown rlimit: ${limit.type}`);
    if (seen.has(limit.type)) throw new ContainerSpecError(`rlimits[${i}].type`, `${limit.type} given twice`);
    seen.add(limit.type);
    for (const key of ['soft', 'hard'] as const) {
      const v = limit[key];
      if (typeof v !== 'bigint' || v < 0n || v > RLIM_INFINITY) throw new ContainerSpecError(`rlimits[${i}].${key}`, `not a 64-bit bigint: ${String(v)}`);
    }
    if (limit.soft > limit.hard) throw new ContainerSpecError(`rlimits[${i}].soft`, `above the hard limit (${limit.soft} > ${limit.hard})`);
  });
  return rlimits;
}

/** Lower each hard limit the caller cannot raise to the caller's own (soft too when above), warning once each. */
export function clampRlimits(rlimits: readonly Rlimit[], host: RlimitHost, warn: (message: string) => void): Rlimit[] {
  return rlimits.map((limit) => {
    const ceiling = host.hardLimit(limit.type);
    if (host.canRaise || limit.hard <= ceiling) return limit;
    warn(`rlimit: ${limit.type}: hard limit ${limit.hard} lowered to ${ceiling} (no CAP_SYS_RESOURCE)`);
    return { type: limit.type, soft: limit.soft > ceiling ? ceiling : limit.soft, hard: ceiling };
  });
}

/** One prlimit step per limit. */
export function planRlimits(rlimits: readonly Rlimit[]): PlannedStep[] {
  return rlimits.map((limit) => planned(
    { op: 'rlimit', resource: RLIMIT_RESOURCES[limit.type], soft: limit.soft, hard: limit.hard }, 'setrlimit', limit.type,
  ));
}
