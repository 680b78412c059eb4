import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { parseAllDocuments } from 'yaml';
import { protoDir } from '../../../src/grpc/protos.js';
import type { GetMetricSpecResponse, GetMetricsResponse, IsActiveResponse, ScaledObjectRef } from '../../../src/grpc/messages.js';
import { appSnapshot, rejection, startHarness, stream, unary, type Harness } from './support.js';
import { eventually } from '../../support/eventually.js';

function ref(scalerMetadata: Record<string, string>, namespace = 'shop'): ScaledObjectRef {
  return { name: 'cart-scaler', namespace, scalerMetadata };
}

describe('gRPC KEDA external scaler', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.store.publishApp(appSnapshot({ replicas: { cart: 3, frontend: 0 } }));
  });
  afterEach(async () => h.close());

  const isActive = (r: ScaledObjectRef): Promise<IsActiveResponse> => unary(h.clients.externalScaler, 'IsActive', r);
  const getMetrics = (r: ScaledObjectRef, metricName = ''): Promise<GetMetricsResponse> =>
    unary(h.clients.externalScaler, 'GetMetrics', { scaledObjectRef: r, metricName });

  it('GetMetricSpec announces one metric with target size 1 (int and float)', async () => {
    const spec = await unary<GetMetricSpecResponse>(h.clients.externalScaler, 'GetMetricSpec', ref({ service: 'cart' }));
    expect(spec.metricSpecs).to.deep.equal([{ metricName: 'deepscaler-boutique-cart', targetSize: 1, targetSizeFloat: 1 }]);
  });

  it('GetMetrics returns the desired replicas as value and float value', async () => {
    const metrics = await getMetrics(ref({ service: 'cart' }));
    expect(metrics.metricValues).to.deep.equal([{ metricName: 'deepscaler-boutique-cart', metricValue: 3, metricValueFloat: 3 }]);
  });

  it('GetMetrics echoes the metric name KEDA asks for', async () => {
    const metrics = await getMetrics(ref({ service: 'cart' }), 's0-deepscaler-boutique-cart');
    expect(metrics.metricValues[0]!.metricName).to.equal('s0-deepscaler-boutique-cart');
  });

  it('GetMetrics serves the newest snapshot after a publish', async () => {
    h.store.publishApp(appSnapshot({ replicas: { cart: 7, frontend: 0 } }));
    expect((await getMetrics(ref({ service: 'cart' }))).metricValues[0]!.metricValue).to.equal(7);
  });

  it('finds the application by metadata "application" even from another namespace', async () => {
    h.store.publishApp(appSnapshot({ app: 'other', namespace: 'elsewhere', replicas: { api: 5 } }));
    const metrics = await getMetrics(ref({ application: 'other', service: 'api' }, 'shop'));
    expect(metrics.metricValues[0]!.metricValue).to.equal(5);
  });

  it('IsActive is true while desired replicas exceed 0 and false at 0', async () => {
    expect(await isActive(ref({ service: 'cart' }))).to.deep.equal({ result: true });
    expect(await isActive(ref({ service: 'frontend' }))).to.deep.equal({ result: false });
  });

  it('IsActive honours activationReplicas: active only above it', async () => {
    expect((await isActive(ref({ service: 'cart', activationReplicas: '3' }))).result).to.equal(false);
    expect((await isActive(ref({ service: 'cart', activationReplicas: '2' }))).result).to.equal(true);
  });

  it('ignores metadata keys KEDA adds itself (scalerAddress)', async () => {
    expect((await isActive(ref({ service: 'cart', scalerAddress: 'deepscaler.deepscaler:9090' }))).result).to.equal(true);
  });

  describe('refusals say what to fix', () => {
    it('INVALID_ARGUMENT when metadata "service" is missing', async () => {
      const err = await rejection(getMetrics(ref({})));
      expect(err.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(err.details).to.match(/ScaledObject shop\/cart-scaler: trigger metadata service is required/);
    });

    it('INVALID_ARGUMENT when activationReplicas is not a whole number', async () => {
      const err = await rejection(isActive(ref({ service: 'cart', activationReplicas: '1.5' })));
      expect(err.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(err.details).to.match(/activationReplicas must be a whole number from 0 to 2147483647.*"1\.5"/);
    });

    it('INVALID_ARGUMENT for an activationReplicas too large for replicas (400 digits is Infinity, never "inactive")', async () => {
      for (const huge of ['9'.repeat(400), '2147483648']) {
        const err = await rejection(isActive(ref({ service: 'cart', activationReplicas: huge })));
        expect(err.code).to.equal(grpc.status.INVALID_ARGUMENT);
        expect(err.details.length, 'the input is echoed once, cut').to.be.below(400);
      }
    });

    it('echoes a huge service name once, cut, not the whole input', async () => {
      const err = await rejection(getMetrics(ref({ service: 'x'.repeat(10_000) })));
      expect(err.code).to.equal(grpc.status.NOT_FOUND);
      expect(err.details).to.contain('(10000 characters)');
      expect(err.details.length).to.be.below(500);
    });

    it('INVALID_ARGUMENT when the namespace serves several applications and none is named', async () => {
      h.store.publishApp(appSnapshot({ app: 'second', namespace: 'shop' }));
      const err = await rejection(getMetrics(ref({ service: 'cart' })));
      expect(err.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(err.details).to.match(/namespace "shop" serves several applications \(boutique, second\); set trigger metadata application/);
    });

    it('INVALID_ARGUMENT when GetMetrics carries no scaledObjectRef', async () => {
      const err = await rejection(unary(h.clients.externalScaler, 'GetMetrics', { metricName: 'x' }));
      expect(err.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(err.details).to.match(/scaledObjectRef is required/);
    });

    it('NOT_FOUND for an unknown application, listing the served ones', async () => {
      const err = await rejection(getMetrics(ref({ application: 'nope', service: 'cart' })));
      expect(err.code).to.equal(grpc.status.NOT_FOUND);
      expect(err.details).to.equal('application "nope" is not served by this adapter; served applications: boutique');
    });

    it('NOT_FOUND when no application is served in the namespace and none is named', async () => {
      const err = await rejection(getMetrics(ref({ service: 'cart' }, 'empty-ns')));
      expect(err.code).to.equal(grpc.status.NOT_FOUND);
      expect(err.details).to.match(/no application is served in namespace "empty-ns"; set trigger metadata application to one of: boutique/);
    });

    it('NOT_FOUND for an unknown service, listing the known ones', async () => {
      const err = await rejection(getMetrics(ref({ service: 'kart' })));
      expect(err.code).to.equal(grpc.status.NOT_FOUND);
      expect(err.details).to.match(/application "boutique" has no service "kart"; set trigger metadata service to one of: cart, frontend/);
    });

    it('UNAVAILABLE while the snapshot withholds the application, with the reason', async () => {
      h.store.publishApp(appSnapshot({ unavailableReason: 'newest data is 420 s old (max age 180 s)', replicas: {} }));
      for (const call of [getMetrics(ref({ service: 'cart' })), isActive(ref({ service: 'cart' }))]) {
        const err = await rejection(call);
        expect(err.code).to.equal(grpc.status.UNAVAILABLE);
        expect(err.details).to.match(/predictions for application "boutique" are withheld: newest data is 420 s old/);
      }
    });

    it('FAILED_PRECONDITION for an application in preview mode: KEDA must not act on its values', async () => {
      h.store.publishApp(appSnapshot({ preview: true }));
      for (const call of [getMetrics(ref({ service: 'cart' })), isActive(ref({ service: 'cart' }))]) {
        const err = await rejection(call);
        expect(err.code).to.equal(grpc.status.FAILED_PRECONDITION);
        expect(err.details).to.match(/application "boutique" in namespace "shop" is in preview mode/);
      }
    });

    it('StreamIsActive refuses bad metadata with INVALID_ARGUMENT instead of opening', async () => {
      const end = await stream(h.clients.externalScaler, 'StreamIsActive', ref({})).end();
      expect(end.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(h.store.listenerCount).to.equal(0);
    });
  });

  describe('StreamIsActive', () => {
    it('sends the current activity at once, then only when it flips', async () => {
      const s = stream<IsActiveResponse>(h.clients.externalScaler, 'StreamIsActive', ref({ service: 'cart' }));
      expect(await s.next(0)).to.deep.equal({ result: true });
      h.store.publishApp(appSnapshot({ replicas: { cart: 4, frontend: 0 } })); // still active: nothing sent
      h.store.publishApp(appSnapshot({ replicas: { cart: 0, frontend: 0 } }));
      expect(await s.next(1)).to.deep.equal({ result: false });
      h.store.publishApp(appSnapshot({ replicas: { cart: 2, frontend: 0 } }));
      expect(await s.next(2)).to.deep.equal({ result: true });
      expect(s.messages).to.have.length(3);
      s.call.cancel();
    });

    it('pushes nothing while predictions are withheld: missing data never reads as inactive', async () => {
      const s = stream<IsActiveResponse>(h.clients.externalScaler, 'StreamIsActive', ref({ service: 'cart' }));
      await s.next(0);
      h.store.publishApp(appSnapshot({ unavailableReason: 'stale', replicas: {} }));
      // The server's clean end travels the stream after anything the publish wrote: a barrier, not a sleep.
      await h.server.close();
      expect((await s.end()).code).to.equal(grpc.status.OK);
      expect(s.messages).to.deep.equal([{ result: true }]);
    });

    it('releases its store subscription when the client cancels', async () => {
      const s = stream<IsActiveResponse>(h.clients.externalScaler, 'StreamIsActive', ref({ service: 'cart' }));
      await s.next(0);
      expect(h.store.listenerCount).to.equal(1);
      s.call.cancel();
      await eventually(() => h.store.listenerCount === 0, 'the stream unsubscribed');
    });
  });

  it('answers the trigger of manifests/examples/keda-scaledobject.yaml', async () => {
    const file = join(dirname(protoDir()), 'manifests', 'examples', 'keda-scaledobject.yaml');
    const scaledObject = parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string }; spec: { triggers: Array<{ metadata: Record<string, string> }> } })
      .find((d) => d.kind === 'ScaledObject')!;
    const { name, namespace } = scaledObject.metadata;
    h.store.publishApp(appSnapshot({ app: 'online-boutique', namespace, replicas: { cartservice: 6 } }));
    const metrics = await getMetrics({ name, namespace, scalerMetadata: scaledObject.spec.triggers[0]!.metadata });
    expect(metrics.metricValues[0]!.metricValue).to.equal(6);
  });
});
