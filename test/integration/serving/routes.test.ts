import { expect } from 'chai';
import { ApiError, type ExternalMetricValue, type MetricsProvider } from '../../../src/serving/index.js';
import { httpsGet } from '../../support/https-client.js';
import { startHarness, type Harness } from './harness.js';
import { expectStatus } from './status-assertions.js';

const GV = '/apis/external.metrics.k8s.io/v1beta1';
const REPLICAS = `${GV}/namespaces/online-boutique/deepscaler_desired_replicas`;
const CPU = `${GV}/namespaces/online-boutique/deepscaler_predicted_cpu_cores`;
const VERSION_REF = { groupVersion: 'external.metrics.k8s.io/v1beta1', version: 'v1beta1' };
const GROUP = { name: 'external.metrics.k8s.io', versions: [VERSION_REF], preferredVersion: VERSION_REF };

describe('external metrics API routes (over HTTPS, as system:masters)', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());
  const get = (path: string, headers: Record<string, string> = {}) => h.get(path, h.pki.admin, headers);

  describe('discovery', () => {
    it('GET /apis answers the APIGroupList of external.metrics.k8s.io', async () => {
      const res = await get('/apis');
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('application/json');
      expect(res.json()).to.deep.equal({ kind: 'APIGroupList', apiVersion: 'v1', groups: [GROUP] });
    });

    it('GET /apis/external.metrics.k8s.io answers the APIGroup', async () => {
      const res = await get('/apis/external.metrics.k8s.io');
      expect(res.status).to.equal(200);
      expect(res.json()).to.deep.equal({ kind: 'APIGroup', apiVersion: 'v1', ...GROUP });
    });

    it('GET /apis/external.metrics.k8s.io/v1beta1 lists one namespaced resource per metric, singularName present and empty', async () => {
      const res = await get(GV);
      expect(res.status).to.equal(200);
      expect(res.json()).to.deep.equal({
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'external.metrics.k8s.io/v1beta1',
        resources: ['deepscaler_desired_replicas', 'deepscaler_predicted_cpu_cores'].map((name) => ({
          name,
          singularName: '',
          namespaced: true,
          kind: 'ExternalMetricValueList',
          verbs: ['get'],
        })),
      });
    });

    it('accepts one trailing slash on discovery paths', async () => {
      expect((await get('/apis/')).status).to.equal(200);
      expect((await get(`${GV}/`)).status).to.equal(200);
    });

    it('answers the aggregated-discovery Accept header with 406, so the apiserver falls back to legacy discovery', async () => {
      for (const v of ['v2', 'v2beta1']) {
        const res = await get('/apis', { accept: `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList` });
        expectStatus(res, 406, 'NotAcceptable', /aggregated discovery is not supported/);
      }
    });

    it('serves legacy discovery when the Accept header offers plain JSON as a fallback', async () => {
      const res = await get('/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
      expect(res.status).to.equal(200);
      expect(res.json()['kind']).to.equal('APIGroupList');
    });

    it('answers 406 when the client accepts no JSON at all', async () => {
      expectStatus(await get(GV, { accept: 'text/html' }), 406, 'NotAcceptable');
    });

    it('answers 503 (never an empty resource list) while the provider has no metrics', async () => {
      const empty: MetricsProvider = { listMetrics: () => [], getValues: () => [] };
      const h2 = await startHarness({ provider: empty });
      try {
        expectStatus(await h2.get(GV, h2.pki.admin), 503, 'ServiceUnavailable', /no external metrics are available yet/);
      } finally {
        await h2.close();
      }
    });
  });

  describe('metric values', () => {
    it('answers an ExternalMetricValueList with one item for the documented selector', async () => {
      const before = Date.now();
      const res = await get(`${REPLICAS}?labelSelector=${encodeURIComponent('service=frontend')}`);
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('application/json');
      const body = res.json();
      expect(body).to.include({ kind: 'ExternalMetricValueList', apiVersion: 'external.metrics.k8s.io/v1beta1' });
      expect(body['metadata']).to.deep.equal({});
      const items = body['items'] as Array<Record<string, unknown>>;
      expect(items).to.have.length(1);
      expect(items[0]).to.deep.include({ metricName: 'deepscaler_desired_replicas', metricLabels: { service: 'frontend' }, window: 60, value: '3' });
      expect(items[0]!['timestamp']).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Date.parse(items[0]!['timestamp'] as string)).to.be.within(Math.floor(before / 1000) * 1000, Date.now());
    });

    it('renders values as Quantity strings with milli precision', async () => {
      const res = await get(`${CPU}?labelSelector=service%3Dcartservice`);
      expect((res.json()['items'] as Array<{ value: unknown }>)[0]!.value).to.equal('420m');
    });

    it('without labelSelector answers every series of the metric in the namespace', async () => {
      const items = (await get(REPLICAS)).json()['items'] as Array<{ metricLabels: { service: string } }>;
      expect(items.map((i) => i.metricLabels.service).sort()).to.deep.equal(['cartservice', 'checkoutservice', 'frontend', 'recommendationservice']);
    });

    it('applies set-based selectors', async () => {
      const res = await get(`${REPLICAS}?labelSelector=${encodeURIComponent('service notin (frontend,cartservice)')}`);
      const items = res.json()['items'] as Array<{ metricLabels: { service: string } }>;
      expect(items.map((i) => i.metricLabels.service).sort()).to.deep.equal(['checkoutservice', 'recommendationservice']);
    });

    it('answers JSON when the client prefers protobuf, as the controller manager does', async () => {
      const res = await get(`${REPLICAS}?labelSelector=service%3Dfrontend`, { accept: 'application/vnd.kubernetes.protobuf, */*' });
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('application/json');
    });

    it('answers 400 naming the problem for a bad selector', async () => {
      const res = await get(`${REPLICAS}?labelSelector=${encodeURIComponent('service in frontend')}`);
      expectStatus(res, 400, 'BadRequest', /invalid labelSelector "service in frontend": found "frontend" at position 11, expected "\("/);
    });

    it('answers 404 for an unknown metric, naming the available ones', async () => {
      expectStatus(
        await get(`${GV}/namespaces/online-boutique/nope`),
        404,
        'NotFound',
        /"nope" is not served; available: deepscaler_desired_replicas, deepscaler_predicted_cpu_cores/,
      );
    });

    it('answers 404 for a namespace without values, and for a selector matching nothing', async () => {
      expectStatus(await get(`${GV}/namespaces/default/deepscaler_desired_replicas`), 404, 'NotFound', /in namespace "default"/);
      expectStatus(await get(`${REPLICAS}?labelSelector=service%3Dnope`), 404, 'NotFound', /matching labelSelector "service=nope"/);
    });

    it('answers 404 for invalid namespace or metric names', async () => {
      expectStatus(await get(`${GV}/namespaces/Bad_NS/deepscaler_desired_replicas`), 404, 'NotFound', /not a valid namespace name/);
      expectStatus(await get(`${GV}/namespaces/online-boutique/a%2Fb`), 404, 'NotFound', /"a%2Fb" is not a valid metric name/);
    });

    it('serves no cluster-scoped route, no /{name} and nothing else: 404 Status', async () => {
      for (const path of [
        `${GV}/deepscaler_desired_replicas`,
        `${REPLICAS}/frontend`,
        `${GV}/namespaces/online-boutique`,
        '/api',
        '/apis/metrics.k8s.io',
        '/openapi/v2',
        '/',
      ]) {
        expectStatus(await get(path), 404, 'NotFound', /could not find the requested resource/);
      }
    });

    it('answers 405 with Allow to methods other than GET and HEAD', async () => {
      const post = await httpsGet(h.server.url + REPLICAS, { ca: h.pki.servingCa.cert, cert: h.pki.admin.cert, key: h.pki.admin.key }, {}, 'POST');
      expectStatus(post, 405, 'MethodNotAllowed', /POST .* is not allowed: this API is read-only \(GET, HEAD\)/);
      expect(post.headers['allow']).to.equal('GET, HEAD');
    });
  });

  describe('provider failures', () => {
    const failing = (error: Error): MetricsProvider => ({
      listMetrics: () => ['m'],
      getValues: (): readonly ExternalMetricValue[] => {
        throw error;
      },
    });

    it('turns a provider ApiError into its Status, with Retry-After when given', async () => {
      const h2 = await startHarness({ provider: failing(new ApiError(503, 'ServiceUnavailable', 'prediction is stale; check the collector', 30)) });
      try {
        const res = await h2.get(`${GV}/namespaces/ns/m`, h2.pki.admin);
        expectStatus(res, 503, 'ServiceUnavailable', /prediction is stale/);
        expect(res.headers['retry-after']).to.equal('30');
      } finally {
        await h2.close();
      }
    });

    it('hides other provider errors behind a 500 InternalError and logs them', async () => {
      const h2 = await startHarness({ provider: failing(new Error('secret backend detail')) });
      try {
        const body = expectStatus(await h2.get(`${GV}/namespaces/ns/m`, h2.pki.admin), 500, 'InternalError');
        expect(body['message']).not.to.contain('secret backend detail');
        expect(h2.logLines.join('\n')).to.contain('secret backend detail');
      } finally {
        await h2.close();
      }
    });
  });

  describe('health and telemetry', () => {
    it('answers ok on /healthz, /livez and /readyz without any credentials', async () => {
      for (const path of ['/healthz', '/livez', '/readyz']) {
        const res = await h.get(path);
        expect(res.status).to.equal(200);
        expect(res.text).to.equal('ok');
      }
    });

    it('exports requests by route and code, latency and value freshness on /metrics', async () => {
      await get(`${REPLICAS}?labelSelector=service%3Dfrontend`);
      await get(`${REPLICAS}?labelSelector=${encodeURIComponent('=')}`);
      const res = await get('/metrics');
      expect(res.status).to.equal(200);
      expect(res.text).to.match(/deepscaler_api_requests_total\{route="metric",code="200"\} [1-9]/);
      expect(res.text).to.match(/deepscaler_api_requests_total\{route="metric",code="400"\} [1-9]/);
      expect(res.text).to.match(/deepscaler_api_request_duration_seconds_bucket\{le="0.005",route="metric"\} [1-9]/);
      expect(res.text).to.match(/deepscaler_api_metric_value_age_seconds_count\{metric="deepscaler_desired_replicas"\} [1-9]/);
      expect(res.text).to.match(/deepscaler_api_authorization_disabled 0/);
    });

    it('requires authorization for /metrics like any non-resource path', async () => {
      expectStatus(await h.get('/metrics'), 403, 'Forbidden', /User "system:anonymous" cannot get path "\/metrics"/);
    });
  });
});
