/**
 * Errors of the CRI client and the containerd harness: "step: object: cause" messages with a stable `code`.
 * For a failed call, `code` is the gRPC status code's name (grpc/doc/statuscodes.md) and `details` the server's
 * text, e.g. containerd's "failed to create containerd task: ...: OCI runtime create failed: ...".
 */
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';

export type CriErrorCode = keyof typeof grpcStatus | 'CONTAINERD_FAILED';

export class CriError extends Error {
  override readonly name = 'CriError';

  /**
   * @param step the CRI method ("RunPodSandbox"), "connect", or the harness's step ("start containerd")
   * @param code the gRPC status code's name, or CONTAINERD_FAILED for the harness
   * @param details the server's (or the daemon's) own text
   */
  constructor(readonly step: string, readonly code: CriErrorCode, readonly details: string, options?: ErrorOptions) {
    super(`${step}: ${code}: ${details}`, options);
  }

  /** The CriError for a gRPC call's failure. */
  static fromGrpc(method: string, err: ServiceError): CriError {
    const name = (Object.keys(grpcStatus) as Array<keyof typeof grpcStatus>).find((k) => grpcStatus[k] === err.code) ?? 'UNKNOWN';
    return new CriError(method, name, err.details || err.message, { cause: err });
  }
}
