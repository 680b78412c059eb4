/**
 * The simulated application in Prometheus text format, as Istio and cAdvisor would expose it, so a
 * real Prometheus (and the adapter's Prometheus source with the seed's PromQL) can scrape it:
 *  - istio_requests_total{reporter="destination", source_workload, destination_workload, response_code}
 *    (200 = served, 503 = dropped; a callee's requests are split over its callers by their share
 *    of its calls, the entry's outside share has source_workload="unknown");
 *  - istio_request_duration_milliseconds_sum / _count per destination workload;
 *  - container_cpu_usage_seconds_total per container, and per pod container_spec_cpu_quota /
 *    container_spec_cpu_period (so count() gives the pod count) and memory usage / limit.
 */
import type { Cluster } from './cluster.js';

/** Pods have no memory limit in the topology files; this one makes the `mem` ratio well defined. */
export const SIMULATED_MEMORY_LIMIT_BYTES = 256 * 1024 * 1024;
const CFS_PERIOD_US = 100_000;

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',')}}`;
}

export function prometheusText(cluster: Cluster, namespace: string): string {
  const { app, n } = cluster;
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };

  family('istio_requests_total', 'counter', 'Requests received by the destination workload (simulated).');
  for (let to = 0; to < n; to++) {
    const visits = app.visits[to]!;
    if (visits <= 0) continue;
    const sources: Array<[string, number]> = [];
    if (to === app.entry) sources.push(['unknown', 1 / visits]);
    for (let from = 0; from < n; from++) {
      const calls = app.calls[from * n + to]!;
      if (calls > 0) sources.push([app.services[from]!, (app.visits[from]! * calls) / visits]);
    }
    for (const [source, share] of sources) {
      for (const [code, total] of [
        ['200', cluster.totalServed[to]!],
        ['503', cluster.totalDropped[to]!],
      ] as const) {
        const l = labels({
          reporter: 'destination',
          source_workload: source,
          destination_workload: app.services[to]!,
          destination_workload_namespace: namespace,
          response_code: code,
        });
        lines.push(`istio_requests_total${l} ${Math.round(total * share)}`);
      }
    }
  }

  const durationLabels = (s: number): string =>
    labels({ reporter: 'destination', destination_workload: app.services[s]!, destination_workload_namespace: namespace });
  family('istio_request_duration_milliseconds_sum', 'counter', 'Summed request duration at the destination, ms (simulated).');
  for (let s = 0; s < n; s++) lines.push(`istio_request_duration_milliseconds_sum${durationLabels(s)} ${(cluster.totalLatencySeconds[s]! * 1000).toFixed(3)}`);
  family('istio_request_duration_milliseconds_count', 'counter', 'Requests timed at the destination (simulated).');
  for (let s = 0; s < n; s++) lines.push(`istio_request_duration_milliseconds_count${durationLabels(s)} ${Math.round(cluster.totalServed[s]!)}`);

  family('container_cpu_usage_seconds_total', 'counter', 'CPU seconds used by all pods of the container (simulated).');
  for (let s = 0; s < n; s++) {
    lines.push(
      `container_cpu_usage_seconds_total${labels({ namespace, container: app.services[s]!, pod: `${app.services[s]}-all` })} ${cluster.totalCpuSeconds[s]!.toFixed(6)}`,
    );
  }
  const perPod = (name: string, help: string, value: (s: number) => number): void => {
    family(name, 'gauge', help);
    for (let s = 0; s < n; s++) {
      for (let p = 0; p < cluster.replicas(s); p++)
        lines.push(`${name}${labels({ namespace, container: app.services[s]!, pod: `${app.services[s]}-${p}` })} ${value(s)}`);
    }
  };
  perPod('container_spec_cpu_quota', 'CFS quota of one pod, µs per period (simulated).', (s) => Math.round(app.cpuLimitCores[s]! * CFS_PERIOD_US));
  perPod('container_spec_cpu_period', 'CFS period, µs (simulated).', () => CFS_PERIOD_US);
  perPod('container_spec_memory_limit_bytes', 'Memory limit of one pod (simulated).', () => SIMULATED_MEMORY_LIMIT_BYTES);
  perPod('container_memory_usage_bytes', 'Memory used by one pod (simulated: grows with utilization).', (s) =>
    Math.round(cluster.memoryShare(s) * SIMULATED_MEMORY_LIMIT_BYTES),
  );
  return lines.join('\n') + '\n';
}
