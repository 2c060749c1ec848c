/** Cases for the base configs and `process` (user, env, cwd, capabilities, rlimits, and the rest). */
import { raw, type Config, type ConformanceCase } from '../case-types.js';

const ALL_SETS = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const;

function caps(c: Config, sets: Partial<Record<(typeof ALL_SETS)[number], string[]>>): void {
  c.process.capabilities = sets;
}

export const PROCESS_CASES: readonly ConformanceCase[] = [
  { field: '(base)', variant: 'runc spec unchanged', edit: () => {} },
  {
    field: '(base)', variant: "ct spec's config",
    edit: (c, ctx) => {
      const keep = { args: c.process.args, cgroupsPath: c.linux.cgroupsPath };
      for (const k of Object.keys(c)) delete c[k];
      Object.assign(c, ctx.ctSpec);
      c.process.terminal = false;
      c.process.args = keep.args;
      if (keep.cgroupsPath !== undefined) c.linux.cgroupsPath = keep.cgroupsPath;
    },
  },
  { field: 'process.cwd', variant: '/tmp', edit: (c) => { c.process.cwd = '/tmp'; } },
  { field: 'process.cwd', variant: 'a directory the rootfs lacks', edit: (c) => { c.root.readonly = false; c.process.cwd = '/made/by/runtime'; } },
  { field: 'process.cwd', variant: 'relative', edit: (c) => { c.process.cwd = 'tmp'; } },
  { field: 'process.env', variant: 'more variables, one with spaces', edit: (c) => { c.process.env.push('FOO=bar baz', 'EMPTY='); } },
  { field: 'process.env', variant: 'a key given twice', edit: (c) => { c.process.env.push('DUP=first', 'DUP=second'); } },
  { field: 'process.env', variant: 'an entry without =', edit: (c) => { c.process.env.push('NOEQUALS'); } },
  { field: 'process.env', variant: 'empty (no PATH, no HOME)', edit: (c) => { c.process.env = []; } },
  { field: 'process.env', variant: 'HOME given', edit: (c) => { c.process.env.push('HOME=/somewhere'); } },
  { field: 'process.args', variant: 'a program the rootfs lacks', refusal: /no-such-program|args|not found|ENOENT|no such file/i, edit: (c) => { c.process.args = ['/no-such-program']; } },
  { field: 'process.args', variant: 'a bare name found through PATH', edit: (c) => { c.process.args = ['ct-probe', 'report', '--wait']; } },
  { field: 'process.args', variant: 'absent', refusal: /args/i, edit: (c) => { delete (c.process as Record<string, unknown>)['args']; } },
  { field: 'process.terminal', variant: 'true without a console socket', refusal: /console|terminal/i, edit: (c) => { c.process.terminal = true; } },
  { field: 'process.user', variant: 'uid 1000 gid 1000 (in /etc/passwd)', only: 'root', edit: (c) => { c.process.user = { uid: 1000, gid: 1000 }; } },
  { field: 'process.user', variant: 'uid 4242 (not in /etc/passwd)', only: 'root', edit: (c) => { c.process.user = { uid: 4242, gid: 4242 }; } },
  { field: 'process.user', variant: 'additionalGids', only: 'root', edit: (c) => { c.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 100, 1000] }; } },
  { field: 'process.user', variant: 'an unmapped uid (rootless)', only: 'rootless', refusal: /uid|user|map/i, edit: (c) => { c.process.user = { uid: 1000, gid: 1000 }; } },
  { field: 'process.user.umask', variant: '0077', edit: (c) => { c.process.user.umask = 0o077; } },
  { field: 'process.user.umask', variant: '0', edit: (c) => { c.process.user.umask = 0; } },
  { field: 'process.noNewPrivileges', variant: 'false', edit: (c) => { c.process.noNewPrivileges = false; } },
  { field: 'process.noNewPrivileges', variant: 'absent', edit: (c) => { delete c.process.noNewPrivileges; } },
  { field: 'process.oomScoreAdj', variant: '500', edit: (c) => { c.process.oomScoreAdj = 500; } },
  { field: 'process.oomScoreAdj', variant: '-500 (needs CAP_SYS_RESOURCE)', edit: (c) => { c.process.oomScoreAdj = -500; } },
  { field: 'process.oomScoreAdj', variant: '1001 (out of range)', edit: (c) => { c.process.oomScoreAdj = 1001; } },
  { field: 'process.capabilities', variant: 'every set empty', edit: (c) => caps(c, { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] }) },
  { field: 'process.capabilities', variant: 'absent', edit: (c) => { delete c.process.capabilities; } },
  { field: 'process.capabilities', variant: 'CAP_SYS_ADMIN and CAP_NET_RAW in all five sets', edit: (c) => caps(c, Object.fromEntries(ALL_SETS.map((s) => [s, ['CAP_SYS_ADMIN', 'CAP_NET_RAW']]))) },
  { field: 'process.capabilities', variant: 'bounding only', edit: (c) => caps(c, { bounding: ['CAP_CHOWN', 'CAP_KILL'] }) },
  { field: 'process.capabilities', variant: 'ambient without inheritable', edit: (c) => caps(c, { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], ambient: ['CAP_KILL'] }) },
  { field: 'process.capabilities', variant: 'an unknown name', refusal: /CAP_NOT_A_CAP|capabilit/i, edit: (c) => caps(c, { bounding: ['CAP_KILL', 'CAP_NOT_A_CAP'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] }) },
  { field: 'process.capabilities', variant: 'every capability the kernel has (root here lacks CAP_SYS_RESOURCE)', refusal: /capabilit|caps|EPERM/i, edit: (c) => caps(c, Object.fromEntries(ALL_SETS.map((s) => [s, KERNEL_CAPS]))) },
  { field: 'process.capabilities', variant: 'every capability the runtime has', edit: (c) => caps(c, Object.fromEntries(ALL_SETS.map((s) => [s, KERNEL_CAPS.filter((k) => k !== 'CAP_SYS_RESOURCE')]))) },
  { field: 'process.rlimits', variant: 'NOFILE 512/1024', edit: (c) => { c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 }]; } },
  { field: 'process.rlimits', variant: 'CORE, NPROC, STACK, MEMLOCK, CPU', edit: (c) => { c.process.rlimits = [
    { type: 'RLIMIT_CORE', soft: 0, hard: 1048576 }, { type: 'RLIMIT_NPROC', soft: 200, hard: 300 },
    { type: 'RLIMIT_STACK', soft: 4194304, hard: 8388608 }, { type: 'RLIMIT_MEMLOCK', soft: 65536, hard: 65536 },
    { type: 'RLIMIT_CPU', soft: 100, hard: 200 }]; } },
  { field: 'process.rlimits', variant: 'unlimited (2^64-1)', edit: (c) => { c.process.rlimits = [{ type: 'RLIMIT_CORE', soft: raw('18446744073709551615'), hard: raw('18446744073709551615') }]; } },
  { field: 'process.rlimits', variant: 'NOFILE hard above the runtime\'s hard limit', edit: (c) => { c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1048576 }]; } },
  { field: 'process.rlimits', variant: 'soft above hard', edit: (c) => { c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }]; } },
  { field: 'process.rlimits', variant: 'a type given twice', edit: (c) => { c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }, { type: 'RLIMIT_NOFILE', soft: 300, hard: 400 }]; } },
  { field: 'process.rlimits', variant: 'an unknown type', refusal: /RLIMIT_BOGUS|rlimit/i, edit: (c) => { c.process.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]; } },
  { field: 'process.rlimits', variant: 'absent (the runtime\'s own limits)', edit: (c) => { delete c.process.rlimits; } },
  { field: 'process.apparmorProfile', variant: 'set on a host without AppArmor', refusal: /apparmor/i, edit: (c) => { c.process.apparmorProfile = 'ct-conformance'; } },
  { field: 'process.selinuxLabel', variant: 'set on a host without SELinux', refusal: /selinux/i, edit: (c) => { c.process.selinuxLabel = 'system_u:system_r:container_t:s0:c1,c2'; } },
  {
    field: 'process.scheduler', variant: 'SCHED_BATCH',
    spec: { because: 'runc 1.1.5 ignores process.scheduler (runc 1.2 sets it)', values: { 'report.scheduler': 3 } },
    edit: (c) => { c.process['scheduler'] = { policy: 'SCHED_BATCH' }; },
  },
  {
    field: 'process.ioPriority', variant: 'IOPRIO_CLASS_BE 3',
    spec: { because: 'runc 1.1.5 ignores process.ioPriority (runc 1.2 sets it)', values: { 'report.ioprio': (2 << 13) | 3 } },
    edit: (c) => { c.process['ioPriority'] = { class: 'IOPRIO_CLASS_BE', priority: 3 }; },
  },
];

/** Every capability name this kernel knows (cap_last_cap), as the runtime-spec spells them. */
const KERNEL_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE'];
