import { expect } from 'chai';
import { Registry } from 'prom-client';
import { parseServeConfig } from '../../../src/config/schema.js';
import { loadTopology } from '../../../src/graph/topology.js';
import { AppLoop, type ModelSlot } from '../../../src/loop/app-loop.js';
import { baselineFor, capacitiesFor } from '../../../src/loop/index.js';
import { AdapterAutoscaler, simulatedAppConfig, type SimulatedAppSettings } from '../../../src/loop/sim-adapter.js';
import { LoopMetrics } from '../../../src/loop/telemetry.js';
import { liveTimeline } from '../../../src/loop/timeline.js';
import { buildApp } from '../../../src/sim/app.js';
import { CpuHpaAutoscaler, DEFAULT_SCALING, hpaSpecFor, OracleForecaster, type Autoscaler } from '../../../src/sim/autoscalers.js';
import { settledReplicas, simulate, type SimulationSpec } from '../../../src/sim/run.js';
import { buildWorkload, loadTrace } from '../../../src/sim/workload.js';
import { SnapshotStore, type AppSnapshot } from '../../../src/snapshot/index.js';
import { ALL_FEATURES, type Frame, type MetricsSource } from '../../../src/core/frame.js';
import { createLogger } from '../../../src/telemetry/log.js';

const app = buildApp(loadTopology('data/topologies/online-boutique.yaml'));
const startMs = Date.UTC(2026, 0, 1);
const settings: SimulatedAppSettings = {
  stepSeconds: 5,
  targetUtilization: 0.6,
  minReplicas: 1,
  maxReplicas: 100,
  podStartupSeconds: 60,
  hpaSyncSeconds: 15,
  scaleDownWindowSeconds: DEFAULT_SCALING.scaleDownWindowSeconds,
  model: null,
};

function spec(rates: Float64Array, warmupSteps = 0): SimulationSpec {
  return { app, rates, startMs, sloSeconds: 1, warmupSteps, cluster: { stepSeconds: 5, seed: 1, initialReplicas: settledReplicas(app, rates[0]!, 0.6) } };
}

const trace = (minutes: number, peak = 60): Float64Array =>
  buildWorkload(loadTrace('data/traces/random-100max.req'), { stepSeconds: 5, durationSeconds: minutes * 60, peak, noise: 0.05, seed: 3 });

function adapter(name: string, extra: { model?: ModelSlot | null; baseline?: OracleForecaster; risk?: number } = {}): AdapterAutoscaler {
  return new AdapterAutoscaler({
    name,
    app,
    config: simulatedAppConfig(app, { ...settings, ...(extra.risk !== undefined ? { risk: extra.risk } : {}) }),
    model: extra.model ?? null,
    ...(extra.baseline ? { baseline: extra.baseline } : {}),
    hpa: hpaSpecFor(DEFAULT_SCALING),
    metricsLagSeconds: 0,
    features: ALL_FEATURES,
  });
}

/** The autoscaler, with a look at every frame after it has observed it. */
function watching(inner: Autoscaler, after: (frame: Frame) => void): Autoscaler {
  return {
    name: inner.name,
    historySteps: inner.historySteps,
    hpaSpec: (service) => inner.hpaSpec(service),
    observe: async (frame, cluster) => {
      await inner.observe(frame, cluster);
      after(frame);
    },
    metrics: (view) => inner.metrics(view),
  };
}

/** Serves recorded frames in order, as Prometheus would one per step. */
class RecordedSource implements MetricsSource {
  readonly services = app.services;
  readonly features = ALL_FEATURES;
  readonly stepSeconds = 5;
  next: Frame | null = null;
  async frame(): Promise<Frame> {
    return this.next!;
  }
  async range(): Promise<Frame[]> {
    return [];
  }
  async close(): Promise<void> {}
}

describe('the simulator drives the adapter’s own loop (one decision engine)', () => {
  it('the same frames give the same decisions in serve (AppLoop from the serve config) and in simulate', async () => {
    // Frames of a CPU-HPA run: the inputs both sides see.
    const frames: Frame[] = [];
    await simulate(
      spec(trace(10)),
      watching(new CpuHpaAutoscaler(), (f) => void frames.push(f)),
    );
    // serve: the configuration as a user would write it, parsed and wired the way ServingLoop wires it.
    const serveConfig = parseServeConfig(
      {
        applications: [
          {
            name: 'simulated',
            namespace: 'simulated',
            services: [...app.services],
            source: { kind: 'simulator', trace: 'in-process' },
            stepSeconds: 5,
            capacity: { targetUtilization: 0.6 },
            minReplicas: 1,
            maxReplicas: 100,
            serviceOverrides: Object.fromEntries(app.services.map((s, i) => [s, { cpuRequestCores: app.cpuRequestCores[i]! }])),
            lookAhead: { podStartupSeconds: 60, hpaSyncSeconds: 15 },
          },
        ],
      },
      '/',
    ).applications[0]!;
    const source = new RecordedSource();
    let now = 0;
    const serve = new AppLoop({
      config: serveConfig,
      services: app.services,
      capacities: capacitiesFor(serveConfig, app.services, null, null),
      source,
      // Frames readable at once (as the simulator's with no lag): no data age to cover.
      timeline: liveTimeline(5, 0, 0),
      model: null,
      baseline: baselineFor(serveConfig),
      store: new SnapshotStore(),
      metrics: new LoopMetrics(new Registry()),
      logger: createLogger({}, () => {}),
      clock: () => now,
    });
    const simulated = adapter('holt');
    const decisions = (snap: AppSnapshot | null): unknown => snap?.recommendations.map((r) => [r.service, r.desiredReplicas, r.reason.text]);
    let forecastSteps = 0;
    for (const frame of frames) {
      source.next = frame;
      now = frame.timestamp;
      const served = await serve.step();
      await simulated.observe(frame);
      expect(decisions(simulated.lastSnapshot)).to.deep.equal(decisions(served));
      expect(simulated.lastSnapshot!.state.forecaster).to.equal(served.state.forecaster);
      if (served.state.forecaster === 'holt') forecastSteps++;
    }
    // Both the reactive cold start and Holt's forecasts were compared, not only one of them.
    expect(forecastSteps).to.be.greaterThan(50).and.lessThan(frames.length);
  });

  it('cold start: with a configured model that has not loaded, Holt stands in (then reactive before Holt has history)', async () => {
    const noModel: ModelSlot = { forecaster: () => null, loaded: null, lastError: null };
    const scaler = adapter('deepscaler', { model: noModel });
    const rates = trace(5);
    const seen = new Set<string>();
    await simulate(
      spec(rates),
      watching(scaler, () => void seen.add(`${scaler.lastSnapshot!.state.forecaster}/${scaler.lastSnapshot!.state.fallback}`)),
    );
    expect([...seen]).to.deep.equal(['reactive/cold-start', 'holt/cold-start']);
  });

  it('Prometheus lag: the loop reads each frame only once it is that old, and plans over the longer look-ahead', async () => {
    const lagged = new AdapterAutoscaler({
      name: 'holt',
      app,
      config: simulatedAppConfig(app, settings),
      model: null,
      hpa: hpaSpecFor(DEFAULT_SCALING),
      metricsLagSeconds: 30,
      features: ALL_FEATURES,
    });
    let steps = 0;
    let forecasts = 0;
    await simulate(
      spec(trace(4)),
      watching(lagged, (frame) => {
        const snap = lagged.lastSnapshot!;
        // 30 s = 6 steps: nothing to read for the first 6 steps, then always the frame 6 steps back.
        if (++steps <= 6) expect(snap.unavailableReason).to.contain('no data has arrived yet');
        if (snap.forecast !== null) {
          forecasts++;
          expect(frame.timestamp - snap.forecast.issuedAt).to.equal(30_000);
          // look-ahead 60 + 15 + (5 s step + 30 s lag) = 110 s = 22 steps: Holt's 10-step horizon bounds it.
          expect(snap.recommendations.every((r) => r.reason.horizonStep < 10)).to.equal(true);
        }
      }),
    );
    expect(forecasts).to.be.greaterThan(10);
  });

  it('perfect foresight through the same engine violates the SLO less than the CPU HPA under the same HPA settings', async () => {
    const rates = buildWorkload(loadTrace('data/traces/random-100max.req'), { stepSeconds: 5, durationSeconds: 3600, peak: 60 });
    const s = spec(rates, 30);
    const foresight = await simulate(s, adapter('perfect-foresight', { baseline: new OracleForecaster(app, rates, startMs, 5, 24) }));
    const hpa = await simulate(s, new CpuHpaAutoscaler());
    expect(foresight.summary.latency.sloViolationRate).to.be.lessThan(hpa.summary.latency.sloViolationRate / 2);
  });
});
