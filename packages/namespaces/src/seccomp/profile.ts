/**
 * A seccomp profile as the OCI runtime spec describes it (linux.seccomp): default action and errno, syscall rules
 * with actions and argument comparisons, architectures and filter flags, typed, with its validation.
 * compile.ts turns a checked profile into classic BPF.
 *
 * Man pages: seccomp(2), seccomp_rule_add(3) (action and comparison names).
 */
import { ContainerSpecError } from '../errors.js';

/** What a matched syscall does (libseccomp's names). SCMP_ACT_NOTIFY needs a listener and is not supported. */
export type SeccompAction =
  | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE' | 'SCMP_ACT_LOG' | 'SCMP_ACT_ALLOW';

/**
 * Argument comparisons, unsigned 64-bit (32-bit on i386 and x32, as libseccomp); MASKED_EQ:
 * `(arg & value) == (valueTwo & value)` (libseccomp ignores valueTwo's bits outside the mask).
 */
export type SeccompOperator =
  | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

/** Architectures a filter accepts (x86_64 machines run the three ABIs). */
export type SeccompArch = 'SCMP_ARCH_X86_64' | 'SCMP_ARCH_X86' | 'SCMP_ARCH_X32';

/**
 * seccomp(2) SECCOMP_SET_MODE_FILTER flags (SECCOMP_FILTER_FLAG_NEW_LISTENER is not supported, so
 * WAIT_KILLABLE_RECV, which only qualifies a listener, is accepted and not passed on, as libseccomp does).
 */
export type SeccompFlag =
  | 'SECCOMP_FILTER_FLAG_TSYNC' | 'SECCOMP_FILTER_FLAG_LOG' | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'
  | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';

/** One argument comparison of a rule. */
export interface SeccompArg {
  /** Argument index, 0 to 5. */
  readonly index: number;
  /** The operand (the mask for MASKED_EQ). */
  readonly value: bigint;
  /** The second operand (MASKED_EQ's expected value). */
  readonly valueTwo?: bigint;
  /** The comparison. */
  readonly op: SeccompOperator;
}

/** A rule: these syscalls, when every argument comparison holds, take `action`. */
export interface SeccompRule {
  /** Syscall names (unknown names are skipped with a warning, as runc does for syscalls newer than its tables). */
  readonly names: readonly string[];
  /** The action. */
  readonly action: SeccompAction;
  /** errno for SCMP_ACT_ERRNO (default EPERM, as the OCI spec says); the message for SCMP_ACT_TRACE. */
  readonly errnoRet?: number;
  /** All must hold (an empty list matches any arguments). */
  readonly args?: readonly SeccompArg[];
}

/**
 * A seccomp profile. Which rule decides a syscall follows libseccomp (seccomp/rules.ts): an unconditional rule
 * first, then the argument rules in profile order, then the default.
 */
export interface SeccompProfile {
  /** The action of every syscall no rule matches. */
  readonly defaultAction: SeccompAction;
  /** errno when the default action is SCMP_ACT_ERRNO (default EPERM). */
  readonly defaultErrnoRet?: number;
  /** Accepted ABIs (default the native one, x86_64); others are killed (SECCOMP_RET_KILL_PROCESS). */
  readonly architectures?: readonly SeccompArch[];
  /** Filter flags. */
  readonly flags?: readonly SeccompFlag[];
  /** The rules. */
  readonly syscalls?: readonly SeccompRule[];
}

/** The values of the SECCOMP_FILTER_FLAG_* names (linux/seccomp.h). */
export const SECCOMP_FLAG_BITS: Readonly<Record<SeccompFlag, number>> = Object.freeze({
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
});

const ACTIONS: ReadonlySet<string> = new Set<SeccompAction>([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_LOG', 'SCMP_ACT_ALLOW',
]);
const OPERATORS: ReadonlySet<string> = new Set<SeccompOperator>([
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
]);
const ARCHES: ReadonlySet<string> = new Set<SeccompArch>(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
const U64_MAX = 0xffffffffffffffffn;

function checkAction(field: string, action: string): void {
  if (!ACTIONS.has(action)) throw new ContainerSpecError(field, `unsupported seccomp action: ${action}`);
}

function checkErrno(field: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 0xffff)) {
    throw new ContainerSpecError(field, `not an errno (0-65535): ${value}`);
  }
}

function checkArg(field: string, arg: SeccompArg): void {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) throw new ContainerSpecError(`${field}.index`, `not 0-5: ${arg.index}`);
  if (!OPERATORS.has(arg.op)) throw new ContainerSpecError(`${field}.op`, `unknown comparison: ${arg.op}`);
  for (const key of ['value', 'valueTwo'] as const) {
    const v = arg[key];
    if (v === undefined && key === 'valueTwo') continue;
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw new ContainerSpecError(`${field}.${key}`, `not a 64-bit bigint: ${String(v)}`);
  }
  if (arg.op === 'SCMP_CMP_MASKED_EQ' && arg.valueTwo === undefined) throw new ContainerSpecError(`${field}.valueTwo`, 'MASKED_EQ needs valueTwo');
}

/** Check a profile (fields named from `field`, e.g. `seccomp.syscalls[3].args[0].op`) and return it. */
export function validateSeccompProfile(profile: SeccompProfile, field = 'seccomp'): SeccompProfile {
  checkAction(`${field}.defaultAction`, profile.defaultAction);
  checkErrno(`${field}.defaultErrnoRet`, profile.defaultErrnoRet);
  (profile.architectures ?? []).forEach((arch, i) => {
    if (!ARCHES.has(arch)) throw new ContainerSpecError(`${field}.architectures[${i}]`, `unsupported architecture: ${arch}`);
  });
  (profile.flags ?? []).forEach((flag, i) => {
    if (!Object.hasOwn(SECCOMP_FLAG_BITS, flag)) throw new ContainerSpecError(`${field}.flags[${i}]`, `unsupported flag: ${flag}`);
  });
  (profile.syscalls ?? []).forEach((rule, i) => {
    const at = `${field}.syscalls[${i}]`;
    if (!Array.isArray(rule.names) || rule.names.length === 0) throw new ContainerSpecError(`${at}.names`, 'empty');
    checkAction(`${at}.action`, rule.action);
    checkErrno(`${at}.errnoRet`, rule.errnoRet);
    (rule.args ?? []).forEach((arg, j) => checkArg(`${at}.args[${j}]`, arg));
  });
  return profile;
}
