/**
 * The default `Syscalls`: @ct/syscalls' `spawn` and `enter`.
 *
 * Man pages: clone3(2), setns(2).
 */
import { enter, spawn } from '@ct/syscalls';
import type { Syscalls } from './syscalls-port.js';

/** @ct/syscalls as a `Syscalls`. */
export function defaultSyscalls(): Syscalls {
  return { spawn: (plan) => spawn(plan), enter: (pid, namespaces, plan, options) => enter({ pid }, namespaces, plan, options) };
}
