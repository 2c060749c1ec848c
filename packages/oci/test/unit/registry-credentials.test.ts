/**
 * Where registry credentials come from: the auth files in podman's order (--authfile or $REGISTRY_AUTH_FILE alone,
 * else $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json, $DOCKER_CONFIG or ~/.docker), and in
 * each file a `credHelpers` entry, the `credsStore` helper, then `auths` — helpers being sh scripts the tests write
 * on PATH (docker-credential-NAME get, server URL on stdin, JSON out; `<token>` = identity token).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCredentials, RegistryError } from '../../src/index.js';
import { helperCalls, writeCredentialHelper } from '../fixtures/registry/cred-helper.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const isCode = (code: string) => (e: unknown): boolean => e instanceof RegistryError && e.code === code;

describe('findCredentials', () => {
  let dir: string;
  let bin: string;
  let env: NodeJS.ProcessEnv;
  const write = (path: string, doc: unknown): void => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify(doc));
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ct-auth-'));
    bin = join(dir, 'bin');
    mkdirSync(bin);
    env = { HOME: join(dir, 'home'), XDG_RUNTIME_DIR: join(dir, 'run'), PATH: `${bin}:/usr/bin:/bin` };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('findCredentials, containers auth.json before docker config', async () => {
    write(join(dir, 'run', 'containers', 'auth.json'), { auths: { 'localhost:5000': { auth: b64('alice:pa:ss') } } });
    write(join(dir, 'home', '.docker', 'config.json'), { auths: { 'localhost:5000': { auth: b64('bob:x') }, 'https://index.docker.io/v1/': { auth: b64('hub:y') } } });
    assert.deepEqual(await findCredentials('localhost:5000', { env }), { username: 'alice', password: 'pa:ss' });
    assert.deepEqual(await findCredentials('docker.io', { env }), { username: 'hub', password: 'y' });
    assert.equal(await findCredentials('quay.io', { env }), undefined);
  });

  it('findCredentials, malformed entry', async () => {
    write(join(dir, 'home', '.docker', 'config.json'), { auths: { 'r.example': { auth: b64('nocolon') } } });
    await assert.rejects(findCredentials('r.example', { env }), isCode('REGISTRY_AUTH_FILE_INVALID'));
  });

  it('findCredentials, not JSON', async () => {
    writeFileSync(join(dir, 'auth.json'), '{');
    await assert.rejects(findCredentials('r.example', { authFile: join(dir, 'auth.json'), env }), isCode('REGISTRY_AUTH_FILE_INVALID'));
  });

  it('findCredentials, --authfile alone, else $REGISTRY_AUTH_FILE alone, as podman', async () => {
    write(join(dir, 'run', 'containers', 'auth.json'), { auths: { 'r.example': { auth: b64('default:1') } } });
    write(join(dir, 'flag.json'), { auths: { 'r.example': { auth: b64('flag:2') } } });
    write(join(dir, 'env.json'), { auths: { 'other.example': { auth: b64('env:3') } } });
    const withEnv = { ...env, REGISTRY_AUTH_FILE: join(dir, 'env.json') };
    assert.deepEqual(await findCredentials('r.example', { env: withEnv, authFile: join(dir, 'flag.json') }), { username: 'flag', password: '2' });
    assert.equal(await findCredentials('r.example', { env: withEnv }), undefined, 'the default files are not searched');
    assert.deepEqual(await findCredentials('other.example', { env: withEnv }), { username: 'env', password: '3' });
    assert.deepEqual(await findCredentials('r.example', { env }), { username: 'default', password: '1' });
  });

  it('findCredentials, $DOCKER_CONFIG names the docker config directory', async () => {
    write(join(dir, 'dc', 'config.json'), { auths: { 'r.example': { auth: b64('dc:1') } } });
    assert.deepEqual(await findCredentials('r.example', { env: { ...env, DOCKER_CONFIG: join(dir, 'dc') } }), { username: 'dc', password: '1' });
  });

  it('findCredentials, a credHelpers entry runs docker-credential-NAME get with the server URL on stdin', async () => {
    writeCredentialHelper(bin, 'reg', { answers: { 'localhost:5000': { username: 'alice', secret: 's3cret' } } });
    write(join(dir, 'home', '.docker', 'config.json'), { credHelpers: { 'localhost:5000': 'reg' }, auths: { 'localhost:5000': { auth: b64('file:x') } } });
    assert.deepEqual(await findCredentials('localhost:5000', { env }), { username: 'alice', password: 's3cret' });
    assert.deepEqual(helperCalls(bin, 'reg'), ['localhost:5000']);
    assert.deepEqual(await findCredentials('other:1', { env }), undefined, 'a helper for another registry is not asked');
    assert.deepEqual(helperCalls(bin, 'reg'), ['localhost:5000']);
  });

  it('findCredentials, credsStore for every registry; "not found" falls back to auths; Docker Hub by its legacy URL', async () => {
    writeCredentialHelper(bin, 'store', { answers: { 'https://index.docker.io/v1/': { username: 'hub', secret: 'h' } } });
    write(join(dir, 'run', 'containers', 'auth.json'), { credsStore: 'store', auths: { 'r.example': { auth: b64('file:f') } } });
    assert.deepEqual(await findCredentials('docker.io', { env }), { username: 'hub', password: 'h' });
    assert.deepEqual(await findCredentials('r.example', { env }), { username: 'file', password: 'f' });
    assert.equal(await findCredentials('q.example', { env }), undefined);
    assert.deepEqual(helperCalls(bin, 'store'), ['https://index.docker.io/v1/', 'r.example', 'q.example']);
  });

  it('findCredentials, Username <token> from a helper, or identitytoken in auths, is an identity token', async () => {
    writeCredentialHelper(bin, 'tok', { answers: { 'a.example': { username: '<token>', secret: 'refresh-1' } } });
    write(join(dir, 'home', '.docker', 'config.json'), { credHelpers: { 'a.example': 'tok' }, auths: { 'b.example': { identitytoken: 'refresh-2' } } });
    assert.deepEqual(await findCredentials('a.example', { env }), { identityToken: 'refresh-1' });
    assert.deepEqual(await findCredentials('b.example', { env }), { identityToken: 'refresh-2' });
  });

  it('findCredentials, a failing helper is an error naming it, its exit status and its stderr', async () => {
    writeCredentialHelper(bin, 'bad', { fail: { status: 3, stderr: 'keyring locked' } });
    write(join(dir, 'home', '.docker', 'config.json'), { credHelpers: { 'r.example': 'bad' } });
    await assert.rejects(findCredentials('r.example', { env }), (e: unknown) => isCode('REGISTRY_CRED_HELPER_FAILED')(e)
      && /docker-credential-bad get: exit status 3: keyring locked/.test((e as Error).message));
  });

  it('findCredentials, a helper answering something else than its JSON is an error', async () => {
    writeCredentialHelper(bin, 'odd', { stdout: 'hello' });
    write(join(dir, 'home', '.docker', 'config.json'), { credsStore: 'odd' });
    await assert.rejects(findCredentials('r.example', { env }), isCode('REGISTRY_CRED_HELPER_FAILED'));
    writeCredentialHelper(bin, 'odd', { stdout: '{"Username": 1}' });
    await assert.rejects(findCredentials('r.example', { env }), isCode('REGISTRY_CRED_HELPER_FAILED'));
  });

  it('findCredentials, a helper missing from PATH is its own error; a name with a slash is refused', async () => {
    write(join(dir, 'home', '.docker', 'config.json'), { credHelpers: { 'r.example': 'nowhere' } });
    await assert.rejects(findCredentials('r.example', { env }), (e: unknown) => isCode('REGISTRY_CRED_HELPER_MISSING')(e)
      && (e as Error).message.includes('docker-credential-nowhere'));
    write(join(dir, 'home', '.docker', 'config.json'), { credHelpers: { 'r.example': '../../bin/sh' } });
    await assert.rejects(findCredentials('r.example', { env }), isCode('REGISTRY_AUTH_FILE_INVALID'));
  });
});
