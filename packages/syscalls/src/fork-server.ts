/**
 * The fork server (issue 21): `ct-forkserver` (native/forkserver.cc), a small C program started once per Node
 * process on the first spawn() or enter() that uses it, clones children from the same flat plan the addon's
 * spawn() takes and runs the same child code, so a container is cloned from a process of a few hundred kilobytes
 * instead of Node's ~50 MB. It clones with CLONE_PARENT: the child is this process's own child, and everything
 * after the clone (the pidfd, the hand-off of a plan that forks, the sync records, the exit) is what spawn()'s own
 * clone gives (the addon's `adopt`). The plan's fds, this process's fds 0-2, working directory and umask travel
 * with the request (SCM_RIGHTS), so the child starts as a clone of this process would.
 *
 * CT_FORK_SERVER=1 clones through the server, 0 directly (unset: FORK_SERVER_DEFAULT). A server that cannot be
 * found or started, or a request it cannot carry (more fds than one message holds, an fd not open here), falls
 * back to the direct clone, which then reports what is wrong as it always did.
 *
 * Man pages: unix(7) (SCM_RIGHTS), clone(2) (CLONE_PARENT), pidfd_open(2), umask(2).
 */
import { closeSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from './native.js';
import { CtError } from './errors.js';
import { AT, O, SOCK } from './constants.js';
import { cPath } from './internal/c-path.js';
import { nativeCandidates } from './internal/native-loader.js';
import { RECORD_SIZE } from './internal/plan-layout.js';

/**
 * Whether spawn() and enter() use the fork server when CT_FORK_SERVER is unset: yes, it measured better
 * (tools/bench/README.md, issue 21: a third of the Node process's CPU per container, and no worse for one-shot ct).
 */
export const FORK_SERVER_DEFAULT = true;

// The request (forkserver.cc): header {magic, version, planLen, nfds, umask, cloexec}, int32 table[nfds], plan.
const REQUEST_MAGIC = 0x53464354;
const REQUEST_VERSION = 1;
const HEADER = 24;
const FD_SYNC = -2;
const FD_CWD = -3;
const MAX_PASSED = 64;  // the addon's sendmsg limit
const MSG_WAITALL = 0x100;
const EBADF = 9;

interface Server {
  readonly control: number;
  readonly pid: number;
}

let server: Server | undefined;
let unavailable = false;

/** True when CT_FORK_SERVER (or, unset, FORK_SERVER_DEFAULT) says to clone through the fork server. */
export function forkServerWanted(): boolean {
  const v = process.env.CT_FORK_SERVER;
  return v === undefined || v === '' ? FORK_SERVER_DEFAULT : v !== '0';
}

/** The running server's pid, if one was started (for tests and diagnostics). */
export function forkServerPid(): number | undefined {
  return server?.pid;
}

/** Stops the server (a later request starts a new one). */
export function stopForkServer(): void {
  const s = server;
  if (s === undefined) return;
  server = undefined;
  closeSync(s.control);  // EOF: the server exits
}

/** The executable beside the addon that loaded (a source build first, then the prebuilt one). */
function serverPath(): string | undefined {
  const root = fileURLToPath(new URL('..', import.meta.url));
  return nativeCandidates(root, 'syscalls').map((p) => join(dirname(p), 'ct-forkserver')).find((p) => existsSync(p));
}

/**
 * The signals this process ignores (/proc/self/status SigIgn, hex), for the server to ignore the same ones: a
 * child inherits ignored signals through execve, so a container cloned by the server must find what a clone of
 * this process would (posix_spawn leaves glibc's reserved signals ignored in the server otherwise). '' if unknown.
 */
function ignoredSignals(): string {
  try {
    return /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

function start(): Server | undefined {
  const path = serverPath();
  const pair = path === undefined ? -1 : native.socketpair(SOCK.STREAM);
  if (path === undefined || typeof pair === 'number') {
    unavailable = true;
    return undefined;
  }
  const [control, theirs] = pair;
  const pid = native.startForkServer(cPath(path), theirs, cPath(ignoredSignals()));
  closeSync(theirs);
  const pidfd = pid < 0 ? pid : native.pidfdOpen(pid, 0);
  if (pidfd < 0) {  // not started (or gone at once): clone directly from now on
    closeSync(control);
    unavailable = true;
    return undefined;
  }
  const s: Server = { control, pid };
  // Reaps the server when it exits (killed, or out of step); the next request starts a new one.
  native.watchPidfd(pidfd, () => {
    closeSync(pidfd);
    if (server === s) stopForkServer();
  }, true);
  server = s;
  return s;
}

/** Every fd of this process the encoded plan names (plan_layout.h): the fd map's sources, steps' fds, enter's. */
function planFds(plan: Buffer): Set<number> {
  const fds = new Set<number>();
  const nsteps = plan.readUInt32LE(8);
  const nfds = plan.readUInt32LE(12);
  const stepsOff = plan.readUInt32LE(24);
  const fdmapOff = plan.readUInt32LE(28);
  for (let i = 0; i < nfds; i++) fds.add(plan.readInt32LE(fdmapOff + i * 8));
  for (let i = 0; i < nsteps; i++) fds.add(plan.readInt32LE(stepsOff + i * RECORD_SIZE + 4));
  fds.add(plan.readInt32LE(48));  // targetFd
  fds.add(plan.readInt32LE(52));  // userOwnerFd
  fds.delete(-1);
  return fds;
}

/** Whether fd is open here and close-on-exec (Node opens its stdio so): undefined when it is not open. */
function closeOnExec(fd: number): boolean | undefined {
  try {
    const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m !== null && (parseInt(m[1] ?? '0', 8) & O.CLOEXEC) !== 0;
  } catch {
    return undefined;
  }
}

/** Sends the whole request: the first sendmsg carries the fds, a short write is completed without them. */
function send(control: number, message: Buffer, fds: number[]): number {
  let sent = native.sendmsg(control, message, fds, 0);
  while (sent > 0 && sent < message.length) {
    const more = native.sendmsg(control, message.subarray(sent), [], 0);
    if (more < 0) return more;
    sent += more;
  }
  return sent;
}

/**
 * Clones an encoded plan through the fork server: [pid, pidfd, syncFd] or -errno, as the addon's spawn() returns;
 * undefined when the server is not wanted or cannot take this request (the caller clones directly).
 * Throws CtError 'EFORKSERVER' when the server took the request and died without a reply.
 */
export function spawnByForkServer(plan: Buffer): [number, number, number] | number | undefined {
  if (!forkServerWanted() || unavailable) return undefined;
  const s = server ?? start();
  if (s === undefined) return undefined;
  const passed = [...planFds(plan)];
  let cloexec = 0;
  for (const fd of [0, 1, 2]) {
    const flag = closeOnExec(fd);
    if (flag === undefined) continue;
    if (flag) cloexec |= 1 << fd;
    if (!passed.includes(fd)) passed.push(fd);
  }
  if (passed.length + 2 > MAX_PASSED) return undefined;
  const pair = native.socketpair(SOCK.STREAM);
  if (typeof pair === 'number') return pair;
  const [sync, childSync] = pair;
  const cwd = native.openat(AT.FDCWD, cPath('.'), O.PATH | O.DIRECTORY | O.CLOEXEC, 0);
  if (cwd < 0) {
    closeSync(sync);
    closeSync(childSync);
    return undefined;
  }
  const table = [FD_SYNC, FD_CWD, ...passed];
  const message = Buffer.alloc(HEADER + table.length * 4 + plan.length);
  [REQUEST_MAGIC, REQUEST_VERSION, plan.length, table.length, process.umask(), cloexec]
    .forEach((v, k) => message.writeUInt32LE(v >>> 0, k * 4));
  table.forEach((fd, k) => message.writeInt32LE(fd, HEADER + k * 4));
  plan.copy(message, HEADER + table.length * 4);
  let sent: number;
  try {
    sent = send(s.control, message, [childSync, cwd, ...passed]);
  } finally {
    closeSync(childSync);
    closeSync(cwd);
  }
  if (sent < 0) {
    closeSync(sync);
    // EBADF: a plan fd is not open here; the direct clone reports it as the child's fd setup failure. Anything
    // else: the server is gone (EPIPE) or out of step; stop it and clone directly this time.
    if (sent !== -EBADF) stopForkServer();
    return undefined;
  }
  const reply = Buffer.alloc(4);
  const r = native.recvmsg(s.control, reply, new Int32Array(0), MSG_WAITALL);
  if (typeof r === 'number' || r[0] !== 4) {
    closeSync(sync);
    stopForkServer();
    throw new CtError('EFORKSERVER', `spawn: fork server ${s.pid}: no reply (${typeof r === 'number' ? `errno ${-r}` : 'EOF'})`);
  }
  const pid = reply.readInt32LE(0);
  const adopted = pid < 0 ? pid : native.adopt(pid, sync, plan.readUInt32LE(16));
  if (typeof adopted === 'number') {
    closeSync(sync);
    return adopted;
  }
  return [adopted[0], adopted[1], sync];
}
