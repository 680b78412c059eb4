/**
 * The call graph from Istio telemetry: an edge a → b for every pair of workloads in
 * `istio_requests_total{source_workload, destination_workload}`, weighted by the mean call rate
 * (calls/s) over the queried time range. Callers outside the service set (the ingress gateway,
 * `unknown`) and callees outside it (redis) are left out.
 */
import type { CallEdge, CallGraph } from '../graph/index.js';
import type { PrometheusClient } from './prometheus-client.js';
import { checkPlaceholders } from './prometheus.js';
import { ConfigError } from '../core/index.js';

/**
 * Calls per second per (caller, callee). Only the destination's reporter: Istio reports an in-mesh
 * call twice (source and destination proxies), and summing both would double every weight.
 */
export const ISTIO_EDGES_TEMPLATE =
  "sum by (source_workload, destination_workload) (rate(istio_requests_total{reporter='destination',destination_workload_namespace='{ns}'}[{w}]))";

/** Checks a replacement for ISTIO_EDGES_TEMPLATE: `{ns}` and `{w}` only, and both workload labels kept. */
export function checkEdgesTemplate(template: string, path: string): string {
  checkPlaceholders(template, path, ['{ns}', '{w}']);
  for (const label of ['source_workload', 'destination_workload']) {
    if (!template.includes(label))
      throw new ConfigError(`${path}: the edges template must keep the ${label} label (e.g. sum by (source_workload, destination_workload) (...))`);
  }
  return template;
}

/** Workloads in `namespace` that received requests between the two times (service discovery for collect). */
export async function discoverIstioWorkloads(client: PrometheusClient, namespace: string, startMs: number, endMs: number): Promise<string[]> {
  const names = await client.labelValues('destination_workload', `istio_requests_total{destination_workload_namespace="${namespace}"}`, startMs, endMs);
  return names.filter((n) => n !== 'unknown' && n !== '').sort();
}

export interface IstioGraphOptions {
  readonly namespace: string;
  readonly services: readonly string[];
  readonly startMs: number;
  readonly endMs: number;
  readonly stepSeconds: number;
  /** `{w}`: the rate window. Default: the step, so the windows tile the range. */
  readonly rateWindow?: string;
  /** Replaces ISTIO_EDGES_TEMPLATE; must keep the source_workload and destination_workload labels. */
  readonly template?: string;
}

export async function istioCallGraph(client: PrometheusClient, options: IstioGraphOptions): Promise<CallGraph> {
  const query = (options.template ?? ISTIO_EDGES_TEMPLATE)
    .replaceAll('{ns}', options.namespace)
    .replaceAll('{w}', options.rateWindow ?? `${options.stepSeconds}s`);
  const known = new Set(options.services);
  const edges: CallEdge[] = [];
  for (const series of await client.queryRange(query, options.startMs, options.endMs, options.stepSeconds)) {
    const from = series.labels['source_workload'];
    const to = series.labels['destination_workload'];
    if (from === undefined || to === undefined || !known.has(from) || !known.has(to)) continue;
    const rates = series.points.map(([, v]) => v).filter((v) => !Number.isNaN(v));
    const weight = rates.length === 0 ? 0 : rates.reduce((a, b) => a + b, 0) / rates.length;
    if (weight > 0) edges.push({ from, to, weight });
  }
  edges.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return { services: [...options.services], edges };
}
