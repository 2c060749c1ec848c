/**
 * podman's grouped short flags on the container and volume topics (src/flags/short-flags.ts, read by the lean
 * entry's parseArgv): what podman's parser (spf13/pflag) takes, and its words for a letter no flag has.
 */
import { strict as assert } from 'node:assert';
import { parseArgv, UsageError } from '../../src/flags/parse-argv.js';

function flagsOf(argv: string[]): Readonly<Record<string, unknown>> {
  const p = parseArgv(argv);
  if (p.kind !== 'verb') throw new Error(`not a verb: ${p.kind}`);
  return p.command.flags;
}

describe('short flag groups (podman\'s)', () => {
  it('container run -dt, -it, -itd, -ti: each letter\'s flag', () => {
    assert.deepEqual(flagsOf(['container', 'run', '-dt', 'img']), { detach: true, tty: true });
    assert.deepEqual(flagsOf(['container', 'run', '-it', 'img']), { interactive: true, tty: true });
    assert.deepEqual(flagsOf(['container', 'run', '-itd', '--rm', 'img']), { interactive: true, tty: true, detach: true, rm: true });
    assert.deepEqual(flagsOf(['container', 'run', '-ti', 'img', 'sh', '-dt']), { tty: true, interactive: true }, 'the command\'s own flags are its');
    assert.deepEqual(flagsOf(['container', 'exec', '-it', 'c1', 'sh']), { interactive: true, tty: true });
  });
  it('a letter whose flag takes a value takes the rest of the group, after = too, or the next argument', () => {
    assert.deepEqual(flagsOf(['container', 'run', '-deFOO=1', 'img']), { detach: true, env: ['FOO=1'] });
    assert.deepEqual(flagsOf(['container', 'run', '-de=FOO=1', 'img']), { detach: true, env: ['FOO=1'] });
    assert.deepEqual(flagsOf(['container', 'run', '-dte', 'FOO=1', '-e', 'B=2', 'img']), { detach: true, tty: true, env: ['FOO=1', 'B=2'] });
    assert.deepEqual(flagsOf(['container', 'run', '-d=false', 'img']), { detach: false });
    assert.deepEqual(flagsOf(['container', 'ps', '-aq']), { all: true, quiet: true });
    assert.deepEqual(flagsOf(['container', 'rm', '-fv', 'c1']), { force: true, volumes: true });
  });
  it('an unknown letter is refused with pflag\'s words, naming the group; runc\'s verbs keep single-dash long flags', () => {
    for (const [argv, message] of [
      [['container', 'run', '-dx', 'img'], 'unknown shorthand flag: \'x\' in -dx'],
      [['container', 'run', '-name', 'x', 'img'], 'unknown shorthand flag: \'n\' in -name'],
      [['container', 'run', '-td'], 'container run: IMAGE missing'],
      [['container', 'run', '-de'], 'flag needs an argument: --env'],
    ] as const) {
      assert.throws(() => parseArgv([...argv]), (e: unknown) => e instanceof UsageError && e.message.startsWith(message) && e.verb === 'container run', argv.join(' '));
    }
    const p = parseArgv(['run', '-no-subreaper', '-bundle', '/b', 'id1']);
    assert.ok(p.kind === 'verb' && p.command.flags['no-subreaper'] === true && p.command.flags['bundle'] === '/b');
  });
});
