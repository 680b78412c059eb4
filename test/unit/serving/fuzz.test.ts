/**
 * Fuzz: 100k generated paths, label selectors and headers through the whole request handler
 * (authentication, authorization, routing, selector parsing, rendering) — no throw, no 5xx, every
 * error a well-formed Status — plus a sample over real HTTPS for the socket layer.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { Authenticator, classifyCertificate, type DistinctHeaders } from '../../../src/auth/authenticate.js';
import { Authorizer } from '../../../src/auth/authorize.js';
import type { AccessReviewer, TokenReviewer } from '../../../src/auth/index.js';
import { buildAuthenticationSettings, staticAuthentication } from '../../../src/auth/settings.js';
import { watchKeyPair } from '../../../src/auth/tls.js';
import { parseCertificateBundle } from '../../../src/auth/x509.js';
import { parseTarget, type ApiAnswer } from '../../../src/serving/api.js';
import { ExampleMetricsProvider } from '../../../src/serving/example-provider.js';
import { ApiHandler } from '../../../src/serving/handler.js';
import { startApiServer } from '../../../src/serving/server.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { makeCa, makeClientCert, makeServingCert, tempDir, writeKeyPair } from '../../support/pki.js';
import { checkAnswer, fuzzOverHttps, headers, method, path, query } from '../../support/api-fuzz.js';

describe('API fuzz', function () {
  this.timeout(240_000);
  const clientCa = makeCa('fuzz-client-ca');
  const frontProxyCa = makeCa('fuzz-front-proxy-ca');
  const settings = buildAuthenticationSettings({
    clientCA: { pem: clientCa.cert, source: 'client-ca' },
    requestHeaderCA: { pem: frontProxyCa.cert, source: 'front-proxy-ca' },
    allowedNames: ['front-proxy-client'],
  });
  const chainOf = (pem: string) => parseCertificateBundle(pem, 'test');
  const certificates = [
    classifyCertificate([], settings),
    classifyCertificate(chainOf(makeClientCert(frontProxyCa, 'front-proxy-client').cert), settings),
    classifyCertificate(chainOf(makeClientCert(frontProxyCa, 'other').cert), settings),
    classifyCertificate(chainOf(makeClientCert(clientCa, 'admin', ['system:masters']).cert), settings),
    classifyCertificate(chainOf(makeClientCert(makeCa('unknown'), 'admin').cert), settings),
  ];
  const tokens: TokenReviewer = {
    review: async (t) => (t === 'good' ? { authenticated: true, user: { username: 'hpa', groups: [], extra: {} } } : { authenticated: false }),
  };
  const access: AccessReviewer = { review: async (user) => ({ allowed: user.username === 'hpa' }) };
  const provider = ExampleMetricsProvider.fromFile();
  const logger = createLogger({}, () => undefined);

  it('100k generated requests through the handler: no throw, no 5xx, every error a well-formed Status', async () => {
    const handler = new ApiHandler(provider, new Authenticator({ tokenReviewer: tokens }), new Authorizer({ reviewer: access, allowAll: false }), logger);
    let answered = 0;
    const codes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(method, path, query, headers, fc.integer({ min: 0, max: certificates.length - 1 }), async (m, p, q, h, c) => {
        const distinct: Record<string, string[]> = {};
        for (const [name, value] of Object.entries(h)) distinct[name] = Array.isArray(value) ? value : [value];
        const pending = handler.handle({
          method: m,
          target: parseTarget(p + q),
          headers: distinct as DistinctHeaders,
          certificate: certificates[c]!,
          settings,
        });
        const a: ApiAnswer = pending instanceof Promise ? await pending : pending;
        checkAnswer(a.code, a.contentType, a.body);
        answered++;
        codes.set(a.code, (codes.get(a.code) ?? 0) + 1);
      }),
      { numRuns: 100_000 },
    );
    expect(answered).to.equal(100_000);
    // The generators reach every outcome, so the property was tested on each of them.
    for (const code of [200, 400, 401, 403, 404, 406]) expect(codes.get(code) ?? 0, `answers with ${code}`).to.be.greaterThan(50);
  });

  it('2k generated requests over real HTTPS (methods, bodies, headers): every answer a well-formed Status or a 200', async () => {
    const servingCa = makeCa('fuzz-serving-ca');
    const tls = watchKeyPair(writeKeyPair(tempDir(), 'serving', makeServingCert(servingCa)), logger);
    const server = await startApiServer({
      port: 0,
      provider,
      tls,
      authentication: staticAuthentication(settings),
      tokenReviewer: tokens,
      accessReviewer: access,
      logger,
      registry: new Registry(),
    });
    try {
      const { sent, codes } = await fuzzOverHttps(server.url, servingCa.cert, 2_000);
      expect(sent).to.be.greaterThan(1_000);
      expect(codes.get(405) ?? 0, 'non-GET methods reached a path that exists').to.be.greaterThan(5);
    } finally {
      await server.close();
      tls.close();
    }
  });
});
