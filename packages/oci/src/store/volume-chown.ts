/**
 * A `-v SRC:DST:U` volume: podman chowns the source, recursively and without following symlinks, to the user
 * the container runs as, so the container can write it. As root that is a plain `chown -R -h UID:GID`; an
 * unprivileged caller runs it inside the same kind of user namespace its containers get (the caller as 0, its
 * subuid range as 1..N: userns-run.ts), so the files end up owned by the host ids that are UID:GID in the container.
 * Man pages: chown(1), user_namespaces(7).
 */
import { resolve } from 'node:path';
import { CtError } from '../internal/ct-error.js';
import { runInUserNamespace, type UserNamespaceOptions } from '../userns-run.js';

/** Options of {@link chownVolume}. */
export interface ChownVolumeOptions extends UserNamespaceOptions {
  /** Chown inside a user namespace (default: when not root). */
  readonly userNamespace?: boolean;
}

/**
 * Chown `source` and everything below it to `uid`:`gid` as the container sees them.
 * @throws CtError OCI_CHOWN_FAILED naming the path and chown's status; NamespaceSetupError.
 */
export async function chownVolume(source: string, uid: number, gid: number, options: ChownVolumeOptions = {}): Promise<void> {
  const path = resolve(source);
  const argv = ['chown', '-R', '-h', `${uid}:${gid}`, '--', path];
  let status: number | null;
  if (options.userNamespace ?? process.geteuid?.() !== 0) {
    status = (await (await runInUserNamespace(argv, [], options)).wait()).status;
  } else {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    status = r.error !== undefined ? null : r.status;
  }
  if (status !== 0) throw new CtError('OCI_CHOWN_FAILED', `chown volume: ${path}: chown -R ${uid}:${gid} exited with status ${status}`);
}
