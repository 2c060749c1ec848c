import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cleanEntryPath } from '../../src/entry-path.js';
import { classifyWhiteout } from '../../src/whiteout.js';
import { DigestVerifier, digestOf } from '../../src/digest.js';
import { resolveExecUser } from '../../src/passwd.js';
import { buildRuntimeConfig, mergeEnv } from '../../src/runtime-config.js';
import { OciLayoutError } from '../../src/errors.js';

describe('cleanEntryPath', () => {
  const cases: Array<[string, string[] | 'climbs']> = [
    ['a/b/c', ['a', 'b', 'c']], ['./a//b/', ['a', 'b']], ['/etc/passwd', ['etc', 'passwd']], ['a/../b', ['b']],
    ['./', []], ['..', 'climbs'], ['a/../../b', 'climbs'], ['../x', 'climbs'],
  ];
  for (const [name, want] of cases) {
    it(`cleanEntryPath, ${JSON.stringify(name)}`, () => {
      const got = cleanEntryPath(Buffer.from(name));
      assert.deepEqual(got === 'climbs' ? got : got.map((c) => c.toString()), want);
    });
  }
});

describe('classifyWhiteout', () => {
  const cases: Array<[string, string]> = [['.wh.foo', 'remove'], ['.wh..wh..opq', 'opaque'], ['.wh..wh.plnk', 'ignore'], ['.wh.', 'invalid'], ['.wh..', 'invalid'], ['.wh...', 'invalid'], ['foo', 'none'], ['.whx', 'none']];
  for (const [name, kind] of cases) it(`classifyWhiteout, ${name} is ${kind}`, () => assert.equal(classifyWhiteout(Buffer.from(name)).kind, kind));
});

describe('DigestVerifier', () => {
  const data = Buffer.from('hello');
  const run = (target: ConstructorParameters<typeof DigestVerifier>[0]) =>
    pipeline(Readable.from([data]), new DigestVerifier(target), new Writable({ write(_c, _e, cb) { cb(); } }));
  it('DigestVerifier, matching sha256 and sha512 pass', async () => {
    await run({ digest: digestOf(data), size: 5n });
    await run({ digest: digestOf(data, 'sha512'), size: 5n });
  });
  it('DigestVerifier, a digest mismatch names the blob', async () => {
    const digest = digestOf(Buffer.from('other'));
    await assert.rejects(run({ digest, size: 5n }), (e: unknown) => e instanceof OciLayoutError && e.code === 'OCI_DIGEST_MISMATCH' && e.digest === digest);
  });
  it('DigestVerifier, too many bytes fail as a size mismatch', async () => {
    await assert.rejects(run({ digest: digestOf(data), size: 4n }), { code: 'OCI_SIZE_MISMATCH' });
  });
  it('DigestVerifier, too few bytes fail as a size mismatch', async () => {
    await assert.rejects(run({ digest: digestOf(data), size: 6n }), { code: 'OCI_SIZE_MISMATCH' });
  });
  it('DigestVerifier, a diff_id mismatch carries its own code', async () => {
    await assert.rejects(run({ digest: digestOf(Buffer.from('x')), mismatchCode: 'OCI_DIFF_ID_MISMATCH' }), { code: 'OCI_DIFF_ID_MISMATCH' });
  });
});

describe('resolveExecUser', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nfoo:x:1000:1001:foo:/home/foo:/bin/sh\n';
  const group = 'root:x:0:\nfoo:x:1001:\nbar:x:2000:foo,baz\nbaz:x:2001:foo\n';
  const cases: Array<[string, object]> = [
    ['', { uid: 0, gid: 0, additionalGids: [], home: '/root' }],
    ['foo', { uid: 1000, gid: 1001, additionalGids: [2000, 2001], home: '/home/foo' }],
    ['1000', { uid: 1000, gid: 1001, additionalGids: [2000, 2001], home: '/home/foo' }],
    ['foo:bar', { uid: 1000, gid: 2000, additionalGids: [], home: '/home/foo' }],
    ['4242:77', { uid: 4242, gid: 77, additionalGids: [], home: '/' }],
    ['4242', { uid: 4242, gid: 0, additionalGids: [], home: '/' }],
  ];
  for (const [spec, want] of cases) it(`resolveExecUser, ${JSON.stringify(spec)}`, () => assert.deepEqual(resolveExecUser(spec, passwd, group), want));
  it('resolveExecUser, an unknown user name is an error', () => assert.throws(() => resolveExecUser('nobody', passwd, group), { code: 'OCI_USER_INVALID' }));
  it('resolveExecUser, an unknown group name is an error', () => assert.throws(() => resolveExecUser('foo:nogroup', passwd, group), { code: 'OCI_USER_INVALID' }));
});

describe('buildRuntimeConfig', () => {
  const user = { uid: 1000, gid: 1001, additionalGids: [2000], home: '/home/foo' };
  it('buildRuntimeConfig, entrypoint+cmd, env merged in place, HOME added, labels and stop signal', () => {
    const spec = buildRuntimeConfig({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] },
      config: { Entrypoint: ['/ep'], Cmd: ['a', 'b'], Env: ['PATH=/bin', 'X=1'], WorkingDir: '/w', Labels: { l: 'v' }, StopSignal: 'SIGINT', ExposedPorts: { '80/tcp': {}, '53/udp': {} } } }, user);
    assert.deepEqual(spec.process!.args, ['/ep', 'a', 'b']);
    assert.deepEqual(spec.process!.env, ['PATH=/bin', 'TERM=xterm', 'X=1', 'HOME=/home/foo']);
    assert.equal(spec.process!.cwd, '/w');
    assert.deepEqual(spec.process!.user, { uid: 1000, gid: 1001, additionalGids: [2000] });
    assert.equal(spec.annotations!.l, 'v');
    assert.equal(spec.annotations!['org.opencontainers.image.stopSignal'], 'SIGINT');
    assert.equal(spec.annotations!['org.opencontainers.image.exposedPorts'], '53/udp,80/tcp');
  });
  it('buildRuntimeConfig, rootless adds a user namespace mapping and drops the cgroup mount', () => {
    const spec = buildRuntimeConfig({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }, user, { rootless: { uid: 1234, gid: 99 } });
    assert.ok(spec.linux!.namespaces!.some((n) => n.type === 'user'));
    assert.deepEqual(spec.linux!.uidMappings, [{ containerID: 0, hostID: 1234, size: 1 }]);
    assert.ok(!spec.mounts!.some((m) => m.type === 'cgroup'));
    assert.deepEqual(spec.process!.args, ['sh']);
  });
  it('mergeEnv, replaces keys in place and appends new ones', () => {
    assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4']), ['A=1', 'B=3', 'C=4']);
  });
});
