/**
 * Rotation without restart: a new serving certificate on disk, and a new client CA in ConfigMap
 * kube-system/extension-apiserver-authentication (watched through the real client).
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveGrpcFlags } from '../../../src/grpc/flags.js';
import { resolveApiServerFlags } from '../../../src/serving/flags.js';
import { Registry } from 'prom-client';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { watchKeyPair } from '../../../src/auth/tls.js';
import { buildAuthenticationSettings, staticAuthentication } from '../../../src/auth/settings.js';
import { settingsFromConfigMap, watchAuthenticationConfigMap } from '../../../src/kube/auth-config.js';
import { ExampleMetricsProvider } from '../../../src/serving/example-provider.js';
import { startApiServer } from '../../../src/serving/server.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { startFakeApiServer } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/eventually.js';
import { httpsGet } from '../../support/https-client.js';
import { makeCa, makeClientCert, makeServingCert, tempDir, writeKeyPair } from '../../support/pki.js';

const GV = '/apis/external.metrics.k8s.io/v1beta1';

function authConfigMap(data: Record<string, string>): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system', resourceVersion: '1' },
    data,
  };
}

describe('API certificate and CA rotation', function () {
  this.timeout(60_000);
  const logger = createLogger({}, () => undefined);

  it('serves a rotated serving certificate without a restart', async () => {
    const oldCa = makeCa('old-serving-ca');
    const newCa = makeCa('new-serving-ca');
    const clientCa = makeCa('client-ca');
    const admin = makeClientCert(clientCa, 'admin', ['system:masters']);
    const files = writeKeyPair(tempDir(), 'tls', makeServingCert(oldCa));
    const tls = watchKeyPair(files, logger, 50);
    const server = await startApiServer({
      port: 0,
      provider: ExampleMetricsProvider.fromFile(),
      tls,
      authentication: staticAuthentication(buildAuthenticationSettings({ clientCA: { pem: clientCa.cert, source: 'client-ca' } })),
      logger,
      registry: new Registry(),
    });
    try {
      const trusting = (ca: string) => httpsGet(server.url + GV, { ca, cert: admin.cert, key: admin.key });
      expect((await trusting(oldCa.cert)).status).to.equal(200);
      const next = makeServingCert(newCa);
      writeFileSync(files.keyFile, next.key);
      writeFileSync(files.certFile, next.cert);
      await eventually(async () => (await trusting(newCa.cert)).status === 200, 'the new certificate is served');
      await trusting(oldCa.cert).then(
        () => expect.fail('a client trusting only the old CA still connected'),
        (err: Error) => expect(err.message).to.match(/self.signed|unable to verify|certificate/i),
      );
    } finally {
      await server.close();
      tls.close();
    }
  });

  it('follows a client CA rotated in the extension-apiserver-authentication ConfigMap, ignoring a broken update', async () => {
    const oldCa = makeCa('old-client-ca');
    const newCa = makeCa('new-client-ca');
    const servingCa = makeCa('serving-ca');
    const oldAdmin = makeClientCert(oldCa, 'admin', ['system:masters']);
    const newAdmin = makeClientCert(newCa, 'admin', ['system:masters']);
    const fake = await startFakeApiServer({ configMap: authConfigMap({ 'client-ca-file': oldCa.cert }) });
    const lines: string[] = [];
    const authentication = await watchAuthenticationConfigMap(
      fake.kubeConfig(),
      createLogger({}, (l) => lines.push(l)),
      { retryMs: 50 },
    );
    const tls = watchKeyPair(writeKeyPair(tempDir(), 'tls', makeServingCert(servingCa)), logger);
    const server = await startApiServer({ port: 0, provider: ExampleMetricsProvider.fromFile(), tls, authentication, logger, registry: new Registry() });
    const as = (pair: { cert: string; key: string }) => httpsGet(server.url + GV, { ca: servingCa.cert, ...pair });
    try {
      expect((await as(oldAdmin)).status).to.equal(200);
      expect((await as(newAdmin)).status).to.equal(401);
      fake.updateConfigMap(authConfigMap({ 'client-ca-file': newCa.cert }));
      await eventually(async () => (await as(newAdmin)).status === 200, 'the new client CA is trusted');
      expect((await as(oldAdmin)).status).to.equal(401);
      fake.updateConfigMap(authConfigMap({ 'client-ca-file': 'not a certificate' }));
      await eventually(async () => lines.join('\n').includes('authentication settings not reloaded'), 'the broken update is reported');
      expect((await as(newAdmin)).status).to.equal(200);
    } finally {
      await server.close();
      authentication.close();
      tls.close();
      await fake.close();
    }
  });

  it('fails at start-up, naming the RBAC it needs, when the ConfigMap cannot be read', async () => {
    const fake = await startFakeApiServer();
    try {
      await watchAuthenticationConfigMap(fake.kubeConfig(), logger).then(
        () => expect.fail('started without its authentication settings'),
        (err: Error) =>
          expect(err.message).to.match(
            /cannot read configmap kube-system\/extension-apiserver-authentication \(the server needs RBAC Role extension-apiserver-authentication-reader\)/,
          ),
      );
    } finally {
      await fake.close();
    }
  });

  it('reads every key of the ConfigMap, list keys as JSON arrays, and names a broken key', () => {
    const ca = makeCa('ca');
    const settings = settingsFromConfigMap(
      authConfigMap({
        'client-ca-file': ca.cert,
        'requestheader-client-ca-file': ca.cert,
        'requestheader-allowed-names': '["front-proxy-client"]',
        'requestheader-username-headers': '["X-Remote-User"]',
        'requestheader-group-headers': '["X-Remote-Group"]',
        'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
      }),
    );
    expect(settings.clientCA).to.have.length(1);
    // Header names are kept lowercase, as Node presents request headers.
    expect(settings.requestHeader).to.deep.include({
      allowedNames: ['front-proxy-client'],
      usernameHeaders: ['x-remote-user'],
      groupHeaders: ['x-remote-group'],
      extraHeaderPrefixes: ['x-remote-extra-'],
    });
    expect(settingsFromConfigMap(authConfigMap({})).requestHeader).to.equal(null);
    expect(() =>
      settingsFromConfigMap(authConfigMap({ 'requestheader-client-ca-file': ca.cert, 'requestheader-allowed-names': 'front-proxy-client' })),
    ).to.throw('key requestheader-allowed-names is not a JSON list');
    expect(() => settingsFromConfigMap(authConfigMap({ 'client-ca-file': 'junk' }))).to.throw(/key client-ca-file: no PEM certificate found/);
  });

  it('reloads a rotated --client-ca-file without a restart, and the gRPC server shares that watcher', async () => {
    const dir = tempDir();
    const servingCa = makeCa('serving-ca');
    const serving = writeKeyPair(dir, 'tls', makeServingCert(servingCa));
    const [oldCa, newCa] = [makeCa('old-client-ca'), makeCa('new-client-ca')];
    const [oldAdmin, newAdmin] = [makeClientCert(oldCa, 'admin', ['system:masters']), makeClientCert(newCa, 'admin', ['system:masters'])];
    const caFile = join(dir, 'client-ca.crt');
    writeFileSync(caFile, oldCa.cert);
    const api = await resolveApiServerFlags(
      {
        bindAddress: '127.0.0.1',
        securePort: '0',
        tlsCertFile: serving.certFile,
        tlsPrivateKeyFile: serving.keyFile,
        certDir: dir,
        clientCaFile: caFile,
        reviewCacheTtl: '10',
      },
      logger,
    );
    const server = await startApiServer({
      port: 0,
      provider: ExampleMetricsProvider.fromFile(),
      tls: api.tls,
      authentication: api.authentication,
      logger,
      registry: new Registry(),
    });
    try {
      const as = (who: { cert: string; key: string }) => httpsGet(server.url + GV, { ca: servingCa.cert, cert: who.cert, key: who.key });
      expect((await as(oldAdmin)).status).to.equal(200);
      writeFileSync(caFile, newCa.cert);
      await eventually(async () => (await as(newAdmin)).status === 200, 'a certificate from the new client CA is accepted');
      expect((await as(oldAdmin)).status, 'the old CA no longer vouches').to.equal(401);
      const grpc = resolveGrpcFlags({ grpc: true, grpcPort: '0', grpcClientCaFile: caFile }, '127.0.0.1', api.tls, api.clientCa);
      expect(grpc?.clientCa, 'one watcher for HTTPS and gRPC').to.equal(api.clientCa);
    } finally {
      await server.close();
      api.close();
    }
  });
});
