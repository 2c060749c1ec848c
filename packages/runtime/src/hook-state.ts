/**
 * What each OCI hook receives and what its failure means (the running is hooks.ts'). The state on a hook's stdin is
 * the runtime-spec's State (ociVersion: ct's spec version, as `state` gives it; id, status, pid, bundle, annotations; runc's own extra fields are not part
 * of it), with the status at that point of the lifecycle:
 * - prestart: `created`, as crun gives it and as runtime-tools' hooks_stdin validation checks (runc gives `creating`:
 *   a documented difference; the spec names no status for it);
 * - createRuntime, createContainer: `creating` (during create, before pivot_root; runc gives the same);
 * - startContainer: `created` (the user program has not run yet);
 * - poststart: `running` (after the user program started: the spec's step 9; runc runs poststart already in create
 *   and gives `created`, a divergence ct does not copy);
 * - poststop: `stopped`, without a pid (runc's omitempty).
 * The pid is the init's as the host sees it (runc gives the container's own view, 1, to the container kinds).
 * A failing prestart, createRuntime, createContainer or startContainer hook fails the operation (the caller
 * destroys the container); a failing poststart or poststop hook is a warning and the rest of its kind still run.
 */
import type { HookContext, HookKind, Hooks } from './hooks.js';
import { specVersion } from './oci-version.js';
import type { ContainerRecord } from './state-store.js';

/** The runtime-spec's State as a hook reads it. */
export interface HookState {
  readonly ociVersion: string;
  readonly id: string;
  readonly status: 'creating' | 'created' | 'running' | 'stopped';
  /** Absent once stopped. */
  readonly pid?: number;
  readonly bundle: string;
  /** Absent when config.json has none. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The status each hook kind is given. */
export const HOOK_STATUS: Readonly<Record<HookKind, HookState['status']>> = {
  prestart: 'created', createRuntime: 'creating', createContainer: 'creating',
  startContainer: 'created', poststart: 'running', poststop: 'stopped',
};

/** The state for the hooks of `kind` of the container `record` describes, its init being `pid`. */
export function hookState(record: Pick<ContainerRecord, 'id' | 'bundle' | 'annotations'>, kind: HookKind, pid: number): HookState {
  const status = HOOK_STATUS[kind];
  return {
    ociVersion: specVersion,
    id: record.id,
    status,
    ...(status === 'stopped' || pid <= 0 ? {} : { pid }),
    bundle: record.bundle,
    ...(Object.keys(record.annotations).length > 0 ? { annotations: record.annotations } : {}),
  };
}

/**
 * Run the hooks of `kind` (hooks.ts loaded only when there are some): each one even when an earlier one failed,
 * every failure passed to `warn` (poststart, poststop: a warning, as the runtime-spec says).
 */
export async function runHooksWarning(hooks: Hooks | undefined, kind: HookKind, state: HookState, pid: number, warn: (message: string) => void): Promise<void> {
  const list = hooks?.[kind] ?? [];
  if (list.length === 0) return;
  const { runHook } = await import('./hooks.js');
  const json = JSON.stringify(state);
  for (const [i, hook] of list.entries()) {
    try {
      await runHook(kind, i, hook, json, pid, { bundle: state.bundle });
    } catch (err) {
      warn(err instanceof Error ? err.message : String(err));
    }
  }
}

/**
 * Run the hooks of `kind` in order, stopping at the first failure (rejects with the RuntimeError naming the hook);
 * `at` says where a createContainer hook runs and what it inherits (default: the state's bundle, nothing).
 */
export async function runHooksFailing(
  hooks: Hooks | undefined, kind: HookKind, state: HookState, pid: number, at: HookContext = { bundle: state.bundle },
): Promise<void> {
  if ((hooks?.[kind] ?? []).length === 0) return;
  const { runHooks } = await import('./hooks.js');
  await runHooks(hooks, kind, state, pid, at);
}
