/**
 * The network modes of `ct container run --network`, as podman names them: `none` (own network namespace, lo
 * only), `host` (the caller's namespace), `private` (own namespace, lo only: no helper), `pasta` and
 * `slirp4netns` (own namespace, outbound access and published ports through a user-mode helper: the rootless
 * modes), `bridge` (root only: a veth pair on ct's bridge with NAT, through the CNI plugins), `container:ID`
 * (join another container's network namespace, as a pod does). The default is podman's: bridge as root; rootless,
 * pasta when installed, else slirp4netns, else private (lo only, with a warning).
 * Man pages: network_namespaces(7), pasta(1), slirp4netns(1).
 */
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { RuntimeError } from '../errors.js';

/** A network mode. */
export type NetworkMode =
  | {
  /** The mode's kind (the --network value). */
  readonly kind: 'none';
}
  | {
  /** The mode's kind (the --network value). */
  readonly kind: 'host';
}
  | {
  /** The mode's kind (the --network value). */
  readonly kind: 'private';
}
  | {
  /** The mode's kind (the --network value). */
  readonly kind: 'pasta';
}
  | {
  /** The mode's kind (the --network value). */
  readonly kind: 'slirp4netns';
}
  | {
  /** The mode's kind (the --network value). */
  readonly kind: 'bridge';
}
  | {
  /** The mode's kind (the --network value). */
  readonly kind: 'container';
  /** The container whose network namespace is joined. */
  readonly id: string;
};

/** The kinds of NetworkMode. */
export type NetworkModeKind = NetworkMode['kind'];

/** The user-mode helper programs. */
export type NetworkHelper = 'pasta' | 'slirp4netns';

/** The names `--network` takes (besides `container:ID`). */
export const NETWORK_MODE_NAMES: readonly Exclude<NetworkModeKind, 'container'>[] = ['none', 'host', 'private', 'pasta', 'slirp4netns', 'bridge'];

/** The full path of `name` on $PATH (or the given PATH), or undefined when it is not installed. */
export function findProgram(name: string, path = process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * `--network TEXT` as a mode.
 * @throws RuntimeError EUSAGE naming the value and the modes there are
 */
export function parseNetworkMode(text: string): NetworkMode {
  if (text.startsWith('container:')) {
    const id = text.slice('container:'.length);
    if (id === '') throw new RuntimeError('EUSAGE', 'container run: --network container:ID: the container id is missing');
    return { kind: 'container', id };
  }
  // podman's `slirp4netns:OPTIONS` / `pasta:OPTIONS` take helper options ct does not pass through: say so
  const known = (NETWORK_MODE_NAMES as readonly string[]).includes(text);
  if (!known) {
    throw new RuntimeError('EUSAGE', `container run: --network ${text}: unknown network mode (expected ${NETWORK_MODE_NAMES.join(', ')} or container:ID)`);
  }
  return { kind: text as Exclude<NetworkModeKind, 'container'> };
}

/** `--network` for a mode (the inverse of parseNetworkMode). */
export function formatNetworkMode(mode: NetworkMode): string {
  return mode.kind === 'container' ? `container:${mode.id}` : mode.kind;
}

/** The device pasta and slirp4netns make the container's interface with. */
export const TUN_DEVICE = '/dev/net/tun';

/**
 * Why the user-mode helpers cannot work for us, or undefined when they can: they open /dev/net/tun as the caller
 * (udev makes it 0666; a system without udev may leave the kernel's 0600, which only root may open).
 */
export function tunUnusable(device = TUN_DEVICE): string | undefined {
  try {
    closeSync(openSync(device, constants.O_RDWR));
    return undefined;
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    return `${device}: ${code === 'EACCES' ? 'permission denied (as root: chmod 0666 /dev/net/tun, the mode udev gives it)' : code}`;
  }
}

/**
 * podman's default mode: bridge as root; rootless, pasta when installed, else slirp4netns, else `private` (the
 * caller warns: the container has lo only; `why` says why).
 */
export function defaultNetworkMode(
  rootless: boolean, find: (name: string) => string | undefined = findProgram, tun: () => string | undefined = tunUnusable,
): NetworkMode & {
  /** Why the container gets lo only (`private`): no helper is installed or usable; the caller warns. */
  readonly why?: string;
} {
  if (!rootless) return { kind: 'bridge' };
  const helper = find('pasta') !== undefined ? 'pasta' : find('slirp4netns') !== undefined ? 'slirp4netns' : undefined;
  if (helper === undefined) return { kind: 'private', why: 'neither pasta nor slirp4netns is installed (apt-get install passt)' };
  const unusable = tun();
  if (unusable !== undefined) return { kind: 'private', why: `${helper} cannot work: ${unusable}` };
  return { kind: helper };
}

/** True when the mode gives the container a network namespace of its own that ct configures after create. */
export function modeNeedsAttach(mode: NetworkMode): boolean {
  return mode.kind === 'pasta' || mode.kind === 'slirp4netns' || mode.kind === 'bridge';
}
