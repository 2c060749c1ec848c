/** Shared helpers for the spawn/enter integration suites: output capture, id mapping, a scratch root. */
import { closeSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildHandle, ExitStatus, SpawnPlan, Step } from '../../src/index.js';
import { CLONE, socketpair, spawn } from '../../src/index.js';

/** The static busybox every child program runs from. */
export const BUSYBOX = '/bin/busybox';

/** An exec step of busybox `sh -c script`. */
export function sh(script: string): Step {
  return { op: 'exec', path: BUSYBOX, argv: ['sh', '-c', script], env: ['PATH=/bin'], search: false };
}

/** Collects everything written to a socket until EOF. */
function collect(fd: number): Promise<string> {
  const sock = new Socket({ fd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    sock.on('end', () => resolve(Buffer.concat(chunks).toString()));
    sock.on('error', reject);
  });
}

/** A spawned child whose stdout and stderr go to one captured stream. */
export interface Captured {
  readonly child: ChildHandle;
  readonly output: Promise<string>;
}

/** Spawns `plan` with fds 1 and 2 on a socket the test reads. */
export function spawnCaptured(plan: SpawnPlan): Captured {
  const [ours, theirs] = socketpair();
  let child: ChildHandle;
  try {
    child = spawn({ ...plan, fds: [...(plan.fds ?? []), { from: theirs, to: 1 }, { from: theirs, to: 2 }] });
  } finally {
    closeSync(theirs);
  }
  return { child, output: collect(ours) };
}

/** Runs a captured plan to the end, releasing the child at every pause after `onPause`. */
export async function runCaptured(
  plan: SpawnPlan, onPause: (child: ChildHandle, label: string) => void | Promise<void> = () => undefined,
): Promise<{ output: string; status: ExitStatus }> {
  const { child, output } = spawnCaptured(plan);
  for (;;) {
    const ev = await child.nextEvent();
    if (ev.kind === 'exec') break;
    await onPause(child, ev.label);
    child.release();
  }
  const [out, status] = await Promise.all([output, child.wait()]);
  return { output: out, status };
}

/** Writes setgroups "deny" and a one-id map of the caller's ids onto container root. */
export function mapRoot(pid: number): void {
  writeFileSync(`/proc/${pid}/setgroups`, 'deny');
  writeFileSync(`/proc/${pid}/uid_map`, `0 ${process.geteuid!()} 1`);
  writeFileSync(`/proc/${pid}/gid_map`, `0 ${process.getegid!()} 1`);
}

/** A pause step for the id-map handshake, and the handler that answers it. */
export const idmapWait: Step = { op: 'wait', label: 'idmap' };
export function answerIdmap(child: ChildHandle, label: string): void {
  if (label === 'idmap') mapRoot(child.pid);
}

/** A fresh scratch directory (removed by the returned cleanup). */
export function scratch(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let userNs: boolean | undefined;
/** Whether this user can clone a user namespace (probed once with a real clone). */
export async function userNamespacesWork(): Promise<boolean> {
  if (userNs === undefined) {
    try {
      const c = spawn({ namespaces: CLONE.NEWUSER, steps: [{ op: 'exec', path: '/bin/true', argv: ['true'], env: [], search: false }] });
      await c.nextEvent();
      userNs = (await c.wait()).status === 0;
    } catch {
      userNs = false;
    }
  }
  return userNs;
}

/** Steps that build a tmpfs root at `dir` holding /bin/busybox, ready for pivot_root. */
export function tmpfsRootSteps(dir: string): Step[] {
  return [
    { op: 'propagation', target: '/', flags: (1n << 18n) | 16384n },  // MS_PRIVATE | MS_REC
    { op: 'mount', source: 'tmpfs', target: dir, fstype: 'tmpfs', flags: 0n, data: 'mode=0755' },
    { op: 'mkdir', path: 'bin', mode: 0o755, inRoot: dir },
    { op: 'touch', path: '/bin/busybox', mode: 0o755, inRoot: dir },
    { op: 'mount', source: BUSYBOX, target: '/bin/busybox', flags: 4096n, inRoot: dir },  // MS_BIND
  ];
}
