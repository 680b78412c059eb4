/**
 * Replay: serves a recorded dataset as if it were live, for the default run (no cluster) and for
 * demos. Wall-clock time maps to dataset steps from an anchor; `speed` > 1 runs faster than real time.
 *
 * Frames are stamped on the replay's own clock: anchor + j × step for the j-th step since the anchor.
 * At speed 1 that is wall-clock time; at speed 10 the stamps run 10× ahead of the wall clock, so that
 * consecutive frames are always exactly one step apart (what History and the forecaster expect).
 */
import { resolve } from 'node:path';
import {
  ConfigError,
  expectString,
  rejectUnknownKeys,
  stepIntervalSeconds,
  type Feature,
  type Frame,
  type MetricsSource,
  type ProgressCallback,
} from '../core/index.js';
import { cpuSettingsFromTopology, withCpuCores, readDataset, type Dataset, datasetFrame } from '../dataset/index.js';
import type { SourceBuildContext, SourceParseContext, SourcePlan } from './registry.js';

/** A recorded dataset (the seed's `.log` folder) replayed step by step, faster than real time. */
export interface ReplaySourceConfig {
  readonly kind: 'replay';
  readonly path: string;
  /** Wall-clock seconds per replayed step (a 30 s step every 3 s = 10× real time). */
  readonly stepIntervalSeconds: number;
  /** Steps of the recording loaded into history at start-up, so a model can forecast at once. */
  readonly warmupSteps: number;
}

export function parseReplaySourceConfig(block: Readonly<Record<string, unknown>>, { path, baseDir, warmupSteps }: SourceParseContext): ReplaySourceConfig {
  rejectUnknownKeys(block, path, ['kind', 'path', 'stepIntervalSeconds', 'warmupSteps']);
  return {
    kind: 'replay',
    path: resolve(baseDir, expectString(block['path'], `${path}.path`)),
    stepIntervalSeconds: stepIntervalSeconds(block, path),
    warmupSteps,
  };
}

/** Reads the recording now (a missing or broken dataset fails at start-up); each open starts its clock. */
export function planReplaySource(config: ReplaySourceConfig, { app, stepSeconds, topology }: SourceBuildContext): SourcePlan {
  let dataset = readDataset(config.path, { stepSeconds });
  // The seed's cpu is a fraction of limits; the planner needs cores, which the topology's limits give.
  if (!dataset.features.includes('cpu_cores')) {
    if (topology === null)
      throw new ConfigError(`application "${app}": replaying ${config.path} needs a topology (CPU limits turn the cpu fraction into cores)`);
    dataset = withCpuCores(dataset, cpuSettingsFromTopology(topology));
  }
  const recording = dataset;
  const intervalMs = config.stepIntervalSeconds * 1000;
  const warmupSteps = Math.min(config.warmupSteps, recording.length - 1);
  return {
    services: recording.services,
    open: async (now) => {
      // Anchored half a step back, so that steps on the loop's grid fall mid-step, never on a boundary.
      const anchorMs = now - intervalMs / 2;
      const source = new ReplaySource(recording, { speed: stepSeconds / config.stepIntervalSeconds, startStep: warmupSteps, anchorMs, name: config.path });
      return { source, pace: { kind: 'accelerated', anchorMs, intervalMs, warmupSteps } };
    },
  };
}

export interface ReplayOptions {
  /** Dataset steps served per step of wall-clock time. Default 1 (real time). */
  readonly speed?: number;
  /** Dataset step served at the anchor. Default 0. */
  readonly startStep?: number;
  /** Wall-clock epoch ms at which `startStep` is served. Default: when the source is created. */
  readonly anchorMs?: number;
  /** Past the last step: 'loop' starts again at step 0; 'end' throws ReplayEndedError. Default 'loop'. */
  readonly atEnd?: 'loop' | 'end';
  /** Names the replay in errors, e.g. the dataset's path. */
  readonly name?: string;
}

/** Thrown by a replay with `atEnd: 'end'` asked for a step outside the dataset: the run is over. */
export class ReplayEndedError extends Error {
  constructor(
    message: string,
    readonly step: number,
  ) {
    super(message);
    this.name = 'ReplayEndedError';
  }
}

export class ReplaySource implements MetricsSource {
  readonly services: readonly string[];
  readonly features: readonly Feature[];
  readonly stepSeconds: number;
  readonly speed: number;
  readonly anchorMs: number;
  private readonly startStep: number;
  private readonly atEnd: 'loop' | 'end';
  private readonly name: string;

  constructor(
    private readonly dataset: Dataset,
    options: ReplayOptions = {},
  ) {
    this.name = options.name ?? 'replay';
    if (dataset.length === 0) throw new Error(`${this.name}: the dataset has no steps to replay`);
    this.speed = options.speed ?? 1;
    if (!(this.speed > 0) || !Number.isFinite(this.speed)) throw new Error(`${this.name}: speed must be a positive number, got ${this.speed}`);
    this.startStep = options.startStep ?? 0;
    if (!Number.isInteger(this.startStep) || this.startStep < 0 || this.startStep >= dataset.length) {
      throw new Error(`${this.name}: startStep must be a whole number from 0 to ${dataset.length - 1}, got ${this.startStep}`);
    }
    this.anchorMs = options.anchorMs ?? Date.now();
    this.atEnd = options.atEnd ?? 'loop';
    this.services = dataset.services;
    this.features = dataset.features;
    this.stepSeconds = dataset.stepSeconds;
  }

  private get stepMs(): number {
    return this.stepSeconds * 1000;
  }

  /** Steps since the anchor at wall-clock time `t`, rounded down (negative before the anchor). */
  private stepsSinceAnchor(t: number): number {
    return Math.floor(((t - this.anchorMs) * this.speed) / this.stepMs);
  }

  /** The dataset step served at wall-clock time `t`. */
  datasetStep(t: number): number {
    return this.wrap(this.stepsSinceAnchor(t));
  }

  /** The dataset step `j` steps after the anchor's. */
  private wrap(j: number): number {
    const k = this.startStep + j;
    const length = this.dataset.length;
    if (this.atEnd === 'loop') return ((k % length) + length) % length;
    if (k < 0 || k >= length) {
      const when = new Date(this.anchorMs + j * this.stepMs).toISOString();
      throw new ReplayEndedError(`${this.name}: replay ended: replay time ${when} is step ${k}, outside the dataset's ${length} steps`, k);
    }
    return k;
  }

  /** Wall-clock epoch ms at which the step after the one served at `t` begins: when to ask again. */
  nextStepAt(t: number): number {
    return this.anchorMs + ((this.stepsSinceAnchor(t) + 1) * this.stepMs) / this.speed;
  }

  private frameAt(j: number): Frame {
    return datasetFrame(this.dataset, this.wrap(j), this.anchorMs + j * this.stepMs);
  }

  async frame(t: number): Promise<Frame> {
    return this.frameAt(this.stepsSinceAnchor(t));
  }

  /** The steps whose wall-clock start lies in [start, end]. */
  async range(start: number, end: number, onProgress?: ProgressCallback): Promise<Frame[]> {
    const first = Math.ceil(((start - this.anchorMs) * this.speed) / this.stepMs);
    const last = this.stepsSinceAnchor(end);
    const frames: Frame[] = [];
    for (let j = first; j <= last; j++) {
      frames.push(this.frameAt(j));
      onProgress?.(j - first + 1, last - first + 1);
    }
    return frames;
  }

  async close(): Promise<void> {}
}
