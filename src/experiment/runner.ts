/**
 * The one runner of `simulate` and `bench/sim`: one application under one workload, every
 * autoscaler swept over its own knob on the same seed and the same HPA settings, a cost floor and
 * a perfect-foresight reference. Predictive autoscalers that learn (DeepScaler, the periodic
 * predictor's history) get a part of the run they are never scored on — the first
 * `trainFraction` of the trace, simulated under the CPU HPA — or a separate training trace.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, ALL_FEATURES, type Feature } from '../core/index.js';
import type { Dataset } from '../dataset/index.js';
import { PeriodicForecaster, DEMAND_FEATURES, type Forecaster, calibrationMemory } from '../forecast/index.js';
import { topologyCallGraph, type Topology } from '../graph/index.js';
import { DEFAULT_RISK } from '../config/index.js';
import { AdapterAutoscaler, simulatedAppConfig, ModelHost } from '../loop/index.js';
import { DEFAULT_TRAIN_CONFIG, parseModelConfig, trainInWorker, type ModelConfig, type TrainConfig, type TrainProgress } from '../model/index.js';
import {
  buildApp,
  type AppModel,
  type AppOptions,
  CpuHpaAutoscaler,
  DEFAULT_CPU_METRICS_LAG_SECONDS,
  hpaSpecFor,
  OracleForecaster,
  type Autoscaler,
  type ScalingSettings,
  DEFAULT_STARTUP_SECONDS,
  HPA_DEFAULTS,
  PhpaAutoscaler,
  settledReplicas,
  simulate,
  type RunResult,
  type SimulationSpec,
} from '../sim/index.js';
import { createLogger } from '../telemetry/index.js';

/** Names as they appear in reports and `--json` (stable). */
export const AUTOSCALER_NAMES = ['cpu-hpa', 'deepscaler', 'holt', 'phpa', 'periodic', 'perfect-foresight'] as const;
export type AutoscalerName = (typeof AUTOSCALER_NAMES)[number];

/** Which knob each autoscaler is swept over. */
export const KNOB_OF: Record<AutoscalerName, 'targetUtilization' | 'risk'> = {
  'cpu-hpa': 'targetUtilization',
  deepscaler: 'risk',
  holt: 'risk',
  phpa: 'targetUtilization',
  periodic: 'risk',
  'perfect-foresight': 'risk',
};

export const DEFAULT_TARGET_SWEEP = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;
/** The adapter's knob: the accepted probability of under-provisioning the look-ahead peak. */
export const DEFAULT_RISK_SWEEP = [0.01, 0.03, 0.05, 0.1, 0.2, 0.3] as const;

/** Seconds the adapter's Prometheus data lags: a 15 s scrape and a 30 s rate window. */
export const DEFAULT_PROMETHEUS_LAG_SECONDS = 30;

/** The shipped model's configuration (models/online-boutique), so a trained model matches what is shipped. */
export function shippedModelConfig(): ModelConfig {
  const file = fileURLToPath(new URL('../../../models/online-boutique/model.json', import.meta.url));
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { config?: unknown };
  return parseModelConfig(saved.config, `${file} config`);
}

export interface ExperimentOptions {
  readonly topology: Topology;
  readonly app?: AppOptions;
  /** External requests/s per step for the whole run (training part included unless `trainRates`). */
  readonly rates: Float64Array;
  /** A separate training workload (`--train-trace`); then the whole of `rates` is scored. */
  readonly trainRates?: Float64Array;
  /** How the report names the training data. */
  readonly trainDescription?: string;
  readonly stepSeconds: number;
  readonly seed: number;
  readonly sloSeconds: number;
  /** The HPA settings every autoscaler gets (equal terms); targetUtilization is also the floor's. */
  readonly scaling: ScalingSettings;
  readonly startupSeconds?: readonly [number, number];
  /** Age of the CPU the CPU-utilization HPAs read (cpu-hpa, phpa). */
  readonly cpuMetricsLagSeconds?: number;
  /** Age of the data the adapter reads from Prometheus. */
  readonly prometheusLagSeconds?: number;
  readonly autoscalers: readonly AutoscalerName[];
  /** Knob values per autoscaler; default: DEFAULT_TARGET_SWEEP / DEFAULT_RISK_SWEEP. */
  readonly knobs?: Partial<Record<AutoscalerName, readonly number[]>>;
  /** A trained model folder for DeepScaler (checked against the app before anything runs); else trained here. */
  readonly modelDir?: string;
  /** Share of `rates` left out of every score (the training part); ignored with `trainRates`. */
  readonly trainFraction: number;
  readonly modelConfig?: Partial<ModelConfig>;
  readonly trainConfig?: Partial<TrainConfig>;
  readonly outDir: string;
  readonly onRunProgress?: (autoscaler: string, done: number, total: number) => void;
  readonly onTrainProgress?: (progress: TrainProgress) => void;
}

export interface FrontierRun {
  readonly knob: number;
  readonly run: RunResult;
}

export interface AutoscalerFrontier {
  readonly name: AutoscalerName;
  readonly knob: 'targetUtilization' | 'risk';
  readonly points: readonly FrontierRun[];
}

export interface ExperimentResult {
  readonly app: AppModel;
  readonly evalStart: number;
  readonly warmupSteps: number;
  readonly scoredSteps: number;
  readonly lookAheadSeconds: number;
  /** Core-hours of the scored steps' exact demand at the target utilization, with instant pods. */
  readonly floorCoreHours: number;
  readonly frontiers: readonly AutoscalerFrontier[];
  readonly trainingSeconds: number | null;
  /** What the learning autoscalers were trained on, in words. */
  readonly trainedOn: string;
  readonly hpaSettings: string;
}

/** Pod start-up (worst case) + one HPA sync + one step of data age: how far a plan must see. */
export function lookAheadFor(stepSeconds: number, startup: readonly [number, number]): number {
  return startup[1] + HPA_DEFAULTS.syncPeriodSeconds + stepSeconds;
}

/**
 * The cost floor: each scored step's exact CPU demand (visits × rate × CPU per request) divided by
 * the target utilization, as if pods of any fraction started instantly. Nothing that keeps pods at
 * that utilization costs less.
 */
export function floorCoreHours(app: AppModel, rates: ArrayLike<number>, stepSeconds: number, targetUtilization: number): number {
  let perRequest = 0;
  for (let s = 0; s < app.services.length; s++) perRequest += app.visits[s]! * app.cpuSecondsPerRequest[s]!;
  let coreSeconds = 0;
  for (let t = 0; t < rates.length; t++) coreSeconds += ((rates[t]! * perRequest) / targetUtilization) * stepSeconds;
  return coreSeconds / 3600;
}

/** The model host `serve` would run for the model folder; refuses a model that cannot serve this app. */
export async function startModelHost(modelDir: string, app: AppModel, stepSeconds: number, lookAheadSeconds: number): Promise<ModelHost> {
  const host = new ModelHost({
    dir: modelDir,
    requiredServices: app.services,
    stepSeconds,
    pollMs: 3_600_000,
    logger: createLogger({ model: modelDir }, () => {}),
  });
  await host.start();
  const info = host.loaded;
  if (info === null || info.horizon * stepSeconds < lookAheadSeconds) {
    await host.stop();
    throw new ConfigError(
      info === null
        ? `--model ${modelDir} cannot serve ${app.name}: ${host.lastError ?? 'it did not load'}`
        : `--model ${modelDir} forecasts ${info.horizon} steps of ${stepSeconds} s, shorter than the look-ahead of ${lookAheadSeconds} s`,
    );
  }
  return host;
}

/** Per service and demand feature, the recorded series (the periodic predictor's history). */
function seriesOf(dataset: Dataset): Map<string, Map<Feature, Float32Array>> {
  const out = new Map<string, Map<Feature, Float32Array>>();
  const n = dataset.services.length;
  const nf = dataset.features.length;
  dataset.services.forEach((service, s) => {
    const byFeature = new Map<Feature, Float32Array>();
    for (const feature of DEMAND_FEATURES) {
      const f = dataset.features.indexOf(feature);
      byFeature.set(
        feature,
        Float32Array.from({ length: dataset.length }, (_, t) => dataset.values[(t * n + s) * nf + f]!),
      );
    }
    out.set(service, byFeature);
  });
  return out;
}

export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const app = buildApp(options.topology, options.app);
  const { rates, stepSeconds, seed, scaling } = options;
  const startup = options.startupSeconds ?? DEFAULT_STARTUP_SECONDS;
  const cpuLag = options.cpuMetricsLagSeconds ?? DEFAULT_CPU_METRICS_LAG_SECONDS;
  const promLag = options.prometheusLagSeconds ?? DEFAULT_PROMETHEUS_LAG_SECONDS;
  const lookAheadSeconds = lookAheadFor(stepSeconds, startup) + promLag;
  const startMs = Date.UTC(2026, 0, 1);
  const wants = (name: AutoscalerName): boolean => options.autoscalers.includes(name);

  // A given model is checked against the application before anything runs.
  let host: ModelHost | null =
    wants('deepscaler') && options.modelDir !== undefined ? await startModelHost(options.modelDir, app, stepSeconds, lookAheadSeconds) : null;
  try {
    const separate = options.trainRates !== undefined;
    const trainRates = options.trainRates ?? rates.subarray(0, Math.floor(rates.length * options.trainFraction));
    const trainSteps = separate ? 0 : trainRates.length;
    const needsTraining = (wants('deepscaler') && host === null) || wants('periodic');
    let recorded: Dataset | null = null;
    if (needsTraining && trainRates.length >= 10) {
      const spec: SimulationSpec = {
        app,
        rates: trainRates,
        cluster: { stepSeconds, seed, startupSeconds: startup, initialReplicas: settledReplicas(app, trainRates[0]!, scaling.targetUtilization) },
        startMs: startMs - (separate ? trainRates.length * stepSeconds * 1000 : 0),
        sloSeconds: options.sloSeconds,
      };
      recorded = (
        await simulate(spec, new CpuHpaAutoscaler(scaling, cpuLag), {
          recordDataset: true,
          onProgress: (done, total) => options.onRunProgress?.('training data (cpu-hpa)', done, total),
        })
      ).dataset;
    }
    let trainingSeconds: number | null = null;
    let modelDir = options.modelDir;
    if (wants('deepscaler') && host === null) {
      if (recorded === null)
        throw new Error(`DeepScaler needs training data: the training part has ${trainRates.length} steps (give --train-fraction, --train-trace or --model)`);
      modelDir = join(options.outDir, 'model');
      const base = shippedModelConfig();
      const summary = await trainInWorker(
        {
          dataset: recorded,
          callGraph: topologyCallGraph(options.topology),
          // The shipped model's configuration; the forecast must reach past the look-ahead, whatever the step.
          modelConfig: { ...base, horizon: Math.max(base.horizon, Math.ceil(lookAheadSeconds / stepSeconds)), ...options.modelConfig },
          trainConfig: { ...DEFAULT_TRAIN_CONFIG, seed, ...options.trainConfig },
          saveDir: modelDir,
          provenance: { source: `simulated ${app.name}, cpu-hpa, ${trainRates.length} steps` },
        },
        options.onTrainProgress,
      );
      trainingSeconds = summary.seconds;
      host = await startModelHost(modelDir, app, stepSeconds, lookAheadSeconds);
    }

    const configFor = (withModel: boolean, risk: number | undefined) =>
      simulatedAppConfig(app, {
        stepSeconds,
        targetUtilization: scaling.targetUtilization,
        minReplicas: scaling.minReplicas,
        maxReplicas: scaling.maxReplicas,
        podStartupSeconds: startup[1],
        hpaSyncSeconds: HPA_DEFAULTS.syncPeriodSeconds,
        scaleDownWindowSeconds: scaling.scaleDownWindowSeconds,
        ...(risk !== undefined ? { risk } : {}),
        model: withModel ? modelDir! : null,
      });
    // Every predictor's window fills, the calibration's record fills (so scored steps see a calibrated plan),
    // and a scale-down window passes, before scoring starts.
    const warmupSteps =
      Math.max(host?.loaded?.inputSteps ?? 0, 20) +
      calibrationMemory(configFor(false, undefined).calibration) +
      Math.ceil(lookAheadSeconds / stepSeconds) +
      Math.ceil(scaling.scaleDownWindowSeconds / stepSeconds) +
      Math.ceil(promLag / stepSeconds);
    const first = Math.max(0, trainSteps - warmupSteps);
    const evalWarmup = trainSteps > 0 ? trainSteps - first : warmupSteps;
    const evalRates = rates.subarray(first);
    const horizon = Math.ceil(lookAheadSeconds / stepSeconds) + 1;
    const spec: SimulationSpec = {
      app,
      rates: evalRates,
      cluster: { stepSeconds, seed, startupSeconds: startup, initialReplicas: settledReplicas(app, evalRates[0]!, scaling.targetUtilization) },
      startMs: startMs + first * stepSeconds * 1000,
      sloSeconds: options.sloSeconds,
      warmupSteps: evalWarmup,
    };
    const periodicSeed = recorded !== null && !separate ? seriesOf(recorded) : new Map();
    const adapter = (name: AutoscalerName, risk: number, model: ModelHost | null, baseline?: Forecaster): Autoscaler =>
      new AdapterAutoscaler({
        name,
        app,
        config: configFor(model !== null, risk),
        model,
        ...(baseline ? { baseline } : {}),
        hpa: hpaSpecFor(scaling),
        metricsLagSeconds: promLag,
        features: ALL_FEATURES,
      });
    const make = (name: AutoscalerName, knob: number): Autoscaler => {
      switch (name) {
        case 'cpu-hpa':
          return new CpuHpaAutoscaler({ ...scaling, targetUtilization: knob }, cpuLag);
        case 'phpa':
          return new PhpaAutoscaler(
            { ...scaling, targetUtilization: knob },
            startup[1] + HPA_DEFAULTS.syncPeriodSeconds,
            HPA_DEFAULTS.syncPeriodSeconds,
            cpuLag,
          );
        case 'holt':
          return adapter(name, knob, null);
        case 'deepscaler':
          return adapter(name, knob, host);
        case 'periodic':
          return adapter(name, knob, null, new PeriodicForecaster({ stepSeconds, horizon, targets: DEMAND_FEATURES }, periodicSeed));
        case 'perfect-foresight':
          return adapter(name, knob, null, new OracleForecaster(app, evalRates, spec.startMs, stepSeconds, horizon));
      }
    };
    const knobsOf = (name: AutoscalerName): readonly number[] =>
      options.knobs?.[name] ??
      (name === 'perfect-foresight' ? [DEFAULT_RISK] : KNOB_OF[name] === 'targetUtilization' ? DEFAULT_TARGET_SWEEP : DEFAULT_RISK_SWEEP);
    const frontiers: AutoscalerFrontier[] = [];
    for (const name of options.autoscalers) {
      const points: FrontierRun[] = [];
      for (const knob of knobsOf(name)) {
        const label = `${name} ${KNOB_OF[name]}=${knob}`;
        points.push({ knob, run: await simulate(spec, make(name, knob), { onProgress: (done, total) => options.onRunProgress?.(label, done, total) }) });
      }
      frontiers.push({ name, knob: KNOB_OF[name], points });
    }
    const scored = evalRates.subarray(evalWarmup);
    return {
      app,
      evalStart: first + evalWarmup,
      warmupSteps: evalWarmup,
      scoredSteps: scored.length,
      lookAheadSeconds,
      floorCoreHours: floorCoreHours(app, scored, stepSeconds, scaling.targetUtilization),
      frontiers,
      trainingSeconds,
      trainedOn: separate
        ? `a separate training trace (${options.trainDescription ?? 'given'}, ${trainRates.length} steps)`
        : `the first ${trainSteps} steps of the trace (${(options.trainFraction * 100).toFixed(0)} %), never scored`,
      hpaSettings:
        `every autoscaler's HPA: minReplicas ${scaling.minReplicas}, maxReplicas ${scaling.maxReplicas}, ` +
        `behavior.scaleDown.stabilizationWindowSeconds ${scaling.scaleDownWindowSeconds}, tolerance ${scaling.tolerance} (inclusive), sync ${HPA_DEFAULTS.syncPeriodSeconds} s, ` +
        `target utilization ${scaling.targetUtilization} (cpu-hpa and phpa sweep theirs); cpu-hpa and phpa read CPU ${cpuLag} s old, ` +
        `the adapter (deepscaler, holt, periodic, perfect-foresight) reads Prometheus ${promLag} s old`,
    };
  } finally {
    await host?.stop();
  }
}
