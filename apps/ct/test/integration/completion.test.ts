/**
 * Shell completion through oclif's autocomplete plugin (`ct autocomplete [bash|zsh|powershell]`, `-r` to rebuild its
 * cache): the bash function it writes completes ct's commands (topics separated by spaces) and each command's flags.
 * Container and image names are not completed (the plugin knows commands and flags only). Root pass only: nothing
 * here depends on the user.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctBin } from './runtime-harness.js';

describe('ct autocomplete, bash completion of commands and flags @root', function () {
  this.timeout(60_000);
  let cache = '';
  before(() => {
    cache = mkdtempSync(join(tmpdir(), 'ct-completion-'));
  });
  after(() => rmSync(cache, { recursive: true, force: true }));

  /** What the generated bash function offers for the words typed so far (the last one being completed). */
  const complete = (fn: string, words: readonly string[]): string[] => {
    const script = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ct_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', script, 'bash', fn, ...words], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return [...new Set(r.stdout.split('\n').filter((w) => w !== ''))].sort();
  };

  it('autocomplete -r writes the bash function; it offers subcommands and the command\'s flags', () => {
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    const r = spawnSync(process.execPath, [ctBin, 'autocomplete', '-r'], { encoding: 'utf8', env, input: '' });
    assert.equal(r.status, 0, r.stderr);
    const fn = join(cache, 'ct', 'autocomplete', 'functions', 'bash', 'ct.bash');
    assert.ok(existsSync(fn), `no ${fn}`);
    const setup = spawnSync(process.execPath, [ctBin, 'autocomplete', 'script', 'bash'], { encoding: 'utf8', env, input: '' });
    assert.match(setup.stdout, /bash_setup/, setup.stderr);
    assert.deepEqual(complete(fn, ['ct', 'container', 'r']), ['restart', 'rm', 'run']);
    assert.deepEqual(complete(fn, ['ct', 'im']), ['image', 'images']);
    assert.deepEqual(complete(fn, ['ct', 'container', 'logs', '--t']), ['--tail', '--timestamps']);
  });
});
