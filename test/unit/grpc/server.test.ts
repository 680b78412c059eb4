import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { watchKeyPair } from '../../../src/auth/tls.js';
import { startGrpcServer } from '../../../src/grpc/server.js';
import type { GetMetricsResponse, HealthCheckResponse, IsActiveResponse, PredictionMessage } from '../../../src/grpc/messages.js';
import { SnapshotStore } from '../../../src/snapshot/index.js';
import { makeCa, makeClientCert, makeServingCert, tempDir, writeKeyPair, type KeyPairPem } from '../../support/pki.js';
import { appSnapshot, makeClients, quietLogger, rejection, startHarness, stream, unary, type Harness, type StreamReader } from './support.js';
import { eventually } from '../../support/eventually.js';

const cartRef = { name: 'cart', namespace: 'shop', scalerMetadata: { service: 'cart' } };

describe('gRPC server', () => {
  describe('TLS with the HTTPS certificate files', function () {
    this.timeout(120_000); // RSA key generation on a shared machine
    let ca: KeyPairPem;
    let files: { certFile: string; keyFile: string };
    let h: Harness;
    before(() => {
      ca = makeCa('grpc-test-ca');
      files = writeKeyPair(tempDir(), 'serving', makeServingCert(ca));
    });
    beforeEach(async () => {
      h = await startHarness({ tls: files, tlsRefreshMs: 100 });
      h.store.publishApp(appSnapshot());
    });
    afterEach(async () => h.close());

    const tlsClient = (trusted: KeyPairPem): grpc.Client =>
      makeClients(h.server.port, grpc.credentials.createSsl(Buffer.from(trusted.cert)), {
        'grpc.ssl_target_name_override': 'localhost',
        'grpc.use_local_subchannel_pool': 1,
      }).externalScaler;

    it("serves a client that trusts the certificate's CA", async () => {
      const client = tlsClient(ca);
      const metrics = await unary<GetMetricsResponse>(client, 'GetMetrics', { scaledObjectRef: cartRef, metricName: '' });
      expect(metrics.metricValues[0]!.metricValue).to.equal(3);
      client.close();
    });

    it('serves with the key pair the HTTPS server already watches', async () => {
      const shared = watchKeyPair(files, quietLogger);
      const server = await startGrpcServer({ host: '127.0.0.1', port: 0, snapshots: h.store, tls: shared, logger: quietLogger });
      const client = makeClients(server.port, grpc.credentials.createSsl(Buffer.from(ca.cert)), {
        'grpc.ssl_target_name_override': 'localhost',
        'grpc.use_local_subchannel_pool': 1,
      }).health;
      expect(await unary(client, 'Check', { service: '' })).to.deep.equal({ status: 'SERVING' });
      client.close();
      await server.close();
      shared.close();
    });

    it('refuses a plaintext client', async () => {
      const client = makeClients(h.server.port, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }).externalScaler;
      const err = await rejection(unary(client, 'IsActive', cartRef));
      expect(err.code).to.equal(grpc.status.UNAVAILABLE);
      client.close();
    });

    it('serves a rotated certificate to new connections without a restart', async () => {
      const nextCa = makeCa('grpc-test-ca-2');
      const rotatedDir = dirname(files.certFile);
      writeKeyPair(rotatedDir, 'serving', makeServingCert(nextCa));
      const client = tlsClient(nextCa);
      // Until the poll sees the new files, handshakes fail against the old certificate: retry.
      let answer: IsActiveResponse | undefined;
      const deadline = Date.now() + 20_000;
      while (!answer && Date.now() < deadline) {
        answer = await unary<IsActiveResponse>(client, 'IsActive', cartRef).catch(() => undefined);
        if (!answer) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(answer).to.deep.equal({ result: true });
      client.close();
      files = writeKeyPair(rotatedDir, 'serving', makeServingCert(ca));
    });

    it('fails to start naming the file when the key does not match the certificate', async () => {
      const other = writeKeyPair(tempDir(), 'other', makeServingCert(ca));
      const err = await startGrpcServer({
        host: '127.0.0.1',
        port: 0,
        snapshots: new SnapshotStore(),
        tls: { certFile: files.certFile, keyFile: other.keyFile },
        logger: quietLogger,
      }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.match(/^gRPC TLS: .*other\.key does not match the certificate in .*serving\.crt/);
    });

    it('fails to start naming the file when a certificate file is missing', async () => {
      const err = await startGrpcServer({
        host: '127.0.0.1',
        port: 0,
        snapshots: new SnapshotStore(),
        tls: { certFile: '/nonexistent/tls.crt', keyFile: files.keyFile },
        logger: quietLogger,
      }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.match(/^gRPC TLS: cannot read \/nonexistent\/tls\.crt/);
    });
  });

  describe('client certificates (--grpc-client-ca-file)', function () {
    this.timeout(120_000); // RSA key generation on a shared machine
    let ca: KeyPairPem;
    let dir: string;
    let serving: { certFile: string; keyFile: string };
    let clientCa: { certFile: string; keyFile: string };
    let h: Harness;
    before(() => {
      ca = makeCa('grpc-mtls-ca');
      dir = tempDir();
      serving = writeKeyPair(dir, 'serving', makeServingCert(ca));
      clientCa = writeKeyPair(dir, 'keda-ca', makeCa('keda-client-ca'));
    });
    beforeEach(async () => {
      h = await startHarness({ tls: serving, clientCa: clientCa.certFile });
      h.store.publishApp(appSnapshot());
    });
    afterEach(async () => h.close());

    const check = (credentials: grpc.ChannelCredentials): Promise<unknown> => {
      const client = makeClients(h.server.port, credentials, { 'grpc.ssl_target_name_override': 'localhost', 'grpc.use_local_subchannel_pool': 1 }).health;
      return unary(client, 'Check', { service: '' }).finally(() => client.close());
    };

    it('serves a client whose certificate the client CA signed', async () => {
      const kedaCa = { cert: readFileSync(clientCa.certFile, 'utf8'), key: readFileSync(clientCa.keyFile, 'utf8') };
      const keda = makeClientCert(kedaCa, 'keda-operator');
      expect(await check(grpc.credentials.createSsl(Buffer.from(ca.cert), Buffer.from(keda.key), Buffer.from(keda.cert)))).to.deep.equal({ status: 'SERVING' });
    });

    it('refuses a client without a certificate, and one signed by another CA', async () => {
      expect((await rejection(check(grpc.credentials.createSsl(Buffer.from(ca.cert))))).code).to.equal(grpc.status.UNAVAILABLE);
      const stranger = makeClientCert(ca, 'stranger');
      expect((await rejection(check(grpc.credentials.createSsl(Buffer.from(ca.cert), Buffer.from(stranger.key), Buffer.from(stranger.cert))))).code).to.equal(
        grpc.status.UNAVAILABLE,
      );
    });

    it('fails to start naming the client CA file when it is not a certificate', async () => {
      const err = await startHarness({ tls: serving, clientCa: serving.keyFile }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.match(/^gRPC TLS: client CA .*serving\.key: /);
    });
  });

  describe('graceful shutdown', () => {
    it('turns health NOT_SERVING, ends open streams with OK and releases every subscription', async () => {
      const h = await startHarness();
      h.store.publishApp(appSnapshot());
      const health = stream<HealthCheckResponse>(h.clients.health, 'Watch', { service: '' });
      const active = stream<IsActiveResponse>(h.clients.externalScaler, 'StreamIsActive', cartRef);
      expect(await health.next(0)).to.deep.equal({ status: 'SERVING' });
      await active.next(0);
      await h.server.close();
      expect(await health.next(1)).to.deep.equal({ status: 'NOT_SERVING' });
      expect((await health.end()).code).to.equal(grpc.status.OK);
      expect((await active.end()).code).to.equal(grpc.status.OK);
      expect(h.store.listenerCount).to.equal(0);
      await h.close(); // a second close is harmless
    });

    it('refuses calls after close', async () => {
      const h = await startHarness();
      await h.server.close();
      const err = await rejection(unary(h.clients.externalScaler, 'IsActive', cartRef));
      expect(err.code).to.equal(grpc.status.UNAVAILABLE);
      await h.close();
    });

    it('fails to start naming the address when the port is taken', async () => {
      const h = await startHarness();
      const err = await startHarness({ port: h.server.port }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.match(new RegExp(`^gRPC: cannot listen on 127\\.0\\.0\\.1:${h.server.port}`));
      await h.close();
    });
  });

  describe('many concurrent streams', function () {
    this.timeout(60_000);
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness();
      h.store.publishApp(appSnapshot());
    });
    afterEach(async () => h.close());

    it('serves 300 streams over 10 connections and releases every subscription when the clients cancel', async () => {
      const streams: StreamReader<unknown>[] = [];
      const channels = Array.from({ length: 10 }, () => makeClients(h.server.port, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
      for (const [i, clients] of channels.entries()) {
        for (let j = 0; j < 10; j++) {
          streams.push(stream<IsActiveResponse>(clients.externalScaler, 'StreamIsActive', cartRef));
          streams.push(stream<PredictionMessage>(clients.predictor, 'WatchPredictions', { application: i % 2 ? 'boutique' : '' }));
          streams.push(stream<HealthCheckResponse>(clients.health, 'Watch', { service: '' }));
        }
      }
      await Promise.all(streams.map((s) => s.next(0, 30_000)));
      expect(h.store.listenerCount).to.equal(300);
      h.store.publishApp(appSnapshot({ replicas: { cart: 0, frontend: 2 } }));
      await Promise.all(streams.map((s, i) => (i % 3 === 2 ? Promise.resolve() : s.next(1, 30_000)))); // health does not change
      for (const s of streams) s.call.cancel();
      await eventually(() => h.store.listenerCount === 0, 'every stream unsubscribed', 30_000);
      for (const clients of channels) for (const client of Object.values(clients)) client.close();
    });

    it('releases the subscriptions of a client process that dies without a goodbye', async () => {
      const script = join(dirname(fileURLToPath(import.meta.url)), 'stream-client.js');
      const child = spawn(process.execPath, [script, String(h.server.port), '50'], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const [line] = (await once(child.stdout, 'data')) as [Buffer];
        expect(line.toString()).to.equal('ready\n');
        expect(h.store.listenerCount).to.equal(50);
      } finally {
        child.kill('SIGKILL');
      }
      await eventually(() => h.store.listenerCount === 0, "the dead client's streams unsubscribed", 30_000);
    });
  });
});
