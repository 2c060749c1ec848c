/**
 * Shared pieces of the integration suites: a guard built from the library's probes, the programs run inside
 * (static busybox and the ct-probe binary, bound read-only into a tmpfs root), and a runner that captures stdout.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, probeBinary, requireFeature } from '@ct/test-utils';
import type { Step } from '@ct/syscalls';
import {
  checkUnprivilegedUserNamespace, type CommandSpec, type RunOptions, type ContainerSpec, type Mount, runContainer,
  userNamespaceSupported,
} from '../../src/index.js';

export const BUSYBOX = '/bin/busybox';
export const PROBE = '/bin/ct-probe';
const APPLETS = ['sh', 'id', 'ls', 'mkdir', 'cat', 'sleep', 'hostname', 'stat', 'readlink', 'true', 'echo', 'touch', 'test', 'kill'];

/** Skip (or fail under CI) unless this user can make containers and busybox and the probe exist. */
export function guardContainers(ctx: Mocha.Context): void {
  const verdict = checkUnprivilegedUserNamespace();
  requireFeature(ctx, userNamespaceSupported() && (isRoot() || verdict.supported),
    `user namespaces: ${verdict.reason ?? 'unsupported'}`);
  requireFeature(ctx, existsSync(BUSYBOX), `${BUSYBOX} (Debian busybox-static) missing`);
  requireFeature(ctx, existsSync(probeBinary()), `${probeBinary()} missing (build tools/images)`);
}

/** busybox and the probe, read-only at /bin/busybox and /bin/ct-probe. */
export function toolMounts(): Mount[] {
  return [
    { type: 'bind', source: BUSYBOX, target: BUSYBOX, readOnly: true },
    { type: 'bind', source: probeBinary(), target: PROBE, readOnly: true },
  ];
}

/** Populate steps linking the busybox applets in /bin. */
export function appletLinks(): Step[] {
  return APPLETS.map((name) => ({ op: 'symlink', target: BUSYBOX, path: `/bin/${name}` }));
}

/** A busybox shell command with PATH=/bin. */
export function sh(script: string): CommandSpec {
  return { argv: [BUSYBOX, 'sh', '-c', script], env: { PATH: '/bin' } };
}

/** The probe with arguments. */
export function probe(...args: string[]): CommandSpec {
  return { argv: [PROBE, ...args], env: {} };
}

/** A spec with a tmpfs root holding the tools (applets linked), all namespaces unless given. */
export function toolSpec(command: CommandSpec, extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    command,
    consoleTty: null,
    ...extra,
    mounts: [...toolMounts(), ...(extra.mounts ?? [])],
    populate: [...appletLinks(), ...(extra.populate ?? [])],
  };
}

/** Run a container to its end with stdout captured. */
export async function runCaptured(spec: ContainerSpec, options: RunOptions = {}): Promise<{ status: number; stdout: string }> {
  return captured(async (stdio) => {
    const handle = await runContainer({ consoleTty: null, ...spec, stdio }, {}, options);
    return (await handle.wait()).status;
  });
}

/** Call `run` with a file as stdout: its status and what it wrote. */
export async function captured(run: (stdio: [number, number, number]) => Promise<number>): Promise<{ status: number; stdout: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ct-out-'));
  const out = openSync(join(dir, 'out'), 'w+', 0o600);
  const devnull = openSync('/dev/null', 'r');
  try {
    const status = await run([devnull, out, 2]);
    return { status, stdout: readFileSync(join(dir, 'out'), 'utf8') };
  } finally {
    closeSync(out);
    closeSync(devnull);
    rmSync(dir, { recursive: true, force: true });
  }
}
