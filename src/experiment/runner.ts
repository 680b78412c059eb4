/**
 * A side-by-side experiment: one application under one workload, several autoscalers, the same
 * seed. When DeepScaler has to be trained first, the first part of the run is simulated under the
 * CPU HPA to record a training dataset, the GNN is trained on it (in a worker thread), and every
 * autoscaler is then scored on the later part only — the model never sees the steps it is judged on.
 */
import { join } from 'node:path';
import { topologyCallGraph, type Topology } from '../graph/topology.js';
import { AdapterAutoscaler, simulatedAppConfig } from '../loop/sim-adapter.js';
import { ModelHost } from '../loop/model-host.js';
import { DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_CONFIG, trainInWorker, type ModelConfig, type TrainConfig, type TrainProgress } from '../model/index.js';
import { lineChartSvg, writeSvg } from '../report/svg.js';
import { buildApp, type AppModel, type AppOptions } from '../sim/app.js';
import { CpuHpaAutoscaler, hpaSpecFor, OracleForecaster, type Autoscaler, type ScalingSettings } from '../sim/autoscalers.js';
import { DEFAULT_STARTUP_SECONDS } from '../sim/cluster.js';
import { HPA_DEFAULTS } from '../sim/hpa.js';
import { settledReplicas, simulate, type RunResult, type SimulationSpec } from '../sim/run.js';
import { ALL_FEATURES } from '../sources/index.js';
import { createLogger } from '../telemetry/log.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const AUTOSCALER_NAMES = ['cpu-hpa', 'holt', 'deepscaler', 'perfect-foresight'] as const;
export type AutoscalerName = (typeof AUTOSCALER_NAMES)[number];

export interface ExperimentOptions {
  readonly topology: Topology;
  readonly app?: AppOptions;
  /** External requests/s per step for the whole run (training part included). */
  readonly rates: Float64Array;
  readonly stepSeconds: number;
  readonly seed: number;
  readonly sloSeconds: number;
  /** The HPA settings every autoscaler gets (equal terms). */
  readonly scaling: ScalingSettings;
  readonly startupSeconds?: readonly [number, number];
  readonly autoscalers: readonly AutoscalerName[];
  /** A trained model folder for DeepScaler; without one, DeepScaler is trained on the first part. */
  readonly modelDir?: string;
  /**
   * Share of the run left out of every score: DeepScaler is trained on it when no model is given
   * (with a model trained on the same run's start, pass the same share to score the same part).
   */
  readonly trainFraction: number;
  readonly modelConfig?: Partial<ModelConfig>;
  readonly trainConfig?: Partial<TrainConfig>;
  /** The predictive autoscalers' policy knob (the adapter's margin.default); undefined: serve's default. */
  readonly margin?: number;
  readonly outDir: string;
  readonly onRunProgress?: (autoscaler: string, done: number, total: number) => void;
  readonly onTrainProgress?: (progress: TrainProgress) => void;
}

export interface ExperimentResult {
  readonly app: AppModel;
  readonly evalStart: number;
  readonly warmupSteps: number;
  readonly lookAheadSeconds: number;
  readonly runs: ReadonlyMap<AutoscalerName, RunResult>;
  readonly trainingSeconds: number | null;
}

/** Pod start-up (worst case) + one HPA sync + one step of data age: how far a plan must see. */
export function lookAheadFor(stepSeconds: number, startup: readonly [number, number]): number {
  return startup[1] + HPA_DEFAULTS.syncPeriodSeconds + stepSeconds;
}

/** The model host `serve` would run for the model folder; refuses a model that cannot serve this app. */
async function startModelHost(modelDir: string, app: AppModel, stepSeconds: number, lookAheadSeconds: number): Promise<ModelHost> {
  const host = new ModelHost({ dir: modelDir, requiredServices: app.services, stepSeconds, pollMs: 3_600_000, logger: createLogger({ model: modelDir }, () => {}) });
  await host.start();
  const info = host.loaded;
  if (info === null || info.horizon * stepSeconds < lookAheadSeconds) {
    await host.stop();
    throw new Error(
      info === null
        ? `model ${modelDir} cannot serve ${app.name}: ${host.lastError ?? 'it did not load'}`
        : `model ${modelDir} forecasts ${info.horizon} steps of ${stepSeconds} s, shorter than the look-ahead of ${lookAheadSeconds} s`,
    );
  }
  return host;
}

export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const app = buildApp(options.topology, options.app);
  const { rates, stepSeconds, seed, scaling } = options;
  const startup = options.startupSeconds ?? DEFAULT_STARTUP_SECONDS;
  const lookAheadSeconds = lookAheadFor(stepSeconds, startup);
  const startMs = Date.UTC(2026, 0, 1);
  const clusterFor = (first: number) => ({ stepSeconds, seed, startupSeconds: startup, initialReplicas: settledReplicas(app, rates[first]!, scaling.targetUtilization) });
  const specFor = (first: number, warmupSteps: number): SimulationSpec => ({
    app,
    rates: rates.subarray(first),
    cluster: clusterFor(first),
    startMs: startMs + first * stepSeconds * 1000,
    sloSeconds: options.sloSeconds,
    warmupSteps,
  });

  const trainSteps = Math.floor(rates.length * options.trainFraction);
  let trainingSeconds: number | null = null;
  let host: ModelHost | null = null;
  let modelDir = options.modelDir;
  if (options.autoscalers.includes('deepscaler')) {
    if (modelDir === undefined) {
      if (trainSteps < 10) throw new Error(`--train-fraction ${options.trainFraction} leaves only ${trainSteps} steps to train DeepScaler on`);
      const recorded = await simulate({ ...specFor(0, 0), rates: rates.subarray(0, trainSteps) }, new CpuHpaAutoscaler(scaling), {
        recordDataset: true,
        onProgress: (done, total) => options.onRunProgress?.('training data (cpu-hpa)', done, total),
      });
      modelDir = join(options.outDir, 'model');
      const summary = await trainInWorker(
        {
          dataset: recorded.dataset!,
          callGraph: topologyCallGraph(options.topology),
          // The forecast must reach past the look-ahead, whatever the step.
          modelConfig: { ...DEFAULT_MODEL_CONFIG, horizon: Math.max(DEFAULT_MODEL_CONFIG.horizon, Math.ceil(lookAheadSeconds / stepSeconds)), ...options.modelConfig },
          trainConfig: { ...DEFAULT_TRAIN_CONFIG, seed, ...options.trainConfig },
          saveDir: modelDir,
          provenance: { source: `simulated ${app.name}, cpu-hpa, steps 0–${trainSteps}` },
        },
        options.onTrainProgress,
      );
      trainingSeconds = summary.seconds;
    }
    host = await startModelHost(modelDir, app, stepSeconds, lookAheadSeconds);
  }

  try {
    const configFor = (withModel: boolean, margin: number | undefined) =>
      simulatedAppConfig(app, {
        stepSeconds,
        targetUtilization: scaling.targetUtilization,
        minReplicas: scaling.minReplicas,
        maxReplicas: scaling.maxReplicas,
        podStartupSeconds: startup[1],
        hpaSyncSeconds: HPA_DEFAULTS.syncPeriodSeconds,
        ...(margin !== undefined ? { margin } : {}),
        model: withModel ? modelDir! : null,
      });
    const baselineSteps = configFor(false, options.margin).baseline === 'holt' ? 20 : 1;
    const warmupSteps = Math.max(host?.loaded?.inputSteps ?? 0, baselineSteps) + Math.ceil(scaling.scaleDownWindowSeconds / stepSeconds);
    // Scored steps start where training ended; the warm-up before them fills every predictor's window.
    const first = Math.max(0, trainSteps - warmupSteps);
    const evalWarmup = trainSteps > 0 ? trainSteps - first : warmupSteps;
    const horizon = Math.ceil(lookAheadSeconds / stepSeconds) + 1;
    const adapter = (name: AutoscalerName, withModel: boolean, margin: number | undefined, baseline?: OracleForecaster): Autoscaler =>
      new AdapterAutoscaler({
        name,
        app,
        config: configFor(withModel, margin),
        model: withModel ? host : null,
        ...(baseline ? { baseline } : {}),
        hpa: hpaSpecFor(scaling),
        metricsLagSeconds: 0,
        features: ALL_FEATURES,
      });
    const make = (name: AutoscalerName): Autoscaler => {
      switch (name) {
        case 'cpu-hpa':
          return new CpuHpaAutoscaler(scaling);
        case 'holt':
          return adapter(name, false, options.margin);
        case 'deepscaler':
          return adapter(name, true, options.margin);
        case 'perfect-foresight':
          return adapter(name, false, 0, new OracleForecaster(app, rates.subarray(first), startMs + first * stepSeconds * 1000, stepSeconds, horizon));
      }
    };
    const runs = new Map<AutoscalerName, RunResult>();
    for (const name of options.autoscalers) {
      runs.set(name, await simulate(specFor(first, evalWarmup), make(name), { onProgress: (done, total) => options.onRunProgress?.(name, done, total) }));
    }
    return { app, evalStart: first + evalWarmup, warmupSteps: evalWarmup, lookAheadSeconds, runs, trainingSeconds };
  } finally {
    await host?.stop();
  }
}

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : x > 0 ? '∞' : 'n/a';
}

/** The outcome table, one row per autoscaler, as Markdown. */
export function resultsTable(result: ExperimentResult): string {
  const rows = [
    '| autoscaler | SLO violations | dropped | p50 (s) | p95 (s) | p99 (s) | CPU requested (core-h) | scaling actions | sim time (s) | of which autoscaler (s) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [name, run] of result.runs) {
    const { latency, cpuCoreHours, scalingActions, wallSeconds, autoscalerSeconds } = run.summary;
    rows.push(
      `| ${name} | ${fixed(latency.sloViolationRate * 100, 3)} % | ${fixed(latency.dropRate * 100, 3)} % | ${fixed(latency.p50, 3)} | ${fixed(latency.p95, 3)} | ${fixed(latency.p99, 3)} | ${fixed(cpuCoreHours, 2)} | ${scalingActions} | ${fixed(wallSeconds, 2)} | ${fixed(autoscalerSeconds, 2)} |`,
    );
  }
  return rows.join('\n');
}

/** Averages a series over buckets of `size` steps, so a day of 15 s steps plots as readable lines. */
function downsample(values: Float64Array, size: number): Float64Array {
  const out = new Float64Array(Math.ceil(values.length / size));
  for (let i = 0; i < out.length; i++) {
    const part = values.subarray(i * size, (i + 1) * size);
    let sum = 0;
    for (const v of part) sum += v;
    out[i] = sum / part.length;
  }
  return out;
}

/** Writes results.json, results.md and the plots (load, replicas, latency) into the output folder. */
export function writeExperimentReport(result: ExperimentResult, options: ExperimentOptions, description: string): void {
  const { outDir, stepSeconds } = options;
  const size = Math.max(1, Math.ceil([...result.runs.values()][0]!.series.load.length / 1200));
  const hours = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => (i * size * stepSeconds) / 3600);
  const plot = (file: string, title: string, yLabel: string, pick: (r: RunResult) => Float64Array, only?: AutoscalerName): void => {
    const series = [...result.runs].filter(([name]) => only === undefined || name === only).map(([name, run]) => {
      const values = downsample(pick(run), size);
      return { name: only === undefined ? name : 'external requests/s', values, x: hours(values.length) };
    });
    writeSvg(join(outDir, file), lineChartSvg(series, { title, xLabel: 'hours after warm-up', yLabel }));
  };
  const firstName = [...result.runs.keys()][0]!;
  plot('load.svg', `${result.app.name}: workload`, 'requests/s', (r) => r.series.load, firstName);
  plot('replicas.svg', `${result.app.name}: replicas (all services)`, 'pods', (r) => r.series.replicas);
  plot('latency.svg', `${result.app.name}: mean end-to-end latency`, 'seconds', (r) => r.series.meanLatency);
  plot('slo-violations.svg', `${result.app.name}: share of requests over the ${options.sloSeconds} s SLO`, 'share', (r) => r.series.violating);
  const summaries = Object.fromEntries([...result.runs].map(([name, run]) => [name, run.summary]));
  writeFileAtomic(
    join(outDir, 'results.json'),
    JSON.stringify({ description, sloSeconds: options.sloSeconds, lookAheadSeconds: result.lookAheadSeconds, evalStartStep: result.evalStart, trainingSeconds: result.trainingSeconds, results: summaries }, null, 2) + '\n',
  );
  writeFileAtomic(join(outDir, 'results.md'), `${description}\n\n${resultsTable(result)}\n`);
}
