/**
 * The `ct container ps` table: ID, IMAGE (the name it was run from, else 12 digits of its digest), COMMAND, STATUS
 * (with the exit status), CREATED, PORTS (podman's `127.0.0.1:8080->80/tcp`, a run of ports as one range); and the
 * fields its --format templates see (podman's names).
 */
import { formatPortsColumn, type ContainerStats, type ImageContainer } from '@ct/runtime';
import { timeAgo } from './time-ago.js';

/** `rows` (the first the header) as columns three spaces apart, the last one unpadded. */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]! + 3))).join('')).join('\n') + '\n';
}

/** A byte count as podman prints it (1000-based: kB, MB, GB). */
function bytes(n: bigint): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = Number(n);
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)}${units[u]}`;
}

/** The `container stats` table: ID, CPU TIME (seconds), MEM USAGE / LIMIT, PIDS. */
export function statsTable(list: readonly ({ readonly id: string } & ContainerStats)[]): string {
  // an unlimited v1 memory limit is the page-rounded 2^63-1
  const limit = (l: bigint | undefined): string => (l === undefined || l >= 2n ** 62n ? '-' : bytes(l));
  return columns([['ID', 'CPU TIME', 'MEM USAGE / LIMIT', 'PIDS'], ...list.map((s) => [
    s.id, s.cpu === undefined ? '-' : `${(Number(s.cpu.usage.total) / 1e9).toFixed(2)}s`,
    s.memory === undefined ? '-' : `${bytes(s.memory.usage.usage)} / ${limit(s.memory.usage.limit)}`, String(s.pids.current),
  ])]);
}

/** The image column: the name `container run` was given, else the digest's first 12 digits. */
function imageColumn(c: ImageContainer): string {
  return c.imageName ?? c.image.slice(7, 19);
}

/** The fields of `container ps --format` templates, as podman's names them. */
export function psFields(c: ImageContainer): Record<string, unknown> {
  return {
    ID: c.id, Names: c.id, Image: imageColumn(c), ImageID: c.image.slice(c.image.indexOf(':') + 1), Command: c.command.join(' '),
    State: c.exitStatus !== undefined ? 'exited' : c.status, Status: statusColumn(c), ExitCode: c.exitStatus ?? 0,
    CreatedAt: c.created, Pid: c.pid, Ports: formatPortsColumn(c.ports),
  };
}

/** Unix seconds of `iso`; Go's zero time (podman's "never") when there is none. */
function unixSeconds(iso: string | undefined): number {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? -62135596800 : Math.floor(ms / 1000);
}

/**
 * One container of `container ps --format json`, as podman 4.3's: its field names and values where ct knows them
 * (`--json` gives ct's own record). Not there: Pod, PodName, IsInfra, Namespaces, Size; Networks is empty;
 * (ct's container ids are names: Id is the name).
 */
export function psJson(c: ImageContainer, now = Date.now()): Record<string, unknown> {
  const exited = c.exitStatus !== undefined;
  const state = exited ? 'exited' : c.status;
  const since = (iso: string): string => timeAgo(iso, now).replace(/ ago$/, '');
  const status = exited ? `Exited (${c.exitStatus}) ${timeAgo(c.finished ?? c.created, now)}`
    : c.status === 'running' ? `Up ${since(c.started)}` : c.status === 'paused' ? `Up ${since(c.started)} (Paused)` : c.status === 'created' ? 'Created' : c.status;
  return {
    AutoRemove: c.autoRemove, Command: c.command.slice(c.entrypoint.length), CreatedAt: timeAgo(c.created, now), Exited: exited, ExitedAt: unixSeconds(c.finished),
    ExitCode: c.exitStatus ?? 0, Id: c.id, Image: imageColumn(c), ImageID: c.image.slice(c.image.indexOf(':') + 1),
    Labels: Object.keys(c.labels).length > 0 ? c.labels : null, Mounts: c.mounts, Names: [c.id], Networks: [], Pid: c.pid,
    Ports: c.ports.length === 0 ? null : c.ports.map((p) => ({ host_ip: p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol })),
    StartedAt: c.status === 'creating' ? unixSeconds(undefined) : unixSeconds(c.started), State: state, Status: status, Created: unixSeconds(c.created),
  };
}

function statusColumn(c: ImageContainer): string {
  return c.exitStatus !== undefined ? `exited (${c.exitStatus})` : c.status;
}

/** Render `list` as `container ps` prints it (CREATED relative; --json and --format give the exact time). */
export function containerTable(list: readonly ImageContainer[]): string {
  const rows = [['ID', 'IMAGE', 'COMMAND', 'STATUS', 'CREATED', 'PORTS']];
  for (const c of list) {
    const command = c.command.join(' ');
    rows.push([c.id, imageColumn(c), command.length > 30 ? `${command.slice(0, 29)}…` : command, statusColumn(c), timeAgo(c.created), formatPortsColumn(c.ports)]);
  }
  return columns(rows);
}
