/**
 * Platforms: the host's in Go's GOOS/GOARCH spelling (as image indexes use), and choosing the best manifest of an
 * index for a wanted platform (image-spec image-index.md "platform"; containerd's platforms matcher: an exact
 * variant match wins, an arm64 manifest without a variant counts as v8).
 */
import { OciLayoutError } from './errors.js';
import type { Descriptor, ImageConfig, Platform } from './spec/image-spec.js';

const ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64',
  loong64: 'loong64', mips: 'mips', mipsel: 'mipsle',
};

/** The platform this process runs on (`linux`/`amd64`, `linux`/`arm64`/`v8`, `linux`/`arm`/`v7`). */
export function hostPlatform(): Platform {
  const architecture = ARCH[process.arch] ?? process.arch;
  if (architecture === 'arm64') return { os: 'linux', architecture, variant: 'v8' };
  if (architecture === 'arm') {
    const v = (process.config.variables as { arm_version?: string }).arm_version;
    return { os: 'linux', architecture, variant: `v${v ?? '7'}` };
  }
  return { os: 'linux', architecture };
}

/** Parse `os/arch[/variant]` (as `--platform` takes it). Returns undefined when malformed. */
export function parsePlatform(s: string): Platform | undefined {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) return undefined;
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant !== undefined ? { os, architecture, variant } : { os, architecture };
}

/** Format a platform as `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined).join('/');
}

function normalizedVariant(p: Platform): string | undefined {
  if (p.architecture === 'arm64' && (p.variant === undefined || p.variant === '')) return 'v8';
  return p.variant === '' ? undefined : p.variant;
}

/** Rank of `candidate` for `wanted`: undefined when it does not run there, lower is better. */
export function platformRank(candidate: Platform, wanted: Platform): number | undefined {
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return undefined;
  const cv = normalizedVariant(candidate);
  const wv = normalizedVariant(wanted);
  if (cv === wv) return 0;
  if (cv === undefined) return 1; // a variant-less manifest runs on any variant
  if (wv === undefined) return 2;
  // arm variants are backwards compatible: a v7 host runs v6 and v5 images.
  if (wanted.architecture === 'arm' && /^v[0-9]+$/.test(cv) && /^v[0-9]+$/.test(wv) && Number(cv.slice(1)) < Number(wv.slice(1))) {
    return 2 + Number(wv.slice(1)) - Number(cv.slice(1));
  }
  return undefined;
}

/** The best descriptor for `wanted` among `manifests` (those without a platform are skipped), or undefined. */
export function selectPlatform(manifests: readonly Descriptor[], wanted: Platform): Descriptor | undefined {
  let best: Descriptor | undefined;
  let bestRank = Infinity;
  for (const d of manifests) {
    if (d.platform === undefined) continue;
    const r = platformRank(d.platform, wanted);
    if (r !== undefined && r < bestRank) { best = d; bestRank = r; }
  }
  return best;
}

/**
 * Refuse an image whose config is for another platform than `wanted` (a single-platform image asked for with
 * another `--platform`): the message names both. `what` is the step and object ("resolve image: sha256:...").
 * @throws OciLayoutError OCI_NO_MATCHING_PLATFORM.
 */
export function checkImagePlatform(config: Pick<ImageConfig, 'os' | 'architecture' | 'variant'>, wanted: Platform, what: string, digest: string): void {
  const has: Platform = { os: config.os, architecture: config.architecture, ...(config.variant !== undefined ? { variant: config.variant } : {}) };
  if (platformRank(has, wanted) === undefined) {
    throw new OciLayoutError('OCI_NO_MATCHING_PLATFORM', `${what}: the image is for ${formatPlatform(has)}, not ${formatPlatform(wanted)}`, { digest });
  }
}
