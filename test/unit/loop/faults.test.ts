/**
 * The fault suite: one application stepping against a fake Prometheus on loopback (and, for the
 * model rows, a model in its worker), with one fault injected after a healthy warm-up. For every
 * fault, every step: no service is served less than it was served before the fault (missing data
 * never scales in), no service disappears, and /metrics names the service and the reason.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { AppLoop } from '../../../src/loop/app-loop.js';
import { capacitiesFor } from '../../../src/loop/index.js';
import { ModelHost } from '../../../src/loop/model-host.js';
import { liveTimeline } from '../../../src/loop/timeline.js';
import { baselineForecaster } from '../../../src/forecast/baselines.js';
import { DEMAND_FEATURES } from '../../../src/forecast/index.js';
import { PrometheusSource, parsePrometheusSourceConfig } from '../../../src/sources/prometheus.js';
import { SnapshotStore, type AppSnapshot } from '../../../src/snapshot/index.js';
import { fakePrometheus, json, type FakePrometheus } from '../../support/fake-prometheus.js';
import { JSON_MODEL_LOADER } from './fixtures/json-model.js';
import { eventually } from '../../support/eventually.js';
import { ManualClock, appConfig, capturingLogger, freshMetrics, metricValue } from './support.js';

const SERVICES = ['web', 'api'] as const;
/** Healthy demand: web 2 cores (8 pods at 0.25 per pod), api 0.4 cores; req 10 × cpu; 2 pods each. */
const CPU: Record<string, number> = { web: 2, api: 0.4 };

/** What the fake Prometheus does with a query for `service`'s `feature` while a fault is on. */
type Answer = 'ok' | 'omit' | 'nan' | 'empty' | 'http-500' | 'garbage' | 'hang';
interface Fault {
  readonly name: string;
  /** Per query while the fault is on; default 'ok'. */
  readonly prometheus?: (service: string, feature: string) => Answer;
  /** Written into the model folder as `poison` (see fixtures/json-model.ts). */
  readonly poison?: 'nan' | 'inf' | 'exit';
  /** A model folder whose reload must be refused (NaN weights: the trial forecast is NaN). */
  readonly badModelReload?: boolean;
  /** The fault lifts after this many steps (slow then recovering); default: it stays. */
  readonly recoversAfter?: number;
  /** What /metrics must show while the fault is on: metric name, labels, a value check. */
  readonly shows: ReadonlyArray<readonly [string, Record<string, string>, (v: number | undefined) => boolean]>;
}

const one = (v: number | undefined): boolean => v === 1;
const some = (v: number | undefined): boolean => (v ?? 0) >= 1;

const FAULTS: readonly Fault[] = [
  {
    name: "one service's series missing",
    prometheus: (service) => (service === 'web' ? 'omit' : 'ok'),
    shows: [
      ['deepscaler_service_data_missing', { service: 'web', feature: 'cpu_cores' }, one],
      ['deepscaler_service_held', { service: 'web' }, one],
      ['deepscaler_service_data_missing', { service: 'api', feature: 'cpu_cores' }, (v) => v === 0],
    ],
  },
  {
    name: 'every series missing',
    prometheus: () => 'empty',
    shows: [['deepscaler_source_errors_total', { reason: 'no-data' }, some]],
  },
  { name: 'Prometheus answers 500', prometheus: () => 'http-500', shows: [['deepscaler_source_errors_total', { reason: 'http-error' }, some]] },
  { name: 'Prometheus answers garbage', prometheus: () => 'garbage', shows: [['deepscaler_source_errors_total', { reason: 'bad-answer' }, some]] },
  { name: 'Prometheus hangs', prometheus: () => 'hang', shows: [['deepscaler_source_errors_total', { reason: 'timeout' }, some]] },
  {
    name: "one service's values are NaN",
    prometheus: (service) => (service === 'web' ? 'nan' : 'ok'),
    shows: [
      ['deepscaler_service_data_missing', { service: 'web', feature: 'cpu_cores' }, one],
      ['deepscaler_service_held', { service: 'web' }, one],
    ],
  },
  {
    name: 'partial features: web has requests/s but no CPU',
    prometheus: (service, feature) => (service === 'web' && feature === 'cpu_cores' ? 'omit' : 'ok'),
    shows: [
      ['deepscaler_service_data_missing', { service: 'web', feature: 'cpu_cores' }, one],
      ['deepscaler_service_data_missing', { service: 'web', feature: 'req' }, (v) => v === 0],
      ['deepscaler_service_held', { service: 'web' }, one],
    ],
  },
  {
    name: 'Prometheus slow, then recovering',
    prometheus: () => 'hang',
    recoversAfter: 2,
    shows: [['deepscaler_source_errors_total', { reason: 'timeout' }, some]],
  },
  {
    name: 'a model reload with NaN weights',
    badModelReload: true,
    shows: [
      ['deepscaler_model_load_failures_total', {}, some],
      ['deepscaler_model_loaded', {}, one],
    ],
  },
  { name: 'the model forecasts NaN', poison: 'nan', shows: [['deepscaler_forecast_failures_total', {}, some]] },
  { name: 'the model forecasts Inf', poison: 'inf', shows: [['deepscaler_forecast_failures_total', {}, some]] },
  {
    name: 'the model worker crashes',
    poison: 'exit',
    shows: [
      ['deepscaler_model_worker_restarts_total', {}, some],
      // The model went with the thread (and every restart dies again): the baseline stands in, said so.
      ['deepscaler_model_loaded', {}, (v) => v === 0],
      ['deepscaler_fallback_active', { policy: 'cold-start' }, one],
    ],
  },
];

/** The service and feature a query is for: the test templates are `feature{svc='service'}`. */
function parseQuery(query: string): { service: string; feature: string } {
  const match = /(\w+)\{svc='([\w-]+)'\}/.exec(query);
  return { feature: match?.[1] ?? '', service: match?.[2] ?? '' };
}

function healthy(feature: string, service: string): number {
  const cpu = CPU[service]!;
  return feature === 'cpu_cores' ? cpu : feature === 'req' ? cpu * 10 : 2;
}

describe('fault suite: never a silent scale-in', function () {
  this.timeout(60_000);
  let fake: FakePrometheus | undefined;
  let host: ModelHost | undefined;
  let dir: string | undefined;
  const hung: ServerResponse[] = [];
  afterEach(async () => {
    await host?.stop();
    for (const res of hung.splice(0)) res.destroy();
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    host = undefined;
    fake = undefined;
    dir = undefined;
  });

  for (const fault of FAULTS) {
    it(fault.name, async () => {
      let faultOn = false;
      fake = await fakePrometheus((_req, params, res) => {
        const { service, feature } = parseQuery(params.get('query') ?? '');
        const answer = faultOn ? (fault.prometheus?.(service, feature) ?? 'ok') : 'ok';
        if (answer === 'hang') return void hung.push(res);
        if (answer === 'http-500') return json(res, 500, { status: 'error', errorType: 'internal', error: 'boom' });
        if (answer === 'garbage') {
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end('<html>not prometheus');
        }
        const time = Number(params.get('start'));
        const series =
          answer === 'empty' || answer === 'omit'
            ? []
            : [{ metric: { deepscaler_service: service }, values: [[time, answer === 'nan' ? 'NaN' : String(healthy(feature, service))]] }];
        json(res, 200, { status: 'success', data: { resultType: 'matrix', result: series } });
      });
      const config = appConfig({
        source: { kind: 'prometheus', url: fake.url, warmupSteps: 0 },
        serviceOverrides: { web: { cpuRequestCores: 0.5, reqPerPod: 5 }, api: { cpuRequestCores: 0.5 } },
        calibration: { minCorrection: 1, maxCorrection: 1 },
      });
      const source = new PrometheusSource(
        parsePrometheusSourceConfig(
          {
            url: fake.url,
            namespace: 'shop',
            services: [...SERVICES],
            features: ['cpu_cores', 'req', 'pod'],
            templates: { cpu_cores: "cpu_cores{svc='{svc}'}", req: "req{svc='{svc}'}", pod: "pod{svc='{svc}'}" },
            timeoutMs: 200,
            retries: 0,
          },
          'test',
        ),
      );
      const { registry, metrics } = freshMetrics();
      const usesModel = fault.poison !== undefined || fault.badModelReload === true;
      const loads: boolean[] = [];
      if (usesModel) {
        dir = mkdtempSync(join(tmpdir(), 'ds-fault-model-'));
        writeFileSync(join(dir, 'model.json'), JSON.stringify({ name: 'good', inputSteps: 2, horizon: 4, scale: 1, services: [...SERVICES] }));
        host = new ModelHost({
          dir,
          requiredServices: [...SERVICES],
          stepSeconds: 30,
          pollMs: 20,
          restartBackoffMs: 20,
          logger: capturingLogger().logger,
          loader: JSON_MODEL_LOADER,
          onLoadAttempt: (o) => {
            loads.push(o.ok);
            (o.ok ? metrics.modelLoads : metrics.modelLoadFailures).inc({ app: 'shop' });
          },
          onWorkerRestart: () => metrics.modelWorkerRestarts.inc({ app: 'shop' }),
        });
      }
      await host?.start();
      const clock = new ManualClock(Date.parse('2026-11-30T12:00:10Z'));
      const loop = new AppLoop({
        config,
        services: SERVICES,
        capacities: capacitiesFor(config, SERVICES, null, null),
        source,
        timeline: liveTimeline(30, 0),
        model: host ?? null,
        baseline: baselineForecaster('holt', 6, DEMAND_FEATURES, 3),
        store: new SnapshotStore(),
        metrics,
        logger: capturingLogger().logger,
        clock: clock.read,
      });
      const step = async (): Promise<AppSnapshot> => {
        clock.advance(30);
        return loop.step();
      };
      const served = (snap: AppSnapshot): Map<string, number> => new Map(snap.recommendations.map((r) => [r.service, r.desiredReplicas]));

      let before: AppSnapshot | undefined;
      for (let i = 0; i < 6; i++) before = await step();
      expect(before!.state.fallback, 'healthy before the fault').to.equal(null);
      expect(before!.state.modelUsed).to.equal(usesModel);
      const baseline = served(before!);
      expect([...baseline.keys()]).to.deep.equal([...SERVICES]);

      faultOn = true;
      if (fault.poison) writeFileSync(join(dir!, 'poison'), fault.poison);
      if (fault.badModelReload) {
        writeFileSync(join(dir!, 'model.json'), JSON.stringify({ name: 'nan-weights', inputSteps: 2, horizon: 4, scale: 1, services: [...SERVICES] }));
        writeFileSync(join(dir!, 'poison'), 'nan');
        await eventually(() => loads.length === 2, 'the reload of the NaN model');
        expect(loads).to.deep.equal([true, false]);
        // Only the reload's trial forecast may see the poison: the kept model forecasts as before.
        rmSync(join(dir!, 'poison'));
      }
      if (fault.poison === 'exit')
        await eventually(async () => ((await metricValue(registry, 'deepscaler_model_worker_restarts_total', {})) ?? 0) >= 1, 'a worker restart');

      for (let k = 0; k < 3; k++) {
        if (fault.recoversAfter === k) faultOn = false;
        const snap = await step();
        const now = served(snap);
        expect(snap.unavailableReason, `step ${k} under "${fault.name}"`).to.equal(null);
        for (const [service, was] of baseline) {
          expect(
            now.get(service),
            `${service} at step ${k} under "${fault.name}" (was ${was}): ${snap.recommendations.find((r) => r.service === service)?.reason.text}`,
          ).to.be.at.least(was);
        }
        if (fault.recoversAfter === undefined || k < fault.recoversAfter) {
          for (const [name, labels, check] of fault.shows) {
            const value = await metricValue(registry, name, { app: 'shop', ...labels });
            expect(check(value), `${name}${JSON.stringify(labels)} = ${value} at step ${k}`).to.equal(true);
          }
        } else {
          expect(snap.state, 'recovered').to.include({ fallback: null, stale: false, lastError: null });
        }
      }
      await source.close();
    });
  }
});
