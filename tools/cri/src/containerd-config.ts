/**
 * containerd's config (version 2, containerd 1.6: containerd-config.toml(5)) for a private daemon with the CRI
 * plugin: everything it writes is under one folder (root, state, sockets, the opt plugin's dir, the netns bind
 * mounts under the state dir), its CNI config and plugin folders are the caller's, and its runtime handlers are
 * the runc v2 shim with a BinaryName and a private runc root each, as a Kubernetes node's config names them for
 * RuntimeClasses (a handler can be given as a node's documented runtimes.<name> tables, used as written).
 */
import { join } from 'node:path';

/** One CRI runtime handler: `runtimes.<name>` with the runc v2 shim running `binary` as its runc. */
export interface RuntimeHandler {
  /** The handler's name: a RunPodSandbox's runtime_handler (a RuntimeClass's `handler`). */
  readonly name: string;
  /** The runc-compatible binary the shim runs (BinaryName). */
  readonly binary: string;
  /** The binary's state root (the shim's `--root`, before `/<namespace>`); default `<dir>/runtime-root/<name>`. */
  readonly root?: string;
  /**
   * The handler's tables as documented for a node (`[...runtimes.<name>]` then `[...runtimes.<name>.options]`, the
   * options table last), used as written except that its BinaryName becomes `binary` and `Root` is added; without
   * it the handler gets the runc v2 shim, BinaryName, Root and `SystemdCgroup = false`.
   */
  readonly toml?: string;
}

export interface ContainerdConfigOptions {
  /** The folder holding everything the daemon writes. */
  readonly dir: string;
  /** The image reference of the pod sandbox (pause) image, which must already be in the k8s.io namespace. */
  readonly sandboxImage: string;
  /** Runtime handlers; the first one is the default (an empty runtime_handler). */
  readonly handlers: readonly RuntimeHandler[];
  /** CNI plugin binaries (bin_dir) and network configs (conf_dir). */
  readonly cniBinDir: string;
  readonly cniConfDir: string;
}

/** The daemon's sockets and folders under `dir`. */
export function containerdPaths(dir: string): { socket: string; ttrpc: string; debug: string; root: string; state: string; opt: string } {
  return {
    socket: join(dir, 'containerd.sock'), ttrpc: join(dir, 'containerd.sock.ttrpc'), debug: join(dir, 'debug.sock'),
    root: join(dir, 'root'), state: join(dir, 'state'), opt: join(dir, 'opt'),
  };
}

/** The default state root of a handler's binary. */
export function handlerRoot(dir: string, handler: RuntimeHandler): string {
  return handler.root ?? join(dir, 'runtime-root', handler.name);
}

/** A TOML basic string. */
function str(value: string): string {
  return JSON.stringify(value);
}

const CRI = 'plugins."io.containerd.grpc.v1.cri"';

/** The TOML text of the config. */
export function containerdCriConfig(options: ContainerdConfigOptions): string {
  const p = containerdPaths(options.dir);
  const first = options.handlers[0];
  if (first === undefined) throw new TypeError('containerd config: handlers: at least one runtime handler is needed');
  const lines = [
    'version = 2',
    `root = ${str(p.root)}`,
    `state = ${str(p.state)}`,
    '[grpc]', `  address = ${str(p.socket)}`,
    '[ttrpc]', `  address = ${str(p.ttrpc)}`,
    '[debug]', `  address = ${str(p.debug)}`,
    // The opt plugin would make /opt/containerd on the host.
    '[plugins."io.containerd.internal.v1.opt"]', `  path = ${str(p.opt)}`,
    `[${CRI}]`,
    `  sandbox_image = ${str(options.sandboxImage)}`,
    // The pod network namespaces are bind-mounted under the state dir instead of /var/run/netns.
    '  netns_mounts_under_state_dir = true',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    '  enable_selinux = false',
    // Root without CAP_SYS_RESOURCE (this machine, CI) cannot lower oom_score_adj: the pause container's -998 would
    // fail runc and ct alike. Clamped to containerd's own value, as for a rootless node.
    '  restrict_oom_score_adj = true',
    `[${CRI}.cni]`,
    `  bin_dir = ${str(options.cniBinDir)}`,
    `  conf_dir = ${str(options.cniConfDir)}`,
    '  max_conf_num = 1',
    `[${CRI}.containerd]`,
    '  snapshotter = "overlayfs"',
    `  default_runtime_name = ${str(first.name)}`,
  ];
  for (const h of options.handlers) {
    const root = `  Root = ${str(handlerRoot(options.dir, h))}`;
    if (h.toml !== undefined) {
      lines.push(documentedHandler(h), root);
      continue;
    }
    lines.push(
      `[${CRI}.containerd.runtimes.${h.name}]`, '  runtime_type = "io.containerd.runc.v2"',
      `[${CRI}.containerd.runtimes.${h.name}.options]`, `  BinaryName = ${str(h.binary)}`, root, '  SystemdCgroup = false',
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * A handler's documented tables with its BinaryName replaced, ready for a Root line after them.
 * @throws TypeError naming the handler when the text does not end in its options table or sets no BinaryName
 */
function documentedHandler(h: RuntimeHandler): string {
  const toml = (h.toml ?? '').trimEnd();
  const headers = [...toml.matchAll(/^\s*\[([^\]]+)\]/gm)].map((m) => (m[1] ?? '').trim());
  const options = `${CRI}.containerd.runtimes.${h.name}.options`;
  if (headers.at(-1) !== options) throw new TypeError(`containerd config: handler ${h.name}: toml: the last table must be [${options}]`);
  if (!/^\s*BinaryName\s*=.*$/m.test(toml)) throw new TypeError(`containerd config: handler ${h.name}: toml: no BinaryName`);
  return toml.replace(/^(\s*)BinaryName\s*=.*$/m, (_all, indent: string) => `${indent}BinaryName = ${str(h.binary)}`);
}

/**
 * The key lines of table `name` (e.g. `plugins."io.containerd.grpc.v1.cri".cni`) in TOML as `containerd config
 * dump` prints it (one table per header, trimmed lines), up to the next header; [] when the table is absent.
 */
export function tomlTable(dump: string, name: string): string[] {
  const lines = dump.split('\n').map((line) => line.trim());
  const start = lines.indexOf(`[${name}]`);
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && line.startsWith('['));
  return lines.slice(start + 1, end < 0 ? undefined : end).filter(Boolean);
}
