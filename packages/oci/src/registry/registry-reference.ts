/**
 * Image references as users write them (distribution/reference's normalize rules): `busybox` is
 * `docker.io/library/busybox:latest`; the first component is a registry host when it holds a '.' or ':' or is
 * `localhost`; Docker Hub is reached at `registry-1.docker.io` and its one-component names live under `library/`;
 * `host[:port]/repo[:tag][@sha256:hex]`.
 */
import { isDigest } from '../spec/digest-string.js';
import { RegistryError } from './registry-error.js';

/** A parsed registry reference. */
export interface RegistryRef {
  /** The registry as users name it (`docker.io`, `quay.io`, `localhost:5000`). */
  readonly registry: string;
  /** The host[:port] to contact (`registry-1.docker.io` for Docker Hub). */
  readonly host: string;
  /** The repository path (`library/busybox`). */
  readonly repository: string;
  /** The tag; `latest` when neither tag nor digest was given. */
  readonly tag?: string;
  /** The manifest digest, when given. */
  readonly digest?: string;
}

const DOCKER_HUB = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

function refError(ref: string, why: string): Error {
  return new RegistryError('REGISTRY_REF_INVALID', `parse reference: ${JSON.stringify(ref)}: ${why}`);
}

/**
 * Parse a reference as `docker pull` takes it. `makeError` builds the error for what is wrong (default:
 * RegistryError REGISTRY_REF_INVALID; the image store names its own).
 * @throws RegistryError REGISTRY_REF_INVALID naming the part that is wrong.
 */
export function parseRegistryRef(ref: string, makeError: (ref: string, why: string) => Error = refError): RegistryRef {
  const invalid = makeError;
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw invalid(ref, `${JSON.stringify(digest)} is not a valid digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref, `${JSON.stringify(tag)} is not a valid tag`);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  let registry = DOCKER_HUB;
  let path = rest;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    registry = first;
    path = rest.slice(slash + 1);
    if (!HOST.test(registry)) throw invalid(ref, `${JSON.stringify(registry)} is not a valid registry host`);
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (path === '') throw invalid(ref, 'the repository name is empty');
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  for (const c of path.split('/')) {
    if (!COMPONENT.test(c)) throw invalid(ref, `repository component ${JSON.stringify(c)} is not valid (lower case letters, digits, separators)`);
  }
  if (path.length > 255) throw invalid(ref, 'the repository name is longer than 255 characters');
  const host = registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, host, repository: path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The full name of a reference: `docker.io/library/busybox:latest`, `host/repo@sha256:…`. */
export function formatRegistryRef(ref: RegistryRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** True when `host` (host[:port]) is a loopback address or `localhost`, where plain HTTP is allowed. */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:[0-9]+$/, '');
  return name === 'localhost' || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(name) || name === '::1';
}
