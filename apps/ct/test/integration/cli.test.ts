/**
 * The ct binary's own surface: help with the topics defined (`container`, `image` described as topics, not by one
 * of their commands), `--version` with the commit the build recorded, and the rule that no command reads stdin
 * unless given `-` (oclif reads a missing argument from a piped stdin otherwise).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeTree } from '@ct/oci';
import { testImage } from '@ct/test-utils';

const bin = fileURLToPath(new URL('../../bin/ct.js', import.meta.url));
const appDir = fileURLToPath(new URL('../..', import.meta.url));

describe('ct binary', () => {
  it('ct binary, --help lists the commands', () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /USAGE/);
    assert.match(r.stdout, /version/);
  });
  it('ct binary, --help describes the container and image topics as topics, not by one of their commands', () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '200' } });
    assert.equal(r.status, 0, r.stderr);
    const topic = (name: string): string => new RegExp(`^  ${name} +(.*)$`, 'm').exec(r.stdout.split('COMMANDS')[0] ?? '')?.[1] ?? '';
    assert.match(topic('container'), /containers/);
    assert.match(topic('image'), /image store/);
    assert.doesNotMatch(r.stdout, /run a command in a running container/, 'exec\'s description is not the topic\'s');
  });
  it('ct binary, version prints the package version', () => {
    const r = spawnSync(process.execPath, [bin, 'version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ct version 0\.1\.0$/m);
  });
  it('ct binary, --version and version print the commit the build recorded (git\'s HEAD where the tree is a checkout)', () => {
    const lean = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    const oclif = spawnSync(process.execPath, [bin, 'version'], { encoding: 'utf8' });
    const commit = /^commit: (.*)$/m.exec(lean.stdout)?.[1];
    assert.match(commit ?? '', /^[0-9a-f]{40}(-dirty)?$/, lean.stdout);
    assert.equal(/^commit: (.*)$/m.exec(oclif.stdout)?.[1], commit);
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: appDir, encoding: 'utf8' });
    // the unprivileged pass runs on a copy without .git: the recorded commit is then the one the copy was made at
    if (head.status === 0) assert.equal(commit?.replace(/-dirty$/, ''), head.stdout.trim());
    else assert.deepEqual(JSON.parse(readFileSync(join(appDir, 'build-info.json'), 'utf8')), { commit });
  });
});

describe('ct binary, stdin', function () {
  this.timeout(60_000);
  let tmp = '';
  before(() => { tmp = mkdtempSync(join(tmpdir(), 'ct-stdin-')); });
  after(async () => { if (tmp !== '') await removeTree(tmp); });

  it('ct binary, a command given all its arguments in a while-read loop leaves the loop\'s input alone', function () {
    if (!existsSync(join(testImage('busybox'), 'index.json'))) this.skip();
    // three lines: each iteration unpacks into the bundle the line names; a command that ate stdin ends the loop early
    const script = `while read b; do "$0" "$1" image unpack --image "$2" "$3/$b" >/dev/null || echo "failed $b"; echo "done $b"; done`;
    const r = spawnSync('sh', ['-c', script, process.execPath, bin, testImage('busybox'), tmp], { input: 'b1\nb2\nb3\n', encoding: 'utf8', timeout: 50_000 });
    assert.equal(r.stdout, 'done b1\ndone b2\ndone b3\n', r.stderr);
    for (const b of ['b1', 'b2', 'b3']) assert.ok(existsSync(join(tmp, b, 'config.json')), b);
  });
  it('ct binary, a missing argument is a usage error, not read from a piped stdin', () => {
    const r = spawnSync(process.execPath, [bin, 'image', 'import', '--storage-root', join(tmp, 'store')], { input: `${testImage('busybox')}\n`, encoding: 'utf8' });
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /Missing 1 required arg/);
    assert.equal(existsSync(join(tmp, 'store', 'images')), false, 'nothing was imported');
  });
});
