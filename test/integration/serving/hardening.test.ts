/**
 * The HTTPS server against hostile and impatient clients, and through its own shutdown: silent
 * connections are closed, the connection count is capped, every method but GET/HEAD is a Status
 * (405 where the path exists) after the same authorization as GET, /readyz follows readiness and
 * drain, and close() lets requests in flight finish while keep-alive connections go away.
 */
import { expect } from 'chai';
import { Agent, request } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { Registry } from 'prom-client';
import { buildAuthenticationSettings, staticAuthentication } from '../../../src/auth/settings.js';
import { watchKeyPair, type KeyPairSource } from '../../../src/auth/tls.js';
import type { AccessReviewer, TokenReviewer } from '../../../src/auth/index.js';
import { ExampleMetricsProvider } from '../../../src/serving/example-provider.js';
import { startApiServer, type ApiServerOptions, type RunningApiServer } from '../../../src/serving/server.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { httpsGet, type TestResponse } from '../../support/https-client.js';
import { tempDir, writeKeyPair } from '../../support/pki.js';
import { testPki } from './harness.js';
import { expectStatus } from './status-assertions.js';

const REPLICAS = '/apis/external.metrics.k8s.io/v1beta1/namespaces/online-boutique/deepscaler_desired_replicas';

describe('API server hardening and graceful shutdown', function () {
  this.timeout(30_000);
  const pki = testPki();
  let tls: KeyPairSource;
  let server: RunningApiServer | undefined;
  let slowTokens = 0;
  /** Tokens "slow" take 500 ms to review (a request in flight); "good" at once. */
  const tokens: TokenReviewer = {
    review: async (token) => {
      if (token === 'slow') {
        slowTokens++;
        await new Promise((r) => setTimeout(r, 500));
      }
      return token === 'good' || token === 'slow' ? { authenticated: true, user: { username: 'hpa', groups: [], extra: {} } } : { authenticated: false };
    },
  };
  const access: AccessReviewer = { review: async (user) => ({ allowed: user.username === 'hpa' }) };

  before(() => {
    tls = watchKeyPair(
      writeKeyPair(tempDir(), 'serving', pki.serving),
      createLogger({}, () => undefined),
    );
  });
  after(() => tls.close());
  afterEach(async () => {
    await server?.close(1_000);
    server = undefined;
  });

  async function start(extra: Partial<ApiServerOptions> = {}): Promise<RunningApiServer> {
    server = await startApiServer({
      port: 0,
      provider: ExampleMetricsProvider.fromFile(),
      tls,
      authentication: staticAuthentication(buildAuthenticationSettings({ clientCA: { pem: pki.clientCa.cert, source: 'client-ca' } })),
      tokenReviewer: tokens,
      accessReviewer: access,
      logger: createLogger({}, () => undefined),
      registry: new Registry(),
      reviewCacheTtlMs: 0,
      ...extra,
    });
    return server;
  }

  const call = (s: RunningApiServer, path: string, method: string, headers: Record<string, string> = {}, asAdmin = false): Promise<TestResponse> =>
    httpsGet(s.url + path, { ca: pki.servingCa.cert, ...(asAdmin ? { cert: pki.admin.cert, key: pki.admin.key } : {}) }, headers, method);

  /** A TLS connection that completes the handshake and then sends nothing. */
  function silentConnection(s: RunningApiServer): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: s.port, ca: pki.servingCa.cert, servername: 'localhost' }, () => resolve(socket));
      socket.on('error', reject);
    });
  }
  const closed = (socket: TLSSocket): Promise<number> => {
    const at = Date.now();
    return new Promise((resolve) => socket.on('close', () => resolve(Date.now() - at)));
  };

  it('closes a TLS connection that never sends a request after the idle limit', async () => {
    const s = await start({ limits: { idleMs: 300 } });
    const socket = await silentConnection(s);
    const after = await closed(socket);
    expect(after).to.be.below(3_000);
  });

  it('caps open connections: one more than the cap is closed at once, the others still answer', async () => {
    const s = await start({ limits: { maxConnections: 3 } });
    const open = await Promise.all([silentConnection(s), silentConnection(s), silentConnection(s)]);
    const extra = connect({ host: '127.0.0.1', port: s.port, ca: pki.servingCa.cert, servername: 'localhost' });
    extra.on('error', () => undefined);
    await closed(extra);
    open.forEach((socket) => socket.destroy());
    await new Promise((r) => setTimeout(r, 50)); // the server notices the closes on its next turn
    expect((await call(s, '/healthz', 'GET')).status).to.equal(200);
  });

  it('answers every method but GET and HEAD with a Status: 405 with Allow where the path exists, 404 elsewhere', async () => {
    const s = await start();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of ['/healthz', '/readyz', '/metrics', '/apis', REPLICAS]) {
        const res = await call(s, path, method, { authorization: 'Bearer good' });
        expectStatus(res, 405, 'MethodNotAllowed', new RegExp(`^${method} ${path.replace(/\//g, '\\/')} is not allowed`));
        expect(res.headers['allow']).to.equal('GET, HEAD');
      }
      expectStatus(await call(s, '/nope', method, { authorization: 'Bearer good' }), 404, 'NotFound');
    }
    expect((await call(s, '/healthz', 'HEAD')).status).to.equal(200);
  });

  it('authorizes OPTIONS like GET: an anonymous OPTIONS /metrics is a 403, not an answer', async () => {
    const s = await start();
    expectStatus(await call(s, '/metrics', 'OPTIONS'), 403, 'Forbidden', /cannot get path "\/metrics"/);
    expectStatus(await call(s, REPLICAS, 'OPTIONS'), 403, 'Forbidden');
    expectStatus(await call(s, '/metrics', 'OPTIONS', { authorization: 'Bearer good' }), 405, 'MethodNotAllowed');
  });

  it('/readyz is 503 until the process is ready, and again once it drains, while /healthz stays 200', async () => {
    let reason: string | null = 'waiting for the first snapshot of every application';
    const s = await start({ readiness: () => reason });
    expectStatus(await call(s, '/readyz', 'GET'), 503, 'ServiceUnavailable', /^not ready: waiting for the first snapshot/);
    reason = null;
    expect((await call(s, '/readyz', 'GET')).status).to.equal(200);
    s.drain();
    expectStatus(await call(s, '/readyz', 'GET'), 503, 'ServiceUnavailable', /shutting down/);
    const health = await call(s, '/healthz', 'GET');
    expect(health.status).to.equal(200);
    expect(health.headers['connection'], 'answers while draining close their connection').to.equal('close');
  });

  it('close(): requests in flight finish with 200, idle keep-alive connections are closed, new connections are refused', async () => {
    const s = await start();
    const agent = new Agent({ keepAlive: true, ca: pki.servingCa.cert });
    const get = (token: string): Promise<{ status: number; connection: string | undefined }> =>
      new Promise((resolve, reject) => {
        const req = request(s.url + REPLICAS, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers['connection'] }));
        });
        req.on('error', reject);
        req.end();
      });
    // A keep-alive connection left idle, and a request whose review is still running.
    expect((await get('good')).status).to.equal(200);
    const idleSocket = Object.values(agent.freeSockets).flat()[0]!;
    const idleClosed = new Promise<void>((resolve) => idleSocket.on('close', () => resolve()));
    const reviewsBefore = slowTokens;
    const inFlight = get('slow');
    while (slowTokens === reviewsBefore) await new Promise((r) => setTimeout(r, 5));
    const closing = s.close(5_000);
    const answer = await inFlight;
    expect(answer).to.deep.equal({ status: 200, connection: 'close' });
    await idleClosed;
    await closing;
    server = undefined;
    const refused = await call(s, '/healthz', 'GET').then(
      () => null,
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(refused).to.equal('ECONNREFUSED');
    agent.destroy();
  });
});
