/**
 * Where our init program is: build/bin/ct-init, a static C program (native/init.c) that the container execs as
 * PID 1 when `init: true`. It forks the command, reaps orphans, relays signals and exits with the command's
 * status (code, or 128 + signal).
 *
 * Man pages: execve(2), waitpid(2).
 */
import { accessSync, chmodSync, constants, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CtError } from './errors.js';

/** The host path of the ct-init binary shipped with this package. */
export function initProgramPath(): string {
  // Same depth from src/ (tests through tsx) and dist/ (built).
  const path = fileURLToPath(new URL('../build/bin/ct-init', import.meta.url));
  if (!existsSync(path)) throw new CtError('ENOENT', `init program: ${path}: ENOENT (run the package's build)`);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    // A packer that drops the executable bit (pnpm pack does): restore it when we own the file.
    try {
      chmodSync(path, 0o755);
    } catch (error) {
      throw new CtError('EACCES', `init program: ${path}: not executable`, { cause: error });
    }
  }
  return path;
}
