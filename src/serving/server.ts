/**
 * The HTTPS server of the external metrics API: TLS (certificate reloaded on change, client
 * certificate requested but judged per CA by authentication), authentication, authorization, the
 * router in api.ts, telemetry. The API paths run on a lean handler; the side routes (health,
 * /metrics) on express — see bench/api/RESULTS.md for why the hot path does not go through it.
 */
import express from 'express';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Registry } from 'prom-client';
import { ApiError, type ExplanationProvider, type MetricsProvider } from './index.js';
import { errorAnswer, parseTarget, type ApiAnswer, type Target } from './api.js';
import { ApiHandler, type RequestInput } from './handler.js';
import { ApiMetrics } from './api-metrics.js';
import type { AccessReviewer, AuthenticationSettings, AuthenticationSource, TokenReviewer } from '../auth/index.js';
import { Authenticator, classifyCertificate, type CertificateIdentity, type DistinctHeaders } from '../auth/authenticate.js';
import { Authorizer } from '../auth/authorize.js';
import { acceptableCAsPem } from '../auth/settings.js';
import type { KeyPairSource } from '../auth/tls.js';
import { peerChain } from '../auth/x509.js';
import { log as defaultLogger, type Logger } from '../telemetry/log.js';
import { enableProcessMetrics, registry as sharedRegistry } from '../telemetry/registry.js';

export interface ApiServerOptions {
  /** Default 127.0.0.1; in a pod, 0.0.0.0. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly provider: MetricsProvider;
  /** Serves `deepscaler explain` (…/namespaces/NS/deepscaler-explain); absent: that route is 404. */
  readonly explainer?: ExplanationProvider;
  /** Serving certificate (see watchKeyPair / ensureSelfSignedCertificate in src/auth/tls.ts). */
  readonly tls: KeyPairSource;
  /** Client CAs and front-proxy settings (staticAuthentication, or the cluster's ConfigMap). */
  readonly authentication: AuthenticationSource;
  /** TokenReview client; null or absent: bearer tokens are refused. */
  readonly tokenReviewer?: TokenReviewer | null;
  /** SubjectAccessReview client; null or absent: only system:masters is allowed. */
  readonly accessReviewer?: AccessReviewer | null;
  /** DEVELOPMENT ONLY: authorize every request. Logged as a warning and exported as a gauge. */
  readonly insecureAllowAll?: boolean;
  readonly reviewCacheTtlMs?: number;
  /** TokenReview / SubjectAccessReview deadline; default 10 s. */
  readonly reviewTimeoutMs?: number;
  readonly logger?: Logger;
  /** Default: the process's shared registry (with process metrics). */
  readonly registry?: Registry;
}

export interface RunningApiServer {
  /** `https://host:port` */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections; the sources passed in stay open (the caller owns them). */
  close(): Promise<void>;
}

const HEALTH_BODY = 'ok';
const COMMON_HEADERS = { 'cache-control': 'no-cache, private', 'x-content-type-options': 'nosniff' } as const;

function send(res: ServerResponse, result: ApiAnswer): void {
  const headers: Record<string, string | number> = {
    ...COMMON_HEADERS,
    'content-type': result.contentType,
    'content-length': Buffer.byteLength(result.body),
  };
  if (result.retryAfterSeconds !== undefined) headers['retry-after'] = result.retryAfterSeconds;
  res.writeHead(result.code, headers);
  res.end(result.body);
}

export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const logger = (options.logger ?? defaultLogger).child({ component: 'api' });
  const registry = options.registry ?? sharedRegistry;
  if (registry === sharedRegistry) enableProcessMetrics();
  const metrics = new ApiMetrics(registry);
  const reviews = { cacheTtlMs: options.reviewCacheTtlMs, reviewTimeoutMs: options.reviewTimeoutMs };
  const authenticator = new Authenticator({ tokenReviewer: options.tokenReviewer ?? null, tokenCacheTtlMs: reviews.cacheTtlMs, reviewTimeoutMs: reviews.reviewTimeoutMs });
  const authorizer = new Authorizer({ reviewer: options.accessReviewer ?? null, allowAll: options.insecureAllowAll ?? false, ...reviews });
  metrics.setAllowAll(authorizer.allowsAll);
  if (authorizer.allowsAll) {
    logger.warn('AUTHORIZATION DISABLED: every caller, anonymous included, may read every metric. Local development only; never in a cluster.');
  }

  // Which CA vouched for a connection's certificate is fixed for the connection: judge it once.
  const certificateIdentities = new WeakMap<TLSSocket, { settings: AuthenticationSettings; identity: CertificateIdentity }>();
  const certificateIdentity = (socket: TLSSocket, settings: AuthenticationSettings): CertificateIdentity => {
    const cached = certificateIdentities.get(socket);
    if (cached && cached.settings === settings) return cached.identity;
    const peer = socket.getPeerCertificate(true);
    const identity = classifyCertificate(peer && peer.raw ? peerChain(peer) : [], settings);
    certificateIdentities.set(socket, { settings, identity });
    return identity;
  };

  const handler = new ApiHandler(options.provider, authenticator, authorizer, logger, options.explainer);
  const input = (req: IncomingMessage, target: Target): RequestInput => {
    const settings = options.authentication.current();
    return {
      method: req.method ?? 'GET',
      target,
      headers: req.headersDistinct as DistinctHeaders,
      certificate: certificateIdentity(req.socket as TLSSocket, settings),
      settings,
    };
  };

  const serveApi = (req: IncomingMessage, res: ServerResponse, target: Target, started: number): void => {
    const finish = (result: ApiAnswer): void => {
      send(res, result);
      const now = Date.now();
      metrics.request(target.route, result.code, (performance.now() - started) / 1000);
      if (result.values) for (const v of result.values) metrics.valueAge(v.metricName, Math.max(0, (now - v.timestamp) / 1000));
      if (result.code >= 500) logger.warn('request answered with an error', { path: target.path, code: result.code });
    };
    let result: ApiAnswer | Promise<ApiAnswer>;
    try {
      result = handler.handle(input(req, target));
    } catch (err) {
      // A peer certificate Node cannot hand over or parse: refuse rather than guess who it is.
      logger.error('cannot read the client certificate', { error: (err as Error).message });
      result = errorAnswer(new ApiError(401, 'Unauthorized', 'Unauthorized: the client certificate could not be read'));
    }
    if (result instanceof Promise) void result.then(finish);
    else finish(result);
  };

  const side = express();
  side.disable('x-powered-by');
  side.disable('etag');
  side.get(['/healthz', '/livez', '/readyz'], (_req, res) => {
    res.set(COMMON_HEADERS).type('text/plain').send(HEALTH_BODY);
  });
  side.get('/metrics', (req, res, next) => {
    Promise.resolve(handler.gate(input(req, parseTarget(req.originalUrl))))
      .then(async (g) => {
        if ('denied' in g) return send(res, g.denied);
        res.set(COMMON_HEADERS).type(registry.contentType).send(await registry.metrics());
      })
      .catch(next);
  });
  side.use((err: unknown, _req: IncomingMessage, res: ServerResponse, _next: (err?: unknown) => void) => {
    logger.error('cannot serve /metrics', { error: err instanceof Error ? err.message : String(err) });
    send(res, errorAnswer(new ApiError(500, 'InternalError', 'cannot collect metrics; see the adapter log')));
  });

  const server: Server = createServer(
    {
      ...options.tls.current(),
      ca: acceptableCAsPem(options.authentication.current()) || undefined,
      requestCert: true,
      // Verified per request by authentication: which CA signed the certificate decides who it is.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      const started = performance.now();
      const target = parseTarget(req.url ?? '/');
      if (target.route === 'health' || target.route === 'metrics') {
        res.on('finish', () => metrics.request(target.route, res.statusCode, (performance.now() - started) / 1000));
        side(req, res);
        return;
      }
      serveApi(req, res, target, started);
    },
  );
  server.keepAliveTimeout = 65_000;

  let closed = false;
  const refreshContext = (): void => {
    if (closed) return;
    try {
      server.setSecureContext({ ...options.tls.current(), ca: acceptableCAsPem(options.authentication.current()) || undefined });
    } catch (err) {
      logger.error('cannot apply new TLS settings, keeping the previous ones', { error: (err as Error).message });
    }
  };
  options.tls.onChange(refreshContext);
  options.authentication.onChange(refreshContext);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `https://${host}:${address.port}`;
  logger.info('external metrics API listening', { url, allowAll: authorizer.allowsAll });
  return {
    url,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
