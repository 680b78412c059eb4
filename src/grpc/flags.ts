/**
 * The serve command's gRPC flags and what they resolve to. TLS is the HTTPS server's certificate
 * unless --grpc-plaintext says otherwise; client certificates are required only with
 * --grpc-client-ca-file; --no-grpc turns the server off.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { PemSource, KeyPairSource } from '../auth/index.js';
import { ConfigError, expectNumber } from '../core/index.js';

export const DEFAULT_GRPC_PORT = 9443;

export interface GrpcFlags {
  /** false with --no-grpc. */
  readonly grpc: boolean;
  readonly grpcPort: string;
  readonly grpcBindAddress?: string;
  readonly grpcPlaintext?: boolean;
  readonly grpcClientCaFile?: string;
}

export function addGrpcFlags(command: Command): Command {
  return command
    .option('--grpc-port <port>', 'port of the KEDA external scaler, predictor and health gRPC services (0: any free port)', String(DEFAULT_GRPC_PORT))
    .option('--grpc-bind-address <ip>', 'address the gRPC server listens on (default: --bind-address)')
    .option('--grpc-plaintext', 'serve gRPC without TLS (only behind a mesh that encrypts, or locally)')
    .option('--grpc-client-ca-file <path>', 'require gRPC clients (KEDA) to present a certificate signed by a CA in this bundle')
    .option('--no-grpc', 'do not start the gRPC server');
}

export interface ResolvedGrpc {
  readonly host: string;
  readonly port: number;
  readonly tls: KeyPairSource | 'plaintext';
  readonly clientCa?: string | PemSource;
}

/**
 * null when gRPC is off; `httpsHost`, `httpsTls` and `httpsClientCa` are the API server's bind
 * address, certificate and client-CA watcher (shared when --grpc-client-ca-file names the same file).
 */
export function resolveGrpcFlags(flags: GrpcFlags, httpsHost: string, httpsTls: KeyPairSource, httpsClientCa: PemSource | null = null): ResolvedGrpc | null {
  if (!flags.grpc) return null;
  if (flags.grpcPlaintext && flags.grpcClientCaFile !== undefined) {
    throw new ConfigError('--grpc-client-ca-file needs TLS: drop --grpc-plaintext or the client CA');
  }
  return {
    host: flags.grpcBindAddress ?? httpsHost,
    port: expectNumber(flags.grpcPort, '--grpc-port', { integer: true, min: 0, max: 65535 }), // 0: a free port
    tls: flags.grpcPlaintext ? 'plaintext' : httpsTls,
    ...(flags.grpcClientCaFile === undefined
      ? {}
      : { clientCa: httpsClientCa !== null && resolve(httpsClientCa.path) === resolve(flags.grpcClientCaFile) ? httpsClientCa : flags.grpcClientCaFile }),
  };
}
