/**
 * Synthetic cluster metrics as OpenMetrics text, in the series the seed's templates read (cAdvisor,
 * kube-state-metrics, Istio), plus the ground truth each template should return at every step.
 *
 * Rates are constant within each step interval (t_k − step, t_k] and the scrape grid is aligned with
 * the step grid, so a rate() over one step lands its first and last samples on the window's ends and
 * is exact (no extrapolation); irate() over the last scrape interval gives the same rate.
 */

export interface SyntheticService {
  readonly name: string;
  readonly pods: number;
  readonly cpuLimitCores: number;
  readonly cpuRequestCores: number;
  readonly memLimitBytes: number;
}

export interface SyntheticEdge {
  readonly from: string;
  readonly to: string;
  /** Calls to `to` per request `from` receives. */
  readonly callsPerRequest: number;
}

export interface SyntheticApp {
  readonly namespace: string;
  readonly services: readonly SyntheticService[];
  /** Receives the load from `LOAD_GENERATOR` (a workload outside the modelled services). */
  readonly entry: string;
  readonly edges: readonly SyntheticEdge[];
}

export const LOAD_GENERATOR = 'loadgenerator';

export interface SyntheticOptions {
  /** First step time (epoch ms, on the step grid); samples start two minutes earlier. */
  readonly startMs: number;
  readonly steps: number;
  readonly stepSeconds: number;
  /** Must divide the step. */
  readonly scrapeSeconds: number;
  /** Drop this service's CPU usage samples in step intervals first..last, so cpu_cores has gaps exactly there. */
  readonly cpuGap?: { readonly service: string; readonly first: number; readonly last: number };
  /** Restart this service's first pod at the start of step interval `step`: its CPU counter starts again from 0. */
  readonly cpuReset?: { readonly service: string; readonly step: number };
}

export interface StepTruth {
  /** Per service: the values the seed's templates and ours should return at this step. */
  readonly services: ReadonlyMap<string, { cpu: number; mem: number; res: number; req: number; pod: number; cpu_cores: number; cpu_request: number }>;
  /** Calls/s per `from>to`, in-mesh edges only. */
  readonly edges: ReadonlyMap<string, number>;
}

export interface SyntheticMetrics {
  readonly openMetrics: string;
  /** Truth at step k (k = 0 .. steps − 1, time startMs + k × step). */
  readonly truth: readonly StepTruth[];
  readonly seriesCount: number;
}

/** Entry load (requests/s) in step interval k: a daily-like wave plus a faster ripple, always > 0. */
function entryRate(k: number): number {
  return 20 + 10 * Math.sin((2 * Math.PI * k) / 120) + 3 * Math.sin((2 * Math.PI * k) / 7);
}

interface IntervalState {
  /** Requests/s into each service (counted once). */
  readonly load: Map<string, number>;
  readonly edges: Map<string, number>;
  readonly latencyMs: Map<string, number>;
  readonly cpuCores: Map<string, number>;
  readonly memBytes: Map<string, number>;
}

/** Everything in step interval k (the interval ending at step k). */
function interval(app: SyntheticApp, k: number): IntervalState {
  const load = new Map(app.services.map((s) => [s.name, 0]));
  load.set(app.entry, entryRate(k));
  // Topological order is the edge order in the test apps (callers before callees).
  const edges = new Map<string, number>();
  for (const e of app.edges) {
    const rate = load.get(e.from)! * e.callsPerRequest;
    edges.set(`${e.from}>${e.to}`, rate);
    load.set(e.to, load.get(e.to)! + rate);
  }
  const latencyMs = new Map<string, number>();
  const cpuCores = new Map<string, number>();
  const memBytes = new Map<string, number>();
  app.services.forEach((s, i) => {
    const l = load.get(s.name)!;
    latencyMs.set(s.name, 5 + 2 * i + 0.1 * l);
    cpuCores.set(s.name, 0.01 + 0.002 * (i + 1) * l);
    memBytes.set(s.name, 50e6 + 1e5 * l);
  });
  return { load, edges, latencyMs, cpuCores, memBytes };
}

export function syntheticMetrics(app: SyntheticApp, options: SyntheticOptions): SyntheticMetrics {
  const { stepSeconds, scrapeSeconds } = options;
  if (stepSeconds % scrapeSeconds !== 0) throw new Error('scrapeSeconds must divide stepSeconds');
  const stepMs = stepSeconds * 1000;
  const firstSample = options.startMs - 120_000;
  const lastSample = options.startMs + (options.steps - 1) * stepMs;
  const stepOf = (ms: number): number => Math.ceil((ms - options.startMs) / stepMs);
  const ns = app.namespace;

  // series key → { family, labels, samples }
  const families = new Map<string, Map<string, string[]>>();
  const add = (family: string, labels: string, ms: number, value: number): void => {
    let byLabels = families.get(family);
    if (byLabels === undefined) families.set(family, (byLabels = new Map()));
    let lines = byLabels.get(labels);
    if (lines === undefined) byLabels.set(labels, (lines = []));
    lines.push(`${family}{${labels}} ${value} ${ms / 1000}`);
  };

  const counters = new Map<string, number>();
  const bump = (key: string, by: number): number => {
    const v = (counters.get(key) ?? 1000) + by;
    counters.set(key, v);
    return v;
  };

  for (let ms = firstSample; ms <= lastSample; ms += scrapeSeconds * 1000) {
    const k = stepOf(ms);
    const now = interval(app, k);
    for (const s of app.services) {
      const gap = options.cpuGap !== undefined && options.cpuGap.service === s.name && k >= options.cpuGap.first && k <= options.cpuGap.last;
      for (let p = 0; p < s.pods; p++) {
        const pod = `namespace="${ns}",container="${s.name}",pod="${s.name}-${p}"`;
        const key = `cpu/${s.name}/${p}`;
        const reset = options.cpuReset?.service === s.name && p === 0 && ms === options.startMs + (options.cpuReset.step - 1) * stepMs + scrapeSeconds * 1000;
        if (reset) counters.set(key, 0);
        const usage = bump(key, (now.cpuCores.get(s.name)! / s.pods) * scrapeSeconds);
        if (!gap) add('container_cpu_usage_seconds_total', pod, ms, usage);
        add('container_spec_cpu_quota', pod, ms, s.cpuLimitCores * 100_000);
        add('container_spec_cpu_period', pod, ms, 100_000);
        add('container_memory_usage_bytes', pod, ms, now.memBytes.get(s.name)! / s.pods);
        add('container_spec_memory_limit_bytes', pod, ms, s.memLimitBytes);
        add('kube_pod_container_resource_requests', `${pod},resource="cpu",unit="core"`, ms, s.cpuRequestCores);
      }
    }
    const calls: Array<[string, string, number]> = [
      [LOAD_GENERATOR, app.entry, entryRate(k)],
      ...app.edges.map((e): [string, string, number] => [e.from, e.to, now.edges.get(`${e.from}>${e.to}`)!]),
    ];
    for (const [from, to, rate] of calls) {
      // Istio reports an in-mesh call twice: at the caller's and at the callee's proxy.
      for (const reporter of ['source', 'destination']) {
        const labels = `reporter="${reporter}",source_workload="${from}",source_workload_namespace="${ns}",destination_workload="${to}",destination_workload_namespace="${ns}"`;
        add('istio_requests_total', labels, ms, bump(`req/${reporter}/${from}/${to}`, rate * scrapeSeconds));
        add('istio_request_duration_milliseconds_count', labels, ms, bump(`cnt/${reporter}/${from}/${to}`, rate * scrapeSeconds));
        add('istio_request_duration_milliseconds_sum', labels, ms, bump(`sum/${reporter}/${from}/${to}`, rate * scrapeSeconds * now.latencyMs.get(to)!));
      }
    }
  }

  const lines: string[] = [];
  let seriesCount = 0;
  for (const [family, byLabels] of families) {
    lines.push(`# TYPE ${family} unknown`);
    for (const samples of byLabels.values()) {
      seriesCount++;
      lines.push(...samples);
    }
  }
  lines.push('# EOF');

  const truth = Array.from({ length: options.steps }, (_, k): StepTruth => {
    const now = interval(app, k);
    const inbound = (to: string): number =>
      (to === app.entry ? entryRate(k) : 0) + app.edges.filter((e) => e.to === to).reduce((sum, e) => sum + now.edges.get(`${e.from}>${e.to}`)!, 0);
    return {
      services: new Map(
        app.services.map((s) => [
          s.name,
          {
            cpu: now.cpuCores.get(s.name)! / (s.pods * s.cpuLimitCores),
            mem: now.memBytes.get(s.name)! / (s.pods * s.memLimitBytes),
            res: now.latencyMs.get(s.name)! / 1000,
            // The seed's req template does not filter by reporter, so it counts every call twice.
            req: 2 * inbound(s.name),
            pod: s.pods,
            cpu_cores: now.cpuCores.get(s.name)!,
            cpu_request: s.cpuRequestCores,
          },
        ]),
      ),
      edges: now.edges,
    };
  });
  return { openMetrics: lines.join('\n') + '\n', truth, seriesCount };
}

/** A small shop: six services, a fan-out from the frontend and a second tier behind checkout. */
export const SHOP: SyntheticApp = {
  namespace: 'shop',
  entry: 'frontend',
  services: [
    { name: 'frontend', pods: 3, cpuLimitCores: 0.2, cpuRequestCores: 0.1, memLimitBytes: 256e6 },
    { name: 'cartservice', pods: 2, cpuLimitCores: 0.3, cpuRequestCores: 0.2, memLimitBytes: 128e6 },
    { name: 'checkoutservice', pods: 1, cpuLimitCores: 0.2, cpuRequestCores: 0.1, memLimitBytes: 128e6 },
    { name: 'currencyservice', pods: 1, cpuLimitCores: 0.2, cpuRequestCores: 0.1, memLimitBytes: 128e6 },
    { name: 'productcatalogservice', pods: 2, cpuLimitCores: 0.2, cpuRequestCores: 0.1, memLimitBytes: 128e6 },
    { name: 'emailservice', pods: 1, cpuLimitCores: 0.2, cpuRequestCores: 0.1, memLimitBytes: 128e6 },
  ],
  edges: [
    { from: 'frontend', to: 'cartservice', callsPerRequest: 0.9 },
    { from: 'frontend', to: 'checkoutservice', callsPerRequest: 0.05 },
    { from: 'frontend', to: 'currencyservice', callsPerRequest: 2.9 },
    { from: 'frontend', to: 'productcatalogservice', callsPerRequest: 4.7 },
    { from: 'checkoutservice', to: 'cartservice', callsPerRequest: 2 },
    { from: 'checkoutservice', to: 'currencyservice', callsPerRequest: 4 },
    { from: 'checkoutservice', to: 'emailservice', callsPerRequest: 1 },
  ],
};
