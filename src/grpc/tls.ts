/**
 * TLS for the gRPC server: the HTTPS serving key pair (shared with the HTTPS server, or watched
 * here from the same files) and, optionally, the CAs that client certificates must chain to (the
 * same PEM watcher as HTTPS's client CAs when it is the same file). Both are polled, so rotations
 * need no restart: grpc-js swaps its TLS context on every update through its certificate-provider API.
 */
import * as grpc from '@grpc/grpc-js';
import { watchCertificateFile, type PemSource, watchKeyPair, type KeyPairFiles, type KeyPairSource } from '../auth/index.js';
import type { Logger } from '../telemetry/index.js';

type Listener<T> = (update: T) => void;
type IdentityUpdate = grpc.experimental.IdentityCertificateUpdate;
type CaUpdate = grpc.experimental.CaCertificateUpdate;

export interface GrpcTlsOptions {
  readonly tls: KeyPairFiles | KeyPairSource | 'plaintext';
  /** CA bundle client certificates must chain to: a file (watched here) or a watcher shared with HTTPS. */
  readonly clientCa?: string | PemSource;
  /** Poll interval of the files (default 2 s, as for HTTPS). */
  readonly pollMs?: number;
}

export interface GrpcTls {
  readonly credentials: grpc.ServerCredentials;
  /** Stops the file polls this module started (a shared key pair stays with its owner). */
  close(): void;
}

const DEFAULT_POLL_MS = 2_000;

function withContext(what: string, err: unknown): Error {
  return new Error(`gRPC TLS: ${what}${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Hands grpc-js the newest serving pair and client CAs. */
class WatchedCertificateProvider implements grpc.experimental.CertificateProvider {
  private readonly identityListeners = new Set<Listener<IdentityUpdate>>();
  private readonly caListeners = new Set<Listener<CaUpdate | null>>();

  constructor(
    private readonly pair: KeyPairSource,
    private readonly ca: PemSource | null,
  ) {
    pair.onChange(() => this.identityListeners.forEach((listener) => listener(this.identity())));
    ca?.onChange(() => this.caListeners.forEach((listener) => listener(this.clientCas())));
  }

  private identity(): IdentityUpdate {
    const { cert, key } = this.pair.current();
    return { certificate: Buffer.from(cert), privateKey: Buffer.from(key) };
  }

  private clientCas(): CaUpdate | null {
    return this.ca ? { caCertificate: Buffer.from(this.ca.current()) } : null;
  }

  // grpc-js registers the server's context watcher only after these return: deliver on the next
  // tick, or the first connections meet a server without a certificate.
  addIdentityCertificateListener(listener: Listener<IdentityUpdate>): void {
    this.identityListeners.add(listener);
    process.nextTick(() => listener(this.identity()));
  }

  removeIdentityCertificateListener(listener: Listener<IdentityUpdate>): void {
    this.identityListeners.delete(listener);
  }

  addCaCertificateListener(listener: Listener<CaUpdate | null>): void {
    this.caListeners.add(listener);
    process.nextTick(() => listener(this.clientCas()));
  }

  removeCaCertificateListener(listener: Listener<CaUpdate | null>): void {
    this.caListeners.delete(listener);
  }
}

export function grpcTls(options: GrpcTlsOptions, logger: Logger): GrpcTls {
  const { tls, clientCa } = options;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  if (tls === 'plaintext') {
    if (clientCa !== undefined) throw new Error('gRPC: a client CA needs TLS; drop plaintext or the client CA');
    return { credentials: grpc.ServerCredentials.createInsecure(), close: () => {} };
  }
  let ca: PemSource | null = null;
  try {
    ca = clientCa === undefined ? null : typeof clientCa === 'string' ? watchCertificateFile(clientCa, logger, pollMs) : clientCa;
  } catch (err) {
    throw withContext(`client CA ${String(clientCa)}: `, err);
  }
  const ownsCa = typeof clientCa === 'string';
  const shared = 'current' in tls;
  let pair: KeyPairSource;
  try {
    pair = 'current' in tls ? tls : watchKeyPair(tls, logger, pollMs);
  } catch (err) {
    if (ownsCa) ca?.close();
    throw withContext('', err);
  }
  const provider = new WatchedCertificateProvider(pair, ca);
  // grpc-js 1.14 declares (caProvider, identityProvider) but passes them on as (identity, ca):
  // the first argument is the serving identity, the second the client CAs (null: none requested).
  const credentials = grpc.experimental.createCertificateProviderServerCredentials(provider, ca ? provider : null, ca !== null);
  return {
    credentials,
    close: () => {
      if (!shared) pair.close();
      if (ownsCa) ca?.close();
    },
  };
}
