/**
 * How `ct container run` tells the runtime that the root is an overlay of store layers: the annotation
 * `run.ct.rootfs.overlay` in config.json (JSON: lowerDirs top first, upperDir, workDir, userxattr). The config
 * conversion turns it into @ct/namespaces' `root.overlay`, so the child mounts the overlay on root.path inside the
 * container's mount namespace, in place of binding root.path onto itself (before /proc, /dev and pivot_root).
 * A runtime-spec mount on "/" cannot do this: the default file systems are mounted before the config's mounts.
 * Man pages: overlayfs (Documentation/filesystems/overlayfs.rst).
 */
import type { OverlayRootSpec } from '@ct/namespaces/engine';
import { ConfigError } from './errors.js';

/** The annotation's key. */
export const OVERLAY_ANNOTATION = 'run.ct.rootfs.overlay';

/** The annotation's value for `overlay`. */
export function overlayAnnotation(overlay: OverlayRootSpec): string {
  return JSON.stringify(overlay);
}

const isStr = (v: unknown): v is string => typeof v === 'string' && v.startsWith('/') && !/[,:\\]/.test(v);

/**
 * `{ overlay }` for a root spec when the annotation is present, else `{}`.
 * @throws ConfigError on a malformed annotation (relative paths, ',' or ':' in a path, missing fields).
 */
export function rootOverlay(annotations: Readonly<Record<string, string>>): { overlay?: OverlayRootSpec } {
  const text = annotations[OVERLAY_ANNOTATION];
  if (text === undefined) return {};
  const where = `annotations.${OVERLAY_ANNOTATION}`;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ConfigError(where, 'not valid JSON');
  }
  const o = v as Partial<Record<keyof OverlayRootSpec, unknown>>;
  if (typeof v !== 'object' || v === null || !Array.isArray(o.lowerDirs) || o.lowerDirs.length === 0 || !o.lowerDirs.every(isStr)
    || !isStr(o.upperDir) || !isStr(o.workDir) || typeof o.userxattr !== 'boolean') {
    throw new ConfigError(where, 'expected {lowerDirs, upperDir, workDir, userxattr} with absolute paths free of "," and ":"');
  }
  return { overlay: { lowerDirs: o.lowerDirs as string[], upperDir: o.upperDir, workDir: o.workDir, userxattr: o.userxattr } };
}
