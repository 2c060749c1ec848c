/**
 * Cases for the rest of `linux`: maskedPaths, readonlyPaths, devices, sysctl, seccomp, rootfsPropagation,
 * personality, mountLabel, intelRdt, timeOffsets.
 */
import type { Config, ConformanceCase } from '../case-types.js';

type Device = Record<string, unknown>;

function deviceCase(variant: string, devices: Device[], extra: Partial<ConformanceCase> = {}): ConformanceCase {
  return { field: 'linux.devices', variant, ...extra, edit: (c) => { c.linux.devices = devices; } };
}

/** A seccomp profile allowing everything but `rules`. */
function seccomp(rules: Record<string, unknown>[], extra: Record<string, unknown> = {}): (c: Config) => void {
  return (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: rules, ...extra }; };
}

/** personality(0xffffffff) (the probe's query) refused with EPERM: what the report's `personality` shows. */
const PERSONALITY_QUERY = { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' }] };

/** What the probe's report and a runtime's init need (x86_64), for the deny-by-default profile. */
const ALLOWED = ['read', 'write', 'openat', 'open', 'close', 'fstat', 'newfstatat', 'lstat', 'stat', 'statx', 'lseek', 'mmap',
  'mprotect', 'munmap', 'brk', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigsuspend', 'ioctl', 'pread64', 'readv',
  'writev', 'access', 'faccessat', 'faccessat2', 'getpid', 'getppid', 'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid',
  'getresgid', 'getgroups', 'uname', 'getcwd', 'readlink', 'readlinkat', 'getdents64', 'getrlimit', 'prlimit64', 'statfs',
  'fstatfs', 'getpriority', 'sched_getscheduler', 'ioprio_get', 'execve', 'execveat', 'exit', 'exit_group', 'arch_prctl',
  'set_tid_address', 'set_robust_list', 'rseq', 'prctl', 'capget', 'capset', 'setgroups', 'setresuid', 'setresgid', 'setuid',
  'setgid', 'fcntl', 'dup', 'dup2', 'dup3', 'futex', 'nanosleep', 'clock_nanosleep', 'getrandom', 'close_range', 'pipe2',
  'kill', 'tgkill', 'wait4', 'chdir', 'fchdir', 'epoll_pwait', 'select', 'poll', 'ppoll', 'sigaltstack', 'mremap', 'madvise',
  'setsid', 'setpgid', 'gettid', 'sched_yield', 'clone', 'clone3', 'fchown', 'umask', 'seccomp', 'personality'];

export const LINUX_CASES: readonly ConformanceCase[] = [
  { field: 'linux.maskedPaths', variant: 'empty', edit: (c) => { c.linux.maskedPaths = []; } },
  { field: 'linux.maskedPaths', variant: 'a path that does not exist', edit: (c) => { c.linux.maskedPaths?.push('/proc/no-such-entry'); } },
  { field: 'linux.maskedPaths', variant: 'nested: a path under one masked before it', edit: (c) => { c.linux.maskedPaths = ['/sys/firmware', '/sys/firmware/acpi', '/proc/keys']; } },
  { field: 'linux.maskedPaths', variant: 'a file and a directory of the rootfs', probe: { paths: ['/etc/passwd', '/tmp'] }, edit: (c) => { c.linux.maskedPaths?.push('/etc/passwd', '/tmp'); } },
  { field: 'linux.readonlyPaths', variant: 'empty', edit: (c) => { c.linux.readonlyPaths = []; } },
  { field: 'linux.readonlyPaths', variant: 'a path that does not exist', edit: (c) => { c.linux.readonlyPaths?.push('/proc/no-such-entry'); } },
  { field: 'linux.readonlyPaths', variant: 'nested: /proc/sys and /proc/sys/kernel', edit: (c) => { c.linux.readonlyPaths?.push('/proc/sys/kernel'); } },
  { field: 'linux.readonlyPaths', variant: 'a directory of a writable rootfs', edit: (c) => { c.root.readonly = false; c.linux.readonlyPaths?.push('/tmp'); } },
  deviceCase('/dev/fuse, mode 0666', [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }]),
  deviceCase('a node in a subdirectory (/dev/cpu/0/cpuid)', [{ path: '/dev/cpu/0/cpuid', type: 'c', major: 203, minor: 0, fileMode: 0o600, uid: 0, gid: 0 }]),
  deviceCase('a block device (/dev/loop0)', [{ path: '/dev/loop0', type: 'b', major: 7, minor: 0, fileMode: 0o660, uid: 0, gid: 0 }]),
  deviceCase('type u (unbuffered character)', [{ path: '/dev/net/tun', type: 'u', major: 10, minor: 200, fileMode: 0o600 }]),
  deviceCase('no fileMode, uid, gid', [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }]),
  deviceCase('owned by uid 1000 gid 5', [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o620, uid: 1000, gid: 5 }], { only: 'root' }),
  deviceCase('a fifo', [{ path: '/dev/conformance-fifo', type: 'p', fileMode: 0o644 }], { only: 'root' }),
  deviceCase('/dev/null given again', [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666 }]),
  deviceCase('a path outside /dev', [{ path: '/tmp/null-outside-dev', type: 'c', major: 1, minor: 3, fileMode: 0o666 }], { only: 'root' }),
  deviceCase('an unknown type', [{ path: '/dev/odd', type: 'x', major: 1, minor: 3 }], { refusal: /type|device|odd/i }),
  { field: 'linux.sysctl', variant: 'net.ipv4.ip_forward (network namespace)', only: 'root', edit: (c) => { c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; } },
  { field: 'linux.sysctl', variant: 'kernel.shmmax and fs.mqueue.msg_max (ipc namespace)', edit: (c) => { c.linux.sysctl = { 'kernel.shmmax': '1048576', 'fs.mqueue.msg_max': '20' }; } },
  { field: 'linux.sysctl', variant: 'kernel.domainname (uts namespace)', edit: (c) => { c.linux.sysctl = { 'kernel.domainname': 'from-sysctl' }; } },
  { field: 'linux.sysctl', variant: 'kernel.hostname', refusal: /sysctl|hostname/i, edit: (c) => { c.linux.sysctl = { 'kernel.hostname': 'from-sysctl' }; } },
  { field: 'linux.sysctl', variant: 'vm.swappiness (not namespaced)', refusal: /sysctl|swappiness/i, edit: (c) => { c.linux.sysctl = { 'vm.swappiness': '10' }; } },
  { field: 'linux.sysctl', variant: 'net.* without a network namespace', refusal: /sysctl|net/i, edit: (c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'network'); c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; } },
  { field: 'linux.sysctl', variant: 'a name the kernel lacks', refusal: /sysctl|no_such/i, edit: (c) => { c.linux.sysctl = { 'net.ipv4.no_such_sysctl': '1' }; } },
  { field: 'linux.seccomp', variant: 'a rule with an argument and no valueTwo', edit: seccomp([PERSONALITY_QUERY]) },
  { field: 'linux.seccomp', variant: 'SCMP_CMP_MASKED_EQ with valueTwo', edit: seccomp([{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 4294967295, valueTwo: 4294967295, op: 'SCMP_CMP_MASKED_EQ' }] }]) },
  { field: 'linux.seccomp', variant: 'defaultErrnoRet with a deny-by-default profile', edit: seccomp([], { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, syscalls: [{ names: ALLOWED, action: 'SCMP_ACT_ALLOW' }] }) },
  { field: 'linux.seccomp', variant: 'a syscall name the library does not know', edit: seccomp([{ names: ['no_such_syscall', 'personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 4294967295, op: 'SCMP_CMP_EQ' }] }]) },
  {
    field: 'linux.seccomp', variant: 'flags SECCOMP_FILTER_FLAG_LOG',
    spec: { because: 'runc 1.1.5 refuses seccomp flags (runc 1.2 applies them)', accept: true, values: { 'report.status.Seccomp': '2', 'report.personality': 'EPERM' } },
    edit: seccomp([PERSONALITY_QUERY], { flags: ['SECCOMP_FILTER_FLAG_LOG'] }),
  },
  { field: 'linux.seccomp', variant: 'no architectures', edit: (c) => { seccomp([PERSONALITY_QUERY])(c); delete (c.linux.seccomp as Record<string, unknown>)['architectures']; } },
  { field: 'linux.seccomp', variant: 'SCMP_ACT_NOTIFY without listenerPath', refusal: /seccomp|notify|listener/i, edit: seccomp([{ names: ['personality'], action: 'SCMP_ACT_NOTIFY' }]) },
  { field: 'linux.seccomp', variant: 'an unknown action', refusal: /seccomp|action|SCMP_ACT_BOGUS/i, edit: seccomp([{ names: ['personality'], action: 'SCMP_ACT_BOGUS' }]) },
  ...['shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate', 'unbindable'].map((p): ConformanceCase => ({
    field: 'linux.rootfsPropagation', variant: p, edit: (c) => { c.linux.rootfsPropagation = p; },
  })),
  {
    field: 'linux.personality', variant: 'LINUX32',
    spec: { because: 'runc 1.1.5 ignores linux.personality (runc 1.2 sets it)', values: { 'report.personality': '0x8' } },
    edit: (c) => { c.linux['personality'] = { domain: 'LINUX32' }; },
  },
  { field: 'linux.mountLabel', variant: 'set on a host without SELinux', edit: (c) => { c.linux['mountLabel'] = 'system_u:object_r:container_file_t:s0:c1,c2'; } },
  {
    field: 'linux.intelRdt', variant: 'closID on a host without resctrl', refusal: /intelRdt|rdt|resctrl/i,
    spec: { because: 'config-linux.md: without a mounted resctrl the runtime MUST generate an error; runc 1.1.5 ignores intelRdt', refuse: true },
    edit: (c) => { c.linux['intelRdt'] = { closID: 'conformance' }; },
  },
  {
    field: 'linux.timeOffsets', variant: 'monotonic 1 s with a time namespace',
    spec: { because: 'runc 1.1.5 does not know the time namespace nor its offsets (runc 1.2 does)', accept: true, values: { 'report.timensOffsets.0': /^monotonic\s+1\s+0$/ } },
    edit: (c) => { c.linux.namespaces.push({ type: 'time' }); c.linux['timeOffsets'] = { monotonic: { secs: 1, nanosecs: 0 } }; },
  },
];
