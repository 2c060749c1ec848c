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
    assert.deepEqual(parseArgv(['container', 'ls']), { kind: 'other' });
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
    assert.deepEqual(parseArgv(['image', 'ls']), { kind: 'other' });
    assert.deepEqual(parseArgv([]), { kind: 'other' });
    assert.deepEqual(parseArgv(['--help']), { kind: 'other' });
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
  it('parseArgv, --rootless=false and boolean =false values', () => {
    const c = command(['--rootless=false', 'delete', '--force=false', 'a']);
    assert.equal(c.globals['rootless'], 'false');
    assert.equal(c.flags['force'], false);
  });
});
