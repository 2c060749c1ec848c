/**
 * The default `Syscalls`: @ct/syscalls' `spawn` and `enter`.
 *
 * Man pages: clone3(2), setns(2).
 */
import * as syscalls from '@ct/syscalls';
import { CtError } from '../errors.js';
import type { Syscalls } from './syscalls-port.js';

/** @ct/syscalls as a `Syscalls`; a clear error if the engine is missing from the installed version. */
export function defaultSyscalls(): Syscalls {
  const engine = syscalls as unknown as Partial<Syscalls>;
  const { spawn, enter } = engine;
  if (typeof spawn !== 'function' || typeof enter !== 'function') {
    throw new CtError('ENOSYS', 'syscalls: spawn/enter: not provided by the installed @ct/syscalls');
  }
  return { spawn: (plan) => spawn(plan), enter: (target, namespaces, plan) => enter(target, namespaces, plan) };
}
