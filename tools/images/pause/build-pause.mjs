// The `pause` test image: a Kubernetes pod sandbox image (as registry.k8s.io/pause: one static program at /pause,
// run as 65535:65535), built offline from pause.c beside this file for ct's CRI tests, where containerd's CRI
// plugin names it as its sandbox_image. Registered in build.mjs's BUILDERS, so `node tools/images/build.mjs pause`
// builds it into <out>/pause with the same up-to-date stamp rule as the recipes (the binary's bytes, the config
// and this file are hashed). The program is compiled as ct-probe is (gcc -static, no paths or dates embedded), so
// the digest is stable on one machine. Relies on gcc(1) with libc6-dev.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageToolError } from '../lib/errors.mjs';
import { createLayer, writeImage } from '../lib/image-layout.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const FLAGS = ['-static', '-O2', '-s', '-Wall', '-Wextra', '-Werror', '-fno-ident'];

/** The image's config: the pause image's entrypoint and user (nobody in the pod needs a shell or a passwd file). */
const CONFIG = Object.freeze({ User: '65535:65535', Entrypoint: ['/pause'], WorkingDir: '/' });

/**
 * Build (or find up to date) `<out>/pause`, an OCI image layout tagged `latest` holding only /pause.
 * Same signature as build.mjs's recipe builder; the probe is not used.
 * @param {string} name the image's name in build.mjs ("pause")
 * @param {string} out the output folder (test-images/build)
 * @param {string} _probeBinary
 * @param {boolean} force rebuild even when up to date
 * @returns {import('../build.mjs').BuiltImage}
 * @throws {ImageToolError} BUILD_FAILED with gcc's output
 */
export function buildPauseImage(name, out, _probeBinary, force) {
  const binary = compilePause(join(out, '.pause-build'));
  const entries = [{ type: /** @type {const} */ ('file'), path: 'pause', content: binary, mode: 0o755 }];
  const inputs = createHash('sha256')
    .update(binary).update(JSON.stringify(CONFIG)).update(readFileSync(fileURLToPath(import.meta.url))).digest('hex');
  const path = join(out, name);
  const stampFile = join(out, '.stamps', `${name}.json`);
  const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, 'utf8')) : null;
  if (!force && stamp?.inputs === inputs && existsSync(join(path, 'blobs', 'sha256', String(stamp.manifestDigest).slice(7)))) {
    return { name, path, tag: 'latest', manifestDigest: stamp.manifestDigest, built: false };
  }
  const tmp = join(out, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const written = writeImage(tmp, { layers: [createLayer(entries, { compression: 'gzip' })], config: { ...CONFIG }, refName: 'latest' });
  rmSync(path, { recursive: true, force: true });
  renameSync(tmp, path);
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, JSON.stringify({ inputs, manifestDigest: written.manifestDigest }) + '\n');
  return { name, path, tag: 'latest', manifestDigest: written.manifestDigest, built: true };
}

/**
 * Compile pause.c in a scratch folder (removed after) and return the binary's bytes.
 * @param {string} scratch
 * @returns {Buffer}
 */
function compilePause(scratch) {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    // From the source's folder with a relative name, so no absolute path reaches the binary.
    const r = spawnSync('gcc', [...FLAGS, '-o', join(scratch, 'pause'), 'pause.c'], { cwd: HERE, encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new ImageToolError('BUILD_FAILED', `compile pause: gcc ${r.error ? 'not found (apt-get install gcc libc6-dev)' : `exit ${r.status}`}: ${(r.stderr ?? '').trim()}`);
    }
    return readFileSync(join(scratch, 'pause'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
