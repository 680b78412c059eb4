/**
 * One simulated run: a workload through the cluster, one HPA per service driven by an autoscaler,
 * a frame per step (the features the real collector reads), and the outcome numbers.
 */
import type { Dataset } from '../dataset/index.js';
import { History } from '../history/index.js';
import { HPA_DEFAULTS, HorizontalPodAutoscaler } from './hpa.js';
import { ALL_FEATURES, type Feature, type Frame, type ProgressCallback } from '../core/index.js';
import type { AppModel } from './app.js';
import type { Autoscaler } from './autoscalers.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { LatencyStats, latencyCdf, type LatencySummary } from './latency.js';

export interface SimulationSpec {
  readonly app: AppModel;
  /** External requests/s per step. */
  readonly rates: Float64Array;
  readonly cluster: ClusterOptions;
  /** Epoch ms at the start of step 0 (frames are stamped at the end of their step). */
  readonly startMs: number;
  /** End-to-end latency SLO, s. */
  readonly sloSeconds: number;
  readonly syncPeriodSeconds?: number;
  /** Steps simulated before the outcome counts (the cluster settles; a predictor fills its window). */
  readonly warmupSteps?: number;
}

export interface RunSummary {
  readonly autoscaler: string;
  readonly latency: LatencySummary;
  /** Requested CPU of all pods that existed (starting or ready), core-hours, after warm-up. */
  readonly cpuCoreHours: number;
  /** Replica changes (one per service per change), after warm-up. */
  readonly scalingActions: number;
  readonly steps: number;
  /** Wall-clock seconds the run took, and the part spent inside the autoscaler (model time). */
  readonly wallSeconds: number;
  readonly autoscalerSeconds: number;
}

/** Per-step series for plots, after warm-up. */
export interface RunSeries {
  readonly load: Float64Array;
  readonly replicas: Float64Array;
  readonly meanLatency: Float64Array;
  /** Share of the step's requests above the SLO or dropped. */
  readonly violating: Float64Array;
}

export interface RunResult {
  readonly summary: RunSummary;
  readonly series: RunSeries;
  /** Every frame's features as [T, N, F], when asked for (a dataset the trainer accepts). */
  readonly dataset: Dataset | null;
}

export interface RunOptions {
  readonly recordDataset?: boolean;
  readonly onProgress?: ProgressCallback;
}

/** The features of one step, in ALL_FEATURES order (mem is synthetic, see Cluster.memoryShare). */
export function clusterFrameValues(cluster: Cluster, out: Float32Array, offset = 0): void {
  const { app } = cluster;
  const dt = cluster.stepSeconds;
  const nf = ALL_FEATURES.length;
  const at = (feature: Feature): number => ALL_FEATURES.indexOf(feature);
  const [cpu, mem, res, req, pod, cores, request] = (['cpu', 'mem', 'res', 'req', 'pod', 'cpu_cores', 'cpu_request'] as const).map(at) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  for (let s = 0; s < cluster.n; s++) {
    const base = offset + s * nf;
    const pods = cluster.replicas(s);
    out[base + cpu] = pods > 0 ? cluster.cpuCores[s]! / (pods * app.cpuLimitCores[s]!) : 0;
    out[base + mem] = cluster.memoryShare(s);
    out[base + res] = cluster.latency[s]!;
    // Istio counts responses, failed ones (503) included: served + dropped.
    out[base + req] = (cluster.served[s]! + cluster.dropped[s]!) / dt;
    out[base + pod] = pods;
    out[base + cores] = cluster.cpuCores[s]!;
    out[base + request] = app.cpuRequestCores[s]!;
  }
}

/** Replicas that carry the first step's load at the target utilization, so a run starts settled. */
export function settledReplicas(app: AppModel, rate: number, targetUtilization: number): Map<string, number> {
  return new Map(
    app.services.map(
      (name, s) =>
        [name, Math.max(1, Math.ceil((app.visits[s]! * rate * app.cpuSecondsPerRequest[s]!) / (app.cpuRequestCores[s]! * targetUtilization)))] as const,
    ),
  );
}

/**
 * A cluster, its HPAs and an autoscaler, advanced one step at a time; each step yields the frame a
 * collector would read at its end. Used for whole runs (`simulate`) and by the simulator source.
 */
export class Simulation {
  readonly cluster: Cluster;
  readonly history: History;
  private readonly hpas: HorizontalPodAutoscaler[];
  private readonly sync: number;
  private nextSync: number;
  /** Milliseconds spent inside the autoscaler (model time). */
  autoscalerMs = 0;

  constructor(
    app: AppModel,
    clusterOptions: ClusterOptions,
    private readonly autoscaler: Autoscaler,
    /** Epoch ms at the start of step 0. */
    readonly startMs: number,
    syncPeriodSeconds: number = HPA_DEFAULTS.syncPeriodSeconds,
  ) {
    this.cluster = new Cluster(app, clusterOptions);
    this.hpas = app.services.map((service) => new HorizontalPodAutoscaler(autoscaler.hpaSpec(service)));
    this.history = new History(app.services, ALL_FEATURES, clusterOptions.stepSeconds, Math.max(1, autoscaler.historySteps));
    this.sync = syncPeriodSeconds;
    this.nextSync = syncPeriodSeconds;
  }

  /** Simulates one step at `externalRate` requests/s, lets the HPAs sync when due, and returns the step's frame. */
  async step(externalRate: number): Promise<Frame> {
    const { cluster } = this;
    const app = cluster.app;
    cluster.step(externalRate);
    const values = new Float32Array(cluster.n * ALL_FEATURES.length);
    clusterFrameValues(cluster, values);
    const frame: Frame = { timestamp: this.startMs + cluster.now * 1000, services: app.services, features: ALL_FEATURES, values };
    this.history.push(frame);
    const before = performance.now();
    await this.autoscaler.observe(frame, cluster);
    if (cluster.now >= this.nextSync) {
      const metrics = await this.autoscaler.metrics({ now: cluster.now, cluster, history: this.history });
      for (let s = 0; s < cluster.n; s++) {
        const decision = this.hpas[s]!.reconcile({ now: cluster.now, currentReplicas: cluster.replicas(s), metrics: metrics[s]! });
        cluster.setReplicas(s, decision.desiredReplicas);
      }
      while (this.nextSync <= cluster.now) this.nextSync += this.sync;
    }
    this.autoscalerMs += performance.now() - before;
    return frame;
  }
}

export async function simulate(spec: SimulationSpec, autoscaler: Autoscaler, options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const { app, rates } = spec;
  const sim = new Simulation(app, spec.cluster, autoscaler, spec.startMs, spec.syncPeriodSeconds);
  const { cluster } = sim;
  const dt = cluster.stepSeconds;
  const n = app.services.length;
  const nf = ALL_FEATURES.length;
  const steps = rates.length;
  const warmup = Math.min(steps, spec.warmupSteps ?? 0);
  const measured = steps - warmup;
  const stats = new LatencyStats(spec.sloSeconds);
  const series: RunSeries = {
    load: new Float64Array(measured),
    replicas: new Float64Array(measured),
    meanLatency: new Float64Array(measured),
    violating: new Float64Array(measured),
  };
  const datasetValues = options.recordDataset ? new Float32Array(steps * n * nf) : null;
  let costAtWarmup = 0;
  let actionsAtWarmup = 0;

  for (let t = 0; t < steps; t++) {
    if (t === warmup) {
      costAtWarmup = cluster.requestedCoreSeconds;
      actionsAtWarmup = cluster.scalingActions;
    }
    const frame = await sim.step(rates[t]!);
    datasetValues?.set(frame.values, t * n * nf);
    if (t >= warmup) {
      const i = t - warmup;
      stats.add(cluster.e2e);
      let replicas = 0;
      for (let s = 0; s < n; s++) replicas += cluster.replicas(s);
      series.load[i] = rates[t]!;
      series.replicas[i] = replicas;
      series.meanLatency[i] = cluster.e2e.mean;
      series.violating[i] = cluster.e2e.requests > 0 ? 1 - latencyCdf(cluster.e2e, spec.sloSeconds) : 0;
    }
    options.onProgress?.(t + 1, steps);
  }
  if (warmup === steps) costAtWarmup = cluster.requestedCoreSeconds;
  return {
    summary: {
      autoscaler: autoscaler.name,
      latency: stats.summary(),
      cpuCoreHours: (cluster.requestedCoreSeconds - costAtWarmup) / 3600,
      scalingActions: cluster.scalingActions - actionsAtWarmup,
      steps: measured,
      wallSeconds: (performance.now() - started) / 1000,
      autoscalerSeconds: sim.autoscalerMs / 1000,
    },
    series,
    dataset: datasetValues
      ? { services: app.services, features: ALL_FEATURES, stepSeconds: dt, startMs: spec.startMs + dt * 1000, length: steps, values: datasetValues }
      : null,
  };
}
