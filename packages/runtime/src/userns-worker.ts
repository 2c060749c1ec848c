/**
 * Running one of the runtime's Node workers (the copy root's, the re-owned layers') in a user namespace where the
 * caller is root with every capability and its subordinate ids are mapped (the default rootless map, or the maps
 * given), on the host's file system as it is: what no step of this multithreaded process may do itself.
 * Man pages: user_namespaces(7), newuidmap(1).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IdMapping } from './userns-mode.js';

/**
 * The path of the worker module at `url` (`new URL('./x-worker.js', import.meta.url)`, written so in the caller: ct's
 * bundler turns that form into the worker's bundled stub); from the sources (tests through tsx, where only the .ts is
 * beside it) the built worker in dist/.
 */
export function workerModulePath(url: URL): string {
  const beside = fileURLToPath(url);
  return existsSync(beside) ? beside : beside.replace(/\/src\/([^/]+)$/, '/dist/$1');
}

/** The maps of the worker's namespace, runtime-spec form (default: the caller's default rootless map). */
export interface WorkerMaps {
  readonly uidMappings: readonly IdMapping[];
  readonly gidMappings: readonly IdMapping[];
}

const toEntries = (m: readonly IdMapping[]): { inside: number; outside: number; count: number }[] =>
  m.map((e) => ({ inside: e.containerID, outside: e.hostID, count: e.size }));

/**
 * Run `node WORKER ARG` (stdout and stderr our stderr) in such a namespace; resolves with its exit status.
 * @throws NamespaceSetupError when the namespace cannot be made.
 */
export async function runWorkerInUserNamespace(worker: string, arg: string, maps?: WorkerMaps): Promise<number | null> {
  const ns = await import('@ct/namespaces/engine');
  const handle = await ns.runContainer({
    namespaces: ['user'],
    command: { argv: [process.execPath, worker, arg], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
    ...(maps === undefined ? { useSubordinateIds: true } : { uidMap: toEntries(maps.uidMappings), gidMap: toEntries(maps.gidMappings) }),
    // namespace root reads, copies and chowns files of every owner (runContainer's default is runc's small set)
    capabilities: 'all',
    stdio: [0, 2, 2],
    extraFds: [],
    consoleTty: null,
    killOnParentDeath: true,
    relayedSignals: [],
  });
  return (await handle.wait()).status;
}
