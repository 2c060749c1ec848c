/**
 * `removeTree(path)`: remove what an unpack made, whoever owns it. As root a plain recursive removal; otherwise
 * `rm -rf` runs inside the same kind of user namespace the unpack worker used (the caller as 0, its subuid range
 * as 1..N), where namespace root may enter mode 0000 directories and unlink files owned by subuids.
 * Man pages: rm(1), user_namespaces(7), capabilities(7) (CAP_DAC_OVERRIDE over mapped inodes).
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { CtError } from './internal/ct-error.js';
import { runInUserNamespace, type UserNamespaceOptions } from './userns-run.js';

/** Options of {@link removeTree}. */
export interface RemoveTreeOptions extends UserNamespaceOptions {
  /** Remove in a user namespace (default: when not root). */
  readonly userNamespace?: boolean;
}

/**
 * Remove `path` and everything below it; an absent path is fine.
 * @throws CtError OCI_REMOVE_FAILED (rm's status) or NamespaceSetupError when the namespace cannot be made.
 */
export async function removeTree(path: string, options: RemoveTreeOptions = {}): Promise<void> {
  const target = resolve(path);
  if (!(options.userNamespace ?? process.geteuid?.() !== 0)) {
    rmSync(target, { recursive: true, force: true });
    return;
  }
  const rm = await runInUserNamespace(['rm', '-rf', '--', target], [], options);
  const { status } = await rm.wait();
  if (status !== 0) throw new CtError('OCI_REMOVE_FAILED', `remove tree: ${target}: rm exited with status ${status}`);
}
