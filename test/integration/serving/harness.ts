/**
 * The API server on loopback with a test PKI and a fake apiserver for TokenReview and
 * SubjectAccessReview, as the aggregator and the HPA would meet it.
 */
import { Registry } from 'prom-client';
import type { V1SubjectAccessReviewSpec } from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from '../../../src/serving/server.js';
import { ExampleMetricsProvider } from '../../../src/serving/example-provider.js';
import type { ExplanationProvider, MetricsProvider } from '../../../src/serving/index.js';
import { buildAuthenticationSettings, staticAuthentication } from '../../../src/auth/settings.js';
import { watchKeyPair } from '../../../src/auth/tls.js';
import { KubeAccessReviewer, KubeTokenReviewer } from '../../../src/kube/reviews.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { makeCa, makeClientCert, makeServingCert, tempDir, writeKeyPair, type KeyPairPem } from '../../support/pki.js';
import { startFakeApiServer, type FakeApiServer, type ReviewedUser } from '../../support/fake-apiserver.js';
import { httpsGet, type TestResponse } from '../../support/https-client.js';

export const FRONT_PROXY_NAME = 'front-proxy-client';

export interface TestPki {
  readonly servingCa: KeyPairPem;
  readonly serving: KeyPairPem;
  readonly clientCa: KeyPairPem;
  readonly frontProxyCa: KeyPairPem;
  /** CN front-proxy-client, from the front-proxy CA. */
  readonly frontProxy: KeyPairPem;
  /** From the front-proxy CA, but a CN outside allowed-names. */
  readonly frontProxyWrongName: KeyPairPem;
  /** CN admin, O system:masters, from the client CA. */
  readonly admin: KeyPairPem;
  /** CN alice, O developers, from the client CA. */
  readonly alice: KeyPairPem;
  /** From a CA the server does not know. */
  readonly stranger: KeyPairPem;
}

let pki: TestPki | undefined;

/** Minted once per test process (RSA keys take a moment each). */
export function testPki(): TestPki {
  if (pki) return pki;
  const servingCa = makeCa('serving-ca');
  const clientCa = makeCa('client-ca');
  const frontProxyCa = makeCa('front-proxy-ca');
  const unknownCa = makeCa('unknown-ca');
  pki = {
    servingCa,
    serving: makeServingCert(servingCa),
    clientCa,
    frontProxyCa,
    frontProxy: makeClientCert(frontProxyCa, FRONT_PROXY_NAME),
    frontProxyWrongName: makeClientCert(frontProxyCa, 'not-the-aggregator'),
    admin: makeClientCert(clientCa, 'admin', ['system:masters']),
    alice: makeClientCert(clientCa, 'alice', ['developers']),
    stranger: makeClientCert(unknownCa, 'admin', ['system:masters']),
  };
  return pki;
}

export interface HarnessOptions {
  readonly tokens?: Readonly<Record<string, ReviewedUser>>;
  readonly authorize?: (spec: V1SubjectAccessReviewSpec) => { allowed: boolean; reason?: string };
  readonly insecureAllowAll?: boolean;
  readonly provider?: MetricsProvider;
  readonly explainer?: ExplanationProvider;
  readonly reviewCacheTtlMs?: number;
  readonly reviewTimeoutMs?: number;
  /** The registry /metrics exposes (e.g. the serving loop's); default a fresh one. */
  readonly registry?: Registry;
}

export interface Harness {
  readonly pki: TestPki;
  readonly server: RunningApiServer;
  readonly fake: FakeApiServer;
  readonly registry: Registry;
  readonly logLines: string[];
  /** GET `path` presenting `as` (a client certificate) or nothing. */
  get(path: string, as?: KeyPairPem, headers?: Record<string, string | string[]>): Promise<TestResponse>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const p = testPki();
  const fake = await startFakeApiServer({
    ...(options.tokens ? { tokens: options.tokens } : {}),
    ...(options.authorize ? { authorize: options.authorize } : {}),
  });
  const dir = tempDir('deepscaler-api-');
  const logLines: string[] = [];
  const logger = createLogger({}, (line) => logLines.push(line));
  const tls = watchKeyPair(writeKeyPair(dir, 'serving', p.serving), logger);
  const authentication = staticAuthentication(
    buildAuthenticationSettings({
      clientCA: { pem: p.clientCa.cert, source: 'client-ca' },
      requestHeaderCA: { pem: p.frontProxyCa.cert, source: 'front-proxy-ca' },
      allowedNames: [FRONT_PROXY_NAME],
    }),
  );
  const registry = options.registry ?? new Registry();
  const server = await startApiServer({
    port: 0,
    provider: options.provider ?? ExampleMetricsProvider.fromFile(),
    ...(options.explainer ? { explainer: options.explainer } : {}),
    tls,
    authentication,
    tokenReviewer: new KubeTokenReviewer(fake.kubeConfig(), options.reviewTimeoutMs),
    accessReviewer: new KubeAccessReviewer(fake.kubeConfig(), options.reviewTimeoutMs),
    ...(options.reviewTimeoutMs === undefined ? {} : { reviewTimeoutMs: options.reviewTimeoutMs }),
    insecureAllowAll: options.insecureAllowAll ?? false,
    ...(options.reviewCacheTtlMs === undefined ? {} : { reviewCacheTtlMs: options.reviewCacheTtlMs }),
    logger,
    registry,
  });
  return {
    pki: p,
    server,
    fake,
    registry,
    logLines,
    get: (path, as, headers = {}) => httpsGet(server.url + path, { ca: p.servingCa.cert, ...(as ? { cert: as.cert, key: as.key } : {}) }, headers),
    close: async () => {
      await server.close();
      tls.close();
      await fake.close();
    },
  };
}
