/**
 * Scoring forecasts on a held-out split, in original units: MAE, RMSE and MAPE per horizon step and
 * per service, for the GNN and the baselines on exactly the same windows; and the weighted Jaccard
 * similarity between the learned graph and the graph training started from.
 */
import type { Dataset } from '../dataset/index.js';
import { datasetIndex } from '../dataset/index.js';
import { BASELINE_NAMES, baselineForecaster } from '../forecast/baselines.js';
import type { HistoryWindow } from '../history/index.js';
import type { Feature } from '../sources/index.js';
import { ConfigError } from '../config/validate.js';

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
export interface AlignedData {
  readonly services: readonly string[];
  readonly features: readonly Feature[];
  readonly stepSeconds: number;
  readonly length: number;
  readonly values: Float32Array;
}

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
export function scoreForecasts(name: string, data: AlignedData, targets: readonly Feature[], origins: readonly number[], predicted: Float32Array, horizon: number): ForecasterScore {
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
 * Baseline predictions [B, H, N, K] for the same windows: persistence, moving average, Holt —
 * each reading the `historySteps` steps up to each origin.
 */
export function baselinePredictions(data: AlignedData, targets: readonly Feature[], origins: readonly number[], horizon: number, historySteps = 20): Map<string, Float32Array> {
  const n = data.services.length;
  const nf = data.features.length;
  const k = targets.length;
  const out = new Map<string, Float32Array>();
  for (const name of BASELINE_NAMES) {
    const forecaster = baselineForecaster(name, horizon, targets, historySteps);
    const values = new Float32Array(origins.length * horizon * n * k);
    origins.forEach((origin, b) => {
      const start = Math.max(0, origin - historySteps + 1);
      const steps = origin - start + 1;
      const window: HistoryWindow = {
        services: data.services,
        features: data.features,
        stepSeconds: data.stepSeconds,
        timestamps: Float64Array.from({ length: steps }, (_, i) => (start + i) * data.stepSeconds * 1000),
        values: data.values.subarray(start * n * nf, (origin + 1) * n * nf),
      };
      values.set(forecaster.forecastSync(window).values, b * horizon * n * k);
    });
    out.set(name, values);
  }
  return out;
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

export interface EvaluationResult {
  readonly services: readonly string[];
  readonly targets: readonly Feature[];
  readonly horizon: number;
  readonly stepSeconds: number;
  /** Scored steps [start, end) of the recording and the window origins used. */
  readonly split: { readonly start: number; readonly end: number };
  readonly origins: readonly number[];
  readonly data: AlignedData;
  /** GNN first, then the baselines. */
  readonly scores: readonly ForecasterScore[];
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
  readonly info: { readonly services: readonly string[]; readonly features: readonly Feature[]; readonly targets: readonly Feature[]; readonly inputSteps: number; readonly horizon: number };
  readonly graph: { readonly adjacency: Float32Array; readonly start: Float32Array };
  predictWindows(values: Float32Array, origins: readonly number[]): Float32Array;
}

/**
 * Scores a model and the baselines on steps [start, length) of a dataset: every window whose H
 * targets fall in that range (inputs may reach back before it, as in production).
 */
export function evaluateModel(model: EvaluableModel, dataset: Dataset, testStart: number): EvaluationResult {
  const { services, features, targets, inputSteps, horizon } = model.info;
  const data = alignDataset(dataset, services, features);
  const origins: number[] = [];
  for (let t = Math.max(testStart - 1, inputSteps - 1); t + horizon < data.length; t++) origins.push(t);
  if (origins.length === 0) throw new ConfigError(`no complete test window in steps ${testStart}..${data.length} (window ${inputSteps} in + ${horizon} out)`);
  const predictions = new Map<string, Float32Array>([[model.name, model.predictWindows(data.values, origins)]]);
  for (const [name, values] of baselinePredictions(data, targets, origins, horizon)) predictions.set(name, values);
  const scores = [...predictions].map(([name, values]) => scoreForecasts(name, data, targets, origins, values, horizon));
  return {
    services,
    targets,
    horizon,
    stepSeconds: data.stepSeconds,
    split: { start: testStart, end: data.length },
    origins,
    data,
    scores,
    predictions,
    graph: { learned: model.graph.adjacency, start: model.graph.start, jaccard: weightedJaccard(model.graph.adjacency, model.graph.start, services.length) },
  };
}
