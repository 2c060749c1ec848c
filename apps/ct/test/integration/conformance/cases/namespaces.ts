/**
 * Cases for `linux.namespaces` (and the id mappings that go with a user namespace): each type left out (the
 * host's), added, joined by path (a holder process made by unshare(1) owns the namespaces joined; as root only,
 * except a rootless pair that joins a user namespace with the network namespace it owns), and lists runc refuses.
 */
import type { Config, ConformanceCase, HolderNamespace } from '../case-types.js';

const without = (c: Config, type: string): void => {
  c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== type);
};

/** Join `types` by path from a fresh holder (one per run), replacing new ones of the same type. */
function joining(types: readonly HolderNamespace[]) {
  return async (c: Config, ctx: Parameters<ConformanceCase['edit']>[1]): Promise<void> => {
    const paths = await ctx.holdNamespaces(types);
    for (const t of types) {
      without(c, t);
      c.linux.namespaces.push({ type: t, path: paths[t] });
    }
  };
}

const BASE_TYPES = ['pid', 'network', 'ipc', 'uts', 'mount'] as const;

export const NAMESPACE_CASES: readonly ConformanceCase[] = [
  ...BASE_TYPES.map((t): ConformanceCase => ({
    field: 'linux.namespaces', variant: `${t} absent (the host's)`,
    // the rootless base (runc spec --rootless) has no network namespace already: see "network added (rootless)"
    ...(t === 'network' ? { only: 'root' as const } : {}),
    // without a mount namespace the base's read-only root and masked/read-only paths cannot be made: a refusal may
    // name any of them (runc names the paths, ct the first field it meets)
    ...(t === 'mount' ? { refusal: /namespace|root\.readonly|maskedPaths|readonlyPaths|sys entries/i } : {}),
    edit: (c) => { without(c, t); if (t === 'uts') delete c.hostname; },
  })),
  { field: 'linux.namespaces', variant: 'network added (rootless)', only: 'rootless', edit: (c) => { c.linux.namespaces.push({ type: 'network' }); } },
  { field: 'linux.namespaces', variant: 'cgroup added', edit: (c) => { c.linux.namespaces.push({ type: 'cgroup' }); } },
  {
    field: 'linux.namespaces', variant: 'time added',
    spec: { because: 'runc 1.1.5 does not know the time namespace (runc 1.2 does)', accept: true, values: { 'report.namespaces.time': /^new\d+$/, 'report.namespaces.time_for_children': /^new\d+$/ } },
    edit: (c) => { c.linux.namespaces.push({ type: 'time' }); },
  },
  {
    field: 'linux.namespaces', variant: 'user added with a 65536-id mapping', only: 'root',
    edit: (c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    },
  },
  { field: 'linux.uidMappings', variant: 'a user namespace without mappings', only: 'root', refusal: /mapping|uid/i, edit: (c) => { c.linux.namespaces.push({ type: 'user' }); } },
  { field: 'linux.namespaces', variant: 'pid joined by path (as a CRI pod does)', only: 'root', edit: joining(['pid']) },
  { field: 'linux.namespaces', variant: 'network joined by path', only: 'root', edit: joining(['network']) },
  { field: 'linux.namespaces', variant: 'ipc joined by path', only: 'root', edit: joining(['ipc']) },
  { field: 'linux.namespaces', variant: 'uts joined by path, hostname set there', only: 'root', edit: joining(['uts']) },
  { field: 'linux.namespaces', variant: 'cgroup joined by path', only: 'root', edit: joining(['cgroup']) },
  { field: 'linux.namespaces', variant: 'pid, network, ipc and uts joined by path', only: 'root', edit: joining(['pid', 'network', 'ipc', 'uts']) },
  {
    field: 'linux.namespaces', variant: 'user and network joined by path', only: 'rootless',
    edit: async (c, ctx) => {
      await joining(['user', 'network'])(c, ctx);
      delete c.linux.uidMappings;
      delete c.linux.gidMappings;
    },
  },
  { field: 'linux.namespaces', variant: 'a path that is not a namespace', refusal: /namespace|network|ns/i, edit: (c, ctx) => { without(c, 'network'); c.linux.namespaces.push({ type: 'network', path: ctx.rootfs }); } },
  { field: 'linux.namespaces', variant: 'a type given twice', refusal: /namespace|duplicate|ipc/i, edit: (c) => { c.linux.namespaces.push({ type: 'ipc' }); } },
  { field: 'linux.namespaces', variant: 'an unknown type', refusal: /namespace|bogus/i, edit: (c) => { c.linux.namespaces.push({ type: 'bogus' }); } },
];
