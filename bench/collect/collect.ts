/**
 * Collecting 10 services × 5 seed metrics × 24 h at 30 s from a real Prometheus (Debian's, loopback,
 * backfilled with synthetic cAdvisor/Istio series). Three ways, in the same run so the ratios hold on
 * a noisy shared machine:
 *   - per series: one range query per service × metric (what `collect` does by default);
 *   - batched: one range query per metric for all services (label_replace + or; `servicesPerQuery`);
 *   - instant (the seed's way): one instant query per service × metric × timestamp, timed on a sample
 *     of timestamps and extrapolated to the whole day.
 *
 *   npm run build && node dist/bench/collect/collect.js [--hours 24] [--instant-sample 20] [--rounds 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCollect } from '../../src/cli/collect.js';
import { PrometheusSource, SEED_TEMPLATES, parsePrometheusSourceConfig, renderTemplate } from '../../src/sources/prometheus.js';
import { SEED_FEATURES } from '../../src/core/frame.js';
import { startPrometheus } from '../../test/support/prometheus.js';
import { syntheticMetrics, type SyntheticApp } from '../../test/support/synthetic-metrics.js';

const { values: args } = parseArgs({
  options: {
    hours: { type: 'string', default: '24' },
    'instant-sample': { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
  },
});
const HOURS = Number(args.hours);
const INSTANT_SAMPLE = Number(args['instant-sample']);
const ROUNDS = Number(args.rounds);
const STEP = 30;
const STEPS = (HOURS * 3600) / STEP + 1;

const names = ['frontend', 'cart', 'checkout', 'currency', 'catalog', 'recommend', 'shipping', 'payment', 'email', 'ads'];
const APP: SyntheticApp = {
  namespace: 'bench',
  entry: 'frontend',
  services: names.map((name) => ({ name, pods: 2, cpuLimitCores: 0.5, cpuRequestCores: 0.25, memLimitBytes: 256e6 })),
  edges: [
    ...names.slice(1, 7).map((to) => ({ from: 'frontend', to, callsPerRequest: 1 })),
    ...['cart', 'currency', 'shipping', 'payment', 'email'].map((to) => ({ from: 'checkout', to, callsPerRequest: 1 })),
    { from: 'frontend', to: 'ads', callsPerRequest: 0.5 },
  ],
};

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function main(): Promise<void> {
  const startMs = Math.floor(Date.parse('2024-04-06T00:00:00Z') / 1000) * 1000;
  const endMs = startMs + (STEPS - 1) * STEP * 1000;
  const generated = await timed(async () => syntheticMetrics(APP, { startMs, steps: STEPS, stepSeconds: STEP, scrapeSeconds: 30 }));
  const backfill = await timed(() => startPrometheus({ openMetrics: generated.result.openMetrics }));
  const prometheus = backfill.result;
  const work = mkdtempSync(join(tmpdir(), 'bench-collect-'));
  try {
    const services = APP.services.map((s) => s.name);
    const rangeWith = (servicesPerQuery: number) => async () => {
      const source = new PrometheusSource(
        parsePrometheusSourceConfig(
          { url: prometheus.url, namespace: APP.namespace, services, features: [...SEED_FEATURES], stepSeconds: STEP, servicesPerQuery, retries: 0 },
          'bench',
        ),
      );
      await source.range(startMs, endMs);
      return source.client.requests;
    };
    // Warm Prometheus's caches first, then alternate the two range variants and keep the median.
    await rangeWith(1)();
    const runs = { batched: [] as number[], perSeries: [] as number[] };
    let batchedRequests = 0;
    let perSeriesRequests = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const p = await timed(rangeWith(1));
      perSeriesRequests = p.result;
      runs.perSeries.push(p.seconds);
      const b = await timed(rangeWith(20));
      batchedRequests = b.result;
      runs.batched.push(b.seconds);
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const perSeriesSeconds = median(runs.perSeries);

    const collect = await timed(() =>
      runCollect({
        prometheus: prometheus.url,
        namespace: APP.namespace,
        services,
        features: SEED_FEATURES,
        startMs,
        endMs,
        stepSeconds: STEP,
        templates: {},
        graph: { kind: 'istio' },
        out: join(work, 'collected'),
        format: 'jsonl',
        timeoutMs: 60_000,
        retries: 0,
        progress: false,
      }),
    );

    // The seed's collector: one instant query per series and timestamp, sequentially.
    let instantRequests = 0;
    const sampleTimes = Array.from({ length: INSTANT_SAMPLE }, (_, i) => startMs + Math.floor((i * STEPS) / INSTANT_SAMPLE) * STEP * 1000);
    const instant = await timed(async () => {
      for (const t of sampleTimes) {
        for (const svc of services) {
          for (const feature of SEED_FEATURES) {
            const query = renderTemplate(SEED_TEMPLATES[feature], APP.namespace, svc, `${STEP}s`);
            const res = await fetch(`${prometheus.url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query, time: String(t / 1000) }) });
            if (!res.ok) throw new Error(`instant query failed: HTTP ${res.status}`);
            await res.json();
            instantRequests++;
          }
        }
      }
    });
    const instantFullSeconds = (instant.seconds / INSTANT_SAMPLE) * STEPS;
    const instantFullRequests = services.length * SEED_FEATURES.length * STEPS;

    const row = (name: string, requests: number, seconds: number): string =>
      `| ${name} | ${requests} | ${seconds.toFixed(2)} | ${(seconds / perSeriesSeconds).toFixed(2)}× |`;
    const lines = [
      `date: ${new Date().toISOString()}`,
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
      `data: ${services.length} services × ${SEED_FEATURES.length} metrics × ${STEPS} steps (${HOURS} h at ${STEP} s); ${generated.result.seriesCount} backfilled series`,
      `generate OpenMetrics: ${generated.seconds.toFixed(1)} s; promtool backfill + prometheus ready: ${backfill.seconds.toFixed(1)} s`,
      `range variants: median of ${ROUNDS} alternating rounds after a warm-up (per series: ${runs.perSeries.map((x) => x.toFixed(2)).join(', ')} s; batched: ${runs.batched.map((x) => x.toFixed(2)).join(', ')} s)`,
      '',
      '| method | HTTP requests | seconds | time vs one per series |',
      '|---|---|---|---|',
      row("range queries, one per series (collect's default)", perSeriesRequests, perSeriesSeconds),
      row('range queries, all services of a metric in one (servicesPerQuery 20)', batchedRequests, median(runs.batched)),
      row(
        `instant queries per series × timestamp (the seed), extrapolated from ${instantRequests} in ${instant.seconds.toFixed(2)} s`,
        instantFullRequests,
        instantFullSeconds,
      ),
      '',
      `whole \`collect\` (discovery skipped; 5 metrics + Istio graph, JSONL written): ${collect.seconds.toFixed(2)} s, ${collect.result.requests} HTTP requests, ` +
        `${collect.result.dataset.values.length} values, ${collect.result.gaps.gaps} gaps, ${collect.result.graph.edges.length} edges`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await prometheus.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
