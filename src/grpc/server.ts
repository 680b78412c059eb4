/**
 * The gRPC server: KEDA's external scaler, our predictor service and the standard health service,
 * all reading the SnapshotStore the serving loop publishes. TLS uses the HTTPS certificate files
 * (re-read periodically, so a rotated certificate is picked up without a restart); plaintext only
 * when the caller says so.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { SnapshotStore } from '../snapshot/index.js';
import type { Logger } from '../telemetry/log.js';
import { OpenStreams } from './calls.js';
import { externalScalerHandlers } from './external-scaler.js';
import { HealthStatus, healthHandlers } from './health.js';
import { predictorHandlers } from './predictor.js';
import { loadServices } from './protos.js';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface GrpcServerOptions {
  /** Interface to bind, e.g. "0.0.0.0" in a pod, "127.0.0.1" locally. */
  readonly host: string;
  /** 0 picks a free port (tests); the bound one is returned. */
  readonly port: number;
  readonly snapshots: SnapshotStore;
  readonly tls: TlsFiles | 'plaintext';
  readonly logger: Logger;
  /** How often the certificate files are re-read (default 60 s). */
  readonly tlsRefreshMs?: number;
  /** How long close() lets unary calls in flight finish before cutting connections (default 5 s). */
  readonly shutdownGraceMs?: number;
}

export interface GrpcServerHandle {
  readonly port: number;
  /** Graceful: health turns NOT_SERVING, streams end with OK, calls in flight finish, then connections close. */
  close(): Promise<void>;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`gRPC TLS: cannot read the ${what} file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Fails at start-up, naming the file, rather than on the first handshake. */
function checkKeyPair(tls: TlsFiles): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(readPem(tls.certFile, 'certificate'));
  } catch (err) {
    throw new Error(`gRPC TLS: ${tls.certFile} is not a PEM certificate: ${err instanceof Error ? err.message : String(err)}`);
  }
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(readPem(tls.keyFile, 'private key')));
  } catch (err) {
    throw new Error(`gRPC TLS: ${tls.keyFile} is not a PEM private key: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!matches) throw new Error(`gRPC TLS: the private key ${tls.keyFile} does not belong to the certificate ${tls.certFile}`);
}

function serverCredentials(options: GrpcServerOptions): grpc.ServerCredentials {
  if (options.tls === 'plaintext') return grpc.ServerCredentials.createInsecure();
  checkKeyPair(options.tls);
  const files = new grpc.experimental.FileWatcherCertificateProvider({
    certificateFile: options.tls.certFile,
    privateKeyFile: options.tls.keyFile,
    refreshIntervalMs: options.tlsRefreshMs ?? 60_000,
  });
  // grpc-js 1.14 declares (caProvider, identityProvider) but passes them on as (identity, ca):
  // the first argument is the serving identity; no CA means no client certificates are requested.
  return grpc.experimental.createCertificateProviderServerCredentials(files, null, false);
}

function bindAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServerHandle> {
  const logger = options.logger.child({ component: 'grpc' });
  const services = loadServices();
  const streams = new OpenStreams();
  const health = new HealthStatus(options.snapshots);
  const server = new grpc.Server();
  server.addService(services.externalScaler.service, externalScalerHandlers(options.snapshots, streams, logger));
  server.addService(services.predictor.service, predictorHandlers(options.snapshots, streams, logger));
  server.addService(services.health.service, healthHandlers(health, streams, logger));

  const address = bindAddress(options.host, options.port);
  const credentials = serverCredentials(options);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, bound) => {
      if (err) reject(new Error(`gRPC: cannot listen on ${address}: ${err.message}`));
      else resolve(bound);
    });
  });
  logger.info('gRPC listening', { address: bindAddress(options.host, port), tls: options.tls === 'plaintext' ? 'off' : 'on' });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      health.drain();
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
