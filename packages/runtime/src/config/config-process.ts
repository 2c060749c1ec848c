/**
 * A runtime-spec `process` object (config.json's, or `ct exec --process`'s file), read and checked: args, env, cwd,
 * user, rlimits, the console size, and the scheduling fields (`scheduler`, `ioPriority`, `execCPUAffinity`) checked
 * as runc's validator checks them. The security labels are refused here as runc refuses them on a host without the
 * LSM (this one has neither AppArmor nor SELinux, and ct applies neither anywhere): an AppArmor profile or an SELinux
 * label left unapplied would run the process less confined than its config says.
 *
 * Man pages: sched(7), sched_setattr(2), ioprio_set(2), sched_setaffinity(2), cpuset(7) (list format).
 */
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { asInteger, asObject, maxId, optArray, optBool, optObject, optString, optStrings, reqId, reqString, type JsonObject } from './json-fields.js';

/** An rlimit (64-bit values as bigint). */
export interface ConfigRlimit {
  readonly type: string;
  readonly soft: bigint;
  readonly hard: bigint;
}

/** The scheduling policies of sched(7) the runtime-spec names. */
export type SchedulerPolicy = 'SCHED_OTHER' | 'SCHED_FIFO' | 'SCHED_RR' | 'SCHED_BATCH' | 'SCHED_ISO' | 'SCHED_IDLE' | 'SCHED_DEADLINE';

/** The sched_setattr(2) flags the runtime-spec names. */
export type SchedulerFlag =
  | 'SCHED_FLAG_RESET_ON_FORK' | 'SCHED_FLAG_RECLAIM' | 'SCHED_FLAG_DL_OVERRUN' | 'SCHED_FLAG_KEEP_POLICY'
  | 'SCHED_FLAG_KEEP_PARAMS' | 'SCHED_FLAG_UTIL_CLAMP_MIN' | 'SCHED_FLAG_UTIL_CLAMP_MAX';

/** process.scheduler: a sched_setattr(2) for the process. */
export interface ConfigScheduler {
  readonly policy: SchedulerPolicy;
  /** -20..19. */
  readonly nice: number;
  /** The static priority (SCHED_FIFO, SCHED_RR only). */
  readonly priority: number;
  readonly flags: readonly SchedulerFlag[];
  /** SCHED_DEADLINE only, in nanoseconds. */
  readonly runtime: bigint;
  readonly deadline: bigint;
  readonly period: bigint;
}

/** The I/O scheduling classes of ioprio_set(2). */
export type IoPriorityClass = 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE';

/** process.ioPriority. */
export interface ConfigIoPriority {
  readonly class: IoPriorityClass;
  /** 0 (highest) to 7. */
  readonly priority: number;
}

/** process.execCPUAffinity: CPU lists ("0-3,7") for a process exec'd into the container (not the init). */
export interface ConfigExecCpuAffinity {
  /** Before the process joins the container's cgroup. */
  readonly initial: string | undefined;
  /** After it joined (and so within its cpuset). */
  readonly final: string | undefined;
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
  readonly scheduler: ConfigScheduler | undefined;
  readonly ioPriority: ConfigIoPriority | undefined;
  readonly execCPUAffinity: ConfigExecCpuAffinity | undefined;
}

const policies: ReadonlySet<string> = new Set<SchedulerPolicy>(['SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE']);
const schedulerFlags: ReadonlySet<string> = new Set<SchedulerFlag>([
  'SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_RECLAIM', 'SCHED_FLAG_DL_OVERRUN', 'SCHED_FLAG_KEEP_POLICY',
  'SCHED_FLAG_KEEP_PARAMS', 'SCHED_FLAG_UTIL_CLAMP_MIN', 'SCHED_FLAG_UTIL_CLAMP_MAX',
]);
const ioClasses: ReadonlySet<string> = new Set<IoPriorityClass>(['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE']);
const u64 = (1n << 64n) - 1n;
const i32 = 1n << 31n;

function consoleSize(o: JsonObject): { rows: number; cols: number } | undefined {
  const c = optObject(o, 'consoleSize', 'process');
  if (c === undefined) return undefined;
  return {
    rows: Number(asInteger(c['height'] ?? 0, 'process.consoleSize.height', 0n, 65_535n)),
    cols: Number(asInteger(c['width'] ?? 0, 'process.consoleSize.width', 0n, 65_535n)),
  };
}

/** process.scheduler, checked as runc's validator does (nice range; priority only for FIFO/RR; deadline fields only for DEADLINE). */
export function readScheduler(o: JsonObject): ConfigScheduler | undefined {
  const s = optObject(o, 'scheduler', 'process');
  if (s === undefined) return undefined;
  const at = 'process.scheduler';
  const policy = reqString(s, 'policy', at);
  if (!policies.has(policy)) throw new ConfigError(`${at}.policy`, `unknown policy ${JSON.stringify(policy)}`);
  const flags = optStrings(s, 'flags', at).map((f, i) => {
    if (!schedulerFlags.has(f)) throw new ConfigError(`${at}.flags[${i}]`, `unknown flag ${JSON.stringify(f)}`);
    return f as SchedulerFlag;
  });
  const int = (key: string, min: bigint, max: bigint): bigint => (s[key] === undefined || s[key] === null ? 0n : asInteger(s[key], `${at}.${key}`, min, max));
  const nice = Number(int('nice', -20n, 19n));
  const priority = Number(int('priority', -i32, i32 - 1n));
  const runtime = int('runtime', 0n, u64);
  const deadline = int('deadline', 0n, u64);
  const period = int('period', 0n, u64);
  if (priority !== 0 && policy !== 'SCHED_FIFO' && policy !== 'SCHED_RR') {
    throw new ConfigError(`${at}.priority`, 'can only be given with SCHED_FIFO or SCHED_RR');
  }
  if (policy !== 'SCHED_DEADLINE' && (runtime !== 0n || deadline !== 0n || period !== 0n)) {
    throw new ConfigError(`${at}.runtime`, 'runtime, deadline and period can only be given with SCHED_DEADLINE');
  }
  return { policy: policy as SchedulerPolicy, nice, priority, flags, runtime, deadline, period };
}

function readIoPriority(o: JsonObject): ConfigIoPriority | undefined {
  const p = optObject(o, 'ioPriority', 'process');
  if (p === undefined) return undefined;
  const at = 'process.ioPriority';
  const cls = reqString(p, 'class', at);
  if (!ioClasses.has(cls)) throw new ConfigError(`${at}.class`, `unknown class ${JSON.stringify(cls)}`);
  return { class: cls as IoPriorityClass, priority: Number(asInteger(p['priority'] ?? 0, `${at}.priority`, 0n, 7n)) };
}

/** A cpuset(7) list ("0-3,7"): comma-separated CPU numbers and ascending ranges. */
const cpuListPattern = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

function readExecCpuAffinity(o: JsonObject): ConfigExecCpuAffinity | undefined {
  const a = optObject(o, 'execCPUAffinity', 'process');
  if (a === undefined) return undefined;
  const list = (key: 'initial' | 'final'): string | undefined => {
    const v = optString(a, key, 'process.execCPUAffinity');
    if (v === undefined || v === '') return undefined;
    const ok = cpuListPattern.test(v) && v.split(',').every((r) => {
      const [lo, hi] = r.split('-').map(Number);
      return hi === undefined || (lo !== undefined && lo <= hi);
    });
    if (!ok) throw new ConfigError(`process.execCPUAffinity.${key}`, `${JSON.stringify(v)} is not a CPU list like 0-3,7`);
    return v;
  };
  return { initial: list('initial'), final: list('final') };
}

/** Where the kernel says which LSMs run (tests point it at a fake tree). */
export interface LsmProbe {
  /** The /sys root (default /sys). */
  readonly sysRoot?: string;
}

/** AppArmor is enabled on the host as runc's check has it (securityfs entry present, the module says Y). */
export function apparmorEnabled(probe: LsmProbe = {}): boolean {
  const sys = probe.sysRoot ?? '/sys';
  if (!existsSync(`${sys}/kernel/security/apparmor`)) return false;
  try {
    return readFileSync(`${sys}/module/apparmor/parameters/enabled`, 'utf8').startsWith('Y');
  } catch {
    return false;
  }
}

/** SELinux is enabled on the host (selinuxfs mounted, as go-selinux's check). */
export function selinuxEnabled(probe: LsmProbe = {}): boolean {
  return existsSync(`${probe.sysRoot ?? '/sys'}/fs/selinux/enforce`);
}

/**
 * Refuse process.apparmorProfile and process.selinuxLabel (non-empty), in runc's words where the host lacks the LSM
 * (runc refuses both at create there); ct applies neither on a host that has them either, and says so.
 */
function refuseLabels(o: JsonObject, probe: LsmProbe): void {
  const profile = optString(o, 'apparmorProfile', 'process');
  if (profile !== undefined && profile !== '') {
    throw new ConfigError('process.apparmorProfile', apparmorEnabled(probe)
      ? 'apparmor profiles are not supported by ct' : 'apparmor: config provided but apparmor not supported');
  }
  const label = optString(o, 'selinuxLabel', 'process');
  if (label !== undefined && label !== '') {
    throw new ConfigError('process.selinuxLabel', selinuxEnabled(probe)
      ? 'selinux labels are not supported by ct' : 'selinux label is specified in config, but selinux is disabled or not supported');
  }
}

/**
 * The most argv or environment entries ct passes to execve(2) (its launch plan's list bound), and the longest one
 * (MAX_ARG_STRLEN: the kernel refuses a longer string with E2BIG). runc has no count limit of its own; the kernel's
 * ARG_MAX still applies to both.
 */
const MAX_EXEC_LIST = 65536;
const MAX_ARG_STRLEN = 32 * 4096 - 1;

function checkExecList(list: readonly string[], field: string): readonly string[] {
  if (list.length > MAX_EXEC_LIST) throw new ConfigError(field, `${list.length} entries, more than the ${MAX_EXEC_LIST} ct passes to execve`);
  const i = list.findIndex((s) => Buffer.byteLength(s) > MAX_ARG_STRLEN);
  if (i >= 0) throw new ConfigError(`${field}[${i}]`, `${Buffer.byteLength(list[i]!)} bytes, longer than execve's ${MAX_ARG_STRLEN} (MAX_ARG_STRLEN)`);
  return list;
}

/** Read and check a runtime-spec `process` object (config.json's, or `ct exec --process` file's). */
export function readConfigProcess(o: JsonObject, probe: LsmProbe = {}): ConfigProcess {
  const p = 'process';
  const user = optObject(o, 'user', p) ?? {};
  const cwd = reqString(o, 'cwd', p);
  if (!cwd.startsWith('/')) throw new ConfigError('process.cwd', `${JSON.stringify(cwd)} is not an absolute path`);
  const args = checkExecList(optStrings(o, 'args', p), 'process.args');
  const env = checkExecList(optStrings(o, 'env', p), 'process.env');
  refuseLabels(o, probe);
  const seen = new Set<string>();
  const rlimits = optArray(o, 'rlimits', p).map((v, i) => {
    const rp = `process.rlimits[${i}]`;
    const r = asObject(v, rp);
    const type = reqString(r, 'type', rp);
    if (seen.has(type)) throw new ConfigError(`${rp}.type`, `${type} given twice`);
    seen.add(type);
    return { type, soft: asInteger(r['soft'], `${rp}.soft`, 0n, u64), hard: asInteger(r['hard'], `${rp}.hard`, 0n, u64) };
  });
  const umask = user['umask'] === undefined || user['umask'] === null
    ? undefined : Number(asInteger(user['umask'], 'process.user.umask', 0n, 0o777n));
  return {
    terminal: optBool(o, 'terminal', p) ?? false,
    args,
    env,
    cwd,
    uid: user['uid'] === undefined ? 0 : reqId(user, 'uid', 'process.user'),
    gid: user['gid'] === undefined ? 0 : reqId(user, 'gid', 'process.user'),
    umask,
    additionalGids: optArray(user, 'additionalGids', 'process.user').map((g, i) =>
      Number(asInteger(g, `process.user.additionalGids[${i}]`, 0n, maxId))),
    noNewPrivileges: optBool(o, 'noNewPrivileges', p) ?? false,
    rlimits,
    consoleSize: consoleSize(o),
    scheduler: readScheduler(o),
    ioPriority: readIoPriority(o),
    execCPUAffinity: readExecCpuAffinity(o),
  };
}
