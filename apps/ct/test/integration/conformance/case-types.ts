/**
 * The shape of a conformance case: one runtime-spec field changed from the base config (what `runc spec` or
 * `runc spec --rootless` writes, with the probe as the process), and what the case may use while it prepares
 * its bundle (host directories, namespaces to join, the hooks' record files).
 */
type Json = Record<string, unknown>;

/** The config.json fields cases edit; everything else passes through untyped. */
export interface Config {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities?: Partial<Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]>>;
    rlimits?: { type: string; soft: number; hard: number }[];
    noNewPrivileges?: boolean;
    oomScoreAdj?: number;
    apparmorProfile?: string;
    selinuxLabel?: string;
    [key: string]: unknown;
  };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts: { destination: string; type?: string; source?: string; options?: string[]; [key: string]: unknown }[];
  hooks?: Partial<Record<HookKind, Json[]>>;
  annotations?: Record<string, string>;
  linux: {
    namespaces: { type: string; path?: string }[];
    uidMappings?: { containerID: number; hostID: number; size: number }[];
    gidMappings?: { containerID: number; hostID: number; size: number }[];
    resources?: Json & { devices?: Json[] };
    cgroupsPath?: string;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    devices?: Json[];
    sysctl?: Record<string, string>;
    seccomp?: Json;
    rootfsPropagation?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** The six hook kinds of the runtime-spec. */
export type HookKind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

/** The namespace types a holder process can make for a case to join by path. */
export type HolderNamespace = 'pid' | 'network' | 'ipc' | 'uts' | 'mount' | 'cgroup' | 'user';

/**
 * A number written into config.json as is (JSON numbers past 2^53, such as an rlimit of 2^64-1, which a JS number
 * cannot hold): put `raw('18446744073709551615')` where the number goes.
 */
export function raw(text: string): number {
  return `__RAW:${text}__` as unknown as number;
}

/** config.json text for `config`, with raw() numbers in place. */
export function configText(config: Config): string {
  return JSON.stringify(config, null, 2).replace(/"__RAW:([^"]*)__"/g, '$1');
}

/** What a case can use while it edits its config (one context per runtime run). */
export interface CaseContext {
  /** True in the rootless suite (runc and ct run unprivileged, the base is `runc spec --rootless`). */
  readonly rootless: boolean;
  /** The bundle directory (the same path for both runtimes: each run gets a fresh copy there). */
  readonly bundle: string;
  /** The bundle's rootfs (a fresh copy of the probe image's), for cases that add files or links to it. */
  readonly rootfs: string;
  /** A copy of what `ct spec` (`--rootless` in the rootless suite) writes. */
  readonly ctSpec: Config;
  /** The probe inside the container. */
  readonly probe: string;
  /** A copy of the probe on the host that the runtime's user can run (hooks in the runtime namespace). */
  readonly hostProbe: string;
  /** The ids the runtime runs as on the host (0 as root, the test user's rootless). */
  readonly hostUid: number;
  readonly hostGid: number;
  /** Make `bundle/name` (a directory, with `files` in it) owned by the runtime's user; returns its path. */
  hostDir(name: string, files?: Record<string, string>): string;
  /** Start a process holding new namespaces of these types (killed after the run); returns type → ns path. */
  holdNamespaces(types: readonly HolderNamespace[]): Promise<Record<HolderNamespace, string>>;
  /** The host file a hook of `kind` records into (read after the run and compared). */
  hookFile(kind: string): string;
  /** Run `fn` after the run (after delete): to remove what a runtime leaves by design (cgroup parents). */
  afterRun(fn: () => void): void;
}

/**
 * What the runtime-spec asks where the runc under test (Debian 12's 1.1.5) does not do it: a field it predates
 * and ignores or refuses, a check it does not make. Written down per case with the reason, and reported as such:
 * - `refuse`: ct must refuse the config, naming the field (runc accepts it unchecked);
 * - `accept`: ct must run the container (runc refuses a field it does not know); only `values` are compared;
 * - `values`: paths of the normalised outcome (`report.domainname`; a key with dots in `["..."]`) whose
 *   expected value is this rather than runc's: a value, or a pattern for a string (or for the JSON of an object).
 */
export interface SpecExpectation {
  readonly because: string;
  readonly refuse?: true;
  readonly accept?: true;
  readonly values?: Readonly<Record<string, string | number | RegExp>>;
}

/** One variant of one field. */
export interface ConformanceCase {
  /** The runtime-spec field, as a JSON path: `process.rlimits`, `linux.namespaces`, `mounts`. */
  readonly field: string;
  /** What this case does with it, short: `NOFILE 512/1024`, `pid joined by path`. */
  readonly variant: string;
  /** Only in the root or only in the rootless suite (the root-only ones carry @root through their suite). */
  readonly only?: 'root' | 'rootless';
  /** What the probe must look at besides the masked and read-only paths of the config. */
  readonly probe?: { readonly sysctls?: readonly string[]; readonly paths?: readonly string[]; readonly files?: readonly string[] };
  /** When runc refuses the config, ct's error must match this (default: the field's last segment). */
  readonly refusal?: RegExp;
  /** Where the runtime-spec asks something else than the runc under test does (see SpecExpectation). */
  readonly spec?: SpecExpectation;
  /** Change the field (called for each runtime's run, on a fresh copy of the base config). */
  edit(config: Config, ctx: CaseContext): void | Promise<void>;
}
