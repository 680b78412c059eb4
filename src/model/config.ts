/**
 * Model and training configuration: defaults, and parsing of the `--model-config` /
 * `--train-config` files (YAML or JSON) with errors that name the field.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEMAND_FEATURES } from '../forecast/index.js';
import {
  ALL_FEATURES,
  type Feature,
  ConfigError,
  expectArray,
  expectBoolean,
  expectNumber,
  expectObject,
  expectOneOf,
  rejectUnknownKeys,
} from '../core/index.js';

/**
 * Which graph the network passes messages on: learned from the call graph (DeepScaler), the call
 * graph itself (fixed), or the identity (no message passing between services).
 */
export const GRAPH_MODES = ['learned', 'call-graph', 'identity'] as const;
export type GraphMode = (typeof GRAPH_MODES)[number];

export interface ModelConfig {
  /** Input window T_in in steps. */
  readonly inputSteps: number;
  /** Forecast steps H. */
  readonly horizon: number;
  /** Features fed to the network; empty = every feature of the dataset. */
  readonly inputFeatures: readonly Feature[];
  /** Features predicted (and the loss is taken on). */
  readonly targets: readonly Feature[];
  readonly blocks: number;
  readonly chebChannels: number;
  readonly timeChannels: number;
  readonly timeKernel: number;
  readonly embeddingDim: number;
  /** ε = epsilonFactor / N when sparsifying graphs. */
  readonly epsilonFactor: number;
  readonly graphMode: GraphMode;
  /**
   * Adds a linear autoregressive highway per target (each horizon step a learned weighting of the
   * target's own T_in past values, started at persistence), as in LSTNet: the network then learns
   * corrections to the best linear forecast instead of the level itself.
   */
  readonly autoregressive: boolean;
  /**
   * Subtracts each series' mean over the input window before the network and adds it back to the
   * forecast (RevIN-style), so that a load level never seen in training does not push the network
   * outside the range it learned; the network then only models the shape of the recent past.
   */
  readonly centerWindow: boolean;
  /**
   * Adds a linear skip path from each service's own input window (every feature, every step) to
   * its forecast, started at zero and shared by services: the network keeps the best own-features
   * linear forecast (which beat it at h = 1) and learns what the graph and non-linearity add.
   */
  readonly linearSkip: boolean;
}

export interface TrainConfig {
  /** Predictor epochs per iteration (graph fixed). */
  readonly numEpoch: number;
  /** Alternating iterations (predictor, then graph learner). */
  readonly numIter: number;
  /** Graph-learner epochs per iteration (predictor fixed). */
  readonly graphEpochs: number;
  readonly maxGraphNum: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly weightDecay: number;
  /** Epochs without validation gain before a predictor stage stops early. */
  readonly patience: number;
  /** δ of the new-edge penalty ReLU(share − δ) / δ. */
  readonly newEdgeDelta: number;
  readonly seed: number;
  /** Chronological split: first trainFraction of steps train, next valFraction validate, rest test. */
  readonly trainFraction: number;
  readonly valFraction: number;
  /** Caps batches per epoch (sampled without replacement); 0 = all. */
  readonly maxBatchesPerEpoch: number;
  /**
   * Train for the decision: 0 = plain L1 per step; τ in (0, 1) adds the pinball loss at τ of the
   * forecast's maximum over the first `peakSteps` steps against the realized maximum (the planner
   * sizes for a high quantile of that peak).
   */
  readonly peakQuantile: number;
  /** Steps of the peak window for `peakQuantile` (the planner's look-ahead). */
  readonly peakSteps: number;
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  inputSteps: 12,
  horizon: 10,
  inputFeatures: [],
  targets: [...DEMAND_FEATURES],
  blocks: 2,
  chebChannels: 8,
  timeChannels: 16,
  timeKernel: 3,
  embeddingDim: 16,
  epsilonFactor: 0.5,
  graphMode: 'learned',
  autoregressive: true,
  centerWindow: false,
  linearSkip: false,
};

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  numEpoch: 6,
  numIter: 3,
  graphEpochs: 1,
  maxGraphNum: 3,
  batchSize: 32,
  learningRate: 1e-3,
  weightDecay: 1e-4,
  patience: 5,
  newEdgeDelta: 0.05,
  seed: 1,
  trainFraction: 0.7,
  valFraction: 0.1,
  maxBatchesPerEpoch: 0,
  peakQuantile: 0,
  peakSteps: 4,
};

const count = { integer: true, min: 1 };

function featureList(value: unknown, path: string): Feature[] {
  return expectArray(value, path).map((item, i) => expectOneOf(item, `${path}[${i}]`, ALL_FEATURES));
}

export function parseModelConfig(raw: unknown, origin: string, base: ModelConfig = DEFAULT_MODEL_CONFIG): ModelConfig {
  const obj = expectObject(raw ?? {}, origin);
  rejectUnknownKeys(obj, origin, Object.keys(DEFAULT_MODEL_CONFIG));
  const num = (key: keyof ModelConfig, rule: { integer?: boolean; min?: number; max?: number }): number =>
    obj[key] === undefined ? (base[key] as number) : expectNumber(obj[key], `${origin}.${key}`, rule);
  const config: ModelConfig = {
    inputSteps: num('inputSteps', { integer: true, min: 2 }),
    horizon: num('horizon', count),
    inputFeatures: obj['inputFeatures'] === undefined ? base.inputFeatures : featureList(obj['inputFeatures'], `${origin}.inputFeatures`),
    targets: obj['targets'] === undefined ? base.targets : featureList(obj['targets'], `${origin}.targets`),
    blocks: num('blocks', count),
    chebChannels: num('chebChannels', count),
    timeChannels: num('timeChannels', count),
    timeKernel: num('timeKernel', count),
    embeddingDim: num('embeddingDim', count),
    epsilonFactor: num('epsilonFactor', { min: 0, max: 1 }),
    graphMode: obj['graphMode'] === undefined ? base.graphMode : expectOneOf(obj['graphMode'], `${origin}.graphMode`, GRAPH_MODES),
    autoregressive: obj['autoregressive'] === undefined ? base.autoregressive : expectBoolean(obj['autoregressive'], `${origin}.autoregressive`),
    centerWindow: obj['centerWindow'] === undefined ? base.centerWindow : expectBoolean(obj['centerWindow'], `${origin}.centerWindow`),
    linearSkip: obj['linearSkip'] === undefined ? base.linearSkip : expectBoolean(obj['linearSkip'], `${origin}.linearSkip`),
  };
  if (config.targets.length === 0) throw new ConfigError(`${origin}.targets: needs at least one feature`);
  const missing = config.targets.filter((t) => config.inputFeatures.length > 0 && !config.inputFeatures.includes(t));
  if (missing.length > 0) throw new ConfigError(`${origin}.inputFeatures: must include the targets (missing: ${missing.join(', ')})`);
  return config;
}

export function parseTrainConfig(raw: unknown, origin: string, base: TrainConfig = DEFAULT_TRAIN_CONFIG): TrainConfig {
  const obj = expectObject(raw ?? {}, origin);
  rejectUnknownKeys(obj, origin, Object.keys(DEFAULT_TRAIN_CONFIG));
  const num = (key: keyof TrainConfig, rule: { integer?: boolean; min?: number; max?: number }): number =>
    obj[key] === undefined ? base[key] : expectNumber(obj[key], `${origin}.${key}`, rule);
  const config: TrainConfig = {
    numEpoch: num('numEpoch', count),
    numIter: num('numIter', count),
    graphEpochs: num('graphEpochs', { integer: true, min: 0 }),
    maxGraphNum: num('maxGraphNum', count),
    batchSize: num('batchSize', count),
    learningRate: num('learningRate', { min: 1e-9, max: 1 }),
    weightDecay: num('weightDecay', { min: 0, max: 1 }),
    patience: num('patience', count),
    newEdgeDelta: num('newEdgeDelta', { min: 1e-6, max: 1 }),
    seed: num('seed', { integer: true, min: 0 }),
    trainFraction: num('trainFraction', { min: 0.05, max: 0.95 }),
    valFraction: num('valFraction', { min: 0.01, max: 0.9 }),
    maxBatchesPerEpoch: num('maxBatchesPerEpoch', { integer: true, min: 0 }),
    peakQuantile: num('peakQuantile', { min: 0, max: 0.999 }),
    peakSteps: num('peakSteps', count),
  };
  if (config.trainFraction + config.valFraction >= 1) {
    throw new ConfigError(`${origin}.valFraction: trainFraction + valFraction must leave a test split (got ${config.trainFraction} + ${config.valFraction})`);
  }
  return config;
}

/** Reads a YAML or JSON config file (JSON is YAML); a missing path gives the defaults. */
export function readConfigFile(path: string | undefined): unknown {
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return parse(text) ?? {};
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML or JSON: ${(err as Error).message}`);
  }
}
