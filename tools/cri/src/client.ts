/**
 * A CRI client (Kubernetes' Container Runtime Interface, runtime.v1) over gRPC on a unix socket, as the kubelet
 * talks to containerd's CRI plugin: `CriClient.connect(socket)`, then `call(method, request)` for any method of
 * proto/runtime-v1.proto (RuntimeService and ImageService alike), typed by `CriMethods`. Each call has a deadline;
 * a gRPC error comes back as a `CriError` with the status code's name. Built on @grpc/grpc-js and
 * @grpc/proto-loader (the proto is loaded at run time: no generated code).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { CriError } from './errors.js';
import type { CriMethod, CriMethods } from './types.js';

/** The proto file this client speaks (shipped with the package). */
export const CRI_PROTO = fileURLToPath(new URL('../proto/runtime-v1.proto', import.meta.url));

/** The methods served by ImageService; every other one is RuntimeService's. */
const IMAGE_METHODS: ReadonlySet<CriMethod> = new Set<CriMethod>(['ListImages', 'ImageStatus']);

/** ExecSync may return up to 16 MiB of each stream (the CRI caps it there): room for both and the framing. */
const MAX_MESSAGE = 40 * 1024 * 1024;

/** A generated service client: grpc.Client plus one function per method, looked up by name. */
type ServiceClient = grpc.Client & Record<string, unknown>;
type Unary = (request: unknown, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response: unknown) => void) => void;

export interface CallOptions {
  /** Deadline of the call in milliseconds (default the client's, 60 s). */
  readonly timeoutMs?: number;
}

export interface ConnectOptions {
  /** Default deadline of each call in milliseconds (default 60 s). */
  readonly timeoutMs?: number;
  /** How long `connect` waits for the socket to accept (default 10 s). */
  readonly connectTimeoutMs?: number;
}

let loaded: grpc.GrpcObject | undefined;

/** The runtime.v1 package, loaded once per process. */
function criPackage(): grpc.GrpcObject {
  loaded ??= grpc.loadPackageDefinition(protoLoader.loadSync(CRI_PROTO, {
    keepCase: false, longs: String, enums: String, bytes: Buffer, defaults: true, arrays: true,
  }));
  const runtime = loaded.runtime as grpc.GrpcObject;
  return runtime.v1 as grpc.GrpcObject;
}

export class CriClient {
  private constructor(
    private readonly runtime: ServiceClient,
    private readonly images: ServiceClient,
    private readonly timeoutMs: number,
    /** The socket this client talks to. */
    readonly socket: string,
  ) {}

  /**
   * Connect to a CRI server listening on the unix socket `socket` (e.g. containerd's grpc address).
   * @throws CriError UNAVAILABLE when the socket does not accept within connectTimeoutMs
   */
  static async connect(socket: string, options: ConnectOptions = {}): Promise<CriClient> {
    const pkg = criPackage();
    const address = `unix://${socket}`;
    const channelOptions = { 'grpc.max_receive_message_length': MAX_MESSAGE, 'grpc.max_send_message_length': MAX_MESSAGE };
    const Runtime = pkg.RuntimeService as grpc.ServiceClientConstructor;
    const Image = pkg.ImageService as grpc.ServiceClientConstructor;
    const runtime = new Runtime(address, grpc.credentials.createInsecure(), channelOptions) as ServiceClient;
    const images = new Image(address, grpc.credentials.createInsecure(), { ...channelOptions, channelOverride: runtime.getChannel() }) as ServiceClient;
    const client = new CriClient(runtime, images, options.timeoutMs ?? 60_000, socket);
    const deadline = Date.now() + (options.connectTimeoutMs ?? 10_000);
    try {
      await new Promise<void>((resolve, reject) => runtime.waitForReady(deadline, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      client.close();
      throw new CriError('connect', 'UNAVAILABLE', `${socket}: ${(err as Error).message}`, { cause: err });
    }
    return client;
  }

  /**
   * Call one CRI method.
   * @throws CriError with the gRPC status code's name (NOT_FOUND, DEADLINE_EXCEEDED, UNKNOWN, ...) and details
   */
  call<M extends CriMethod>(method: M, request: CriMethods[M]['request'], options: CallOptions = {}): Promise<CriMethods[M]['response']> {
    const service = IMAGE_METHODS.has(method) ? this.images : this.runtime;
    const fn = service[method] as Unary | undefined;
    if (typeof fn !== 'function') return Promise.reject(new CriError(method, 'UNIMPLEMENTED', 'not in proto/runtime-v1.proto'));
    const deadline = Date.now() + (options.timeoutMs ?? this.timeoutMs);
    return new Promise((resolve, reject) => {
      fn.call(service, request, { deadline }, (err, response) => {
        if (err) reject(CriError.fromGrpc(method, err));
        else resolve(response as CriMethods[M]['response']);
      });
    });
  }

  /** Close the channel (pending calls fail with CANCELLED). */
  close(): void {
    this.images.close();
    this.runtime.close();
  }
}
