/**
 * The HTTPS server of the external metrics API: TLS (certificate reloaded on change, client
 * certificate requested but judged per CA by authentication), authentication, authorization, the
 * router in api.ts, telemetry. The API paths run on a lean handler; the side routes (health,
 * /metrics) on express — see bench/api/RESULTS.md for why the hot path does not go through it.
 */
import express from 'express';
import { createServer, type Server } from 'node:https';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Registry } from 'prom-client';
import { ApiError, type ExplanationProvider, type MetricsProvider, type StatusReason } from './index.js';
import { statusBody } from './status.js';
import { errorAnswer, isRead, methodNotAllowed, parseTarget, READ_METHODS, type ApiAnswer, type Target } from './api.js';
import { ApiHandler, type RequestInput } from './handler.js';
import { ApiMetrics } from './api-metrics.js';
import {
  type AccessReviewer,
  type AuthenticationSettings,
  type AuthenticationSource,
  type TokenReviewer,
  Authenticator,
  classifyCertificate,
  type CertificateIdentity,
  type DistinctHeaders,
  Authorizer,
  acceptableCAsPem,
  type KeyPairSource,
  peerChain,
} from '../auth/index.js';
import { log as defaultLogger, type Logger, enableProcessMetrics, registry as sharedRegistry } from '../telemetry/index.js';

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
  /** Bounds against slow, idle and numerous clients; each defaults to SERVER_LIMITS. */
  readonly limits?: Partial<ServerLimits>;
  /** Why the process cannot serve yet (e.g. no first snapshot), or null when it can: /readyz says so. */
  readonly readiness?: () => string | null;
}

export interface ServerLimits {
  /** TLS handshake. */
  readonly handshakeMs: number;
  /** From connection to complete request headers. */
  readonly headersMs: number;
  /** From connection to complete request. */
  readonly requestMs: number;
  /**
   * Socket inactivity: closes connections that never send a request (headersMs only starts with the
   * first byte). Above the review deadline (10 s), so a request waiting on a review is not cut.
   */
  readonly idleMs: number;
  /** Idle keep-alive connection between requests (above the aggregator's and client-go's 60 s reuse). */
  readonly keepAliveMs: number;
  /** Open connections; more are closed at once. */
  readonly maxConnections: number;
}

export const SERVER_LIMITS: ServerLimits = {
  handshakeMs: 10_000,
  headersMs: 10_000,
  requestMs: 30_000,
  idleMs: 20_000,
  keepAliveMs: 65_000,
  maxConnections: 1_000,
};

export interface RunningApiServer {
  /** `https://host:port` */
  readonly url: string;
  readonly port: number;
  /**
   * The first step of a graceful shutdown: /readyz answers 503 (the endpoint is removed) while
   * requests are still served, each answer closing its connection so clients reconnect elsewhere.
   */
  drain(): void;
  /**
   * Drains, stops listening, lets requests in flight finish (up to `graceMs`, default 20 s), closes
   * idle keep-alive connections, then the rest. The sources passed in stay open (the caller owns them).
   */
  close(graceMs?: number): Promise<void>;
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
  if (result.code === 405) headers['allow'] = READ_METHODS;
  res.writeHead(result.code, headers);
  res.end(result.body);
}

export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const logger = (options.logger ?? defaultLogger).child({ component: 'api' });
  const registry = options.registry ?? sharedRegistry;
  if (registry === sharedRegistry) enableProcessMetrics();
  const metrics = new ApiMetrics(registry);
  const reviews = { cacheTtlMs: options.reviewCacheTtlMs, reviewTimeoutMs: options.reviewTimeoutMs };
  const authenticator = new Authenticator({
    tokenReviewer: options.tokenReviewer ?? null,
    tokenCacheTtlMs: reviews.cacheTtlMs,
    reviewTimeoutMs: reviews.reviewTimeoutMs,
  });
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

  let draining = false;
  const serveApi = (req: IncomingMessage, res: ServerResponse, target: Target, started: number): void => {
    const finish = (result: ApiAnswer): void => {
      // An answer that was still being computed when draining began closes its connection too.
      if (draining && !res.headersSent) res.setHeader('connection', 'close');
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
  side.get('/readyz', (_req, res) => {
    const reason = draining ? 'shutting down' : (options.readiness?.() ?? null);
    if (reason === null) return void res.set(COMMON_HEADERS).type('text/plain').send(HEALTH_BODY);
    send(res, errorAnswer(new ApiError(503, 'ServiceUnavailable', `not ready: ${reason}`)));
  });
  side.get(['/healthz', '/livez'], (_req, res) => {
    res.set(COMMON_HEADERS).type('text/plain').send(HEALTH_BODY);
  });
  side.get('/metrics', (req, res, next) => {
    Promise.resolve(handler.gate(input(req, parseTarget(req.originalUrl))))
      .then(async (g) => {
        if ('denied' in g) return send(res, g.denied);
        res
          .set(COMMON_HEADERS)
          .type(registry.contentType)
          .send(await registry.metrics());
      })
      .catch(next);
  });
  side.use((err: unknown, _req: IncomingMessage, res: ServerResponse, _next: (err?: unknown) => void) => {
    logger.error('cannot serve /metrics', { error: err instanceof Error ? err.message : String(err) });
    send(res, errorAnswer(new ApiError(500, 'InternalError', 'cannot collect metrics; see the adapter log')));
  });

  const limits: ServerLimits = { ...SERVER_LIMITS, ...options.limits };
  let inFlight = 0;
  let allDone: (() => void) | null = null;
  const server: Server = createServer(
    {
      ...options.tls.current(),
      ca: acceptableCAsPem(options.authentication.current()) || undefined,
      requestCert: true,
      // Verified per request by authentication: which CA signed the certificate decides who it is.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      handshakeTimeout: limits.handshakeMs,
      headersTimeout: limits.headersMs,
      requestTimeout: limits.requestMs,
      keepAliveTimeout: limits.keepAliveMs,
    },
    (req, res) => {
      const started = performance.now();
      inFlight++;
      res.on('close', () => {
        if (--inFlight === 0) allDone?.();
      });
      if (draining) res.setHeader('connection', 'close');
      const target = parseTarget(req.url ?? '/');
      const method = req.method ?? 'GET';
      if ((target.route === 'health' || target.route === 'metrics') && isRead(method)) {
        res.on('finish', () => metrics.request(target.route, res.statusCode, (performance.now() - started) / 1000));
        side(req, res);
        return;
      }
      if (target.route === 'health') {
        // Health paths are public for GET, so other methods need no credentials to learn they are not allowed.
        send(res, errorAnswer(methodNotAllowed(target, method)));
        metrics.request(target.route, 405, (performance.now() - started) / 1000);
        return;
      }
      // Everything else, /metrics with any other method included, is authenticated and authorized first.
      serveApi(req, res, target, started);
    },
  );
  server.timeout = limits.idleMs;
  server.maxConnections = limits.maxConnections;
  // Requests Node's parser refuses (unknown method, malformed line, huge headers, too slow) get a
  // Status too, not Node's bare "400 Bad Request" without a body.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: nothing more on a socket whose answer has begun (it would corrupt it).
    const answering = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) return void socket.destroy();
    const [code, reason, message]: [number, StatusReason, string] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'BadRequest', 'the request headers are too large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Timeout', `the request did not arrive within ${limits.requestMs} ms`]
          : [400, 'BadRequest', `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`];
    const body = statusBody(code, reason, message);
    socket.end(
      `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

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
  const drain = (): void => {
    if (draining) return;
    draining = true;
    logger.info('draining: /readyz is unready and every answer closes its connection');
  };
  return {
    url,
    port: address.port,
    drain,
    close: (graceMs = 20_000) =>
      new Promise<void>((resolve) => {
        drain();
        closed = true;
        const stopped = new Promise<void>((done) => server.close(() => done()));
        server.closeIdleConnections();
        const finished = new Promise<void>((done) => {
          if (inFlight === 0) return done();
          allDone = done;
        });
        const grace = setTimeout(() => {
          logger.warn('requests still in flight after the grace period; closing their connections', { inFlight });
          server.closeAllConnections();
        }, graceMs);
        void finished
          .then(() => {
            // Answered: keep-alive connections now idle close; nothing is cut mid-answer.
            server.closeIdleConnections();
            return stopped;
          })
          .then(() => {
            clearTimeout(grace);
            resolve();
          });
      }),
  };
}
