/**
 * Frames from Prometheus: the seed's PromQL templates (deepscaler-model.md §1) per feature, with
 * `{ns}` (namespace), `{svc}` (workload) and `{w}` (rate window, the step by default) substituted;
 * each template can be replaced in config. Range queries only: one request per series covers up to
 * MAX_POINTS_PER_QUERY steps; optionally several services share a request (joined with `or`, each
 * tagged by label_replace). A sample Prometheus does not return stays a gap (NaN).
 */
import {
  ALL_FEATURES,
  type Feature,
  type Frame,
  type MetricsSource,
  type ProgressCallback,
  ConfigError,
  expectArray,
  expectNumber,
  expectObject,
  expectOneOf,
  expectString,
  optionalNumber,
  rejectUnknownKeys,
} from '../core/index.js';
import { PrometheusClient, type PrometheusClientOptions } from './prometheus-client.js';
import type { SourceBuildContext, SourceParseContext, SourcePlan } from './registry.js';

export const SEED_TEMPLATES: Readonly<Record<Feature, string>> = {
  cpu:
    "sum(irate(container_cpu_usage_seconds_total{container=~'{svc}',namespace=~'{ns}'}[1m])) / " +
    "sum(container_spec_cpu_quota{container=~'{svc}',namespace=~'{ns}'} / container_spec_cpu_period{container=~'{svc}',namespace=~'{ns}'})",
  mem: "sum(container_memory_usage_bytes{namespace='{ns}',container='{svc}'}) / sum(container_spec_memory_limit_bytes{namespace='{ns}',container='{svc}'})",
  res:
    "sum(rate(istio_request_duration_milliseconds_sum{reporter='destination',destination_workload_namespace='{ns}',destination_workload='{svc}'}[{w}])) / " +
    "sum(rate(istio_request_duration_milliseconds_count{reporter='destination',destination_workload_namespace='{ns}',destination_workload='{svc}'}[{w}])) / 1000",
  req: "sum(rate(istio_requests_total{destination_workload_namespace='{ns}',destination_workload='{svc}'}[{w}]))",
  pod: "count(container_spec_cpu_period{namespace='{ns}',container='{svc}'})",
  cpu_cores: "sum(rate(container_cpu_usage_seconds_total{namespace='{ns}',container='{svc}'}[{w}]))",
  // kube-state-metrics; the request of the service's container, averaged over its pods.
  cpu_request: "avg(kube_pod_container_resource_requests{namespace='{ns}',container='{svc}',resource='cpu'})",
};

const PLACEHOLDERS = ['{ns}', '{svc}', '{w}'] as const;
/** DNS labels (namespaces) and DNS subdomains (workloads): nothing that could break out of a PromQL string. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const WORKLOAD = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const DURATION = /^\d+(ms|s|m|h)$/;
/** The label each service's series is tagged with inside a batched query. */
const SERVICE_LABEL = 'deepscaler_service';

export interface PrometheusSourceConfig extends PrometheusClientOptions {
  readonly namespace: string;
  readonly services: readonly string[];
  readonly features: readonly Feature[];
  readonly stepSeconds: number;
  /** `{w}` in templates: the rate() window, e.g. "1m". Default: the step. */
  readonly rateWindow: string;
  /** Templates replacing the seed's, per feature. */
  readonly templates: Readonly<Partial<Record<Feature, string>>>;
  /**
   * Services per request, their queries joined with `or`. Default 1: Prometheus 2.42 evaluated the
   * joined query no faster than the same series one per request (1.0–1.5× the time,
   * bench/collect/RESULTS.md), so batching only pays where requests are scarce (request quotas).
   */
  readonly servicesPerQuery: number;
  /** Requests in flight at once. Default 2. */
  readonly concurrency: number;
}

/** Rejects `{name}` placeholders other than `allowed` (a typo would otherwise reach Prometheus as PromQL). */
export function checkPlaceholders(template: string, path: string, allowed: readonly string[]): void {
  for (const match of template.matchAll(/\{(\w+)\}/g)) {
    if (!allowed.includes(match[0])) throw new ConfigError(`${path}: unknown placeholder ${match[0]} (known: ${allowed.join(', ')})`);
  }
}

/** Checks a template: known placeholders only, and `{svc}` present (else every service gets one series). */
export function checkTemplate(template: string, path: string): string {
  checkPlaceholders(template, path, PLACEHOLDERS);
  if (!template.includes('{svc}')) throw new ConfigError(`${path}: the template does not use {svc}, so every service would get the same series`);
  return template;
}

export function expectPrometheusUrl(value: unknown, path: string): string {
  return expectString(value, path, { pattern: /^https?:\/\/[^\s]+$/, hint: 'an http:// or https:// URL' });
}

/** A namespace goes into PromQL strings: only DNS-label names are accepted. */
export function expectNamespace(value: unknown, path: string): string {
  return expectString(value, path, { pattern: NAMESPACE, hint: 'a Kubernetes namespace name' });
}

/**
 * Validates the `prometheus` section of a config (or flags gathered into the same shape):
 * `{url, namespace, services, features?, stepSeconds?, rateWindow?, templates?, timeoutMs?, retries?,
 * backoffMs?, servicesPerQuery?, concurrency?}`. Errors name the field under `path`.
 */
export function parsePrometheusSourceConfig(raw: unknown, path: string): PrometheusSourceConfig {
  const obj = expectObject(raw, path);
  rejectUnknownKeys(obj, path, [
    'url',
    'namespace',
    'services',
    'features',
    'stepSeconds',
    'rateWindow',
    'templates',
    'timeoutMs',
    'retries',
    'backoffMs',
    'servicesPerQuery',
    'concurrency',
    'headers',
  ]);
  const url = expectPrometheusUrl(obj['url'], `${path}.url`);
  const namespace = expectNamespace(obj['namespace'], `${path}.namespace`);
  const services = expectArray(obj['services'], `${path}.services`).map((s, i) =>
    expectString(s, `${path}.services[${i}]`, { pattern: WORKLOAD, hint: 'a Kubernetes workload name' }),
  );
  if (services.length === 0) throw new ConfigError(`${path}.services: expected at least one service`);
  const features =
    obj['features'] === undefined
      ? [...ALL_FEATURES]
      : expectArray(obj['features'], `${path}.features`).map((f, i) => expectOneOf(f, `${path}.features[${i}]`, ALL_FEATURES));
  const stepSeconds = expectNumber(obj['stepSeconds'] ?? 30, `${path}.stepSeconds`, { min: 1, integer: true });
  const rateWindow = expectString(obj['rateWindow'] ?? `${stepSeconds}s`, `${path}.rateWindow`, {
    pattern: DURATION,
    hint: 'a Prometheus duration such as 30s or 1m',
  });
  const rawTemplates = obj['templates'] === undefined ? {} : expectObject(obj['templates'], `${path}.templates`);
  rejectUnknownKeys(rawTemplates, `${path}.templates`, ALL_FEATURES);
  const templates = Object.fromEntries(
    Object.entries(rawTemplates).map(([feature, t]) => [
      feature,
      checkTemplate(expectString(t, `${path}.templates.${feature}`), `${path}.templates.${feature}`),
    ]),
  ) as Partial<Record<Feature, string>>;
  const rawHeaders = obj['headers'] === undefined ? {} : expectObject(obj['headers'], `${path}.headers`);
  const headers = Object.fromEntries(Object.entries(rawHeaders).map(([k, v]) => [k, expectString(v, `${path}.headers.${k}`)]));
  return {
    url,
    namespace,
    services,
    features,
    stepSeconds,
    rateWindow,
    templates,
    timeoutMs: expectNumber(obj['timeoutMs'] ?? 30_000, `${path}.timeoutMs`, { min: 1 }),
    retries: expectNumber(obj['retries'] ?? 3, `${path}.retries`, { min: 0, max: 10, integer: true }),
    backoffMs: expectNumber(obj['backoffMs'] ?? 500, `${path}.backoffMs`, { min: 0 }),
    servicesPerQuery: optionalNumber(obj['servicesPerQuery'], `${path}.servicesPerQuery`, { min: 1, integer: true }) ?? 1,
    concurrency: optionalNumber(obj['concurrency'], `${path}.concurrency`, { min: 1, max: 16, integer: true }) ?? 2,
    headers,
  };
}

/**
 * The `source:` block of kind prometheus as the configuration file gives it. The application's
 * namespace, services and step complete it (`prometheusSourceConfig`): with a label selector the
 * services are known only at start-up.
 */
export interface PrometheusSourceSpec {
  readonly kind: 'prometheus';
  /** Steps of Prometheus history read at start-up (a range query), so a model can forecast at once. */
  readonly warmupSteps: number;
  /** url, templates, timeouts, …: validated by parsePrometheusSourceConfig. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Where the options came from, for error messages (e.g. `config.applications[0].source`). */
  readonly path: string;
}

export function parsePrometheusSourceSpec(block: Readonly<Record<string, unknown>>, context: SourceParseContext): PrometheusSourceSpec {
  const options = Object.fromEntries(Object.entries(block).filter(([key]) => key !== 'kind' && key !== 'warmupSteps'));
  for (const key of ['namespace', 'services', 'stepSeconds']) {
    if (key in options) throw new ConfigError(`${context.path}.${key}: set by the application; remove it here`);
  }
  const spec: PrometheusSourceSpec = { kind: 'prometheus', warmupSteps: context.warmupSteps, options, path: context.path };
  // With the services listed, check the options now; a selector's services are known at start-up.
  if (context.services !== null) prometheusSourceConfig(spec, context.namespace, context.services, context.stepSeconds);
  return spec;
}

/** The Prometheus source's full configuration for an application's services. */
export function prometheusSourceConfig(
  spec: PrometheusSourceSpec,
  namespace: string,
  services: readonly string[],
  stepSeconds: number,
): PrometheusSourceConfig {
  return parsePrometheusSourceConfig({ ...spec.options, namespace, services, stepSeconds }, spec.path);
}

/** Live metrics: the loop steps with the wall clock. */
export function planPrometheusSource(spec: PrometheusSourceSpec, { namespace, services, stepSeconds }: SourceBuildContext): SourcePlan {
  const config = prometheusSourceConfig(spec, namespace, services, stepSeconds);
  return { services, open: async () => ({ source: new PrometheusSource(config), pace: { kind: 'live', warmupSteps: spec.warmupSteps } }) };
}

/** The template of `feature` with namespace, service and window substituted. */
export function renderTemplate(template: string, namespace: string, service: string, rateWindow: string): string {
  return template.replaceAll('{ns}', namespace).replaceAll('{svc}', service).replaceAll('{w}', rateWindow);
}

/** Runs `tasks` with at most `limit` in flight; the first failure rejects (the rest are not started). */
async function runLimited(tasks: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

export class PrometheusSource implements MetricsSource {
  readonly services: readonly string[];
  readonly features: readonly Feature[];
  readonly stepSeconds: number;
  readonly client: PrometheusClient;

  constructor(private readonly config: PrometheusSourceConfig) {
    this.services = config.services;
    this.features = config.features;
    this.stepSeconds = config.stepSeconds;
    this.client = new PrometheusClient(config);
  }

  private template(feature: Feature): string {
    return this.config.templates[feature] ?? SEED_TEMPLATES[feature];
  }

  /** One query for `feature` over a batch of services, each result tagged with its service. */
  batchQuery(feature: Feature, services: readonly string[]): string {
    return services
      .map(
        (svc) =>
          `label_replace(${renderTemplate(this.template(feature), this.config.namespace, svc, this.config.rateWindow)}, "${SERVICE_LABEL}", "${svc}", "", "")`,
      )
      .join(' or ');
  }

  private batches(): string[][] {
    const size = this.config.servicesPerQuery;
    const out: string[][] = [];
    for (let i = 0; i < this.services.length; i += size) out.push(this.services.slice(i, i + size));
    return out;
  }

  async frame(t: number): Promise<Frame> {
    const stepMs = this.stepSeconds * 1000;
    const at = Math.floor(t / stepMs) * stepMs;
    return (await this.range(at, at))[0]!;
  }

  async range(start: number, end: number, onProgress?: ProgressCallback): Promise<Frame[]> {
    const stepMs = this.stepSeconds * 1000;
    const first = Math.ceil(start / stepMs) * stepMs;
    const last = Math.floor(end / stepMs) * stepMs;
    if (last < first) throw new Error(`no step of ${this.stepSeconds} s lies between ${new Date(start).toISOString()} and ${new Date(end).toISOString()}`);
    const steps = (last - first) / stepMs + 1;
    const N = this.services.length;
    const F = this.features.length;
    const values = new Float32Array(steps * N * F).fill(Number.NaN);
    const serviceIndex = new Map(this.services.map((s, i) => [s, i] as const));

    // One task per feature × batch of services; the client splits ranges Prometheus finds too long.
    const tasks: Array<() => Promise<void>> = [];
    let done = 0;
    this.features.forEach((feature, f) => {
      for (const batch of this.batches()) {
        tasks.push(async () => {
          const seen = new Set<string>();
          for (const series of await this.client.queryRange(this.batchQuery(feature, batch), first, last, this.stepSeconds)) {
            const service = series.labels[SERVICE_LABEL] ?? '';
            const s = serviceIndex.get(service);
            if (s === undefined) continue;
            if (seen.has(service)) {
              throw new Error(
                `the ${feature} query returned several series for service ${service}; a template must give one series per service (aggregate it, e.g. sum(...)): ${this.template(feature)}`,
              );
            }
            seen.add(service);
            for (const [ms, value] of series.points) {
              const t = Math.round((ms - first) / stepMs);
              if (t >= 0 && t < steps) values[(t * N + s) * F + f] = value;
            }
          }
          onProgress?.(++done, tasks.length);
        });
      }
    });
    await runLimited(tasks, this.config.concurrency);
    const size = N * F;
    return Array.from({ length: steps }, (_, t) => ({
      timestamp: first + t * stepMs,
      services: this.services,
      features: this.features,
      values: values.slice(t * size, (t + 1) * size),
    }));
  }

  async close(): Promise<void> {}
}
