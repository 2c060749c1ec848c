/**
 * The end pass of an in-process unprivileged unpack (deferred-owners.ts): the noted modes are set by the caller
 * itself when nothing needs namespace root (the usual small image: every file 0:0); otherwise one small process,
 * owner-fix-worker.ts, runs inside the same kind of user namespace the unpack worker used (the caller as 0, its
 * subuid range as 1..N) and sets owners, modes and file capabilities there.
 * Man pages: socketpair(2), unix(7), user_namespaces(7).
 */
import { once } from 'node:events';
import { closeSync } from 'node:fs';
import { AT, O, openat } from '@ct/syscalls';
import type { DeferredOwners, OwnerNote } from './deferred-owners.js';
import { CtError } from './internal/ct-error.js';
import { applyOwnerNote, type OwnerJob, type OwnerJobNote } from './internal/owner-apply.js';
import { builtWorkerPath, startSocketWorker, type UserNamespaceOptions } from './userns-run.js';

/**
 * The compiled owner worker (dist/owner-fix-worker.js; from src/ under tsx, the built one). Written as
 * `new URL('./owner-fix-worker.js', import.meta.url)` so that ct's bundle points it at its own bundled worker.
 */
function ownerWorkerPath(): string {
  return builtWorkerPath(new URL('./owner-fix-worker.js', import.meta.url));
}

function toJob(n: OwnerNote): OwnerJobNote {
  return {
    ino: String(n.ino), paths: n.paths.map((p) => p.toString('latin1')), uid: n.uid, gid: n.gid,
    ...(n.mode !== undefined ? { mode: n.mode } : {}), ...(n.cap !== undefined ? { cap: n.cap.toString('base64') } : {}),
  };
}

/** Options of {@link applyOwnerNotes}. */
export interface OwnerFixOptions extends UserNamespaceOptions {
  readonly forceWalk: boolean;
}

/**
 * Apply what `owners` noted to the tree at `root` (the unpacked rootfs).
 * @throws SyscallError (in the caller), CtError OCI_WORKER_FAILED (the worker's failure, or its death without an
 * answer), NamespaceSetupError when the namespace cannot be made.
 */
export async function applyOwnerNotes(owners: DeferredOwners, root: string, o: OwnerFixOptions): Promise<void> {
  const notes = owners.list().map(toJob);
  if (notes.length === 0) return;
  if (!owners.needsNamespace()) {
    const rootFd = openat(AT.FDCWD, root, O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC);
    try {
      for (const note of notes) applyOwnerNote(rootFd, note, { forceWalk: o.forceWalk, chown: false });
    } finally {
      closeSync(rootFd);
    }
    return;
  }
  const job: OwnerJob = { root, forceWalk: o.forceWalk, notes };
  const { worker, sock } = await startSocketWorker(ownerWorkerPath(), o);
  let answer = '';
  sock.setEncoding('utf8');
  sock.on('data', (text: string) => { answer += text; });
  sock.on('error', () => {});
  sock.end(JSON.stringify(job));
  await once(sock, 'close');
  const { status } = await worker.wait();
  let parsed: { ok?: boolean; error?: string } = {};
  try {
    parsed = JSON.parse(answer) as typeof parsed;
  } catch {
    // no answer: the status says it
  }
  if (parsed.error !== undefined) throw new CtError('OCI_WORKER_FAILED', `unpack: set owners in the user namespace: ${parsed.error}`);
  if (parsed.ok !== true || status !== 0) throw new CtError('OCI_WORKER_FAILED', `unpack: the owner worker in the user namespace exited with status ${status} without a result`);
}
