/** Twins of Guix's eval/container tests (18-20) and evalInContainer's error path. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ContainerEvalError, ContainerExitError, evalInContainer, nodeRuntimePaths } from '../../src/index.js';
import { guardContainers } from './helpers.js';

describe('evalInContainer', function () {
  let dir: string;
  before(function () { guardContainers(this); });
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ct-eval-test-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('evalInContainer, exit status (18)', async () => {
    await assert.rejects(evalInContainer(() => process.exit(42)),
      (e: unknown) => e instanceof ContainerExitError && e.status === 42);
  });
  it('evalInContainer, writable user mapping (19)', async () => {
    const result = join(dir, 'result');
    writeFileSync(result, '');
    const libDir = dirname(nodeRuntimePaths().find((p) => /\/libc\.so/.test(p)) ?? '/lib/x86_64-linux-gnu/libc.so.6');
    const listed = await evalInContainer(async (d: string) => {
      const fs = await import('node:fs');
      const names = fs.readdirSync(d).sort();
      fs.writeFileSync('/result', JSON.stringify(names));
      return names;
    }, { args: [libDir], mounts: [{ type: 'bind', source: result, target: '/result' }] });
    // The container sees exactly node's closure in its library dir, as Guix's sees the store closure.
    const closure = nodeRuntimePaths().filter((p) => dirname(p) === libDir).map((p) => basename(p)).sort();
    assert.deepEqual(listed, closure);
    assert.deepEqual(JSON.parse(readFileSync(result, 'utf8')), closure);
  });
  it('evalInContainer, non-empty load path (20)', async () => {
    const mod = join(dir, 'mod');
    const out = join(dir, 'out');
    mkdirSync(mod);
    mkdirSync(out);
    writeFileSync(join(mod, 'lib.mjs'), 'export const double = (n) => n * 2;\n');
    writeFileSync(join(mod, 'main.mjs'), `import { double } from './lib.mjs';
import { mkdirSync } from 'node:fs';
export function run(target) { mkdirSync(target + '/a/b/c', { recursive: true }); return double(21); }\n`);
    const value = await evalInContainer<number>({ module: join(mod, 'main.mjs'), export: 'run' },
      { args: ['/result'], mounts: [{ type: 'bind', source: out, target: '/result' }] });
    assert.equal(value, 42);
    assert.ok(existsSync(join(out, 'a/b/c')));
  });
  it('evalInContainer, a thrown error is rethrown', async () => {
    await assert.rejects(evalInContainer(() => { throw new TypeError('boom'); }),
      (e: unknown) => e instanceof ContainerEvalError && e.remoteName === 'TypeError' && /boom/.test(e.message));
  });
  it('evalInContainer, a free variable is a ContainerEvalError saying the function cannot use the caller\'s scope', async () => {
    const outside = 42;
    await assert.rejects(evalInContainer(() => outside + 1), (e: unknown) => e instanceof ContainerEvalError
      && e.remoteName === 'ReferenceError' && /outside is not defined .*cannot use the caller's variables/.test(e.message));
  });
  it('evalInContainer, listed host paths are visible read-only', async () => {
    writeFileSync(join(dir, 'data.txt'), 'visible');
    const r = await evalInContainer(async (file: string) => {
      const fs = await import('node:fs');
      const text = fs.readFileSync(file, 'utf8');
      try {
        fs.writeFileSync(file, 'changed');
        return [text, 'written'];
      } catch (e) {
        return [text, (e as NodeJS.ErrnoException).code];
      }
    }, { args: [join(dir, 'data.txt')], paths: [join(dir, 'data.txt')] });
    assert.deepEqual(r, ['visible', 'EROFS']);
  });
  it('evalInContainer, localhost resolves', async () => {
    const r = await evalInContainer(async () => (await import('node:dns')).promises.lookup('localhost', { family: 4 }));
    assert.equal(r.address, '127.0.0.1');
  });
});
