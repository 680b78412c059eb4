/**
 * One scenario from file names and numbers — what `simulate` and `bench/sim` both run: reads the
 * topology and traces (input errors are ConfigErrors naming the flag), builds the workload, runs
 * the experiment for each seed and writes each seed's report into `<out>/seed<N>/`.
 */
import { basename, join } from 'node:path';
import { ConfigError } from '../core/index.js';
import { loadTopology } from '../graph/index.js';
import type { TrainConfig, TrainProgress } from '../model/index.js';
import { type AppOptions, type ScalingSettings, buildWorkload, loadTrace, type Trace } from '../sim/index.js';
import { writeExperimentReport } from './report.js';
import { runExperiment, type AutoscalerName, type ExperimentResult } from './runner.js';

export interface ScenarioOptions {
  readonly topology: string;
  readonly trace: string;
  readonly trainTrace?: string;
  readonly peak: number;
  readonly hours: number;
  readonly offsetHours: number;
  readonly stepSeconds: number;
  readonly noise: number;
  readonly seeds: readonly number[];
  readonly sloMs: number;
  readonly app: AppOptions;
  readonly scaling: ScalingSettings;
  readonly startupSeconds: readonly [number, number];
  readonly cpuMetricsLagSeconds: number;
  readonly prometheusLagSeconds: number;
  readonly autoscalers: readonly AutoscalerName[];
  readonly knobs: Partial<Record<AutoscalerName, readonly number[]>>;
  readonly modelDir?: string;
  readonly trainFraction: number;
  readonly trainConfig?: Partial<TrainConfig>;
  readonly outDir: string;
  readonly onRunProgress?: (label: string, done: number, total: number) => void;
  readonly onTrainProgress?: (progress: TrainProgress) => void;
}

export interface SeedOutcome {
  readonly seed: number;
  readonly result: ExperimentResult;
  readonly markdown: string;
  readonly wallSeconds: number;
}

function readTrace(path: string, flag: string): Trace {
  try {
    return loadTrace(path);
  } catch (err) {
    throw new ConfigError(`${flag}: ${(err as Error).message}`);
  }
}

export async function runScenario(options: ScenarioOptions): Promise<SeedOutcome[]> {
  let topology;
  try {
    topology = loadTopology(options.topology);
  } catch (err) {
    throw new ConfigError(`--topology: ${(err as Error).message}`);
  }
  const trace = readTrace(options.trace, '--trace');
  const trainTrace = options.trainTrace !== undefined ? readTrace(options.trainTrace, '--train-trace') : null;
  const outcomes: SeedOutcome[] = [];
  for (const seed of options.seeds) {
    const began = performance.now();
    const workload = (t: Trace, offsetHours: number) =>
      buildWorkload(t, {
        stepSeconds: options.stepSeconds,
        durationSeconds: options.hours * 3600,
        offsetSeconds: offsetHours * 3600,
        peak: options.peak,
        noise: options.noise,
        seed,
      });
    const rates = workload(trace, options.offsetHours);
    const outDir = options.seeds.length > 1 ? join(options.outDir, `seed${seed}`) : options.outDir;
    const result = await runExperiment({
      topology,
      app: options.app,
      rates,
      ...(trainTrace !== null ? { trainRates: workload(trainTrace, 0), trainDescription: basename(options.trainTrace!) } : {}),
      stepSeconds: options.stepSeconds,
      seed,
      sloSeconds: options.sloMs / 1000,
      scaling: options.scaling,
      startupSeconds: options.startupSeconds,
      cpuMetricsLagSeconds: options.cpuMetricsLagSeconds,
      prometheusLagSeconds: options.prometheusLagSeconds,
      autoscalers: options.autoscalers,
      knobs: options.knobs,
      ...(options.modelDir !== undefined ? { modelDir: options.modelDir } : {}),
      trainFraction: options.trainFraction,
      ...(options.trainConfig ? { trainConfig: options.trainConfig } : {}),
      outDir,
      ...(options.onRunProgress ? { onRunProgress: options.onRunProgress } : {}),
      ...(options.onTrainProgress ? { onTrainProgress: options.onTrainProgress } : {}),
    });
    const traceName = basename(options.trace);
    const description =
      `${topology.name} under ${traceName} (peak ${options.peak} req/s, ${options.hours} h from hour ${options.offsetHours} at ${options.stepSeconds} s steps, ` +
      `noise ${options.noise}, seed ${seed}); SLO ${options.sloMs} ms end-to-end`;
    const markdown = writeExperimentReport(result, outDir, description, traceName, seed);
    outcomes.push({ seed, result, markdown, wallSeconds: (performance.now() - began) / 1000 });
  }
  return outcomes;
}
