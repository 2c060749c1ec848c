/**
 * The owner worker: the small process an in-process unprivileged unpack (deferred-owners.ts) starts inside its
 * user namespace at the end, as namespace root, to set the owners, the modes chown clears and the file
 * capabilities the caller could not. It reads its job (internal/owner-apply.ts, JSON) from fd 3, a Unix socket,
 * until the parent shuts its side, and answers one JSON line there: `{"ok":true}` or `{"error":"..."}`.
 * Loads @ct/syscalls only.
 * Man pages: user_namespaces(7), unix(7).
 */
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { AT, O, openat } from '@ct/syscalls';
import { applyOwnerNote, type OwnerJob } from './internal/owner-apply.js';

let answer: string;
try {
  const job = JSON.parse(readFileSync(3, 'utf8')) as OwnerJob;
  const rootFd = openat(AT.FDCWD, job.root, O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC);
  try {
    for (const note of job.notes) applyOwnerNote(rootFd, note, { forceWalk: job.forceWalk, chown: true });
  } finally {
    closeSync(rootFd);
  }
  answer = JSON.stringify({ ok: true });
} catch (e) {
  answer = JSON.stringify({ error: (e as Error).message });
  process.exitCode = 1;
}
writeSync(3, `${answer}\n`);
