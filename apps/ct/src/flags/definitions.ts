/**
 * The flags and arguments of runc's command line, as plain data: defined once, read by the lean argv parser
 * (bin/ct.js path, no oclif) and turned into oclif flags for `ct --help` and the command classes.
 * Names, short forms and defaults follow runc (shared/RUNTIME-CLI.md, b.2).
 */

/** The kind of value a flag takes. */
export type FlagKind = 'boolean' | 'string' | 'integer' | 'strings';

/** One flag. */
export interface FlagDefinition {
  /** Long name without dashes. */
  readonly name: string;
  /** One-letter short form. */
  readonly char?: string;
  /** Value kind; `strings` may be repeated. */
  readonly kind: FlagKind;
  /** Help text. */
  readonly description: string;
  /** Allowed values (string flags). */
  readonly options?: readonly string[];
  /** Hidden from help (deprecated in runc, still sent by engines). */
  readonly hidden?: boolean;
  /** Integer flags: negative values allowed (runc's int64 limits, where -1 means no limit). */
  readonly signed?: boolean;
}

/** One positional argument. */
export interface ArgDefinition {
  /** Name shown in help. */
  readonly name: string;
  /** Must be given. */
  readonly required: boolean;
  /** Help text. */
  readonly description: string;
}

/** The verbs whose command line is runc's. */
export type VerbName =
  | 'create' | 'start' | 'run' | 'state' | 'kill' | 'delete' | 'list' | 'spec' | 'features'
  | 'exec' | 'ps' | 'pause' | 'resume' | 'update' | 'events' | 'checkpoint'
  /** `ct container run IMAGE [CMD...]`, also on the lean path. */
  | 'container run'
  /** The containers of `container run`: list, log, stop, remove. */
  | 'container ps' | 'container logs' | 'container stop' | 'container rm' | 'container exec'
  /** podman's other container verbs. */
  | 'container inspect' | 'container kill' | 'container wait' | 'container prune' | 'container top' | 'container stats'
  | 'container start' | 'container restart'
  /** The published ports of a container (network). */
  | 'container port'
  /** Copies between a container and the host (podman cp). */
  | 'container cp'
  /** An image into a runtime bundle, as umoci unpack (its command-line errors stay oclif's: parse-argv.ts). */
  | 'image unpack'
  /** Named volumes of the image store (podman volume). */
  | 'volume create' | 'volume ls' | 'volume inspect' | 'volume rm' | 'volume prune';

/** One verb. */
export interface VerbDefinition {
  /** Summary for help. */
  readonly description: string;
  /** Positional arguments in order. */
  readonly args: readonly ArgDefinition[];
  /** Extra positionals after `args` are allowed (exec's command). */
  readonly variadic?: boolean;
  /** Flag parsing stops at the first positional after this many (exec: after the id). */
  readonly stopAfterArgs?: number;
  /** The verb's flags. */
  readonly flags: readonly FlagDefinition[];
  /** Other names of the verb (podman's `container ls` for `container ps`). */
  readonly aliases?: readonly string[];
}

/** Global flags (before the verb, as runc). */
export const globalFlags: readonly FlagDefinition[] = [
  { name: 'root', kind: 'string', description: 'root directory for storage of container state (default /run/ct, or $XDG_RUNTIME_DIR/ct when rootless)' },
  { name: 'log', kind: 'string', description: 'file to write the runtime log to (default stderr)' },
  { name: 'log-format', kind: 'string', options: ['text', 'json'], description: 'log format: text or json' },
  { name: 'debug', kind: 'boolean', description: 'write debug messages to the log' },
  { name: 'systemd-cgroup', kind: 'boolean', description: 'use systemd cgroups (accepted; ct has no systemd driver yet)' },
  { name: 'rootless', kind: 'string', options: ['true', 'false', 'auto'], description: 'rootless mode: true, false or auto' },
  { name: 'criu', kind: 'string', hidden: true, description: 'deprecated and ignored, as in runc' },
];

const bundle: FlagDefinition = { name: 'bundle', char: 'b', kind: 'string', description: 'path to the bundle directory (default: the current directory)' };
const consoleSocket: FlagDefinition = { name: 'console-socket', kind: 'string', description: 'AF_UNIX socket that receives the pty master (process.terminal)' };
const pidfdSocket: FlagDefinition = { name: 'pidfd-socket', kind: 'string', description: 'AF_UNIX socket that receives a pidfd of the init' };
const pidFile: FlagDefinition = { name: 'pid-file', kind: 'string', description: 'file to write the process id to' };
const noPivot: FlagDefinition = { name: 'no-pivot', kind: 'boolean', description: 'use chroot instead of pivot_root' };
const noNewKeyring: FlagDefinition = { name: 'no-new-keyring', kind: 'boolean', description: 'do not create a new session keyring' };
const preserveFds: FlagDefinition = { name: 'preserve-fds', kind: 'integer', description: 'pass N extra fds (3..3+N-1) to the container' };
const detach: FlagDefinition = { name: 'detach', char: 'd', kind: 'boolean', description: 'detach from the container process' };
const format: FlagDefinition = { name: 'format', char: 'f', kind: 'string', options: ['table', 'json'], description: 'output format: table or json' };
const id: ArgDefinition = { name: 'container-id', required: true, description: 'the container id' };
const volumeStore: FlagDefinition = { name: 'storage-root', kind: 'string', description: 'the image store the volumes are in (default $XDG_DATA_HOME/ct/storage, /var/lib/ct/storage as root)' };

/** The verbs, runc's names and flags. */
export const verbs: Readonly<Record<VerbName, VerbDefinition>> = {
  create: {
    description: 'create a container (everything but the user process, which waits for start)',
    args: [id],
    flags: [bundle, consoleSocket, pidfdSocket, pidFile, noPivot, noNewKeyring, preserveFds],
  },
  start: { description: 'start the user process of a created container', args: [id], flags: [] },
  run: {
    description: 'create and start a container',
    args: [id],
    stopAfterArgs: 1,
    flags: [
      bundle, consoleSocket, pidfdSocket, pidFile, noPivot, noNewKeyring, preserveFds, detach,
      { name: 'keep', kind: 'boolean', description: 'keep the container state after it exits' },
      { name: 'no-subreaper', kind: 'boolean', description: 'accepted for compatibility; ct never becomes a subreaper' },
    ],
  },
  state: { description: 'print the state of a container as JSON', args: [id], flags: [] },
  kill: {
    description: 'send a signal (default SIGTERM) to the container init',
    args: [id, { name: 'signal', required: false, description: 'signal name or number (default SIGTERM)' }],
    flags: [{ name: 'all', char: 'a', kind: 'boolean', hidden: true, description: 'signal all processes of the container' }],
  },
  delete: {
    description: 'delete a container and its state',
    args: [id],
    flags: [{ name: 'force', char: 'f', kind: 'boolean', description: 'kill the container first if it is running' }],
  },
  list: {
    description: 'list the containers under the state root',
    args: [],
    flags: [format, { name: 'quiet', char: 'q', kind: 'boolean', description: 'print only container ids' }],
  },
  spec: {
    description: 'write a default config.json',
    args: [],
    flags: [bundle, { name: 'rootless', kind: 'boolean', description: 'the rootless form (user namespace, no network namespace)' }],
  },
  features: { description: 'print the runtime-spec features document of ct', args: [], flags: [] },
  exec: {
    description: 'run a process in a created or running container',
    args: [id],
    variadic: true,
    stopAfterArgs: 1,
    flags: [
      consoleSocket, pidfdSocket, pidFile, detach, preserveFds,
      { name: 'cwd', kind: 'string', description: 'working directory in the container' },
      { name: 'env', char: 'e', kind: 'strings', description: 'set an environment variable' },
      { name: 'tty', char: 't', kind: 'boolean', description: 'allocate a pseudo-terminal' },
      { name: 'user', char: 'u', kind: 'string', description: 'uid[:gid]' },
      { name: 'additional-gids', char: 'g', kind: 'strings', description: 'additional gids' },
      { name: 'process', char: 'p', kind: 'string', description: 'path to a process.json' },
      { name: 'process-label', kind: 'string', description: 'SELinux label' },
      { name: 'apparmor', kind: 'string', description: 'AppArmor profile' },
      { name: 'no-new-privs', kind: 'boolean', description: 'set no_new_privs' },
      { name: 'cap', char: 'c', kind: 'strings', description: 'add a capability' },
      { name: 'cgroup', kind: 'strings', description: 'sub-cgroup to run in' },
      { name: 'ignore-paused', kind: 'boolean', description: 'allow exec in a paused container' },
    ],
  },
  ps: {
    description: "list a container's processes: the host's ps (ps options after the id, -ef by default) or their pids (--format json)",
    args: [id],
    variadic: true,
    stopAfterArgs: 0,
    flags: [format],
  },
  pause: { description: 'freeze a container (cgroup v1 freezer, as root)', args: [id], flags: [] },
  resume: { description: 'thaw a paused container', args: [id], flags: [] },
  update: {
    description: "update a container's resource limits (its cgroups from linux.resources)",
    args: [id],
    flags: [
      { name: 'resources', char: 'r', kind: 'string', description: 'LinuxResources JSON file, or - for stdin' },
      { name: 'memory', kind: 'string', description: 'memory limit in bytes' },
      { name: 'memory-swap', kind: 'string', description: 'memory plus swap limit in bytes' },
      { name: 'pids-limit', kind: 'integer', signed: true, description: 'maximum number of pids (-1: no limit)' },
      { name: 'cpu-quota', kind: 'integer', signed: true, description: 'CPU CFS quota in microseconds (-1: no limit)' },
      { name: 'cpu-period', kind: 'integer', description: 'CPU CFS period in microseconds' },
      { name: 'cpu-shares', kind: 'integer', description: 'CPU shares (relative weight)' },
    ],
  },
  events: {
    description: 'container stats as JSON lines (--stats once, else every --interval)',
    args: [id],
    flags: [
      { name: 'stats', kind: 'boolean', description: 'print stats once' },
      { name: 'interval', kind: 'string', description: 'stats interval' },
    ],
  },
  'container run': {
    description: 'run an image from the store (a name, or a path imported first) on an overlay root',
    args: [{ name: 'image', required: true, description: 'the image reference' }],
    variadic: true,
    stopAfterArgs: 0,
    flags: [
      { name: 'name', kind: 'string', description: 'container id (default: a random one)' },
      detach,
      { name: 'keep', kind: 'boolean', description: 'keep the stopped container and its bundle' },
      { name: 'rm', kind: 'boolean', description: 'remove the container when it exits (the default unless --keep)' },
      { name: 'network', kind: 'string', description: 'bridge (root\'s default: ct0 with NAT), pasta (the unprivileged default), slirp4netns, private or none (lo only), host, or container:ID' },
      { name: 'publish', char: 'p', kind: 'strings', description: 'publish a port: [IP:][HOST:]CONTAINER[/tcp|udp], ranges as 8000-8001:80-81' },
      { name: 'publish-all', char: 'P', kind: 'boolean', description: 'publish every port the image exposes on a free host port' },
      { name: 'dns', kind: 'strings', description: 'a nameserver for /etc/resolv.conf (replaces the host\'s)' },
      { name: 'dns-search', kind: 'strings', description: 'a search domain for /etc/resolv.conf (replaces the host\'s; . for none)' },
      { name: 'dns-option', kind: 'strings', description: 'a resolver option for /etc/resolv.conf (replaces the host\'s)' },
      { name: 'add-host', kind: 'strings', description: 'add HOST:IP to /etc/hosts' },
      { name: 'env', char: 'e', kind: 'strings', description: 'set an environment variable (KEY=value, or KEY from ours)' },
      { name: 'env-file', kind: 'strings', description: 'read environment variables from a file (KEY=value or KEY lines; # comments)' },
      { name: 'cidfile', kind: 'string', description: 'write the container id to this file (refused when it exists)' },
      { name: 'label', char: 'l', kind: 'strings', description: 'set a label KEY=VALUE (container inspect shows them)' },
      { name: 'stop-signal', kind: 'string', description: 'the signal container stop sends first (default SIGTERM)' },
      { name: 'stop-timeout', kind: 'integer', description: 'seconds container stop waits before SIGKILL (default 10)' },
      { name: 'restart', kind: 'string', description: 'restart policy: no (default), on-failure[:MAX_RETRIES], always or unless-stopped (the monitor restarts it; not after container stop or kill)' },
      { name: 'volume', char: 'v', kind: 'strings', description: 'mount SRC:DST[:OPTIONS]: SRC a host path (starting with / or .) or a volume name (made on first use); DST alone: an anonymous volume (podman\'s options: ro, rw, z, Z, nosuid, nodev, noexec, U, nocopy, propagation)' },
      { name: 'tmpfs', kind: 'strings', description: 'mount a tmpfs at DST[:OPTIONS] (size=, mode=, noexec...)' },
      { name: 'mount', kind: 'strings', description: 'type=bind,source=SRC,target=DST[,readonly][,bind-propagation=P], type=volume[,source=NAME],target=DST[,readonly][,volume-nocopy] or type=tmpfs,target=DST[,tmpfs-size=N][,tmpfs-mode=M]' },
      { name: 'ulimit', kind: 'strings', description: 'a process limit NAME=SOFT[:HARD] (nofile=1024:2048; -1 unlimited)' },
      { name: 'workdir', char: 'w', kind: 'string', description: 'working directory inside the container' },
      { name: 'user', char: 'u', kind: 'string', description: 'USER[:GROUP] to run as: names or ids, names resolved in the image\'s /etc/passwd and /etc/group' },
      { name: 'userns', kind: 'string', description: 'the user namespace: host (the default map: you are root, your subuids the others), keep-id (unprivileged: your uid and gid inside, an /etc/passwd entry; the image re-owned once)' },
      { name: 'cap-add', kind: 'strings', description: 'add capabilities to podman\'s default set (NET_ADMIN, cap_sys_time, ALL; comma-separated too)' },
      { name: 'cap-drop', kind: 'strings', description: 'drop capabilities (or ALL)' },
      { name: 'privileged', kind: 'boolean', description: 'every capability, no seccomp filter, no masked paths, the host\'s devices (podman\'s --privileged)' },
      { name: 'security-opt', kind: 'strings', description: 'seccomp=FILE|unconfined, no-new-privileges[=true|false]; label=... and apparmor=... are accepted and ignored (no SELinux or AppArmor here)' },
      { name: 'hostname', kind: 'string', description: 'the container\'s hostname' },
      { name: 'entrypoint', kind: 'string', description: 'replace the image\'s entrypoint' },
      { name: 'read-only', kind: 'boolean', description: 'mount the container\'s root read-only' },
      { name: 'read-only-tmpfs', kind: 'boolean', description: 'with --read-only, tmpfs on /run, /tmp and /var/tmp (default true; --read-only-tmpfs=false for none)' },
      { name: 'memory', kind: 'string', description: 'memory limit (bytes, or with k/m/g)' },
      { name: 'pids-limit', kind: 'integer', signed: true, description: 'process count limit (-1: none)' },
      { name: 'cpus', kind: 'string', description: 'CPU limit (1.5 = one and a half CPUs)' },
      { name: 'storage-root', kind: 'string', description: 'the image store (default $XDG_DATA_HOME/ct/storage, /var/lib/ct/storage as root)' },
      { name: 'storage-driver', kind: 'string', options: ['overlay', 'copy'], description: 'the root: overlay of the layers (default; a copy where the kernel refuses it) or copy (default $CT_STORAGE_DRIVER)' },
      { name: 'pull', kind: 'string', options: ['missing', 'always', 'never'], description: 'pull the image from its registry: missing (default: when the store has none of that name), always, or never' },
      { name: 'init', kind: 'boolean', description: 'run ct-init as PID 1 (at /run/ct-init): it relays signals and reaps orphans' },
      { name: 'tty', char: 't', kind: 'boolean', description: 'give the process a pty (our terminal in raw mode relays to it)' },
      { name: 'interactive', char: 'i', kind: 'boolean', description: 'keep stdin open (the process always shares our stdin)' },
      { name: 'ti', kind: 'boolean', hidden: true, description: '-t and -i together' },
    ],
  },
  'container ps': {
    description: 'list the containers of ct container run (running ones; --all for every one)',
    aliases: ['container ls', 'container list'],
    args: [],
    flags: [
      { name: 'all', char: 'a', kind: 'boolean', description: 'also the stopped ones, with their exit status' },
      { name: 'json', kind: 'boolean', description: 'print JSON' },
      { name: 'quiet', char: 'q', kind: 'boolean', description: 'print the ids only' },
      { name: 'storage-root', kind: 'string', description: 'only the containers whose root is in this image store' },
      { name: 'format', kind: 'string', description: 'json, or a template of podman\'s fields: {{.ID}} {{.Names}} {{.Image}} {{.Command}} {{.Status}} {{.State}} {{.ExitCode}} {{.CreatedAt}} {{.Pid}}' },
    ],
  },
  'container exec': {
    description: 'run a command in a running container of ct container run',
    args: [id],
    variadic: true,
    stopAfterArgs: 1,
    flags: [
      { name: 'env', char: 'e', kind: 'strings', description: 'set an environment variable' },
      { name: 'workdir', char: 'w', kind: 'string', description: 'working directory in the container' },
      { name: 'user', char: 'u', kind: 'string', description: 'USER[:GROUP] to run as: names or ids, resolved in the container\'s /etc/passwd and /etc/group' },
      { name: 'tty', char: 't', kind: 'boolean', description: 'give the process a pty (our terminal in raw mode relays to it)' },
      { name: 'interactive', char: 'i', kind: 'boolean', description: 'keep stdin open (the process always shares our stdin)' },
      { name: 'ti', kind: 'boolean', hidden: true, description: '-t and -i together' },
    ],
  },
  'container logs': {
    description: 'print the log of a container (its stdout to stdout, its stderr to stderr): detached, or kept (--keep)',
    args: [id],
    flags: [
      { name: 'tail', kind: 'integer', signed: true, description: 'only the last N lines (-1: all)' },
      { name: 'follow', char: 'f', kind: 'boolean', description: 'keep printing what the container writes until it stops' },
      { name: 'timestamps', char: 't', kind: 'boolean', description: 'start each line with its time (RFC 3339, nanoseconds)' },
      { name: 'since', kind: 'string', description: 'only lines written since TIME: RFC 3339, 2006-01-02, Unix seconds, or a duration before now (10m)' },
      { name: 'until', kind: 'string', description: 'only lines written before TIME (the same forms)' },
    ],
  },
  'container inspect': {
    description: 'print what ct knows of containers as JSON (podman\'s field names: Id, State, Config, ...)',
    args: [id],
    variadic: true,
    flags: [{ name: 'format', char: 'f', kind: 'string', description: 'json (default), or a template such as {{.State.Status}}' }],
  },
  'container kill': {
    description: 'send a signal (default SIGKILL, as podman) to a running container',
    args: [id],
    flags: [{ name: 'signal', char: 's', kind: 'string', description: 'signal name or number (default KILL)' }],
  },
  'container wait': {
    description: 'wait for containers to stop and print their exit statuses',
    args: [id],
    variadic: true,
    flags: [],
  },
  'container start': {
    description: 'run a stopped container again, detached, with the root it had (podman start)',
    args: [id],
    variadic: true,
    flags: [],
  },
  'container restart': {
    description: 'stop a container (when it runs) and start it again',
    args: [id],
    variadic: true,
    flags: [{ name: 'time', char: 't', kind: 'integer', description: 'seconds to wait before SIGKILL (default: its --stop-timeout, else 10)' }],
  },
  'container top': {
    description: 'list the processes of a running container (USER PID PPID COMMAND, as the container sees them)',
    args: [id],
    flags: [{ name: 'json', kind: 'boolean', description: 'print JSON' }],
  },
  'container stats': {
    description: 'print the resource use of running containers once (CPU time, memory, pids)',
    args: [id],
    variadic: true,
    flags: [
      { name: 'no-stream', kind: 'boolean', description: 'accepted as podman\'s: ct prints once' },
      { name: 'json', kind: 'boolean', description: 'print JSON (64-bit values exact)' },
    ],
  },
  'container prune': {
    description: 'remove every stopped container of ct container run',
    args: [],
    flags: [{ name: 'force', char: 'f', kind: 'boolean', description: 'accepted as podman\'s (ct never asks)' }],
  },
  'container stop': {
    description: 'stop a container: SIGTERM, then SIGKILL after the timeout',
    args: [id],
    variadic: true,
    flags: [{ name: 'time', char: 't', kind: 'integer', description: 'seconds to wait before SIGKILL (default: the container\'s --stop-timeout, else 10)' }],
  },
  'container rm': {
    description: 'remove a stopped container with its root and bundle',
    args: [id],
    variadic: true,
    flags: [
      { name: 'force', char: 'f', kind: 'boolean', description: 'kill it first if it runs' },
      { name: 'volumes', char: 'v', kind: 'boolean', description: 'remove its anonymous volumes too' },
    ],
  },
  'container port': {
    description: 'list the published ports of a container (PRIVATE: only those of that container port)',
    args: [id, { name: 'private', required: false, description: 'a container port: PORT or PORT/tcp|udp' }],
    flags: [{ name: 'json', kind: 'boolean', description: 'print JSON' }],
  },
  'container cp': {
    description: 'copy files between a container (running or stopped) and the host: CONTAINER:PATH to a host path, or the reverse',
    args: [
      { name: 'source', required: true, description: 'CONTAINER:PATH or a host path' },
      { name: 'destination', required: true, description: 'a host path or CONTAINER:PATH' },
    ],
    flags: [],
  },
  'image unpack': {
    description: 'unpack an OCI image (layout, oci-archive or docker save archive) into a runtime bundle',
    args: [
      { name: 'image', required: false, description: 'PATH[:TAG|@DIGEST] of the image (or use --image)' },
      { name: 'bundle', required: false, description: 'the bundle directory to make (absent or empty)' },
    ],
    flags: [
      { name: 'image', kind: 'string', description: 'PATH[:TAG|@DIGEST] of the image' },
      { name: 'platform', kind: 'string', description: 'platform to pick from an index, os/arch[/variant] (default: this host\'s)' },
      { name: 'max-uncompressed-bytes', kind: 'integer', description: 'refuse a layer whose uncompressed size is larger' },
      { name: 'json', kind: 'boolean', description: 'print the result as JSON on stdout' },
    ],
  },
  'volume create': {
    description: 'create a named volume in the image store (a random name when none is given)',
    args: [{ name: 'name', required: false, description: 'the volume\'s name: letters, digits, _ . - (not starting with _ . -)' }],
    flags: [
      { name: 'label', char: 'l', kind: 'strings', description: 'set a label KEY=VALUE' },
      { name: 'driver', char: 'd', kind: 'string', description: 'the volume driver: local (the only one ct has)' },
      { name: 'opt', char: 'o', kind: 'strings', description: 'a driver option KEY=VALUE (none is supported: refused, naming it)' },
      volumeStore,
    ],
  },
  'volume ls': {
    description: 'list the volumes of the image store',
    aliases: ['volume list'],
    args: [],
    flags: [
      { name: 'json', kind: 'boolean', description: 'print JSON (volume inspect\'s fields)' },
      { name: 'quiet', char: 'q', kind: 'boolean', description: 'print the names only' },
      { name: 'format', kind: 'string', description: 'json, or a template of podman\'s fields: {{.Name}} {{.Driver}} {{.Mountpoint}} {{.CreatedAt}} {{.Labels}} {{.Scope}}' },
      volumeStore,
    ],
  },
  'volume inspect': {
    description: 'print what the store knows of volumes as JSON (podman\'s fields: Name, Driver, Mountpoint, CreatedAt, Labels, Scope, Options)',
    args: [{ name: 'name', required: true, description: 'a volume name' }],
    variadic: true,
    flags: [{ name: 'format', char: 'f', kind: 'string', description: 'json (default), or a template such as {{.Mountpoint}}' }, volumeStore],
  },
  'volume rm': {
    description: 'remove volumes no container uses (with -f, the containers that use them first)',
    aliases: ['volume remove'],
    args: [{ name: 'name', required: true, description: 'a volume name' }],
    variadic: true,
    flags: [{ name: 'force', char: 'f', kind: 'boolean', description: 'remove the containers that use the volume first' }, volumeStore],
  },
  'volume prune': {
    description: 'remove every volume no container uses',
    args: [],
    flags: [{ name: 'force', char: 'f', kind: 'boolean', description: 'accepted as podman\'s (ct never asks)' }, volumeStore],
  },
  checkpoint: { description: 'checkpoint a container (not supported: always fails, so engines see it is absent)', args: [id], flags: [] },
};

/** True when `name` is one of the verbs the lean entry handles. */
export function isVerb(name: string): name is VerbName {
  return Object.hasOwn(verbs, name);
}

/** The verb `name` names, itself or through an alias (`container ls`); undefined for none. */
export function verbNamed(name: string): VerbName | undefined {
  if (isVerb(name)) return name;
  return (Object.keys(verbs) as VerbName[]).find((v) => verbs[v].aliases?.includes(name) === true);
}
