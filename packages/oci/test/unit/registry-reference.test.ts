import assert from 'node:assert/strict';
import { PullProgressLine, formatRegistryRef, isLoopbackHost, parseAuthChallenges, parseRegistryRef, RegistryError } from '../../src/index.js';

const D = `sha256:${'ab'.repeat(32)}`;

describe('registry references', () => {
  const cases: [string, string, string, string | undefined, string | undefined, string][] = [
    // input, registry, repository, tag, digest, host
    ['busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'registry-1.docker.io'],
    ['busybox:1.36', 'docker.io', 'library/busybox', '1.36', undefined, 'registry-1.docker.io'],
    ['library/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'registry-1.docker.io'],
    ['someone/tool', 'docker.io', 'someone/tool', 'latest', undefined, 'registry-1.docker.io'],
    ['docker.io/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'registry-1.docker.io'],
    ['index.docker.io/library/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'registry-1.docker.io'],
    ['quay.io/org/app:v1', 'quay.io', 'org/app', 'v1', undefined, 'quay.io'],
    ['localhost:5000/busybox', 'localhost:5000', 'busybox', 'latest', undefined, 'localhost:5000'],
    ['localhost/busybox', 'localhost', 'busybox', 'latest', undefined, 'localhost'],
    ['127.0.0.1:5000/a/b/c:t', '127.0.0.1:5000', 'a/b/c', 't', undefined, '127.0.0.1:5000'],
    [`busybox@${D}`, 'docker.io', 'library/busybox', undefined, D, 'registry-1.docker.io'],
    [`r.example:443/x:tag@${D}`, 'r.example:443', 'x', 'tag', D, 'r.example:443'],
    ['a_b/c__d/e-f--g.h', 'docker.io', 'a_b/c__d/e-f--g.h', 'latest', undefined, 'registry-1.docker.io'],
  ];
  for (const [input, registry, repository, tag, digest, host] of cases) {
    it(`parseRegistryRef, ${input}`, () => {
      const r = parseRegistryRef(input);
      assert.equal(r.registry, registry);
      assert.equal(r.repository, repository);
      assert.equal(r.tag, tag);
      assert.equal(r.digest, digest);
      assert.equal(r.host, host);
    });
  }

  it('formatRegistryRef, full name of a short reference', () => {
    assert.equal(formatRegistryRef(parseRegistryRef('busybox')), 'docker.io/library/busybox:latest');
    assert.equal(formatRegistryRef(parseRegistryRef(`localhost:5000/x@${D}`)), `localhost:5000/x@${D}`);
  });

  for (const bad of ['', 'Busybox', 'busybox:', 'busybox:-x', 'busybox@sha256:12', 'a//b', 'host.io/', 'x/-y', 'bad_host:99/x'.replace('_', '!')]) {
    it(`parseRegistryRef, refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseRegistryRef(bad), (e: unknown) => e instanceof RegistryError && e.code === 'REGISTRY_REF_INVALID');
    });
  }

  it('isLoopbackHost, loopback and others', () => {
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1', '127.1.2.3:80', '[::1]:5000']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['example.com', '10.0.0.1:5000', '128.0.0.1', 'localhost.example.com']) assert.equal(isLoopbackHost(h), false, h);
  });
});

describe('registry auth', () => {
  it('parseAuthChallenges, bearer with quoted commas and a second challenge', () => {
    const c = parseAuthChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push", Basic realm="x\\"y"');
    assert.equal(c.length, 2);
    assert.equal(c[0]!.scheme, 'bearer');
    assert.deepEqual(c[0]!.params, { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' });
    assert.equal(c[1]!.scheme, 'basic');
    assert.equal(c[1]!.params['realm'], 'x"y');
  });

  it('parseAuthChallenges, unquoted values and case', () => {
    const c = parseAuthChallenges('BASIC Realm=reg');
    assert.deepEqual(c, [{ scheme: 'basic', params: { realm: 'reg' } }]);
  });
});

describe('registry pull progress', () => {
  it('PullProgressLine, folds blobs into one bar', () => {
    const line = new PullProgressLine();
    assert.equal(line.update({ digest: 'a', bytes: 500n, total: 1000n }, 10), '[#####-----] 500 B / 1.0 kB, 0/1 blobs');
    assert.equal(line.update({ digest: 'b', bytes: 1000n, total: 1000n }, 10), '[#######---] 1.5 kB / 2.0 kB, 1/2 blobs');
  });
});
