/**
 * The API flags as `deepscaler serve` resolves them: the default run (no cluster) must be
 * reachable securely with the local admin certificate it makes, and with nothing else.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { Registry } from 'prom-client';
import { ConfigError } from '../../../src/core/validate.js';
import { ExampleMetricsProvider } from '../../../src/serving/example-provider.js';
import { addApiServerFlags, resolveApiServerFlags, type ApiServerFlags } from '../../../src/serving/flags.js';
import { startApiServer } from '../../../src/serving/server.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { httpsGet } from '../../support/https-client.js';
import { tempDir } from '../../support/pki.js';
import { expectStatus } from './status-assertions.js';

function parse(args: string[]): ApiServerFlags {
  const command = addApiServerFlags(new Command().exitOverride());
  command.parse(args, { from: 'user' });
  return command.opts<ApiServerFlags>();
}

describe('API server flags', function () {
  this.timeout(60_000);
  const logger = createLogger({}, () => undefined);
  // CI may itself run in a pod: the default run is about having no cluster.
  const inCluster = process.env['KUBERNETES_SERVICE_HOST'];
  before(() => delete process.env['KUBERNETES_SERVICE_HOST']);
  after(() => {
    if (inCluster !== undefined) process.env['KUBERNETES_SERVICE_HOST'] = inCluster;
  });

  it('default run without a cluster: self-signed TLS, only the local system:masters certificate gets in', async () => {
    const certDir = join(tempDir(), 'certs');
    const resolved = await resolveApiServerFlags(parse(['--cert-dir', certDir, '--secure-port', '0']), logger);
    expect(resolved.tokenReviewer).to.equal(null);
    expect(resolved.accessReviewer).to.equal(null);
    const client = resolved.localClient!;
    const server = await startApiServer({ ...resolved, provider: ExampleMetricsProvider.fromFile(), logger, registry: new Registry() });
    try {
      const ca = readFileSync(client.serverCaFile, 'utf8');
      const path = '/apis/external.metrics.k8s.io/v1beta1';
      const admin = await httpsGet(server.url.replace('127.0.0.1', 'localhost') + path, {
        ca,
        cert: readFileSync(client.certFile, 'utf8'),
        key: readFileSync(client.keyFile, 'utf8'),
      });
      expect(admin.status, admin.text).to.equal(200);
      expectStatus(await httpsGet(server.url + path, { ca }), 403, 'Forbidden', /User "system:anonymous"/);
    } finally {
      await server.close();
      resolved.close();
    }
    const again = await resolveApiServerFlags(parse(['--cert-dir', certDir]), logger);
    again.close();
    expect(readFileSync(again.localClient!.certFile, 'utf8')).to.equal(readFileSync(client.certFile, 'utf8'));
  });

  it('refuses half a serving key pair and a bad port, naming the flag', async () => {
    await resolveApiServerFlags(parse(['--tls-cert-file', '/x.crt']), logger).then(
      () => expect.fail('accepted --tls-cert-file alone'),
      (err: Error) => {
        expect(err).to.be.instanceOf(ConfigError);
        expect(err.message).to.contain('--tls-cert-file and --tls-private-key-file: give both or neither');
      },
    );
    await resolveApiServerFlags(parse(['--secure-port', '70000']), logger).then(
      () => expect.fail('accepted port 70000'),
      (err: Error) => expect(err.message).to.contain('--secure-port: must be at most 65535'),
    );
  });
});
