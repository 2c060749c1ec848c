/**
 * Shell completion through oclif's autocomplete plugin (`ct autocomplete [bash|zsh|powershell]`, `-r` to rebuild its
 * cache): the bash function it writes completes ct's commands (topics separated by spaces) and each command's flags;
 * ct's postrun hook appends the completion of container, image and runc container names (engine/completion-names.ts),
 * listed by running `ct` from PATH with the line's --root and --storage-root. zsh and PowerShell complete commands and
 * flags only. Root pass only: nothing here depends on the user.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useImageSuite } from './container-run-harness.js';
import { ctBin, makeBundleDir, removeBundle, writeConfig } from './runtime-harness.js';

describe('ct autocomplete, bash completion of commands, flags and names @root', function () {
  this.timeout(120_000);
  const s = useImageSuite('completion', false);
  let cache = '';
  let fn = '';
  let bin = '';
  before(() => {
    cache = mkdtempSync(join(tmpdir(), 'ct-completion-'));
    bin = join(cache, 'bin');
    spawnSync('mkdir', [bin]);
    // the names are listed by the `ct` on PATH, as in a user's shell
    writeFileSync(join(bin, 'ct'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(ctBin)} "$@"\n`);
    chmodSync(join(bin, 'ct'), 0o755);
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    const r = spawnSync(process.execPath, [ctBin, 'autocomplete', '-r'], { encoding: 'utf8', env, input: '' });
    assert.equal(r.status, 0, r.stderr);
    fn = join(cache, 'ct', 'autocomplete', 'functions', 'bash', 'ct.bash');
  });
  after(() => rmSync(cache, { recursive: true, force: true }));

  /**
   * What `ct`'s completion (the function `complete` registers for ct) offers for `line`, the cursor at its end: a
   * line ending in a blank completes a new word. bash splits the words at COMP_WORDBREAKS, as a shell does.
   */
  const complete = (line: string): string[] => {
    const script = [
      'source "$1"; COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}',
      'read -ra COMP_WORDS <<< "${COMP_LINE//:/ : }"; [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")',
      'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); f=$(complete -p ct | sed "s/.*-F \\([^ ]*\\) .*/\\1/"); $f',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = spawnSync('bash', ['-c', script, 'bash', fn, line], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
    assert.equal(r.status, 0, r.stderr);
    return [...new Set(r.stdout.split('\n').filter((w) => w !== ''))].sort();
  };

  it('autocomplete -r writes the bash function; it offers subcommands and the command\'s flags', () => {
    assert.ok(existsSync(fn), `no ${fn}`);
    const setup = spawnSync(process.execPath, [ctBin, 'autocomplete', 'script', 'bash'], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache }, input: '' });
    assert.match(setup.stdout, /bash_setup/, setup.stderr);
    assert.deepEqual(complete('ct container r'), ['restart', 'rm', 'run']);
    assert.deepEqual(complete('ct im'), ['image', 'images']);
    assert.deepEqual(complete('ct container logs --t'), ['--tail', '--timestamps']);
  });

  it('names: containers for container verbs, images for run and image verbs, runc ids for runc verbs', async () => {
    const name = `compl-${process.pid}`;
    const kept = s.run(['--keep', '--name', name, 'busybox', 'true']);
    assert.equal(kept.status, 0, kept.stderr);
    const roots = `--root ${s.root}`;
    assert.deepEqual(complete(`ct ${roots} container rm --storage-root ${s.store} compl`), [name]);
    assert.deepEqual(complete(`ct ${roots} container logs --tail 5 --storage-root ${s.store} `), [name]);
    // logs takes one container: nothing after it
    assert.deepEqual(complete(`ct ${roots} container logs --storage-root ${s.store} ${name} `), []);
    assert.deepEqual(complete(`ct container run --storage-root ${s.store} --name x -e A=1 docker.io/library/bu`), ['docker.io/library/busybox:latest']);
    const ids = s.image(['ls', '-q']);
    assert.match(ids.stdout, /^[0-9a-f]{12}\n$/, ids.stderr);
    // after ':' (a word break for bash) the rest of the name
    assert.deepEqual(complete(`ct image rm --storage-root ${s.store} docker.io/library/busybox:la`), ['latest']);
    // a flag is still completed by the plugin's function
    assert.ok(complete(`ct container rm --f`).includes('--force'));
    // runc's verbs: the containers of `ct list` under the line's --root
    const bundle = await makeBundleDir(join(cache, 'bundles'));
    const spec = spawnSync(process.execPath, [ctBin, 'spec', '--bundle', bundle], { encoding: 'utf8' });
    assert.equal(spec.status, 0, spec.stderr);
    writeConfig(bundle, ['/bin/sleep', '30'], JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Record<string, unknown>);
    const id = `compl-runc-${process.pid}`;
    const created = s.ct.run(['create', '--bundle', bundle, id]);
    try {
      assert.equal(created.status, 0, created.stderr);
      assert.deepEqual(complete(`ct ${roots} state compl-r`), [id]);
      assert.deepEqual(complete(`ct ${roots} kill ${id} `), []);
    } finally {
      s.ct.run(['delete', '--force', id]);
      removeBundle(bundle);
    }
  });
});
