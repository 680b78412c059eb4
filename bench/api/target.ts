/**
 * One server under test, in its own process so its CPU and memory are its own:
 *   adapter — startApiServer with front-proxy authentication and a cached SubjectAccessReview;
 *   bare    — node:https with the same TLS settings answering the adapter's bytes;
 *   express — express on the same https server answering the same bytes (framework cost alone).
 * Prints `{"port":N}` on stdout once listening. Arguments: <kind> <dir with the PKI files>.
 */
import express from 'express';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { buildAuthenticationSettings, readPemFile, staticAuthentication } from '../../src/auth/settings.js';
import { watchKeyPair } from '../../src/auth/tls.js';
import { ExampleMetricsProvider } from '../../src/serving/example-provider.js';
import { startApiServer } from '../../src/serving/server.js';
import { createLogger } from '../../src/telemetry/log.js';

const [kind, dir] = process.argv.slice(2);
if (!kind || !dir) throw new Error('usage: target.js <adapter|bare|express> <pki dir>');
const logger = createLogger({}, () => undefined);
const tlsFiles = { certFile: join(dir, 'serving.crt'), keyFile: join(dir, 'serving.key') };
const clientCas = readFileSync(join(dir, 'front-proxy-ca.crt'), 'utf8');

async function listen(): Promise<number> {
  if (kind === 'adapter') {
    const server = await startApiServer({
      port: 0,
      provider: ExampleMetricsProvider.fromFile(),
      tls: watchKeyPair(tlsFiles, logger),
      authentication: staticAuthentication(
        buildAuthenticationSettings({ requestHeaderCA: readPemFile(join(dir, 'front-proxy-ca.crt')), allowedNames: ['front-proxy-client'] }),
      ),
      // The cluster answers once; every later request hits the 10 s cache, as in steady state.
      accessReviewer: { review: async () => ({ allowed: true }) },
      logger,
      registry: new Registry(),
    });
    return server.port;
  }
  const body = readFileSync(join(dir, 'body.json'));
  const headers = {
    'content-type': 'application/json',
    'content-length': body.length,
    'cache-control': 'no-cache, private',
    'x-content-type-options': 'nosniff',
  };
  const tlsOptions = {
    cert: readFileSync(tlsFiles.certFile),
    key: readFileSync(tlsFiles.keyFile),
    ca: clientCas,
    requestCert: true,
    rejectUnauthorized: false,
  };
  let server;
  if (kind === 'bare') {
    server = createServer(tlsOptions, (_req, res) => {
      res.writeHead(200, headers);
      res.end(body);
    });
  } else if (kind === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.get('/apis/external.metrics.k8s.io/v1beta1/namespaces/:namespace/:metric', (_req, res) => {
      res.set(headers).send(body);
    });
    server = createServer(tlsOptions, app);
  } else {
    throw new Error(`unknown target ${kind}`);
  }
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

listen().then(
  (port) => process.stdout.write(JSON.stringify({ port }) + '\n'),
  (err: unknown) => {
    process.stderr.write(`target ${kind} failed: ${String(err)}\n`);
    process.exit(1);
  },
);
// Exit normally on a signal, so `node --cpu-prof` can write its profile.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
