/**
 * Scheduling attributes of a process by pid: ioprio_set(2) (I/O class and priority) and sched_setattr(2) (policy,
 * nice, static priority, deadline parameters, flags). Safe in the Node process: both act on the thread `pid`
 * names, not on the caller (pid 0 would be the calling thread: use a real pid).
 *
 * Man pages: ioprio_set(2), sched_setattr(2), sched(7).
 */
import { native } from './native.js';
import { check } from './internal/c-path.js';

/** ioprio_set(2) `which` values. @enum */
export const IOPRIO_WHO = { PROCESS: 1, PGRP: 2, USER: 3 } as const;

/** I/O scheduling classes (linux/ioprio.h). @enum */
export const IOPRIO_CLASS = { NONE: 0, RT: 1, BE: 2, IDLE: 3 } as const;

/** Scheduling policies (linux/sched.h). @enum */
export const SCHED = { OTHER: 0, FIFO: 1, RR: 2, BATCH: 3, ISO: 4, IDLE: 5, DEADLINE: 6 } as const;

/** sched_setattr(2) flags (linux/sched.h; bigint: the field is 64 bits). @enum */
export const SCHED_FLAG = {
  /** SCHED_FLAG_RESET_ON_FORK */
  RESET_ON_FORK: 0x01n,
  /** SCHED_FLAG_RECLAIM */
  RECLAIM: 0x02n,
  /** SCHED_FLAG_DL_OVERRUN */
  DL_OVERRUN: 0x04n,
  /** SCHED_FLAG_KEEP_POLICY */
  KEEP_POLICY: 0x08n,
  /** SCHED_FLAG_KEEP_PARAMS */
  KEEP_PARAMS: 0x10n,
  /** SCHED_FLAG_UTIL_CLAMP_MIN */
  UTIL_CLAMP_MIN: 0x20n,
  /** SCHED_FLAG_UTIL_CLAMP_MAX */
  UTIL_CLAMP_MAX: 0x40n,
} as const;

/** ioprio_set(2): `ioprio` is (class << 13) | data (`ioprioValue`). */
export function ioprioSet(which: number, who: number, ioprio: number): void {
  check(native.ioprioSet(which, who, ioprio), 'ioprio_set');
}

/** The ioprio value of a class and its priority data (0-7). */
export function ioprioValue(cls: number, data: number): number {
  return (cls << 13) | data;
}

/** struct sched_attr, as sched_setattr(2) takes it. */
export interface SchedAttr {
  /** The scheduling policy (SCHED.*). */
  readonly policy: number;
  /** SCHED_FLAG bits (default 0). */
  readonly flags?: bigint;
  /** SCHED_OTHER, SCHED_BATCH: -20..19. */
  readonly nice?: number;
  /** SCHED_FIFO, SCHED_RR: 1..99. */
  readonly priority?: number;
  /** SCHED_DEADLINE, nanoseconds. */
  readonly runtime?: bigint;
  /** SCHED_DEADLINE: the relative deadline, nanoseconds. */
  readonly deadline?: bigint;
  /** SCHED_DEADLINE: the period, nanoseconds. */
  readonly period?: bigint;
}

/** SCHED_ATTR_SIZE_VER1 (util_min and util_max left 0, as runc passes them). */
const SCHED_ATTR_SIZE = 56;

/** sched_setattr(2) on thread `pid`. */
export function schedSetattr(pid: number, attr: SchedAttr, flags = 0): void {
  const b = Buffer.alloc(SCHED_ATTR_SIZE);
  b.writeUInt32LE(SCHED_ATTR_SIZE, 0);
  b.writeUInt32LE(attr.policy, 4);
  b.writeBigUInt64LE(attr.flags ?? 0n, 8);
  b.writeInt32LE(attr.nice ?? 0, 16);
  b.writeUInt32LE(attr.priority ?? 0, 20);
  b.writeBigUInt64LE(attr.runtime ?? 0n, 24);
  b.writeBigUInt64LE(attr.deadline ?? 0n, 32);
  b.writeBigUInt64LE(attr.period ?? 0n, 40);
  check(native.schedSetattr(pid, b, flags), 'sched_setattr');
}
