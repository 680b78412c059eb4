import { expect } from 'chai';
import { AppLoop, type ModelSlot } from '../../../src/loop/app-loop.js';
import { capacitiesFor } from '../../../src/loop/index.js';
import { acceleratedTimeline } from '../../../src/loop/timeline.js';
import { baselineForecaster } from '../../../src/forecast/baselines.js';
import { DEMAND_FEATURES, type Forecaster } from '../../../src/forecast/index.js';
import { planReplicas } from '../../../src/planning/planner.js';
import { SnapshotStore, type AppSnapshot } from '../../../src/snapshot/index.js';
import type { ApplicationConfig } from '../../../src/config/schema.js';
import { ManualClock, ScriptedSource, SERVICES, appConfig, capturingLogger, freshMetrics, metricValue, type Demand } from './support.js';

const ramp: Demand = (k, service) => (service === 'web' ? 1 + 0.25 * k : 0.4);

function setup(config: ApplicationConfig, options: { demand?: Demand; model?: ModelSlot | null; baseline?: Forecaster | null } = {}) {
  const clock = new ManualClock();
  const source = new ScriptedSource(options.demand ?? ramp);
  const store = new SnapshotStore();
  const { registry, metrics } = freshMetrics();
  const { logger, lines } = capturingLogger();
  const capacities = capacitiesFor(config, SERVICES, null, null);
  const loop = new AppLoop({
    config,
    services: SERVICES,
    capacities,
    source,
    timeline: acceleratedTimeline(0, 1000, 0),
    model: options.model ?? null,
    baseline: options.baseline === undefined ? baselineForecaster('persistence', 6, DEMAND_FEATURES, 3) : options.baseline,
    store,
    metrics,
    logger,
    clock: clock.read,
  });
  /** One step, `seconds` of wall clock after the previous one. */
  const step = async (seconds = 1): Promise<AppSnapshot> => {
    clock.advance(seconds);
    return loop.step();
  };
  return { loop, clock, source, store, registry, lines, capacities, step };
}

const replicas = (snap: AppSnapshot): Record<string, number> => Object.fromEntries(snap.recommendations.map((r) => [r.service, r.desiredReplicas]));

describe('serving loop: one application step by step', () => {
  it('cold start: before the forecaster has enough history it serves the reactive estimate', async () => {
    const { step } = setup(appConfig());
    const snap = await step();
    // web uses 1 core, capacity 1 × 0.5 per pod → 2; the 2 running pods are within tolerance anyway.
    expect(replicas(snap)).to.deep.equal({ web: 2, api: 1 });
    expect(snap.state).to.include({ fallback: 'cold-start', modelLoaded: false, stale: false });
    expect(snap.recommendations[0]!.reason.kind).to.equal('reactive');
  });

  it('with enough history it serves exactly the planner output for the published forecast', async () => {
    const config = appConfig();
    const { step, capacities } = setup(config);
    let snap = await step();
    for (let i = 0; i < 4; i++) snap = await step();
    expect(snap.state.fallback).to.equal(null);
    expect(snap.forecast).to.not.equal(null);
    const expected = planReplicas(snap.forecast!, capacities, {
      lookAheadSeconds: config.lookAhead.podStartupSeconds + config.lookAhead.hpaSyncSeconds + config.stepSeconds,
      defaultMargin: config.margin.default,
      marginByService: new Map(snap.recommendations.map((r) => [r.service, r.reason.margin])),
    });
    expect(snap.recommendations).to.deep.equal(expected);
    // Persistence of web's 2 cores (step 4) with the 10 % default margin: 2.2 / 0.5 → 5.
    expect(replicas(snap)['web']).to.equal(5);
  });

  it('values follow the data: each step publishes a new snapshot with a newer timestamp', async () => {
    const { step, store } = setup(appConfig());
    const seen: AppSnapshot[] = [];
    for (let i = 0; i < 8; i++) seen.push(await step());
    expect(store.current().apps.get('shop')).to.equal(seen[7]);
    const webCounts = seen.slice(3).map((s) => replicas(s)['web']!);
    expect(new Set(webCounts).size).to.be.greaterThan(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.dataTimestamp).to.be.greaterThan(seen[i - 1]!.dataTimestamp);
  });

  it('the margin comes from the forecaster’s recent error once it has a track record', async () => {
    const { step } = setup(appConfig({ margin: { default: 0, max: 0.5 } }));
    let snap = await step();
    for (let i = 0; i < 6; i++) snap = await step();
    // Persistence lags a ramp: web's error is (0.25 / actual) > 0, api (constant) has none.
    const web = snap.recommendations.find((r) => r.service === 'web')!;
    const api = snap.recommendations.find((r) => r.service === 'api')!;
    expect(web.reason.margin).to.be.greaterThan(0.1).and.at.most(0.5);
    expect(api.reason.margin).to.equal(0);
  });

  it('uses the model when one is loaded, and says when it is not', async () => {
    const doubled: Forecaster = {
      name: 'test-model',
      inputSteps: 1,
      horizon: 4,
      forecast: async (w) => {
        const fc = baselineForecaster('persistence', 4, DEMAND_FEATURES, 1).forecastSync(w);
        return { ...fc, model: 'test-model', values: fc.values.map((v) => v * 2) };
      },
    };
    let loaded: Forecaster | null = null;
    const slot: ModelSlot = { forecaster: () => loaded, loaded: null, lastError: null };
    const { step } = setup(appConfig({ margin: { default: 0 } }), { model: slot });
    await step();
    let snap = await step();
    expect(snap.state).to.include({ modelLoaded: false, fallback: 'cold-start' });
    loaded = doubled;
    snap = await step();
    expect(snap.state).to.include({ modelLoaded: true, forecaster: 'test-model', fallback: null });
    expect(replicas(snap)['web']).to.equal(6); // 2 × 1.5 cores / 0.5
  });

  it('a failing forecast serves the reactive estimate and is counted', async () => {
    const broken: Forecaster = { name: 'broken', inputSteps: 1, horizon: 2, forecast: async () => Promise.reject(new Error('NaN weights')) };
    const { step, registry, lines } = setup(appConfig(), { baseline: broken });
    const snap = await step();
    expect(snap.state.fallback).to.equal('reactive');
    expect(snap.state.lastError).to.contain('NaN weights');
    expect(replicas(snap)).to.deep.equal({ web: 2, api: 1 });
    expect(await metricValue(registry, 'deepscaler_forecast_failures_total', { app: 'shop' })).to.equal(1);
    expect(lines.some((l) => l.includes('forecast failed'))).to.equal(true);
  });
});

describe('serving loop: source failures and staleness', () => {
  async function failingAfterWarmup(policy: string) {
    const ctx = setup(appConfig({ fallback: { policy, maxAgeSeconds: 10 } }));
    for (let i = 0; i < 5; i++) await ctx.step();
    const good = await ctx.step();
    ctx.source.fail = true;
    return { ...ctx, good };
  }

  it('within the max age the last values stay, with the error visible in the state', async () => {
    const { step, good, registry } = await failingAfterWarmup('unavailable');
    const snap = await step(5);
    expect(snap.unavailableReason).to.equal(null);
    expect(snap.state.stale).to.equal(false);
    expect(snap.state.lastError).to.contain('connection refused');
    expect(replicas(snap)).to.deep.equal(replicas(good));
    expect(snap.dataTimestamp).to.equal(good.dataTimestamp);
    expect(await metricValue(registry, 'deepscaler_source_errors_total', { app: 'shop' })).to.equal(1);
  });

  it('policy last-value: past the max age the last values stay, marked stale', async () => {
    const { step, good, registry, lines } = await failingAfterWarmup('last-value');
    const snap = await step(11);
    expect(lines.filter((l) => l.includes('serving a fallback')).pop()).to.contain('"mode":"last-value (stale)"');
    expect(snap.state).to.include({ stale: true, fallback: 'last-value' });
    expect(replicas(snap)).to.deep.equal(replicas(good));
    expect(await metricValue(registry, 'deepscaler_prediction_stale', { app: 'shop' })).to.equal(1);
    expect(await metricValue(registry, 'deepscaler_fallback_active', { app: 'shop', policy: 'last-value' })).to.equal(1);
  });

  it('policy unavailable: past the max age the snapshot refuses to serve, saying what to do', async () => {
    const { step } = await failingAfterWarmup('unavailable');
    const snap = await step(11);
    expect(snap.unavailableReason).to.match(/11 s old \(max age 10 s\).*connection refused.*holds the current scale/);
    expect(snap.recommendations).to.deep.equal([]);
  });

  it('policy reactive: past the max age the reactive estimate, never below the last served value', async () => {
    // Demand falls steeply, so the forecast path had served more than current usage needs.
    const falling: Demand = (k, service) => (service === 'web' ? Math.max(0.2, 5 - k) : 0.4);
    const ctx = setup(appConfig({ fallback: { policy: 'reactive', maxAgeSeconds: 10 } }), { demand: falling });
    let good = await ctx.step();
    for (let i = 0; i < 3; i++) good = await ctx.step();
    ctx.source.fail = true;
    const snap = await ctx.step(11);
    expect(snap.state).to.include({ stale: true, fallback: 'reactive' });
    for (const service of SERVICES) expect(replicas(snap)[service]).to.be.at.least(replicas(good)[service]!);
  });

  it('recovers when the source comes back: fresh data, no fallback', async () => {
    const { step, source } = await failingAfterWarmup('unavailable');
    await step(11);
    source.fail = false;
    const snap = await step();
    expect(snap.unavailableReason).to.equal(null);
    expect(snap.state).to.include({ stale: false, fallback: null, lastError: null });
  });

  it('before any data arrives the application is unavailable (503), not zero', async () => {
    const { step, source } = setup(appConfig());
    source.fail = true;
    const snap = await step();
    expect(snap.unavailableReason).to.contain('no data has arrived yet');
  });
});
