/**
 * The API server's own Prometheus metrics. Label children are cached: prom-client's `labels()`
 * validates and builds closures on every call, too much for the hot path.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export class ApiMetrics {
  private readonly requests: Counter<'route' | 'code'>;
  private readonly duration: Histogram<'route'>;
  private readonly age: Histogram<'metric'>;
  private readonly allowAll: Gauge;
  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly durationChildren = new Map<string, { observe(v: number): void }>();
  // Metric names come from the provider's short list, so this map stays small.
  private readonly ageChildren = new Map<string, { observe(v: number): void }>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = getOrCreate(
      registry,
      'deepscaler_api_requests_total',
      () =>
        new Counter({ name: 'deepscaler_api_requests_total', help: 'API requests by route and HTTP status code.', labelNames: ['route', 'code'], registers }),
    );
    this.duration = getOrCreate(
      registry,
      'deepscaler_api_request_duration_seconds',
      () =>
        new Histogram({
          name: 'deepscaler_api_request_duration_seconds',
          help: 'Time from request to response written, by route.',
          labelNames: ['route'],
          buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
          registers,
        }),
    );
    this.age = getOrCreate(
      registry,
      'deepscaler_api_metric_value_age_seconds',
      () =>
        new Histogram({
          name: 'deepscaler_api_metric_value_age_seconds',
          help: 'Freshness of served values: now minus the value timestamp, per served item.',
          labelNames: ['metric'],
          buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
          registers,
        }),
    );
    this.allowAll = getOrCreate(
      registry,
      'deepscaler_api_authorization_disabled',
      () =>
        new Gauge({
          name: 'deepscaler_api_authorization_disabled',
          help: '1 when the allow-all development switch is on: every request is authorized.',
          registers,
        }),
    );
  }

  setAllowAll(on: boolean): void {
    this.allowAll.set(on ? 1 : 0);
  }

  request(route: string, code: number, seconds: number): void {
    const key = `${route} ${code}`;
    let counter = this.requestChildren.get(key);
    if (!counter) {
      counter = this.requests.labels(route, String(code));
      this.requestChildren.set(key, counter);
    }
    counter.inc();
    let histogram = this.durationChildren.get(route);
    if (!histogram) {
      histogram = this.duration.labels(route);
      this.durationChildren.set(route, histogram);
    }
    histogram.observe(seconds);
  }

  valueAge(metric: string, seconds: number): void {
    let histogram = this.ageChildren.get(metric);
    if (!histogram) {
      histogram = this.age.labels(metric);
      this.ageChildren.set(metric, histogram);
    }
    histogram.observe(seconds);
  }
}
