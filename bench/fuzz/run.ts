/**
 * 100k generated requests (methods, paths, selectors, headers, bodies) over keep-alive HTTPS to a
 * real API server: every answer must be a 200 or a well-formed Kubernetes Status, never a 5xx. The
 * default test run sends 2k of them (test/unit/serving/fuzz.test.ts); this is the full run.
 *   npm run build && nice node dist/bench/fuzz/run.js [--requests 100000] [--seed N]
 */
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import type { AccessReviewer, TokenReviewer } from '../../src/auth/index.js';
import { buildAuthenticationSettings, staticAuthentication } from '../../src/auth/settings.js';
import { watchKeyPair } from '../../src/auth/tls.js';
import { ExampleMetricsProvider } from '../../src/serving/example-provider.js';
import { startApiServer } from '../../src/serving/server.js';
import { createLogger } from '../../src/telemetry/log.js';
import { fuzzOverHttps } from '../../test/support/api-fuzz.js';
import { makeCa, makeServingCert, tempDir, writeKeyPair } from '../../test/support/pki.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '100000' }, seed: { type: 'string' } } });
const runs = Number(values.requests);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const logger = createLogger({}, () => undefined);
const servingCa = makeCa('fuzz-serving-ca');
const tls = watchKeyPair(writeKeyPair(tempDir(), 'serving', makeServingCert(servingCa)), logger);
const tokens: TokenReviewer = {
  review: async (t) => (t === 'good' ? { authenticated: true, user: { username: 'hpa', groups: [], extra: {} } } : { authenticated: false }),
};
const access: AccessReviewer = { review: async (user) => ({ allowed: user.username === 'hpa' }) };
const server = await startApiServer({
  port: 0,
  provider: ExampleMetricsProvider.fromFile(),
  tls,
  authentication: staticAuthentication(buildAuthenticationSettings({ clientCA: { pem: makeCa('fuzz-client-ca').cert, source: 'client-ca' } })),
  tokenReviewer: tokens,
  accessReviewer: access,
  logger,
  registry: new Registry(),
});
const started = Date.now();
process.stdout.write(`fuzz: ${runs} requests over HTTPS to ${server.url}, seed ${seed}\n`);
try {
  const { sent, codes } = await fuzzOverHttps(server.url, servingCa.cert, runs, seed);
  const byCode = [...codes]
    .sort(([a], [b]) => a - b)
    .map(([code, n]) => `${code}: ${n}`)
    .join(', ');
  const fivexx = [...codes].filter(([code]) => code >= 500).reduce((n, [, c]) => n + c, 0);
  process.stdout.write(
    `fuzz: ${sent} answered (${runs - sent} not sendable by Node's client) in ${((Date.now() - started) / 1000).toFixed(0)} s; 5xx: ${fivexx}; non-Status errors: 0\n`,
  );
  process.stdout.write(`fuzz: answers by code: ${byCode}\n`);
} catch (err) {
  process.stdout.write(`fuzz: FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await server.close(1_000);
  tls.close();
}
