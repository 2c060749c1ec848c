/**
 * Helpers of the CRI suite (engine-cri.test.ts): pods and containers made through CRI as a kubelet makes them
 * (a pod cgroup first, a log directory, the sandbox config passed again to each CreateContainer), the
 * containerd-specific verbose status (the sandbox's and containers' pids and OCI specs), and what the host sees of
 * a container: its namespaces and cgroup files. Man pages: proc(5) (/proc/PID/ns, /proc/PID/cgroup), cgroups(7).
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CAP } from '@ct/syscalls';
import { PodCgroup, poll, type ContainerConfig, type ContainerStatus, type CriContainerd, type PodSandboxConfig } from '@ct/cri-client';

export const BUSYBOX = 'docker.io/ct-test/busybox:latest';

/** containerd's verbose PodSandboxStatus info ("info" key): the parts the tests read. */
export interface SandboxInfo {
  pid: number;
  runtimeHandler: string;
  runtimeSpec: { linux?: { namespaces?: Array<{ type: string; path?: string }> } };
}

/** containerd's verbose ContainerStatus info ("info" key): the parts the tests read. */
export interface ContainerInfo {
  pid: number;
  sandboxID: string;
  runtimeSpec: {
    process?: { capabilities?: Record<string, string[]>; user?: { uid: number; gid: number; additionalGids?: number[] } };
    linux?: { cgroupsPath?: string; maskedPaths?: string[]; resources?: Record<string, unknown>; namespaces?: Array<{ type: string; path?: string }> };
  };
}

/** A pod made through CRI, with the kubelet's pod cgroup. */
export interface Pod {
  readonly id: string;
  readonly config: PodSandboxConfig;
  readonly cgroup: PodCgroup;
  readonly handler: string;
}

export interface PodOptions {
  /** Host network (NamespaceMode NODE) instead of the CNI bridge. */
  readonly hostNetwork?: boolean;
  /** shareProcessNamespace: the pod's containers join the sandbox's pid namespace (NamespaceMode POD). */
  readonly sharePid?: boolean;
}

/**
 * The paths a kubelet sends every unprivileged container (its default procMount): masked (a /dev/null or empty
 * read-only tmpfs over them) and read-only. containerd's CRI applies what it is sent, nothing by itself.
 */
export const KUBELET_MASKED_PATHS = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'];
export const KUBELET_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** A unique, short name for pods and containers of this run. */
let serial = 0;
export function uniqueName(prefix: string): string {
  serial += 1;
  return `${prefix}-${process.pid}-${serial}`;
}

/** The pod cgroup root of this run: every pod's cgroup goes below it. */
export const podCgroupRoot = `/ct-cri-${process.pid}`;

/** RunPodSandbox with `handler`, as a kubelet does for a pod whose RuntimeClass names it. */
export async function runPod(d: CriContainerd, handler: string, name: string, options: PodOptions = {}): Promise<Pod> {
  const cgroup = PodCgroup.create(`${podCgroupRoot}/${name}`);
  const config: PodSandboxConfig = {
    metadata: { name, uid: `uid-${name}`, namespace: 'ct-test' },
    hostname: options.hostNetwork ? '' : name,
    logDirectory: join(d.dir, 'logs', name),
    labels: { 'ct-test': handler },
    linux: {
      cgroupParent: cgroup.path,
      securityContext: {
        namespaceOptions: { network: options.hostNetwork ? 'NODE' : 'POD', pid: options.sharePid ? 'POD' : 'CONTAINER', ipc: 'POD' },
      },
    },
  };
  try {
    const { podSandboxId } = await d.cri.call('RunPodSandbox', { config, runtimeHandler: handler });
    return { id: podSandboxId, config, cgroup, handler };
  } catch (err) {
    cgroup.remove();
    throw err;
  }
}

/** StopPodSandbox + RemovePodSandbox, then the pod cgroup; returns the cgroups that could not go. */
export async function removePod(d: CriContainerd, pod: Pod): Promise<string[]> {
  await d.cri.call('StopPodSandbox', { podSandboxId: pod.id });
  await d.cri.call('RemovePodSandbox', { podSandboxId: pod.id });
  return pod.cgroup.remove();
}

/**
 * CreateContainer in `pod` (the busybox image unless the config names one, the pod's namespaces, the log at
 * `<name>.log`), then StartContainer unless `start` is false. Returns the container id.
 */
export async function runContainer(
  d: CriContainerd, pod: Pod, name: string, config: Partial<ContainerConfig>, start = true,
): Promise<string> {
  const sandboxNs = pod.config.linux?.securityContext?.namespaceOptions ?? {};
  const full: ContainerConfig = {
    metadata: { name },
    image: { image: BUSYBOX },
    logPath: `${name}.log`,
    ...config,
    linux: {
      ...config.linux,
      securityContext: {
        namespaceOptions: sandboxNs,
        ...(config.linux?.securityContext?.privileged ? {} : { maskedPaths: KUBELET_MASKED_PATHS, readonlyPaths: KUBELET_READONLY_PATHS }),
        ...config.linux?.securityContext,
      },
    },
  };
  const { containerId } = await d.cri.call('CreateContainer', { podSandboxId: pod.id, config: full, sandboxConfig: pod.config });
  if (start) await d.cri.call('StartContainer', { containerId });
  return containerId;
}

/** ExecSync a command, asserting it succeeds; returns its stdout. */
export async function execOut(d: CriContainerd, containerId: string, cmd: string[]): Promise<string> {
  const r = await d.cri.call('ExecSync', { containerId, cmd, timeout: 30 });
  assert.equal(r.exitCode, 0, `${cmd.join(' ')}: exit ${r.exitCode}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** The container's status once it has exited (polls ContainerStatus for at most `ms`). */
export async function exitedStatus(d: CriContainerd, containerId: string, ms = 30_000): Promise<ContainerStatus> {
  let last: ContainerStatus | null = null;
  await poll(async () => {
    last = (await d.cri.call('ContainerStatus', { containerId })).status;
    return last?.state === 'CONTAINER_EXITED';
  }, ms, 200);
  const status = last as ContainerStatus | null;
  assert.equal(status?.state, 'CONTAINER_EXITED', `container ${containerId} did not exit: ${JSON.stringify(status)}`);
  return status as ContainerStatus;
}

export async function sandboxInfo(d: CriContainerd, podSandboxId: string): Promise<SandboxInfo> {
  const r = await d.cri.call('PodSandboxStatus', { podSandboxId, verbose: true });
  return JSON.parse(r.info.info ?? '{}') as SandboxInfo;
}

export async function containerInfo(d: CriContainerd, containerId: string): Promise<ContainerInfo> {
  const r = await d.cri.call('ContainerStatus', { containerId, verbose: true });
  return JSON.parse(r.info.info ?? '{}') as ContainerInfo;
}

/** The namespace link of a host pid as /proc shows it, e.g. "net:[4026531840]". */
export function nsOf(pid: number | 'self', kind: string): string {
  return readlinkSync(`/proc/${pid}/ns/${kind}`);
}

/**
 * A cgroup v1 file of the process `pid` as the host sees it: the hierarchy of `controller` in /proc/PID/cgroup,
 * under that hierarchy's mount point.
 */
export function cgroupFile(pid: number, controller: string, file: string): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')
    .find((l) => (l.split(':')[1] ?? '').split(',').includes(controller));
  assert.ok(line !== undefined, `pid ${pid}: no ${controller} hierarchy in /proc/${pid}/cgroup`);
  const path = line.split(':').slice(2).join(':');
  const mount = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .find((l) => l.split(' - ')[1]?.startsWith('cgroup ') && (l.split(' - ')[1]?.split(' ')[2] ?? '').split(',').includes(controller));
  assert.ok(mount !== undefined, `no mount of the ${controller} hierarchy`);
  const full = join(mount.split(' ')[4] ?? '', path, file);
  assert.ok(existsSync(full), `${full}: missing`);
  return readFileSync(full, 'utf8').trim();
}

/** The ```toml block of `file` that sets BinaryName (the documented runtimes.ct entry). */
export function documentedCtEntry(file: string): string {
  const blocks = [...readFileSync(file, 'utf8').matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').filter((b) => b.includes('BinaryName'));
  assert.equal(blocks.length, 1, `${file}: one toml block with BinaryName`);
  return blocks[0] ?? '';
}

/** A capability set of the OCI spec as the mask /proc/PID/status shows (CapEff: 16 hex digits). */
export function capMask(names: readonly string[]): string {
  let mask = 0n;
  for (const n of names) {
    const bit = (CAP as Record<string, number>)[n];
    assert.ok(bit !== undefined, `unknown capability ${n}`);
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}
