import { strict as assert } from 'node:assert';
import { mountEntries } from '../../src/engine/container-run-options.js';
import { parseArgv, UsageError, type ParsedCommand } from '../../src/flags/parse-argv.js';

function command(argv: string[]): ParsedCommand {
  const p = parseArgv(argv);
  assert.equal(p.kind, 'verb', JSON.stringify(p));
  return (p as { command: ParsedCommand }).command;
}

describe('volume command lines', () => {
  it('mountEntries, type=volume is the -v entry it means: NAME:DST[:OPTIONS], or DST alone for an anonymous volume', () => {
    assert.deepEqual(mountEntries(['type=volume,source=data,target=/d', 'type=volume,src=v2,dst=/e,readonly,volume-nocopy,U', 'type=volume,target=/anon']).volumes,
      ['data:/d', 'v2:/e:ro,nocopy,U', '/anon']);
    assert.deepEqual(mountEntries(['type=volume,source=data,destination=/d,readonly=false,volume-nocopy=false']).volumes, ['data:/d']);
  });
  it('mountEntries, type=volume refuses what it cannot mean, naming it: a path source, options of an anonymous volume, volume-opt', () => {
    const refused: [string, RegExp][] = [
      ['type=volume,source=/host,target=/d', /source=\/host: a volume name, not a path/],
      ['type=volume,target=/d,readonly', /an anonymous volume \(no source=\) takes no options/],
      ['type=volume,source=v,target=/d,volume-opt=size=1', /volume-opt: not a volume mount option ct knows/],
      ['type=volume,source=v', /target= .* is missing/],
    ];
    for (const [entry, message] of refused) assert.throws(() => mountEntries([entry]), (e: UsageError) => e instanceof UsageError && message.test(e.message), entry);
  });
  it('parseArgv, the volume topic is on the lean path with the global flags before it', () => {
    const rm = command(['--root', '/r', 'volume', 'rm', '-f', 'a', 'b', '--storage-root', '/s']);
    assert.deepEqual([rm.verb, rm.globals, rm.flags, rm.args], ['volume rm', { root: '/r' }, { force: true, 'storage-root': '/s' }, ['a', 'b']]);
    assert.equal(command(['volume', 'list', '-q']).verb, 'volume ls');
    assert.deepEqual(command(['volume', 'create']).args, []);
    assert.deepEqual(parseArgv(['volume', '--help']), { kind: 'other', rest: ['volume', '--help'] });
  });
  it('parseArgv, a volume verb\'s bad flag or missing name is podman\'s usage error of that verb', () => {
    assert.throws(() => parseArgv(['volume', 'inspect']), (e: UsageError) => e.verb === 'volume inspect' && /NAME missing/.test(e.message));
    assert.throws(() => parseArgv(['volume', 'ls', '--bogus']), (e: UsageError) => e.verb === 'volume ls' && /^unknown flag: --bogus$/.test(e.message));
  });
});
