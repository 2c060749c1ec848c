/**
 * The process of a `ct container cp` that cannot run in the caller (container-copy.ts): started in the container's
 * user namespace (its uid and gid maps) when unprivileged, and in a mount namespace of its own when it must mount
 * a stopped container's overlay. Usage: node container-copy-worker.js JOB (a CopyJob as JSON). Exit status 0, or 1
 * with `{code, message}` (JSON) on stderr.
 * Man pages: user_namespaces(7), mount_namespaces(7).
 */
import { runCopyJob, type CopyJob } from './container-copy-job.js';

try {
  runCopyJob(JSON.parse(process.argv[2] ?? '{}') as CopyJob);
} catch (err) {
  const e = err as { code?: unknown; message?: unknown };
  process.stderr.write(JSON.stringify({ code: typeof e.code === 'string' ? e.code : 'ESYSTEM', message: typeof e.message === 'string' ? e.message : String(err) }));
  process.exitCode = 1;
}
