import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireFeature, tempDir } from '@ct/test-utils';
import { ctBin } from './runtime-harness.js';

function ct(args: string[], cwd = '/'): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [ctBin, ...args], { encoding: 'utf8', cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ct verbs without containers', () => {
  it('ct --version, runc\'s three lines', () => {
    const r = ct(['--version']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^ct version \d+\.\d+\.\d+\ncommit: \S+\nspec: 1\.\d+\.\d+\n$/);
  });
  it('ct features, a features document with ociVersionMin/Max and the mount options', () => {
    const r = ct(['features']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(doc['ociVersionMin'], '1.0.0');
    assert.ok((doc['mountOptions'] as string[]).includes('rro'));
    assert.equal((doc['linux'] as Record<string, Record<string, unknown>>)['seccomp']?.['enabled'], true);
    assert.deepEqual(doc['hooks'], ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  });
  it('ct checkpoint --help, fails so engines see checkpointing is absent', () => {
    assert.notEqual(ct(['checkpoint', '--help']).status, 0);
  });
  it('ct <unknown command>, exits non-zero', () => {
    assert.notEqual(ct(['frobnicate']).status, 0);
  });
  it('ct with a bad flag, exits 1 naming the flag', () => {
    const r = ct(['delete', '--frobnicate', 'x']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /frobnicate/);
  });
  it('ct list, an empty root lists nothing; --format json is an empty array', () => {
    const root = tempDir('ct-list-');
    assert.equal(ct(['--root', root, 'list', '-q']).stdout, '');
    assert.deepEqual(JSON.parse(ct(['--root', root, 'list', '--format', 'json']).stdout), []);
  });
  it('ct list, the table is runc\'s byte for byte (columns at least 12 wide, 3 spaces after the widest cell)', function () {
    requireFeature(this, spawnSync('runc', ['--version']).status === 0, 'runc is not installed');
    const root = mkdtempSync(join(tmpdir(), 'ct-list-'));
    try {
      const runc = spawnSync('runc', ['--root', join(root, 'runc'), 'list'], { encoding: 'utf8' });
      assert.equal(runc.status, 0, runc.stderr);
      assert.equal(ct(['--root', join(root, 'ct'), 'list']).stdout, runc.stdout);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  it('ct list, a reader that closed the pipe ends ct quietly (status 141, as a program killed by SIGPIPE), no stack trace', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ct-list-'));
    try {
      const child = spawn(process.execPath, [ctBin, '--root', root, 'list', '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      assert.equal(stderr, '');
      assert.equal(status, 141);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  it('ct spec, writes config.json and refuses to overwrite it', () => {
    const dir = tempDir('ct-spec-');
    assert.equal(ct(['spec'], dir).status, 0);
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual((c['process'] as Record<string, unknown>)['args'], ['sh']);
    assert.equal(ct(['spec'], dir).status, 1);
  });
  it('ct --log --log-format json, an error with a single-dash global flag lands in the log', () => {
    const dir = tempDir('ct-log-');
    const r = ct(['-root', dir, '-log', join(dir, 'log.json'), '-log-format=json', 'kill', 'nope', '9']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /container nope does not exist/);
    const line = JSON.parse(readFileSync(join(dir, 'log.json'), 'utf8').trim()) as Record<string, unknown>;
    assert.equal(line['level'], 'error');
  });
});
