/**
 * A private containerd with its CRI plugin, for tests that drive pods through CRI as a kubelet would: one daemon
 * per suite, its own config, root, state dir, sockets and CNI network under one folder, started in its own mount
 * namespace (unshare -m, private propagation: the shims' rootfs mounts and the pods' netns bind mounts live and
 * die there), the sandbox (pause) image and any others imported into the k8s.io namespace from OCI image layouts
 * with `ctr images import`. `stop()` removes every pod through CRI, ends the daemon and reports what was left:
 * processes naming the folder, mounts under it, state in the handlers' roots, the bridge, CNI results; the host
 * folders containerd makes outside its config's reach (/run/containerd/s, /var/lib/cni/results) go if it made them.
 * Man pages: containerd(8), ctr(8), containerd-config.toml(5), unshare(1), proc(5).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriClient } from './client.js';
import { removeBridge, writeCniSetup, type CniSetup } from './cni-config.js';
import { containerdCriConfig, containerdPaths, handlerRoot, type RuntimeHandler } from './containerd-config.js';
import { CriError } from './errors.js';
import { poll } from './poll.js';

/** containerd's namespace for the CRI plugin's images, containers and tasks. */
export const CRI_NAMESPACE = 'k8s.io';

/**
 * Host folders containerd 1.6 uses whatever its config says: the shims' sockets (/run/containerd/s) and the CNI
 * library's result cache (/var/lib/cni/results). Those the daemon made are removed by `stop` when empty (another
 * containerd may be using them meanwhile: a folder with entries stays).
 */
const HOST_DIRS = ['/run/containerd', '/run/containerd/s', '/var/lib/cni', '/var/lib/cni/results'];
/** Where the CNI library caches each attachment's result, as `<network>-<container id>-<ifname>`. */
const CNI_RESULTS = '/var/lib/cni/results';

/** An OCI image layout to import, and the name it gets (`<name>:<the layout's ref name>`). */
export interface LayoutImage {
  /** The OCI image layout folder (index.json with an org.opencontainers.image.ref.name annotation). */
  readonly layout: string;
  /** The reference without its tag, e.g. "docker.io/ct-test/busybox". */
  readonly name: string;
}

export interface CriContainerdOptions {
  /** An empty folder of the caller's: everything the daemon writes goes below it. */
  readonly dir: string;
  /** Runtime handlers; the first one is the default. */
  readonly handlers: readonly RuntimeHandler[];
  /** The pause image; named in the config as sandbox_image (tag "latest"). */
  readonly sandboxImage: LayoutImage;
  /** Other images for the pods' containers. */
  readonly images?: readonly LayoutImage[];
  /** A short tag of letters and digits naming the bridge (ctcri<tag>) and the CNI network. */
  readonly cniTag: string;
  /** Where the CNI plugins are (default Debian's /usr/lib/cni). */
  readonly cniPluginDir?: string;
  /** How long the daemon may take to serve CRI (default 30 s). */
  readonly startTimeoutMs?: number;
}

/** What `stop` found left behind (each list empty when clean). */
export interface Leftovers {
  readonly processes: string[];
  readonly mounts: string[];
  readonly state: string[];
  readonly errors: string[];
}

/** Result of a ctr command. */
export interface CtrRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class CriContainerd {
  private constructor(
    readonly dir: string,
    private readonly daemon: ChildProcess,
    readonly cri: CriClient,
    readonly cni: CniSetup,
    readonly handlers: readonly RuntimeHandler[],
    /** The sandbox image's reference, as the config names it. */
    readonly sandboxImage: string,
    /** HOST_DIRS that did not exist before the daemon started. */
    private readonly hostDirsMade: readonly string[],
  ) {}

  /** The daemon's pid (unshare execs containerd, so this is containerd itself). */
  get pid(): number {
    return this.daemon.pid ?? 0;
  }

  /**
   * Write the config and CNI setup, start the daemon, wait until CRI reports RuntimeReady, import the images.
   * @throws CriError CONTAINERD_FAILED with the tail of containerd's log when it does not come up or an import fails
   */
  static async start(options: CriContainerdOptions): Promise<CriContainerd> {
    const { dir } = options;
    const paths = containerdPaths(dir);
    const cni = writeCniSetup(dir, options.cniTag, options.cniPluginDir);
    const sandboxImage = `${options.sandboxImage.name}:latest`;
    const hostDirsMade = HOST_DIRS.filter((p) => !existsSync(p));
    const configFile = join(dir, 'config.toml');
    writeFileSync(configFile, containerdCriConfig({
      dir, sandboxImage, handlers: options.handlers, cniBinDir: cni.binDir, cniConfDir: cni.confDir,
    }));
    const logFile = join(dir, 'containerd.log');
    const log = openSync(logFile, 'a');
    const daemon = spawn('unshare', ['-m', '--propagation', 'private', 'containerd', '--config', configFile], { stdio: ['ignore', log, log] });
    closeSync(log);
    const failed = (why: string, cause?: unknown): CriError => {
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : '';
      return new CriError('start containerd', 'CONTAINERD_FAILED', `${why}\n--- ${logFile} (tail)\n${tail}`, cause === undefined ? undefined : { cause });
    };
    const exited = new Promise<string>((resolve) => daemon.once('exit', (code, signal) => resolve(`exited (${signal ?? code})`)));
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    const up = await Promise.race([poll(() => existsSync(paths.socket), options.startTimeoutMs ?? 30_000), exited]);
    if (up !== true) throw failed(up === false ? `no socket ${paths.socket}` : `containerd ${up}`);
    let cri: CriClient | undefined;
    try {
      cri = await CriClient.connect(paths.socket, { connectTimeoutMs: Math.max(1000, deadline - Date.now()) });
      const client = cri;
      const ready = await poll(async () => {
        const status = await client.call('Status', {}).catch(() => undefined);
        return status?.status?.conditions.some((c) => c.type === 'RuntimeReady' && c.status) === true;
      }, Math.max(1000, deadline - Date.now()));
      if (!ready) throw failed('the CRI plugin never reported RuntimeReady');
      const self = new CriContainerd(dir, daemon, client, cni, options.handlers, sandboxImage, hostDirsMade);
      for (const image of [options.sandboxImage, ...(options.images ?? [])]) self.importImage(image);
      return self;
    } catch (err) {
      cri?.close();
      daemon.kill('SIGKILL');
      removeBridge(cni);
      removeEmptyDirs(hostDirsMade);
      throw err instanceof CriError && err.code === 'CONTAINERD_FAILED' ? err : failed((err as Error).message, err);
    }
  }

  /** Run ctr against this daemon in the k8s.io namespace (60 s at most). */
  ctr(args: readonly string[]): CtrRun {
    const r = spawnSync('ctr', ['--address', containerdPaths(this.dir).socket, '-n', CRI_NAMESPACE, ...args], {
      encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL',
    });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
  }

  /**
   * Import an OCI image layout (tarred as an OCI archive) into the k8s.io namespace, unpacked for the CRI's
   * snapshotter.
   * @throws CriError CONTAINERD_FAILED with ctr's message
   */
  importImage(image: LayoutImage): void {
    const tar = join(this.dir, `import-${image.name.replace(/[^a-z0-9]+/gi, '-')}.tar`);
    const packed = spawnSync('tar', ['-C', image.layout, '-cf', tar, '.'], { encoding: 'utf8' });
    if (packed.status !== 0) throw new CriError('import image', 'CONTAINERD_FAILED', `tar ${image.layout}: ${packed.stderr}`);
    const r = this.ctr(['images', 'import', '--base-name', image.name, tar]);
    if (r.status !== 0) throw new CriError('import image', 'CONTAINERD_FAILED', `ctr images import ${image.name}: ${r.stderr.trim()}`);
  }

  /** The mount points of the daemon's mount namespace (where the shims mount rootfs and netns). */
  daemonMounts(): string[] {
    try {
      return readFileSync(`/proc/${this.pid}/mountinfo`, 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Entries in a handler's state root for the k8s.io namespace (the containers its binary still knows). */
  handlerState(name: string): string[] {
    const handler = this.handlers.find((h) => h.name === name);
    if (handler === undefined) throw new TypeError(`handlerState: no handler ${name}`);
    const root = join(handlerRoot(this.dir, handler), CRI_NAMESPACE);
    return existsSync(root) ? readdirSync(root) : [];
  }

  /** Stop and remove every pod sandbox (with its containers), as a kubelet does with pods it no longer wants. */
  async removeAllPods(): Promise<string[]> {
    const errors: string[] = [];
    const { items } = await this.cri.call('ListPodSandbox', {});
    for (const pod of items) {
      await this.cri.call('StopPodSandbox', { podSandboxId: pod.id }).catch((e: Error) => errors.push(e.message));
      await this.cri.call('RemovePodSandbox', { podSandboxId: pod.id }).catch((e: Error) => errors.push(e.message));
    }
    return errors;
  }

  /**
   * Remove every pod, stop the daemon (SIGTERM, SIGKILL after 20 s), delete the bridge and the host folders it
   * made, and report what is left: processes whose command line names the folder (shims, runtimes), mounts under
   * it (host namespace), the handlers' state and the CNI results of its network.
   */
  async stop(): Promise<Leftovers> {
    const errors = await this.removeAllPods().catch((e: Error) => [e.message]);
    const state = this.handlers.flatMap((h) => this.handlerState(h.name).map((id) => `${h.name}: ${id}`));
    this.cri.close();
    if (this.daemon.exitCode === null && this.daemon.signalCode === null) {
      const gone = new Promise<void>((resolve) => this.daemon.once('exit', () => resolve()));
      this.daemon.kill('SIGTERM');
      const timer = setTimeout(() => this.daemon.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    }
    await poll(() => processesNaming(this.dir).length === 0, 10_000);
    const bridge = removeBridge(this.cni);
    if (bridge !== '') errors.push(bridge);
    const results = existsSync(CNI_RESULTS) ? readdirSync(CNI_RESULTS).filter((f) => f.startsWith(`${this.cni.network}-`)) : [];
    removeEmptyDirs(this.hostDirsMade);
    return { processes: processesNaming(this.dir), mounts: mountsUnder(this.dir), state: [...state, ...results.map((f) => `cni: ${CNI_RESULTS}/${f}`)], errors };
  }
}

/** Remove the folders that are empty, deepest first (one with entries, or gone already, is left as it is). */
function removeEmptyDirs(dirs: readonly string[]): void {
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty (in use by another containerd) or already gone
    }
  }
}

/** `pid: command line` of every process whose command line mentions `dir`. */
export function processesNaming(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(dir)) found.push(`${entry}: ${cmdline.split('\0').join(' ').trim()}`);
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** Mount points under `dir` in this process's mount namespace. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(dir));
}
