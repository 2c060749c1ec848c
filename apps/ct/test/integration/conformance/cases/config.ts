/** Cases for the top-level fields: ociVersion, root, hostname, domainname, annotations, linux.cgroupsPath. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ConformanceCase } from '../case-types.js';
import { cgroupHierarchies } from '../lifecycle.js';

const withoutUts = (c: { linux: { namespaces: { type: string }[] } }): void => {
  c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'uts');
};

export const CONFIG_CASES: readonly ConformanceCase[] = [
  ...['1.0.0', '1.0.2', '1.1.0', '1.2.0', '1.3.0'].map((v): ConformanceCase => ({ field: 'ociVersion', variant: v, edit: (c) => { c.ociVersion = v; } })),
  ...['0.5.0', '2.0.0', 'not-a-version', ''].map((v): ConformanceCase => ({
    field: 'ociVersion', variant: v === '' ? 'empty' : v, refusal: /ociVersion/i,
    spec: { because: 'issue 18: a SemVer the runtime supports, 1.0.0 to 1.3.x; runc 1.1.5 does not check it', refuse: true },
    edit: (c) => { c.ociVersion = v; },
  })),
  { field: 'root.readonly', variant: 'false', edit: (c) => { c.root.readonly = false; } },
  { field: 'root.readonly', variant: 'absent', edit: (c) => { delete c.root.readonly; } },
  { field: 'root.path', variant: 'absolute', edit: (c, ctx) => { c.root.path = ctx.rootfs; } },
  { field: 'root.path', variant: 'a directory that does not exist', refusal: /root|no-such-rootfs/i, edit: (c) => { c.root.path = 'no-such-rootfs'; } },
  { field: 'hostname', variant: 'set', edit: (c) => { c.hostname = 'conformance-host'; } },
  { field: 'hostname', variant: 'absent', edit: (c) => { delete c.hostname; } },
  { field: 'hostname', variant: 'set without a uts namespace', refusal: /hostname|uts/i, edit: (c) => { withoutUts(c); } },
  {
    field: 'domainname', variant: 'set',
    spec: { because: 'runc 1.1.5 ignores domainname (runc 1.2 sets it)', values: { 'report.domainname': 'conformance.example' } },
    edit: (c) => { c.domainname = 'conformance.example'; },
  },
  {
    field: 'domainname', variant: 'set without a uts namespace', refusal: /domainname|uts/i,
    spec: { because: 'runc 1.1.5 ignores domainname; runc 1.2 refuses it without a new uts namespace, as for hostname', refuse: true },
    edit: (c) => { delete c.hostname; withoutUts(c); c.domainname = 'conformance.example'; },
  },
  { field: 'annotations', variant: 'two keys (state shows them)', edit: (c) => { c.annotations = { 'org.example.a': 'one', 'org.example.b': 'two words' }; } },
  { field: 'linux.cgroupsPath', variant: 'absent (the runtime\'s default)', only: 'root', edit: (c) => { delete c.linux.cgroupsPath; } },
  {
    field: 'linux.cgroupsPath', variant: 'nested absolute', only: 'root',
    edit: (c, ctx) => {
      const parent = `${c.linux.cgroupsPath ?? ''}-parent`;
      c.linux.cgroupsPath = `${parent}${c.linux.cgroupsPath ?? ''}`;
      // runc leaves the parents it made (ct removes them when empty: ENGINES.md); either way, none may stay
      ctx.afterRun(() => { for (const h of cgroupHierarchies()) spawnSync('rmdir', [join(h, parent)]); });
    },
  },
  { field: 'linux.cgroupsPath', variant: 'set, rootless on cgroup v1', only: 'rootless', edit: (c, ctx) => { c.linux.cgroupsPath = `/ct-conformance-${ctx.hostUid}`; } },
];
