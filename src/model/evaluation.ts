/**
 * Scoring forecasts on a held-out split, in original units, for the GNN, its graph-mode variants and
 * the tuned baselines on exactly the same windows: the decision quantity (pinball loss of the
 * calibrated look-ahead peak, under-provision, excess capacity; forecast/peak-score.ts) and MAE,
 * RMSE and MAPE per horizon step and per service; and the weighted Jaccard similarity between the
 * learned graph and the graph training started from.
 */
import { type Dataset, datasetIndex } from '../dataset/index.js';
import { scorePeaks, type PeakScore, type PeakScoreOptions, type SeriesArrays } from '../forecast/index.js';
import { tuneBaselines, type TunedBaseline } from './tuned-baselines.js';
import { type Feature, ConfigError } from '../core/index.js';
import { originsBetween } from './windows.js';

export interface ErrorStats {
  readonly mae: number;
  readonly rmse: number;
  /** Mean absolute percentage error, over actual values ≥ MAPE_FLOOR × the series' mean. */
  readonly mape: number;
  readonly count: number;
}

export interface ForecasterScore {
  readonly name: string;
  /** [h][k]: over all services. */
  readonly perHorizon: ErrorStats[][];
  /** [s][k]: over all horizon steps. */
  readonly perService: ErrorStats[][];
  /** [k]: over everything. */
  readonly overall: ErrorStats[];
}

/** Actual values below this share of their series' mean are left out of MAPE (it explodes near 0). */
export const MAPE_FLOOR = 0.05;

/** Windows of a recording in a model's layout: `values` [T, N, F] in model service/feature order. */
export type AlignedData = SeriesArrays;

/** Re-orders a dataset to the given services and features, naming any the dataset lacks. */
export function alignDataset(ds: Dataset, services: readonly string[], features: readonly Feature[]): AlignedData {
  const missingServices = services.filter((s) => !ds.services.includes(s));
  const missingFeatures = features.filter((f) => !ds.features.includes(f));
  if (missingServices.length > 0 || missingFeatures.length > 0) {
    throw new ConfigError(
      `the dataset lacks what the model was trained on` +
        (missingServices.length > 0 ? `; services: ${missingServices.join(', ')}` : '') +
        (missingFeatures.length > 0 ? `; features: ${missingFeatures.join(', ')}` : ''),
    );
  }
  const si = services.map((s) => ds.services.indexOf(s));
  const fi = features.map((f) => ds.features.indexOf(f));
  const n = services.length;
  const nf = features.length;
  const values = new Float32Array(ds.length * n * nf);
  for (let t = 0; t < ds.length; t++) {
    for (let s = 0; s < n; s++) for (let f = 0; f < nf; f++) values[(t * n + s) * nf + f] = ds.values[datasetIndex(ds, t, si[s]!, fi[f]!)]!;
  }
  return { services, features, stepSeconds: ds.stepSeconds, length: ds.length, values };
}

class Accumulator {
  private abs = 0;
  private sq = 0;
  private pct = 0;
  private n = 0;
  private nPct = 0;

  add(error: number, actual: number, floor: number): void {
    this.abs += Math.abs(error);
    this.sq += error * error;
    this.n++;
    if (Math.abs(actual) >= floor && actual !== 0) {
      this.pct += Math.abs(error / actual);
      this.nPct++;
    }
  }

  merge(other: Accumulator): void {
    this.abs += other.abs;
    this.sq += other.sq;
    this.pct += other.pct;
    this.n += other.n;
    this.nPct += other.nPct;
  }

  stats(): ErrorStats {
    const n = this.n || Number.NaN;
    return { mae: this.abs / n, rmse: Math.sqrt(this.sq / n), mape: (100 * this.pct) / (this.nPct || Number.NaN), count: this.n };
  }
}

/**
 * Scores predictions [B, H, N, K] (original units) made at `origins` against the recording.
 * Pairs whose actual or prediction is a gap are skipped.
 */
export function scoreForecasts(
  name: string,
  data: AlignedData,
  targets: readonly Feature[],
  origins: readonly number[],
  predicted: Float32Array,
  horizon: number,
): ForecasterScore {
  const n = data.services.length;
  const nf = data.features.length;
  const k = targets.length;
  const ti = targets.map((t) => data.features.indexOf(t));
  // Series means over the scored steps set the MAPE floor.
  const floors = new Float64Array(n * k);
  const counts = new Float64Array(n * k);
  for (const origin of origins) {
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < k; j++) {
        const v = data.values[((origin + 1) * n + s) * nf + ti[j]!]!;
        if (!Number.isNaN(v)) {
          floors[s * k + j] += Math.abs(v);
          counts[s * k + j]++;
        }
      }
    }
  }
  for (let i = 0; i < floors.length; i++) floors[i] = counts[i]! > 0 ? (MAPE_FLOOR * floors[i]!) / counts[i]! : 0;
  const cells = Array.from({ length: horizon * n * k }, () => new Accumulator());
  origins.forEach((origin, b) => {
    for (let h = 0; h < horizon; h++) {
      for (let s = 0; s < n; s++) {
        for (let j = 0; j < k; j++) {
          const actual = data.values[((origin + 1 + h) * n + s) * nf + ti[j]!]!;
          const guess = predicted[((b * horizon + h) * n + s) * k + j]!;
          if (Number.isNaN(actual) || Number.isNaN(guess)) continue;
          cells[(h * n + s) * k + j]!.add(guess - actual, actual, floors[s * k + j]!);
        }
      }
    }
  });
  const total = (pick: (h: number, s: number) => boolean, j: number): ErrorStats => {
    const acc = new Accumulator();
    for (let h = 0; h < horizon; h++) for (let s = 0; s < n; s++) if (pick(h, s)) acc.merge(cells[(h * n + s) * k + j]!);
    return acc.stats();
  };
  return {
    name,
    perHorizon: Array.from({ length: horizon }, (_, h) => targets.map((_, j) => total((hh) => hh === h, j))),
    perService: Array.from({ length: n }, (_, s) => targets.map((_, j) => total((_h, ss) => ss === s, j))),
    overall: targets.map((_, j) => total(() => true, j)),
  };
}

/**
 * Weighted Jaccard similarity of two graphs per node — Σ_j min(a_ij, b_ij) / Σ_j max(a_ij, b_ij)
 * over each node's outgoing edges, rows scaled to sum 1 and self-loops left out — averaged over
 * nodes that have an edge in either graph. 1 = the same neighbours in the same proportions.
 */
export function weightedJaccard(a: Float32Array, b: Float32Array, n: number): { mean: number; perNode: number[] } {
  const perNode: number[] = [];
  const row = (m: Float32Array, i: number): number[] => {
    const r = Array.from({ length: n }, (_, j) => (i === j ? 0 : Math.max(0, m[i * n + j]!)));
    const sum = r.reduce((x, y) => x + y, 0);
    return sum > 0 ? r.map((v) => v / sum) : r;
  };
  for (let i = 0; i < n; i++) {
    const ra = row(a, i);
    const rb = row(b, i);
    let min = 0;
    let max = 0;
    for (let j = 0; j < n; j++) {
      min += Math.min(ra[j]!, rb[j]!);
      max += Math.max(ra[j]!, rb[j]!);
    }
    perNode.push(max > 0 ? min / max : Number.NaN);
  }
  const scored = perNode.filter((v) => !Number.isNaN(v));
  return { mean: scored.length > 0 ? scored.reduce((x, y) => x + y, 0) / scored.length : Number.NaN, perNode };
}

/** The decision settings: the planner's look-ahead in steps and its accepted risk. */
export interface DecisionSettings {
  readonly lookAheadSteps: number;
  readonly risk: number;
}

/** Where baselines are fitted and tuned: a recording in the model's layout and its split. */
export interface TuningData {
  readonly data: AlignedData;
  /** Steps [0, trainEnd) fit; windows with targets in [trainEnd, valEnd) choose. */
  readonly trainEnd: number;
  readonly valEnd: number;
}

/** How a trained model did on validation: its own training loss, and the decision loss baselines are tuned by. */
export interface ModelValidation {
  readonly graphMode: string;
  /** Best validation loss of training (standardized; comparable only between models of one objective). */
  readonly validationLoss: number;
  /** Scale-free pinball of the calibrated look-ahead peak on the validation windows; NaN when tuned on other data. */
  readonly validationDecisionLoss: number;
}

/** A trained model scored beside the main one: another graph mode of the same config. */
export interface VariantResult extends ModelValidation {
  readonly name: string;
  readonly score: ForecasterScore;
  readonly peak: PeakScore;
}

export interface EvaluationResult {
  readonly services: readonly string[];
  readonly targets: readonly Feature[];
  readonly horizon: number;
  readonly stepSeconds: number;
  /** Scored steps [start, end) of the recording and the window origins used. */
  readonly split: { readonly start: number; readonly end: number };
  readonly origins: readonly number[];
  readonly data: AlignedData;
  readonly decision: DecisionSettings & {
    /** Windows before the scored ones that only warmed the calibration. */
    readonly warmupWindows: number;
  };
  /** GNN first, then the baselines. */
  readonly scores: readonly ForecasterScore[];
  /** Same order as `scores`. */
  readonly peaks: readonly PeakScore[];
  /** The baselines' chosen parameters and validation losses, in `scores` order after the GNN. */
  readonly baselines: readonly Omit<TunedBaseline, 'predict'>[];
  /** The main model's graph mode and validation loss, and every variant scored beside it. */
  readonly graphModes: { readonly main: ModelValidation; readonly variants: readonly VariantResult[] };
  /** Predictions [B, H, N, K] per forecaster name, for plots. */
  readonly predictions: ReadonlyMap<string, Float32Array>;
  readonly graph: {
    readonly learned: Float32Array;
    readonly start: Float32Array;
    readonly jaccard: { readonly mean: number; readonly perNode: number[] };
  };
}

/** What `evaluateModel` needs of a trained model (GnnForecaster provides it). */
export interface EvaluableModel {
  readonly name: string;
  readonly info: {
    readonly services: readonly string[];
    readonly features: readonly Feature[];
    readonly targets: readonly Feature[];
    readonly inputSteps: number;
    readonly horizon: number;
    readonly graphMode: string;
    readonly validationLoss: number;
  };
  readonly graph: { readonly adjacency: Float32Array; readonly start: Float32Array };
  predictWindows(values: Float32Array, origins: readonly number[]): Float32Array;
}

/** Calibration run-in before the validation windows when baselines are tuned. */
const TUNING_WARMUP_WINDOWS = 240;

/**
 * Pinball loss summed over targets, each divided by its mean realized peak so that cores and
 * requests/s weigh alike: what baselines are tuned on.
 */
export function scaleFreePinball(peak: PeakScore, data: AlignedData, targets: readonly Feature[], origins: readonly number[]): number {
  const n = data.services.length;
  const nf = data.features.length;
  let total = 0;
  targets.forEach((target, k) => {
    const f = data.features.indexOf(target);
    let sum = 0;
    let count = 0;
    for (const o of origins) {
      for (let s = 0; s < n; s++) {
        const v = data.values[((o + 1) * n + s) * nf + f]!;
        if (!Number.isNaN(v)) [sum, count] = [sum + v, count + 1];
      }
    }
    const scale = count > 0 && sum > 0 ? sum / count : 1;
    total += peak.overall[k]!.pinball / scale;
  });
  return total;
}

/**
 * Scores a model, its variants and the baselines on steps [testStart, length) of a dataset: every
 * window whose H targets fall in that range (inputs may reach back before it, as in production).
 * The baselines are fitted and tuned on `tuning` (by default the steps before the test split of
 * the same recording); windows between the tuning validation start and the test start, when the
 * tuning data is this recording, warm the peak calibration without being scored.
 */
export function evaluateModel(
  model: EvaluableModel,
  dataset: Dataset,
  testStart: number,
  decision: DecisionSettings,
  options: { readonly tuning?: TuningData; readonly variants?: readonly EvaluableModel[] } = {},
): EvaluationResult {
  const { services, features, targets, inputSteps, horizon } = model.info;
  const data = alignDataset(dataset, services, features);
  const origins = originsBetween(testStart, data.length, inputSteps, horizon);
  if (origins.length === 0) throw new ConfigError(`no complete test window in steps ${testStart}..${data.length} (window ${inputSteps} in + ${horizon} out)`);
  const tuning = options.tuning ?? { data, trainEnd: Math.floor((testStart * 7) / 8), valEnd: testStart };
  const trainOrigins = originsBetween(0, tuning.trainEnd, inputSteps, horizon);
  const validationOrigins = originsBetween(tuning.trainEnd, tuning.valEnd, inputSteps, horizon);
  if (validationOrigins.length === 0 || trainOrigins.length === 0) {
    throw new ConfigError(
      `the baselines need training and validation windows before the test split (steps 0..${tuning.valEnd} of the tuning data give ${trainOrigins.length} and ${validationOrigins.length}): ` +
        'use a later --test-start or pass --tune-data',
    );
  }
  const peakOptions = (scoredFrom: number): PeakScoreOptions => ({ lookAheadSteps: decision.lookAheadSteps, risk: decision.risk, scoredFrom });
  // Tuning: a calibration run-in from the end of the training windows, then the validation windows.
  const tuningOrigins = [...trainOrigins.slice(-TUNING_WARMUP_WINDOWS), ...validationOrigins];
  const tuningWarmup = tuningOrigins.length - validationOrigins.length;
  const validationLoss = (predicted: Float32Array, at: readonly number[]): number =>
    scaleFreePinball(scorePeaks('', tuning.data, targets, at, predicted, horizon, peakOptions(tuningWarmup)), tuning.data, targets, at.slice(tuningWarmup));
  const baselines = tuneBaselines({
    data: tuning.data,
    targets,
    horizon,
    trainEnd: tuning.trainEnd,
    trainOrigins,
    validationOrigins: tuningOrigins,
    validationLoss,
  });
  // The same validation loss for the models, so that configs and graph modes trained on different objectives compare.
  const validation = (m: EvaluableModel): ModelValidation => ({
    graphMode: m.info.graphMode,
    validationLoss: m.info.validationLoss,
    validationDecisionLoss: tuning.data === data ? validationLoss(m.predictWindows(data.values, tuningOrigins), tuningOrigins) : Number.NaN,
  });
  // Scoring: on the same recording, every window from the validation start on warms the calibration.
  const warmup: number[] = [];
  if (tuning.data === data) for (let o = Math.max(tuning.trainEnd - 1, inputSteps - 1); o < origins[0]!; o++) warmup.push(o);
  const all = [...warmup, ...origins];
  const score = (name: string, predictedAll: Float32Array): { mae: ForecasterScore; peak: PeakScore; test: Float32Array } => {
    const test = predictedAll.subarray(warmup.length * horizon * services.length * targets.length);
    return {
      mae: scoreForecasts(name, data, targets, origins, test, horizon),
      peak: scorePeaks(name, data, targets, all, predictedAll, horizon, peakOptions(warmup.length)),
      test,
    };
  };
  const forecasters = [
    { name: model.name, predicted: model.predictWindows(data.values, all) },
    ...baselines.map((b) => ({ name: b.name, predicted: b.predict(data.values, all) })),
  ];
  const scored = forecasters.map((f) => score(f.name, f.predicted));
  const variants = (options.variants ?? []).map((v): VariantResult => {
    const name = `${v.name} (${v.info.graphMode} graph)`;
    const r = score(name, v.predictWindows(alignDataset(dataset, v.info.services, v.info.features).values, all));
    return { name, ...validation(v), score: r.mae, peak: r.peak };
  });
  return {
    services,
    targets,
    horizon,
    stepSeconds: data.stepSeconds,
    split: { start: testStart, end: data.length },
    origins,
    data,
    decision: { ...decision, warmupWindows: warmup.length },
    scores: scored.map((r) => r.mae),
    peaks: scored.map((r) => r.peak),
    baselines: baselines.map(({ predict: _predict, ...rest }) => rest),
    graphModes: { main: validation(model), variants },
    predictions: new Map(forecasters.map((f, i) => [f.name, scored[i]!.test])),
    graph: { learned: model.graph.adjacency, start: model.graph.start, jaccard: weightedJaccard(model.graph.adjacency, model.graph.start, services.length) },
  };
}
