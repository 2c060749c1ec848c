/**
 * Temporary directories a test process makes and removes when it exits (issue 24: the suites' mkdtemp dirs that
 * nothing removed piled up in /tmp, ~7,000 after a few days of runs). A directory that still has a mount under
 * it at exit (a failed case's bind mount) is left, with a line on stderr: removing it recursively would delete
 * what the mount shows.
 * Man pages: mkdtemp(3), proc_pid_mountinfo(5).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

/** The mount points of this process's mount namespace (octal escapes decoded). */
function mountPoints(): string[] {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
      .map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  } catch {
    return [];
  }
}

function removeTempDirs(): void {
  const points = mountPoints();
  for (const dir of made.splice(0).reverse()) {
    const mounted = points.find((p) => p === dir || p.startsWith(`${dir}/`));
    if (mounted !== undefined) {
      process.stderr.write(`test-utils: ${dir} left: ${mounted} is mounted\n`);
      continue;
    }
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      process.stderr.write(`test-utils: ${dir} left: ${(err as Error).message}\n`);
    }
  }
}

/**
 * mkdtemp(3) under $TMPDIR (os.tmpdir()) with `prefix` (mode 0700), removed with everything in it when the
 * process exits (after mocha's run; `exit: true` exits through process.exit, which runs the handler).
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!hooked) process.once('exit', removeTempDirs);
  hooked = true;
  made.push(dir);
  return dir;
}
