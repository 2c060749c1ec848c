/**
 * The process of an unprivileged `image save` (store-save.ts): started in a user namespace with the caller's
 * subordinate ids, so it reads the layers' files of any owner. Usage: node store-save-worker.js JOB, where JOB is
 * `{nameOrDigest, options, resultFile}` (JSON); the archive goes to fd 3, and `{result}` or `{error: {code,
 * message}}` to resultFile. Man pages: user_namespaces(7).
 */
import { writeFileSync } from 'node:fs';
import { saveImageHere, type SaveOptions } from './store-save.js';

const job = JSON.parse(process.argv[2] ?? '{}') as { nameOrDigest: string; options: SaveOptions; resultFile: string };
try {
  const result = await saveImageHere(job.nameOrDigest, 3, job.options);
  writeFileSync(job.resultFile, JSON.stringify({ result }), { mode: 0o600 });
} catch (err) {
  const e = err as { code?: unknown; message?: unknown };
  writeFileSync(job.resultFile, JSON.stringify({ error: { code: typeof e.code === 'string' ? e.code : 'STORE_SAVE_FAILED', message: typeof e.message === 'string' ? e.message : String(err) } }), { mode: 0o600 });
  process.exitCode = 1;
}
