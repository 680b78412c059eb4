/**
 * A simulated application as a MetricsSource: the serving loop reads its frames as it would read
 * Prometheus. The simulation advances lazily to whatever time is asked for (one step per
 * `stepSeconds`, the workload looping), so a run is reproducible whatever the wall clock does.
 * Who scales the simulated app is pluggable: by default a CPU-utilization HPA; with
 * `servedReplicasAutoscaler` the HPAs read the adapter's own served values (AverageValue 1),
 * closing the loop the way a cluster would.
 */
import { resolve } from 'node:path';
import {
  ConfigError,
  expectOneOf,
  expectString,
  optionalNumber,
  rejectUnknownKeys,
  stepIntervalSeconds,
  ALL_FEATURES,
  type Feature,
  type Frame,
  type MetricsSource,
  type ProgressCallback,
} from '../core/index.js';
import type { Topology } from '../graph/index.js';
import type { HpaMetric, HpaSpec } from './hpa.js';
import { buildApp, type AppModel } from './app.js';
import { CpuHpaAutoscaler, DEFAULT_SCALING, hpaSpecFor, type Autoscaler, type ScalingSettings, type ScalingView } from './autoscalers.js';
import type { ClusterOptions } from './cluster.js';
import { settledReplicas, Simulation } from './run.js';
import { buildWorkload, loadTrace } from './workload.js';

/**
 * The application simulated from its topology (src/sim) under a workload trace, faster than real
 * time. With `scaledBy: adapter` the simulated HPAs read the adapter's own served values
 * (AverageValue 1): the closed loop a cluster would run.
 */
export interface SimulatorSourceConfig {
  readonly kind: 'simulator';
  /** Workload trace: data/traces/worldcup98-per-minute.csv or the seed's random-100max.req. */
  readonly trace: string;
  /** Requests/s into the entry service at the trace's peak. */
  readonly peakRequestsPerSecond: number;
  readonly scaledBy: 'adapter' | 'cpu-hpa';
  readonly stepIntervalSeconds: number;
  readonly warmupSteps: number;
  readonly seed: number;
}

export function parseSimulatorSourceConfig(
  block: Readonly<Record<string, unknown>>,
  { path, baseDir, warmupSteps }: { readonly path: string; readonly baseDir: string; readonly warmupSteps: number },
): SimulatorSourceConfig {
  rejectUnknownKeys(block, path, ['kind', 'trace', 'peakRequestsPerSecond', 'scaledBy', 'stepIntervalSeconds', 'warmupSteps', 'seed']);
  return {
    kind: 'simulator',
    trace: resolve(baseDir, expectString(block['trace'], `${path}.trace`)),
    peakRequestsPerSecond: optionalNumber(block['peakRequestsPerSecond'], `${path}.peakRequestsPerSecond`, { min: 0.001 }) ?? 100,
    scaledBy: block['scaledBy'] === undefined ? 'adapter' : expectOneOf(block['scaledBy'], `${path}.scaledBy`, ['adapter', 'cpu-hpa'] as const),
    stepIntervalSeconds: stepIntervalSeconds(block, path),
    warmupSteps,
    seed: optionalNumber(block['seed'], `${path}.seed`, { integer: true, min: 0 }) ?? 1,
  };
}

/** What the simulation is built with (the registry's SourceBuildContext; named here so the simulated cluster needs nothing above it). */
export interface SimulatorBuildContext {
  readonly app: string;
  readonly stepSeconds: number;
  readonly topology: Topology | null;
  readonly scaling: { readonly targetUtilization: number; readonly minReplicas: number; readonly maxReplicas: number };
  readonly served: (service: string) => number | null;
}

/**
 * The application simulated from its topology under the trace, `speed` times faster than real
 * time. Scaled by the adapter, the simulated HPAs read what this process serves (closing the loop).
 */
export function planSimulatorSource(config: SimulatorSourceConfig, { app, stepSeconds, topology, scaling, served }: SimulatorBuildContext) {
  if (topology === null) throw new ConfigError(`application "${app}": source.kind "simulator" needs a topology (the services, calls and CPU to simulate)`);
  const model = buildApp(topology);
  const trace = loadTrace(config.trace);
  const rates = buildWorkload(trace, {
    stepSeconds,
    durationSeconds: Math.max(stepSeconds, trace.rates.length * trace.stepSeconds),
    peak: config.peakRequestsPerSecond,
    seed: config.seed,
  });
  const settings = { ...DEFAULT_SCALING, ...scaling };
  const intervalMs = config.stepIntervalSeconds * 1000;
  const stepMs = stepSeconds * 1000;
  return {
    services: model.services,
    open: async (now: number) => {
      const anchorMs = now - intervalMs / 2;
      // The simulation starts warmupSteps before the anchor, so the warm-up range has data.
      const simulation = new SimulatorSource({
        app: model,
        rates,
        cluster: { stepSeconds, seed: config.seed },
        startMs: anchorMs - config.warmupSteps * stepMs,
        autoscaler: config.scaledBy === 'adapter' ? servedReplicasAutoscaler(served, settings) : new CpuHpaAutoscaler(settings),
      });
      return {
        source: spedUp(simulation, anchorMs, anchorMs, stepSeconds / config.stepIntervalSeconds),
        pace: { kind: 'accelerated' as const, anchorMs, intervalMs, warmupSteps: config.warmupSteps },
      };
    },
  };
}

/**
 * A source on its own clock (data time `sourceAnchorMs` at wall time `anchorMs`), read `speed`
 * times faster than real time: wall-clock times are mapped before every read.
 */
export function spedUp(source: MetricsSource, anchorMs: number, sourceAnchorMs: number, speed: number): MetricsSource {
  const map = (t: number): number => sourceAnchorMs + (t - anchorMs) * speed;
  return {
    services: source.services,
    features: source.features,
    stepSeconds: source.stepSeconds,
    frame: (t) => source.frame(map(t)),
    range: (start, end, onProgress) => source.range(map(start), map(end), onProgress),
    close: () => source.close(),
  };
}

export interface SimulatorSourceOptions {
  readonly app: AppModel;
  /** External requests/s per step; replayed in a loop. */
  readonly rates: Float64Array;
  readonly cluster: ClusterOptions;
  /** Epoch ms at which step 0 starts. */
  readonly startMs: number;
  readonly autoscaler?: Autoscaler;
  /** Frames kept for `range`; older ones come back as gaps. Default: one day. */
  readonly retainSteps?: number;
}

/** Scales the simulated app by what the adapter serves: `served(service)` is the desired count, or null when it has none. */
export function servedReplicasAutoscaler(served: (service: string) => number | null, settings: ScalingSettings = DEFAULT_SCALING): Autoscaler {
  return {
    name: 'served-replicas',
    historySteps: 1,
    hpaSpec: (): HpaSpec => hpaSpecFor(settings),
    observe: () => {},
    metrics: async (view: ScalingView): Promise<HpaMetric[][]> =>
      view.cluster.app.services.map((service) => {
        const value = served(service);
        return [
          value === null
            ? { type: 'Failed', error: `no served value for ${service}` }
            : { type: 'External', target: 'AverageValue', usage: value, averageValue: 1 },
        ];
      }),
  };
}

export class SimulatorSource implements MetricsSource {
  readonly services: readonly string[];
  readonly features: readonly Feature[] = ALL_FEATURES;
  readonly stepSeconds: number;
  private readonly simulation: Simulation;
  private readonly frames: Frame[] = [];
  private readonly retain: number;
  /** Steps simulated so far. */
  private steps = 0;
  private closed = false;
  /** Serializes advances: two concurrent reads must not step the simulation twice. */
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly options: SimulatorSourceOptions) {
    if (options.rates.length === 0) throw new Error('simulator source: the workload has no steps');
    this.services = options.app.services;
    this.stepSeconds = options.cluster.stepSeconds;
    this.retain = options.retainSteps ?? Math.ceil(86_400 / this.stepSeconds);
    const cluster: ClusterOptions = {
      ...options.cluster,
      initialReplicas: options.cluster.initialReplicas ?? settledReplicas(options.app, options.rates[0]!, DEFAULT_SCALING.targetUtilization),
    };
    this.simulation = new Simulation(options.app, cluster, options.autoscaler ?? new CpuHpaAutoscaler(), options.startMs);
  }

  private get stepMs(): number {
    return this.stepSeconds * 1000;
  }

  /** Simulates until the frame stamped at or before `t` exists. */
  private advanceTo(t: number): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.closed) throw new Error('simulator source is closed');
      const target = Math.floor((t - this.options.startMs) / this.stepMs);
      while (this.steps < target) {
        const rate = this.options.rates[this.steps % this.options.rates.length]!;
        this.frames.push(await this.simulation.step(rate));
        if (this.frames.length > this.retain) this.frames.shift();
        this.steps++;
      }
    };
    this.pending = this.pending.then(run, run);
    return this.pending;
  }

  private gap(timestamp: number): Frame {
    return {
      timestamp,
      services: this.services,
      features: this.features,
      values: new Float32Array(this.services.length * this.features.length).fill(Number.NaN),
    };
  }

  /** The frame of step k (stamped at its end), or a gap when it is not retained. */
  private frameAt(k: number): Frame {
    const oldest = this.steps - this.frames.length + 1;
    const timestamp = this.options.startMs + k * this.stepMs;
    return k >= oldest && k <= this.steps ? this.frames[k - oldest]! : this.gap(timestamp);
  }

  async frame(t: number): Promise<Frame> {
    await this.advanceTo(t);
    return this.frameAt(Math.floor((t - this.options.startMs) / this.stepMs));
  }

  async range(start: number, end: number, onProgress?: ProgressCallback): Promise<Frame[]> {
    if (end < start) throw new Error(`simulator source: range end ${new Date(end).toISOString()} is before its start ${new Date(start).toISOString()}`);
    await this.advanceTo(end);
    const first = Math.ceil((start - this.options.startMs) / this.stepMs);
    const last = Math.floor((end - this.options.startMs) / this.stepMs);
    const out: Frame[] = [];
    for (let k = first; k <= last; k++) {
      out.push(this.frameAt(k));
      onProgress?.(k - first + 1, last - first + 1);
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
