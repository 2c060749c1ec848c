/**
 * @ct/syscalls: the clone-and-exec engine (spawn, enter) and one typed wrapper per syscall that is safe inside
 * the Node process. See README.md.
 */
export * from './errors.js';
export * from './constants.js';
export * from './fs-at.js';
export * from './xattr.js';
export * from './statx.js';
export * from './locks.js';
export * from './mount.js';
export * from './process.js';
export * from './sched.js';
export * from './socket.js';
export * from './tty.js';
export * from './bpf.js';
export * from './open-in-root.js';
export type * from './plan.js';
export { spawn } from './spawn.js';
export * from './enter.js';
