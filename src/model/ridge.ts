/**
 * Linear baselines: ridge regression over lagged values, forecasting each horizon step's change
 * from the last value (so a large λ shrinks it to persistence). Two scopes:
 *   - `own`: one ridge per service over the lags of all of that service's own features,
 *   - `all`: one ridge over the lags of every service's target features (a linear "graph" model).
 * Values are standardized per series as the GNN's are (normalization.ts, training steps only); gaps
 * read as the mean.
 */
import type { Feature } from '../core/index.js';
import type { SeriesArrays } from '../forecast/index.js';
import { fitNormalization, type Normalization } from './normalization.js';

export type RidgeScope = 'own' | 'all';

/**
 * Solves (G + λI) W = R for W by Cholesky, G symmetric positive semi-definite [d × d], R [d × m];
 * returns W [d × m]. λ > 0 makes the system positive definite.
 */
export function ridgeSolve(gram: Float64Array, rhs: Float64Array, d: number, m: number, lambda: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = gram[i * d + j]! + (i === j ? lambda : 0);
      for (let p = 0; p < j; p++) sum -= l[i * d + p]! * l[j * d + p]!;
      if (i === j) {
        if (!(sum > 0)) throw new Error(`ridge system is not positive definite at row ${i} (λ = ${lambda})`);
        l[i * d + i] = Math.sqrt(sum);
      } else l[i * d + j] = sum / l[j * d + j]!;
    }
  }
  const w = new Float64Array(d * m);
  const y = new Float64Array(d);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < d; i++) {
      let sum = rhs[i * m + c]!;
      for (let p = 0; p < i; p++) sum -= l[i * d + p]! * y[p]!;
      y[i] = sum / l[i * d + i]!;
    }
    for (let i = d - 1; i >= 0; i--) {
      let sum = y[i]!;
      for (let p = i + 1; p < d; p++) sum -= l[p * d + i]! * w[p * m + c]!;
      w[i * m + c] = sum / l[i * d + i]!;
    }
  }
  return w;
}

/** One regression problem (a service, or the whole app): the lagged cells it reads and the columns it predicts. */
interface Problem {
  /** Data cells (s × F + f) read at each lag, newest lag first. */
  readonly cells: readonly number[];
  readonly lags: number;
  /** Inputs: cells × lags + the constant 1. */
  readonly d: number;
  /** (data cell, horizon step) of each output column. */
  readonly outputs: readonly { readonly cell: number; readonly step: number }[];
}

/** A fitted ridge model: predicts [B, H, N, K] in original units, clamped at 0. */
export class RidgeForecaster {
  private constructor(
    private readonly data: SeriesArrays,
    private readonly targets: readonly Feature[],
    private readonly horizon: number,
    private readonly stats: Normalization,
    private readonly problems: readonly Problem[],
    private readonly weights: readonly Float64Array[],
  ) {}

  /**
   * Fits on the windows at `trainOrigins` (whose targets lie in the first `trainEnd` steps), one
   * ridge per λ in `lambdas` sharing the Gram matrices; returns one forecaster per λ.
   */
  static fit(
    data: SeriesArrays,
    targets: readonly Feature[],
    horizon: number,
    trainEnd: number,
    trainOrigins: readonly number[],
    scope: RidgeScope,
    lags: number,
    lambdas: readonly number[],
  ): RidgeForecaster[] {
    const stats = fitNormalization(data, trainEnd);
    const problems = buildProblems(data, targets, horizon, scope, lags);
    const z = (cell: number, t: number): number => {
      const v = t >= 0 && t < data.length ? data.values[t * data.services.length * data.features.length + cell]! : Number.NaN;
      return Number.isNaN(v) ? Number.NaN : (v - stats.mean[cell]!) / stats.std[cell]!;
    };
    const perProblem = problems.map((problem) => {
      const { d } = problem;
      const m = problem.outputs.length;
      const gram = new Float64Array(d * d);
      const rhs = new Float64Array(d * m);
      const x = new Float64Array(d);
      const y = new Float64Array(m);
      for (const origin of trainOrigins) {
        let complete = true;
        problem.outputs.forEach(({ cell, step }, c) => {
          const target = z(cell, origin + 1 + step);
          const last = z(cell, origin);
          y[c] = target - (Number.isNaN(last) ? 0 : last);
          if (Number.isNaN(target)) complete = false;
        });
        if (!complete) continue;
        readInputs(problem, data, stats, origin, x);
        for (let i = 0; i < d; i++) {
          const xi = x[i]!;
          if (xi === 0) continue;
          for (let j = 0; j < d; j++) gram[i * d + j] += xi * x[j]!;
          for (let c = 0; c < m; c++) rhs[i * m + c] += xi * y[c]!;
        }
      }
      return { gram, rhs, d, m };
    });
    return lambdas.map(
      (lambda) =>
        new RidgeForecaster(
          data,
          targets,
          horizon,
          stats,
          problems,
          perProblem.map(({ gram, rhs, d, m }) => ridgeSolve(gram, rhs, d, m, lambda)),
        ),
    );
  }

  predict(values: Float32Array, origins: readonly number[]): Float32Array {
    const n = this.data.services.length;
    const nf = this.data.features.length;
    const k = this.targets.length;
    const h = this.horizon;
    const targetIndex = this.targets.map((t) => this.data.features.indexOf(t));
    const out = new Float32Array(origins.length * h * n * k);
    const view: SeriesArrays = { ...this.data, values, length: values.length / (n * nf) };
    origins.forEach((origin, b) => {
      this.problems.forEach((problem, p) => {
        const w = this.weights[p]!;
        const x = new Float64Array(problem.d);
        readInputs(problem, view, this.stats, origin, x);
        problem.outputs.forEach(({ cell, step }, c) => {
          let delta = 0;
          for (let i = 0; i < problem.d; i++) delta += x[i]! * w[i * problem.outputs.length + c]!;
          const lastRaw = values[origin * n * nf + cell]!;
          const last = Number.isNaN(lastRaw) ? 0 : (lastRaw - this.stats.mean[cell]!) / this.stats.std[cell]!;
          const s = Math.floor(cell / nf);
          const j = targetIndex.indexOf(cell % nf);
          out[((b * h + step) * n + s) * k + j] = Math.max(0, (last + delta) * this.stats.std[cell]! + this.stats.mean[cell]!);
        });
      });
    });
    return out;
  }
}

/** A problem's standardized inputs at an origin (gaps and steps before 0 read as the mean), 1 last. */
function readInputs(problem: Problem, data: SeriesArrays, stats: Normalization, origin: number, out: Float64Array): void {
  const { cells, lags } = problem;
  const width = data.services.length * data.features.length;
  let i = 0;
  for (let lag = 0; lag < lags; lag++) {
    const t = origin - lag;
    for (const cell of cells) {
      const v = t >= 0 ? data.values[t * width + cell]! : Number.NaN;
      out[i++] = Number.isNaN(v) ? 0 : (v - stats.mean[cell]!) / stats.std[cell]!;
    }
  }
  out[i] = 1;
}

function buildProblems(data: SeriesArrays, targets: readonly Feature[], horizon: number, scope: RidgeScope, lags: number): Problem[] {
  const nf = data.features.length;
  const targetIndex = targets.map((t) => {
    const f = data.features.indexOf(t);
    if (f < 0) throw new Error(`ridge: the data has no feature "${t}"`);
    return f;
  });
  const outputsFor = (services: readonly number[]): { cell: number; step: number }[] =>
    services.flatMap((s) => targetIndex.flatMap((f) => Array.from({ length: horizon }, (_, step) => ({ cell: s * nf + f, step }))));
  const make = (cells: number[], services: number[]): Problem => ({ cells, lags, d: cells.length * lags + 1, outputs: outputsFor(services) });
  const all = data.services.map((_, s) => s);
  if (scope === 'all')
    return [
      make(
        all.flatMap((s) => targetIndex.map((f) => s * nf + f)),
        all,
      ),
    ];
  return all.map((s) =>
    make(
      Array.from({ length: nf }, (_, f) => s * nf + f),
      [s],
    ),
  );
}
