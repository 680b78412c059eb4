/**
 * The gRPC server: KEDA's external scaler, our predictor service and the standard health service,
 * all reading the SnapshotStore the serving loop publishes. TLS (tls.ts) uses the HTTPS serving
 * certificate; plaintext only when the caller says so.
 */
import * as grpc from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { PemSource, KeyPairFiles, KeyPairSource } from '../auth/index.js';
import type { SnapshotStore } from '../snapshot/index.js';
import type { Logger } from '../telemetry/index.js';
import { OpenStreams } from './calls.js';
import { externalScalerHandlers } from './external-scaler.js';
import { HealthStatus, healthHandlers } from './health.js';
import { grpcMetrics } from './metrics.js';
import { predictorHandlers } from './predictor.js';
import { loadServices } from './protos.js';
import { grpcTls } from './tls.js';

export interface GrpcServerOptions {
  /** Interface to bind, e.g. "0.0.0.0" in a pod, "127.0.0.1" locally. */
  readonly host: string;
  /** 0 picks a free port (tests); the bound one is returned. */
  readonly port: number;
  readonly snapshots: SnapshotStore;
  /**
   * The HTTPS server's certificate: its files (watched here) or the pair the HTTPS server already
   * watches (shared, not closed here); 'plaintext' only when the operator asked for it.
   */
  readonly tls: KeyPairFiles | KeyPairSource | 'plaintext';
  readonly logger: Logger;
  /**
   * With TLS: require client certificates signed by a CA in this PEM bundle (KEDA's tlsClientCert /
   * tlsClientKey) — its file, or the watcher the HTTPS server already uses for it; without it any
   * client may call. Re-read as often as the serving certificate.
   */
  readonly clientCa?: string | PemSource;
  /** How often the certificate files are polled for a rotation (default 2 s, as for HTTPS). */
  readonly tlsRefreshMs?: number;
  /** How long close() lets unary calls in flight finish before cutting connections (default 5 s). */
  readonly shutdownGraceMs?: number;
  /** Where deepscaler_grpc_* metrics go (the serve command passes telemetry's registry); none when absent. */
  readonly registry?: Registry;
}

export interface GrpcServerHandle {
  readonly port: number;
  /** Graceful: health turns NOT_SERVING, streams end with OK, calls in flight finish, then connections close. */
  close(): Promise<void>;
}

function bindAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServerHandle> {
  const logger = options.logger.child({ component: 'grpc' });
  const services = loadServices();
  const streams = new OpenStreams();
  const health = new HealthStatus(options.snapshots);
  const server = new grpc.Server({ interceptors: options.registry ? [grpcMetrics(options.registry, streams)] : [] });
  server.addService(services.externalScaler.service, externalScalerHandlers(options.snapshots, streams, logger));
  server.addService(services.predictor.service, predictorHandlers(options.snapshots, streams, logger));
  server.addService(services.health.service, healthHandlers(health, streams, logger));

  const address = bindAddress(options.host, options.port);
  const tls = grpcTls({ tls: options.tls, clientCa: options.clientCa, pollMs: options.tlsRefreshMs }, logger);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, tls.credentials, (err, bound) => {
      if (!err) return resolve(bound);
      tls.close();
      reject(new Error(`gRPC: cannot listen on ${address}: ${err.message}`));
    });
  });
  logger.info('gRPC listening', {
    address: bindAddress(options.host, port),
    tls: options.tls === 'plaintext' ? 'off' : 'on',
    clientCertificates: options.clientCa === undefined ? 'not requested' : 'required',
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      health.drain();
      tls.close();
      streams.endAll();
      const force = setTimeout(() => {
        logger.warn('gRPC calls still running after the grace period; closing their connections');
        server.forceShutdown();
        resolve();
      }, options.shutdownGraceMs ?? 5_000);
      server.tryShutdown(() => {
        clearTimeout(force);
        logger.info('gRPC stopped');
        resolve();
      });
    });
    return closing;
  };
  return { port, close };
}
