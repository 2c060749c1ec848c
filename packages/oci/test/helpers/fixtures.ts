/**
 * Test helpers: the fixture images (built by tools/images/oci-fixtures when missing), the deterministic layout
 * writer of tools/images/lib for in-memory layers, temp dirs, and a tree snapshot for comparing unpacked roots.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@ct/test-utils';
import { snapshotEntries, type NodeInfo } from './snapshot-tree.mjs';

/** A tar entry as tools/images/lib takes it. */
export interface LayerEntry {
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'whiteout' | 'opaque';
  path: string | Buffer;
  content?: string | Buffer;
  target?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string | Buffer>;
  pax?: Record<string, string | Buffer>;
  typeflag?: string;
}
/** A built layer. */
export interface Layer { blob: Buffer; mediaType: string; digest: string; diffId: string; size: number }
/** The part of tools/images/lib the tests use. */
export interface ImagesLib {
  writeTar(entries: LayerEntry[], options?: { mtime?: number }): Buffer;
  createLayer(entries: LayerEntry[], options?: { compression?: 'gzip' | 'none' | 'zstd'; mtime?: number }): Layer;
  writeImage(dir: string, image: { layers: Layer[]; config?: Record<string, unknown>; refName?: string; architecture?: string }): { manifestDigest: string; configDigest: string };
  writeBlob(dir: string, data: Buffer | string): { digest: string; size: number };
}

/** Load tools/images/lib. */
export async function imagesLib(): Promise<ImagesLib> {
  return (await import(pathToFileURL(join(repoRoot(), 'tools/images/lib/index.mjs')).href)) as ImagesLib;
}

/** Build the fixture images if missing or stale; returns their folder. */
export async function ociFixtures(): Promise<string> {
  const mod = (await import(pathToFileURL(join(repoRoot(), 'tools/images/oci-fixtures/build.mjs')).href)) as {
    buildOciFixtures(): { outDir: string };
  };
  return mod.buildOciFixtures().outDir;
}

/** The hostile fixture table. */
export interface HostileCase { layers: LayerEntry[][]; expect: 'refuse' | 'confine'; code?: string; escape?: string; inside?: string }
export async function hostileCases(): Promise<Record<string, HostileCase>> {
  const mod = (await import(pathToFileURL(join(repoRoot(), 'tools/images/oci-fixtures/hostile.mjs')).href)) as { HOSTILE: Record<string, HostileCase> };
  return mod.HOSTILE;
}

/** A fresh temp dir, removed by the returned cleanup. */
export function tempDir(prefix = 'ct-oci-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export type { NodeInfo } from './snapshot-tree.mjs';

/** Walk `root` without following symlinks: path (latin1 of the bytes) → type, mode, owners, link target, content. */
export function snapshotTree(root: string): Map<string, NodeInfo> {
  return new Map(snapshotEntries(root));
}

/** Differences between two snapshots, as readable lines (empty when equal). */
export function diffTrees(a: Map<string, NodeInfo>, b: Map<string, NodeInfo>): string[] {
  const lines: string[] = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = JSON.stringify(a.get(k) ?? null);
    const y = JSON.stringify(b.get(k) ?? null);
    if (x !== y) lines.push(`${k}: ${x} != ${y}`);
  }
  return lines.sort();
}
