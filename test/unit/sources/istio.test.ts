import { expect } from 'chai';
import { PrometheusClient } from '../../../src/sources/prometheus-client.js';
import { checkEdgesTemplate, discoverIstioWorkloads, istioCallGraph } from '../../../src/sources/istio.js';
import { fakePrometheus, json, type FakePrometheus } from '../../support/fake-prometheus.js';

const T = Date.parse('2024-04-06T12:00:00Z');
const edge = (from: string, to: string, values: string[]): unknown => ({
  metric: { source_workload: from, destination_workload: to },
  values: values.map((v, i) => [T / 1000 + i * 30, v]),
});

describe('call graph from Istio', () => {
  let fake: FakePrometheus;
  afterEach(() => fake.close());

  it('weights each edge by its mean call rate, skipping gaps, and keeps only edges among the services', async () => {
    fake = await fakePrometheus((_req, _params, res) =>
      json(res, 200, {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            edge('frontend', 'cart', ['2', 'NaN', '4']),
            edge('istio-ingressgateway', 'frontend', ['9', '9', '9']),
            edge('cart', 'redis-cart', ['5', '5', '5']),
            edge('frontend', 'ads', ['0', '0', '0']),
            edge('checkout', 'cart', ['1', '1', '1']),
          ],
        },
      }),
    );
    const graph = await istioCallGraph(new PrometheusClient({ url: fake.url }), {
      namespace: 'shop',
      services: ['frontend', 'cart', 'checkout', 'ads'],
      startMs: T,
      endMs: T + 60_000,
      stepSeconds: 30,
    });
    expect(graph.services).to.deep.equal(['frontend', 'cart', 'checkout', 'ads']);
    expect(graph.edges).to.deep.equal([
      { from: 'checkout', to: 'cart', weight: 1 },
      { from: 'frontend', to: 'cart', weight: 3 },
    ]);
    expect(fake.requests[0]!.get('query')).to.equal(
      "sum by (source_workload, destination_workload) (rate(istio_requests_total{reporter='destination',destination_workload_namespace='shop'}[30s]))",
    );
  });

  it('discovers the workloads that received requests, without "unknown"', async () => {
    fake = await fakePrometheus((_req, _params, res) => json(res, 200, { status: 'success', data: ['frontend', 'unknown', 'cart'] }));
    expect(await discoverIstioWorkloads(new PrometheusClient({ url: fake.url }), 'shop', T, T + 60_000)).to.deep.equal(['cart', 'frontend']);
    expect(fake.requests[0]!.get('match[]')).to.equal('istio_requests_total{destination_workload_namespace="shop"}');
  });

  it('takes a replacement edges query, checked for placeholders and the workload labels', async () => {
    fake = await fakePrometheus((_req, _params, res) => json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [edge('a', 'b', ['1'])] } }));
    const template = checkEdgesTemplate("sum by (source_workload, destination_workload) (rate(my_calls_total{ns='{ns}'}[{w}]))", 'edges');
    const graph = await istioCallGraph(new PrometheusClient({ url: fake.url }), {
      namespace: 'shop',
      services: ['a', 'b'],
      startMs: T,
      endMs: T,
      stepSeconds: 30,
      rateWindow: '1m',
      template,
    });
    expect(graph.edges).to.deep.equal([{ from: 'a', to: 'b', weight: 1 }]);
    expect(fake.requests[0]!.get('query')).to.equal("sum by (source_workload, destination_workload) (rate(my_calls_total{ns='shop'}[1m]))");
    expect(() => checkEdgesTemplate("sum by (destination_workload) (rate(x{ns='{ns}'}[{w}]))", 'edges')).to.throw(
      'edges: the edges template must keep the source_workload label',
    );
    expect(() => checkEdgesTemplate("sum by (source_workload, destination_workload) (rate(x{ns='{namespace}'}[{w}]))", 'edges')).to.throw(
      'edges: unknown placeholder {namespace} (known: {ns}, {w})',
    );
  });
});
