import { expect } from 'chai';
import { AppLoop, type ModelSlot } from '../../../src/loop/app-loop.js';
import { capacitiesFor } from '../../../src/loop/index.js';
import { acceleratedTimeline, gridSlot, liveTimeline, settleMs, settled } from '../../../src/loop/timeline.js';
import type { Frame, MetricsSource } from '../../../src/core/frame.js';
import { baselineForecaster } from '../../../src/forecast/baselines.js';
import { DEMAND_FEATURES, type Forecaster } from '../../../src/forecast/index.js';
import { SnapshotStore, type AppSnapshot } from '../../../src/snapshot/index.js';
import type { ApplicationConfig } from '../../../src/config/schema.js';
import { ManualClock, ScriptedSource, SERVICES, appConfig, capturingLogger, freshMetrics, metricValue, type Demand } from './support.js';

const ramp: Demand = (k, service) => (service === 'web' ? 1 + 0.25 * k : 0.4);

/** Calibration pinned at 1: the plan is the raw forecast, easy to reason about. */
const UNCORRECTED = { minCorrection: 1, maxCorrection: 1 };

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
    expect(snap.state).to.include({ fallback: 'cold-start', modelUsed: false, stale: false });
    expect(snap.recommendations[0]!.reason.kind).to.equal('reactive');
  });

  it('plans the calibrated forecast over the look-ahead it carries: the forecast as is before any record, the quantile after', async () => {
    // A step in demand forecast by persistence: exact while flat, 50 % short when web jumps at step 10.
    const config = appConfig({ risk: 0.1, calibration: { window: 10, adaptSteps: 0, maxCorrection: 3 } });
    const { step } = setup(config, { demand: (k, service) => (service === 'web' ? (k % 10 === 9 ? 1.5 : 1) : 0.4) });
    await step();
    await step();
    let snap = await step(); // persistence needs 3 steps of history
    expect(snap.state.fallback).to.equal(null);
    const web = (s: AppSnapshot) => s.recommendations.find((r) => r.service === 'web')!;
    // No resolved look-ahead yet: the forecast as is, 1 core / 0.5 → 2.
    expect(web(snap).reason).to.include({ kind: 'forecast', risk: 0.1, correction: 1 });
    expect(web(snap).desiredReplicas).to.equal(2);
    expect(snap.windowSeconds).to.equal(4 * 30); // 60 s start-up + 15 s sync + one 30 s step, no data age → 4 steps
    // Every 10 steps web peaks at 1.5 cores: look-aheads that contain a peak see 1.5 / 1; the 90 % quantile of the last 10 follows.
    for (let i = 0; i < 17; i++) snap = await step();
    expect(web(snap).reason.correction).to.equal(1.5);
    expect(web(snap).desiredReplicas).to.equal(Math.ceil((web(snap).peakCpuCores * 1.5) / 0.5 - 1e-9));
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

  it('the correction follows the forecaster’s record: a lagging forecast is corrected up, an exact one is not', async () => {
    const { step, registry } = setup(appConfig({ calibration: { window: 20, adaptSteps: 10 }, risk: 0.1 }));
    let snap = await step();
    for (let i = 0; i < 30; i++) snap = await step();
    // Persistence lags web's ramp (+0.25 core a step): its realized 4-step peak is above the forecast.
    const web = snap.recommendations.find((r) => r.service === 'web')!;
    const api = snap.recommendations.find((r) => r.service === 'api')!;
    expect(web.reason.correction).to.be.greaterThan(1.05);
    expect(api.reason.correction).to.equal(1);
    expect(await metricValue(registry, 'deepscaler_calibration_correction', { namespace: 'shop', app: 'shop', service: 'web', feature: 'cpu_cores' })).to.equal(
      web.reason.correction,
    );
    // Every look-ahead of a ramp misses an exact forecast; the correction has caught up, so recent ones do not.
    expect(await metricValue(registry, 'deepscaler_underprovision_ratio', { namespace: 'shop', app: 'shop', service: 'api', feature: 'cpu_cores' })).to.equal(
      0,
    );
    expect(await metricValue(registry, 'deepscaler_risk_ratio', { namespace: 'shop', app: 'shop', service: 'web' })).to.equal(0.1);
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
    const { step } = setup(appConfig({ calibration: UNCORRECTED }), { model: slot });
    await step();
    let snap = await step();
    expect(snap.state).to.include({ modelUsed: false, fallback: 'cold-start' });
    loaded = doubled;
    snap = await step();
    expect(snap.state).to.include({ modelUsed: true, forecaster: 'test-model', fallback: null });
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

/** A source on the wall clock: frame(t) is the step t falls in, range() every step in between (like Prometheus). */
class ClockedSource implements MetricsSource {
  private readonly script: ScriptedSource;
  readonly services;
  readonly features;
  readonly stepSeconds = 30;
  constructor(demand: Demand) {
    this.script = new ScriptedSource(demand);
    this.services = this.script.services;
    this.features = this.script.features;
  }
  async frame(t: number): Promise<Frame> {
    return this.script.frameAt(Math.floor(t / 30_000));
  }
  async range(start: number, end: number): Promise<Frame[]> {
    const frames: Frame[] = [];
    for (let k = Math.ceil(start / 30_000); k <= Math.floor(end / 30_000); k++) frames.push(this.script.frameAt(k));
    return frames;
  }
  async close(): Promise<void> {}
}

describe('serving loop: two replicas on the same data serve the same values (issue 14.9)', () => {
  // Seasonal demand with deterministic noise, so the calibration has something to learn.
  const noisy: Demand = (k, service) => {
    const noise = Math.abs(Math.sin(k * 12.9898 + (service === 'web' ? 0 : 7)) * 43758.5453) % 1;
    return (service === 'web' ? 2 : 1) * (1 + 0.5 * Math.sin(k / 9)) + 0.4 * noise;
  };

  /** After its first step, a live loop steps on the epoch-aligned grid (AppLoop.start): the next slot. */
  const toNextSlot = (clock: ManualClock): void => {
    clock.now = gridSlot(clock.now, settleMs(30), 30_000) + 30_000;
  };

  async function replica(startMs: number, warmupSteps: number, wrap: (source: MetricsSource) => MetricsSource = (source) => source) {
    const config = appConfig();
    const clock = new ManualClock(startMs);
    const loop = new AppLoop({
      config,
      services: SERVICES,
      capacities: capacitiesFor(config, SERVICES, null, null),
      source: wrap(new ClockedSource(noisy)),
      timeline: liveTimeline(30, warmupSteps),
      model: null,
      baseline: baselineForecaster('holt', 10, DEMAND_FEATURES, 20),
      store: new SnapshotStore(),
      metrics: freshMetrics().metrics,
      logger: capturingLogger().logger,
      clock: clock.read,
    });
    await loop.warmUp();
    return { loop, clock };
  }

  it('a replica started 20 steps later, at another moment of the step, serves identical values from its first step', async () => {
    const t0 = 500 * 30_000 + 4_000;
    const early = await replica(t0, 600);
    const byData = (snap: AppSnapshot) => JSON.stringify({ window: snap.windowSeconds, recs: snap.recommendations });
    for (let i = 0; i < 20; i++) {
      await early.loop.step();
      toNextSlot(early.clock);
    }
    const late = await replica(early.clock.now + 21_000, 600); // 21 s later in the step than the early one
    const short = await replica(early.clock.now + 21_000, 200); // too little history to rebuild the record
    let shortDiffers = false;
    for (let i = 0; i < 10; i++) {
      const a = await early.loop.step();
      const b = await late.loop.step();
      const c = await short.loop.step();
      expect(b.forecast!.issuedAt).to.equal(a.forecast!.issuedAt);
      expect(byData(b)).to.equal(byData(a));
      if (byData(c) !== byData(a)) shortDiffers = true;
      for (const r of [early, late, short]) toNextSlot(r.clock);
    }
    // Not vacuous: a replica that could not rebuild the record from enough history does disagree.
    expect(shortDiffers).to.equal(true);
  });

  it('a replica whose timer fires a moment before its grid slot reads that slot’s data step, not the previous one', async () => {
    const slot = 600 * 30_000 + settleMs(30); // a slot of the live grid: k × 30 s + the settle delay
    // Wired as serve wires a live source: it reads only settled data (settleMs before the slot).
    const settledSource = (source: MetricsSource) => settled(source, settleMs(30));
    const onTime = await replica(slot, 600, settledSource);
    const early = await replica(slot - 1, 600, settledSource); // timers and the wall clock round differently
    for (let i = 0; i < 3; i++) {
      const a = await onTime.loop.step();
      const b = await early.loop.step();
      expect(b.forecast!.issuedAt).to.equal(a.forecast!.issuedAt);
      expect(b.recommendations).to.deep.equal(a.recommendations);
      for (const r of [onTime, early]) toNextSlot(r.clock);
    }
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
