import { expect } from 'chai';
import { Registry } from 'prom-client';
import { appSnapshot, rejection, startHarness, stream, unary } from './support.js';
import { eventually } from '../../support/eventually.js';

describe('gRPC server metrics', () => {
  it('counts finished calls by service, method and status code, and gauges open streams', async () => {
    const registry = new Registry();
    const h = await startHarness({ registry });
    try {
      h.store.publishApp(appSnapshot());
      const ref = { name: 'cart', namespace: 'shop', scalerMetadata: { service: 'cart' } };
      await unary(h.clients.externalScaler, 'GetMetrics', { scaledObjectRef: ref, metricName: '' });
      await unary(h.clients.externalScaler, 'GetMetrics', { scaledObjectRef: ref, metricName: '' });
      await rejection(unary(h.clients.externalScaler, 'GetMetrics', { scaledObjectRef: { ...ref, scalerMetadata: { service: 'nope' } }, metricName: '' }));
      const watch = stream(h.clients.predictor, 'WatchPredictions', {});
      await watch.next(0);

      const text = await registry.metrics();
      expect(text).to.include('deepscaler_grpc_calls_total{service="externalscaler.ExternalScaler",method="GetMetrics",code="OK"} 2');
      expect(text).to.include('deepscaler_grpc_calls_total{service="externalscaler.ExternalScaler",method="GetMetrics",code="NOT_FOUND"} 1');
      expect(text).to.include('deepscaler_grpc_open_streams 1');

      watch.call.cancel();
      await eventually(() => h.store.listenerCount === 0, 'the watch ended');
      expect(await registry.metrics()).to.include('deepscaler_grpc_open_streams 0');
    } finally {
      await h.close();
    }
  });
});
