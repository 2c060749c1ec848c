/**
 * CriClient against an in-process gRPC server serving the same proto on a unix socket: what a caller gets
 * (camelCase fields, int64 as exact decimal strings, bytes as Buffers, enums by name, absent messages as null),
 * which service a method goes to, and how failures come back (CriError with the status code's name, deadlines,
 * a socket nobody listens on).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { CRI_PROTO, CriClient, CriError } from '../../src/index.js';

type Handler = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) => void;

describe('CriClient, against a gRPC server of the same proto', function () {
  let dir = '';
  let server: grpc.Server;
  let client: CriClient;
  /** Requests the server saw, by method. */
  const seen: Record<string, Record<string, unknown>> = {};

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'ct-cri-client-'));
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(CRI_PROTO, { keepCase: false, longs: String, enums: String, defaults: true }));
    const v1 = (pkg.runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
    const record = (name: string, reply: (req: Record<string, unknown>) => unknown): Handler => (call, cb) => {
      seen[name] = call.request;
      cb(null, reply(call.request));
    };
    server = new grpc.Server();
    server.addService((v1.RuntimeService as grpc.ServiceClientConstructor).service, {
      Version: record('Version', () => ({ version: '0.1.0', runtimeName: 'fake', runtimeVersion: '1', runtimeApiVersion: 'v1' })),
      ContainerStatus: record('ContainerStatus', (req) => ({
        status: {
          id: req.containerId, state: 'CONTAINER_EXITED', createdAt: '1796469600080459841', startedAt: '1796469600479738157',
          finishedAt: '1796469601000000001', exitCode: 3, reason: 'Error', logPath: '/logs/c.log',
        },
        info: { info: '{"pid":42}' },
      })),
      ExecSync: record('ExecSync', () => ({ stdout: Buffer.from([0x6f, 0x75, 0x74, 0xff]), stderr: Buffer.from('err\n'), exitCode: 4 })),
      RunPodSandbox: ((call, cb) => {
        seen.RunPodSandbox = call.request;
        cb({ code: grpc.status.NOT_FOUND, details: 'no runtime for "nosuch" is configured' });
      }) as Handler,
      StopContainer: (() => undefined) as Handler, // never answers: the client's deadline ends the call
    });
    server.addService((v1.ImageService as grpc.ServiceClientConstructor).service, {
      ImageStatus: record('ImageStatus', () => ({})),
    });
    await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${join(dir, 'cri.sock')}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    client = await CriClient.connect(join(dir, 'cri.sock'));
  });

  after(function () {
    client?.close();
    server?.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('CriClient, a response comes back with camelCase fields', async function () {
    assert.deepEqual(await client.call('Version', { version: 'v1' }), { version: '0.1.0', runtimeName: 'fake', runtimeVersion: '1', runtimeApiVersion: 'v1' });
    assert.equal(seen.Version?.version, 'v1');
  });

  it('CriClient, int64 nanosecond times are exact decimal strings, enums are names, maps are objects', async function () {
    const r = await client.call('ContainerStatus', { containerId: 'c1', verbose: true });
    assert.equal(r.status?.createdAt, '1796469600080459841');
    assert.equal(BigInt(r.status?.finishedAt ?? '0') - BigInt(r.status?.startedAt ?? '0'), 520261844n);
    assert.equal(r.status?.state, 'CONTAINER_EXITED');
    assert.deepEqual([r.status?.exitCode, r.status?.reason, r.status?.id], [3, 'Error', 'c1']);
    assert.deepEqual(r.status?.mounts, []);
    assert.equal(r.status?.resources, null, 'an absent message is null');
    assert.deepEqual(JSON.parse(r.info.info ?? ''), { pid: 42 });
    assert.equal(seen.ContainerStatus?.verbose, true);
  });

  it('CriClient, bytes are Buffers, byte for byte', async function () {
    const r = await client.call('ExecSync', { containerId: 'c1', cmd: ['sh', '-c', 'x'], timeout: 5 });
    assert.ok(Buffer.isBuffer(r.stdout));
    assert.deepEqual([...r.stdout], [0x6f, 0x75, 0x74, 0xff]);
    assert.deepEqual([r.stderr.toString(), r.exitCode], ['err\n', 4]);
    assert.deepEqual(seen.ExecSync?.cmd, ['sh', '-c', 'x']);
    assert.equal(seen.ExecSync?.timeout, '5', 'an int64 sent as a number arrives as the same value');
  });

  it('CriClient, image methods go to ImageService; an absent image is null', async function () {
    const r = await client.call('ImageStatus', { image: { image: 'docker.io/x/y:latest' } });
    assert.equal(r.image, null);
    assert.deepEqual(seen.ImageStatus?.image, { image: 'docker.io/x/y:latest', annotations: {} });
  });

  it('CriClient, a server error is a CriError with the status code name and the server\'s details', async function () {
    const err = await client.call('RunPodSandbox', { config: { metadata: { name: 'p', uid: 'u', namespace: 'n' } }, runtimeHandler: 'nosuch' })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof CriError, String(err));
    assert.deepEqual([err.step, err.code, err.details], ['RunPodSandbox', 'NOT_FOUND', 'no runtime for "nosuch" is configured']);
    assert.equal((seen.RunPodSandbox?.config as { metadata: { name: string } }).metadata.name, 'p');
  });

  it('CriClient, a call past its deadline fails with DEADLINE_EXCEEDED', async function () {
    const started = Date.now();
    const err = await client.call('StopContainer', { containerId: 'c1' }, { timeoutMs: 300 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof CriError);
    assert.equal(err.code, 'DEADLINE_EXCEEDED');
    assert.ok(Date.now() - started >= 250);
  });

  it('CriClient, a method the server does not serve is UNIMPLEMENTED', async function () {
    const err = await client.call('ListContainers', {}).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof CriError);
    assert.equal(err.code, 'UNIMPLEMENTED');
  });

  it('CriClient.connect, a socket nobody listens on is UNAVAILABLE naming it', async function () {
    const socket = join(dir, 'nobody.sock');
    const err = await CriClient.connect(socket, { connectTimeoutMs: 300 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof CriError);
    assert.equal(err.code, 'UNAVAILABLE');
    assert.ok(err.message.includes(socket), err.message);
  });
});
