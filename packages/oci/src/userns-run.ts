/**
 * Running a host program inside a user namespace that maps the caller to 0 and its /etc/subuid and /etc/subgid
 * ranges to 1..N through newuidmap/newgidmap, as rootless podman does (only the caller when it has no ranges):
 * the host's file system as it is (no mount namespace), namespace root owning everything of the caller's. Used
 * for the unpack worker and for removing what it wrote (removeTree). @ct/namespaces (its light `engine` entry) is
 * loaded only when needed, so a root unpack does not pay for it at start-up.
 * Man pages: user_namespaces(7), newuidmap(1), subuid(5).
 */
import { closeSync, existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOCK, socketpair } from '@ct/syscalls';
import type { ContainerHandle, ContainerSpec } from '@ct/namespaces/engine';
import { CtError } from './internal/ct-error.js';
import type { IdMapping } from './runtime-config.js';
import { STOP_AT_VARIABLE } from './internal/stop-point.js';

/** Options of `runInUserNamespace` (internal). */
export interface UserNamespaceOptions {
  /** Map the caller's subuid/subgid ranges too (default true); false maps the caller alone (single-id mode). */
  readonly subordinateIds?: boolean;
}

/** CT_TEST_STOP_AT passed on to the worker (crash-point tests: internal/stop-point.ts), when set. */
function stopAtEnv(): Record<string, string> {
  const v = process.env[STOP_AT_VARIABLE];
  return v === undefined ? {} : { [STOP_AT_VARIABLE]: v };
}

function spec(argv: readonly string[], extraFds: ContainerSpec['extraFds'], o: UserNamespaceOptions): ContainerSpec {
  return {
    namespaces: ['user'],
    command: { argv, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...stopAtEnv() } },
    useSubordinateIds: o.subordinateIds ?? true,
    stdio: [0, 2, 2],
    extraFds: extraFds ?? [],
    consoleTty: null,
    killOnParentDeath: true,
    relayedSignals: [],
    // The worker is namespace root doing what an unpacker does (chown, mknod, xattrs): it keeps every capability
    // (runContainer's default is runc's smaller set).
    capabilities: 'all',
  };
}

/** The uid and gid mappings (runtime-spec form) such a namespace gets for this caller. */
export async function userNamespaceMappings(o: UserNamespaceOptions = {}): Promise<{ uidMappings: IdMapping[]; gidMappings: IdMapping[] }> {
  const ns = await import('@ct/namespaces/engine');
  const s = ns.withDefaults(spec(['true'], [], o));
  const plan = ns.planIdMaps(s, ns.gatherIdMapContext({}, s.useSubordinateIds));
  const conv = (m: typeof plan.uidMap): IdMapping[] => m.map((e) => ({ containerID: e.inside, hostID: e.outside, size: e.count }));
  return { uidMappings: conv(plan.uidMap), gidMappings: conv(plan.gidMap) };
}

/** Start `argv` in such a user namespace; `extraFds` pass host fds in. Resolves once it is exec'd. */
export async function runInUserNamespace(argv: readonly string[], extraFds: ContainerSpec['extraFds'], o: UserNamespaceOptions = {}): Promise<ContainerHandle> {
  const ns = await import('@ct/namespaces/engine');
  return ns.runContainer(spec(argv, extraFds, o));
}

/** True when this caller can make a user namespace (the probe of @ct/namespaces). */
export async function userNamespaceAvailable(): Promise<boolean> {
  return (await import('@ct/namespaces/engine')).unprivilegedUserNamespaceSupported();
}

/**
 * The built file of a worker entry given as `new URL('./NAME.js', import.meta.url)` by its caller (so that ct's
 * bundle can point it at its own bundled worker): beside the caller, or in dist/ when the caller runs from src/.
 * @throws CtError OCI_WORKER_MISSING when it is not built.
 */
export function builtWorkerPath(url: URL): string {
  const beside = fileURLToPath(url);
  const built = /\/src\/[^/]+\.js$/.test(beside) ? join(dirname(beside), '../dist', beside.slice(beside.lastIndexOf('/') + 1)) : beside;
  if (!existsSync(built)) throw new CtError('OCI_WORKER_MISSING', `unpack: ${built}: the worker is not built (run the package build)`);
  return built;
}

/**
 * Start the Node worker `entry` in such a user namespace with one end of a new socketpair as its fd 3; resolves
 * with its handle and the other end as a Socket, once it is exec'd.
 */
export async function startSocketWorker(entry: string, o: UserNamespaceOptions = {}): Promise<{ worker: ContainerHandle; sock: Socket }> {
  const [mine, theirs] = socketpair(SOCK.STREAM);
  let worker: ContainerHandle;
  try {
    worker = await runInUserNamespace([process.execPath, entry], [{ from: theirs, to: 3 }], o);
  } catch (e) {
    closeSync(mine);
    throw e;
  } finally {
    closeSync(theirs);
  }
  return { worker, sock: new Socket({ fd: mine, readable: true, writable: true, allowHalfOpen: true }) };
}
