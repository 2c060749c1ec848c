import { strict as assert } from 'node:assert';
import { parseArgv, UsageError, type ParsedArgv } from '../../src/flags/parse-argv.js';

function command(argv: string[]) {
  const p: ParsedArgv = parseArgv(argv);
  assert.equal(p.kind, 'verb');
  if (p.kind !== 'verb') throw new Error('not a verb');
  return p.command;
}
const usage = (e: unknown) => e instanceof UsageError && e.code === 'EUSAGE';

describe('parseArgv', () => {
  it('parseArgv, containerd shim create: globals before the verb, --flag value and --flag=value', () => {
    const c = command(['--root', '/run/containerd/runc/k8s.io', '--log=/b/log.json', '--log-format', 'json', '--systemd-cgroup',
      'create', '--bundle', '/b', '--pid-file=/b/init.pid', '--no-pivot', 'abc']);
    assert.equal(c.verb, 'create');
    assert.deepEqual(c.globals, { root: '/run/containerd/runc/k8s.io', log: '/b/log.json', 'log-format': 'json', 'systemd-cgroup': true });
    assert.deepEqual(c.flags, { bundle: '/b', 'pid-file': '/b/init.pid', 'no-pivot': true });
    assert.deepEqual(c.args, ['abc']);
  });
  it('parseArgv, single-dash long flags as go-runc sends them', () => {
    const c = command(['-root', '/r', 'run', '-no-subreaper', '-d', '-bundle=/b', 'id1']);
    assert.deepEqual(c.globals, { root: '/r' });
    assert.deepEqual(c.flags, { 'no-subreaper': true, detach: true, bundle: '/b' });
  });
  it('parseArgv, kill takes the signal positionally and --all', () => {
    const c = command(['kill', '--all', 'id1', '9']);
    assert.deepEqual(c.args, ['id1', '9']);
    assert.equal(c.flags['all'], true);
  });
  it('parseArgv, exec stops parsing flags at the first positional after the id', () => {
    const c = command(['exec', '-t', 'id1', 'sh', '-c', 'echo hi', '--env', 'X']);
    assert.equal(c.flags['tty'], true);
    assert.deepEqual(c.args, ['id1', 'sh', '-c', 'echo hi', '--env', 'X']);
  });
  it('parseArgv, container run is on the lean path and stops at the image', () => {
    const c = command(['--root', '/r', 'container', 'run', '-d', '--name', 'web', 'img:latest', 'sh', '-c', 'x', '--keep']);
    assert.equal(c.verb, 'container run');
    assert.deepEqual(c.flags, { detach: true, name: 'web' });
    assert.deepEqual(c.args, ['img:latest', 'sh', '-c', 'x', '--keep']);
    // ls is podman's alias of ps
    assert.equal(command(['container', 'ls']).verb, 'container ps');
    assert.deepEqual(parseArgv(['--root', '/r', 'container', '--help']), { kind: 'other', rest: ['container', '--help'] });
  });
  it('parseArgv, image unpack is on the lean path; a command line it refuses goes to oclif, whose errors it keeps', () => {
    const c = command(['image', 'unpack', '--json', '--max-uncompressed-bytes=100', 'layout:latest', 'bundle']);
    assert.equal(c.verb, 'image unpack');
    assert.deepEqual(c.flags, { json: true, 'max-uncompressed-bytes': 100 });
    assert.deepEqual(c.args, ['layout:latest', 'bundle']);
    assert.deepEqual(parseArgv(['image', 'unpack', '--bogus', 'a', 'b']), { kind: 'other', rest: ['image', 'unpack', '--bogus', 'a', 'b'] });
    // runc's global flags are not image unpack's (oclif refuses them)
    assert.deepEqual(parseArgv(['image', 'unpack', '--root', '/r', 'a', 'b']), { kind: 'other', rest: ['image', 'unpack', '--root', '/r', 'a', 'b'] });
    assert.deepEqual(parseArgv(['image', 'unpack', 'a', 'b', 'c']), { kind: 'other', rest: ['image', 'unpack', 'a', 'b', 'c'] });
    assert.deepEqual(parseArgv(['image', 'unpack', '--help']), { kind: 'help', verb: 'image unpack' });
  });
  it('parseArgv, repeated string flags accumulate', () => {
    const c = command(['exec', '-e', 'A=1', '--env=B=2', 'id1', 'true']);
    assert.deepEqual(c.flags['env'], ['A=1', 'B=2']);
  });
  it('parseArgv, --version and -v are the version, anywhere before the verb', () => {
    assert.deepEqual(parseArgv(['--version']), { kind: 'version' });
    assert.deepEqual(parseArgv(['--root', '/r', '-v']), { kind: 'version' });
  });
  it('parseArgv, non-runc commands go to oclif', () => {
    assert.deepEqual(parseArgv(['image', 'ls']), { kind: 'other', rest: ['image', 'ls'] });
    assert.deepEqual(parseArgv(['--root', '/r', 'image', 'ls']), { kind: 'other', rest: ['image', 'ls'] });
    assert.deepEqual(parseArgv([]), { kind: 'other', rest: [] });
    assert.deepEqual(parseArgv(['--help']), { kind: 'other', rest: ['--help'] });
  });
  it('parseArgv, checkpoint --help is recognised (it must fail)', () => {
    assert.deepEqual(parseArgv(['checkpoint', '--help']), { kind: 'help', verb: 'checkpoint' });
  });
  it('parseArgv, wrong argument counts, unknown flags and bad values are usage errors', () => {
    assert.throws(() => parseArgv(['state']), usage);
    assert.throws(() => parseArgv(['state', 'a', 'b']), usage);
    assert.throws(() => parseArgv(['delete', '--frobnicate', 'a']), usage);
    assert.throws(() => parseArgv(['--log-format', 'xml', 'state', 'a']), usage);
    assert.throws(() => parseArgv(['create', '--preserve-fds', 'x', 'a']), usage);
    assert.throws(() => parseArgv(['create', 'a', '--bundle']), usage);
  });
  it('parseArgv, a container verb\'s usage errors carry the verb and speak podman\'s words', () => {
    const error = (argv: string[]): UsageError => {
      try {
        parseArgv(argv);
      } catch (err) {
        if (err instanceof UsageError) return err;
        throw err;
      }
      throw new Error(`no usage error for ${argv.join(' ')}`);
    };
    assert.deepEqual(pick(error(['container', 'run', '--bogus', 'img'])), { verb: 'container run', message: 'unknown flag: --bogus' });
    assert.deepEqual(pick(error(['container', 'run'])), { verb: 'container run', message: 'container run: IMAGE missing (ct container run [FLAGS] IMAGE ...)' });
    assert.deepEqual(pick(error(['container', 'logs', 'a', 'b'])), { verb: 'container logs', message: 'container logs: too many arguments: "b" (ct container logs [FLAGS] CONTAINER-ID)' });
    assert.deepEqual(pick(error(['delete', '--bogus', 'a'])), { verb: 'delete', message: 'flag provided but not defined: -bogus' });
  });
  it('parseArgv, an unknown container verb is named (not handed to oclif as a command)', () => {
    assert.deepEqual(parseArgv(['--root', '/r', 'container', 'frobnicate', 'x']), { kind: 'unknown', command: 'container frobnicate' });
  });
  it('parseArgv, --rootless=false and boolean =false values', () => {
    const c = command(['--rootless=false', 'delete', '--force=false', 'a']);
    assert.equal(c.globals['rootless'], 'false');
    assert.equal(c.flags['force'], false);
  });
});

function pick(e: UsageError): { verb: string | undefined; message: string } {
  return { verb: e.verb, message: e.message };
}
