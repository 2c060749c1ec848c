/**
 * `ct container exec [-i] [-t] ID CMD...` (podman exec): another process in a container of `ct container run`.
 * Without `-t` the process gets our stdio, also in a container run with `-t` (whose config says
 * process.terminal: the exec overrides it, as podman exec does). With `-t` it gets a pty of its own, made in the
 * container (the console step of exec) and relayed to our terminal like `container run -it` (image-run-tty.ts),
 * its console socket in a private temporary directory.
 * Man pages: pty(7), unix(7) (SCM_RIGHTS), ioctl_tty(2) (TIOCSWINSZ).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeContext } from './context.js';

/** The flags of `container exec`. */
export interface ImageExecOptions {
  /** The command (argv form). */
  readonly args: readonly string[];
  /** NAME=VALUE entries added (replacing same-named ones). */
  readonly env?: readonly string[] | undefined;
  /** Working directory in the container. */
  readonly cwd?: string | undefined;
  /** `uid[:gid]`. */
  readonly user?: string | undefined;
  /** Supplementary groups (numbers), replacing the container's. */
  readonly additionalGids?: readonly string[] | undefined;
  /** Give the process a pty relayed to our terminal. */
  readonly tty?: boolean | undefined;
}

/** Run a process in container `id` (of `ct container run`); resolves with its exit status. */
export async function execInImageContainer(ctx: RuntimeContext, id: string, options: ImageExecOptions): Promise<number> {
  const { execContainer } = await import('./container-exec.js');
  const base = { args: options.args, env: options.env, cwd: options.cwd, user: options.user, additionalGids: options.additionalGids };
  if (options.tty !== true) return execContainer(ctx, id, { ...base, tty: false });
  const dir = mkdtempSync(join(tmpdir(), 'ct-exec-tty-'));
  try {
    const [{ runWithConsole }, { terminalSize }] = await Promise.all([import('./image-run-tty.js'), import('./image-run-config.js')]);
    const { height, width } = terminalSize();
    // the pty is made at our size: a resize after the master arrives could come after the process's first output
    const consoleSize = { rows: height, cols: width };
    return await runWithConsole(dir, (consoleSocket) => execContainer(ctx, id, { ...base, tty: true, consoleSocket, consoleSize }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
