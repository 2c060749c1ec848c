/**
 * The state root: one rule for every verb (issue 8; shared/RUNTIME-CLI.md pain point 10).
 *
 * `--root` wins. Real root uses /run/ct. Rootless callers use $XDG_RUNTIME_DIR/ct, then /run/user/UID/ct when that
 * directory exists and is ours, then $TMPDIR/ct-UID (youki's order). euid 0 in a foreign user namespace honours
 * $XDG_RUNTIME_DIR unless USER is root (runc's shouldHonorXDGRuntimeDir: `sudo` inside the namespace), so that a
 * rootless podman's `state` call, which passes no --root, finds the same directory as its `create`.
 *
 * Man pages: user_namespaces(7); the XDG base directory specification (XDG_RUNTIME_DIR).
 */
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isInUserNamespace, type ProcessIdentity } from './rootless.js';

/** Inputs of the state-root rule (all injectable for tests). */
export interface StateRootInputs {
  /** The --root flag, if given. */
  readonly root?: string | undefined;
  /** Environment (XDG_RUNTIME_DIR, USER, TMPDIR). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** euid and uid_map of the caller. */
  readonly identity: ProcessIdentity;
  /** Returns the owner uid of a directory, or undefined when it does not exist (default: stat). */
  readonly dirOwner?: (path: string) => number | undefined;
}

/** The chosen state root and why (the reason is logged with --debug). */
export interface StateRoot {
  /** Absolute path of the state root. */
  readonly path: string;
  /** Which rule chose it. */
  readonly reason: 'flag' | 'root' | 'xdg-runtime-dir' | 'run-user' | 'tmpdir';
}

function statOwner(path: string): number | undefined {
  try {
    const st = statSync(path);
    return st.isDirectory() ? st.uid : undefined;
  } catch {
    return undefined;
  }
}

/** Pick the state root by the rule above. */
export function resolveStateRoot(inputs: StateRootInputs): StateRoot {
  const { env, identity } = inputs;
  if (inputs.root !== undefined && inputs.root !== '') return { path: resolve(inputs.root), reason: 'flag' };
  const inUserNs = isInUserNamespace(identity.uidMap);
  if (identity.euid === 0 && !inUserNs) return { path: '/run/ct', reason: 'root' };
  const xdg = env['XDG_RUNTIME_DIR'];
  const honourXdg = identity.euid !== 0 || env['USER'] !== 'root';
  if (xdg !== undefined && xdg !== '' && honourXdg) return { path: join(resolve(xdg), 'ct'), reason: 'xdg-runtime-dir' };
  const owner = (inputs.dirOwner ?? statOwner)(`/run/user/${identity.euid}`);
  if (identity.euid !== 0 && owner === identity.euid) {
    return { path: `/run/user/${identity.euid}/ct`, reason: 'run-user' };
  }
  const tmp = env['TMPDIR'] !== undefined && env['TMPDIR'] !== '' ? env['TMPDIR'] : tmpdir();
  return { path: join(resolve(tmp), `ct-${identity.euid}`), reason: 'tmpdir' };
}
