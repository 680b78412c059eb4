import { expect } from 'chai';
import { PrometheusSource, SEED_TEMPLATES, checkTemplate, parsePrometheusSourceConfig, renderTemplate } from '../../../src/sources/prometheus.js';

const minimal = { url: 'http://127.0.0.1:9090', namespace: 'shop', services: ['frontend', 'cartservice'] };

describe('prometheus source configuration and templates', () => {
  it('defaults: every feature, 30 s step, the step as rate window, the seed templates', () => {
    const config = parsePrometheusSourceConfig(minimal, 'prometheus');
    expect(config.features).to.deep.equal(['cpu', 'mem', 'res', 'req', 'pod', 'cpu_cores', 'cpu_request']);
    expect(config.stepSeconds).to.equal(30);
    expect(config.rateWindow).to.equal('30s');
    expect(config.templates).to.deep.equal({});
    expect(config.retries).to.equal(3);
  });

  it('substitutes namespace, workload and window into the seed template', () => {
    expect(renderTemplate(SEED_TEMPLATES.req, 'shop', 'frontend', '1m')).to.equal(
      "sum(rate(istio_requests_total{destination_workload_namespace='shop',destination_workload='frontend'}[1m]))",
    );
  });

  it('an overridden template replaces the seed one in the query, batched per service with label_replace and or', () => {
    const config = parsePrometheusSourceConfig({ ...minimal, templates: { req: "sum(rate(my_requests{ns='{ns}',app='{svc}'}[{w}]))" } }, 'prometheus');
    const source = new PrometheusSource(config);
    expect(source.batchQuery('req', ['a', 'b'])).to.equal(
      `label_replace(sum(rate(my_requests{ns='shop',app='a'}[30s])), "deepscaler_service", "a", "", "") or ` +
        `label_replace(sum(rate(my_requests{ns='shop',app='b'}[30s])), "deepscaler_service", "b", "", "")`,
    );
  });

  it('every seed template uses {svc} and only known placeholders', () => {
    for (const [feature, template] of Object.entries(SEED_TEMPLATES)) expect(checkTemplate(template, feature)).to.equal(template);
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    [
      'an unknown placeholder',
      { templates: { req: "rate(x{a='{svc}',b='{job}'}[1m])" } },
      'prometheus.templates.req: unknown placeholder {job} (known: {ns}, {svc}, {w})',
    ],
    ['a template without {svc}', { templates: { req: 'sum(rate(x[1m]))' } }, 'prometheus.templates.req: the template does not use {svc}'],
    ['a template for an unknown feature', { templates: { disk: '{svc}' } }, 'prometheus.templates.disk: unknown field'],
    [
      'a service name that could break out of PromQL',
      { services: ["a'}) or vector(1"] },
      'prometheus.services[0]: "a\'}) or vector(1" is not valid (a Kubernetes workload name)',
    ],
    ['a bad namespace', { namespace: 'Shop' }, 'prometheus.namespace: "Shop" is not valid (a Kubernetes namespace name)'],
    ['a URL without scheme', { url: '127.0.0.1:9090' }, 'prometheus.url: "127.0.0.1:9090" is not valid (an http:// or https:// URL)'],
    ['an unknown feature', { features: ['disk'] }, 'prometheus.features[0]: expected one of'],
    ['a bad rate window', { rateWindow: '30' }, 'prometheus.rateWindow: "30" is not valid (a Prometheus duration such as 30s or 1m)'],
    ['no services', { services: [] }, 'prometheus.services: expected at least one service'],
    ['a typo in a field', { retires: 3 }, 'prometheus.retires: unknown field'],
  ];
  for (const [what, change, message] of bad) {
    it(`rejects ${what}, naming the field`, () => {
      expect(() => parsePrometheusSourceConfig({ ...minimal, ...change }, 'prometheus')).to.throw(message);
    });
  }
});
