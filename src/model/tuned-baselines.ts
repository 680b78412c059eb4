/**
 * The baselines a reviewer would demand, each tuned on the validation split only: persistence,
 * moving average (span), recent max (span), Holt (α, β), seasonal naive (period, when the training
 * part holds at least two), ridge over a service's own lags and ridge over every service's lags
 * (lags, λ; fitted on the training part). For each family the candidate with the lowest validation
 * loss — the caller's, normally the decision loss — is kept.
 */
import type { Feature } from '../core/index.js';
import { holtLinear, movingAverage, persistence, recentMax, seasonalNaive, type SeriesPredictor, type SeriesArrays } from '../forecast/index.js';
import { RidgeForecaster } from './ridge.js';

/** Forecasts [B, H, N, K] (original units) for windows ending at `origins` of a [T, N, F] recording. */
export type WindowPredict = (values: Float32Array, origins: readonly number[]) => Float32Array;

export interface TunedBaseline {
  readonly name: string;
  /** The chosen parameters, e.g. "span 8". */
  readonly chosen: string;
  readonly validationLoss: number;
  readonly candidates: number;
  readonly predict: WindowPredict;
}

export interface TuningInput {
  readonly data: SeriesArrays;
  readonly targets: readonly Feature[];
  readonly horizon: number;
  /** Steps [0, trainEnd) fit the ridges and the seasonal periods; windows at `validationOrigins` choose. */
  readonly trainEnd: number;
  readonly trainOrigins: readonly number[];
  readonly validationOrigins: readonly number[];
  /** Lower is better. */
  readonly validationLoss: (predicted: Float32Array, origins: readonly number[]) => number;
}

interface Candidate {
  readonly label: string;
  readonly predict: WindowPredict;
}

/** Holt's state needs a long run-in when α is small; windows this long make it converge. */
const HOLT_HISTORY = 240;

/** Applies a one-series predictor to each service × target over the `history` steps up to each origin. */
export function seriesPredictions(
  data: SeriesArrays,
  targets: readonly Feature[],
  horizon: number,
  predictor: SeriesPredictor,
  history: number,
): WindowPredict {
  const n = data.services.length;
  const nf = data.features.length;
  const k = targets.length;
  const ti = targets.map((t) => data.features.indexOf(t));
  return (values, origins) => {
    const out = new Float32Array(origins.length * horizon * n * k);
    const series = new Float32Array(history);
    origins.forEach((origin, b) => {
      const start = Math.max(0, origin - history + 1);
      const used = series.subarray(0, origin - start + 1);
      for (let s = 0; s < n; s++) {
        for (let j = 0; j < k; j++) {
          for (let t = start; t <= origin; t++) used[t - start] = values[(t * n + s) * nf + ti[j]!]!;
          const predicted = predictor(used, horizon);
          for (let h = 0; h < horizon; h++) out[((b * horizon + h) * n + s) * k + j] = predicted[h]!;
        }
      }
    });
    return out;
  };
}

/**
 * Seasonal periods worth trying: the three strongest local maxima of the mean autocorrelation of
 * the target series over the training steps, among lags longer than the horizon that fit twice.
 */
export function candidatePeriods(data: SeriesArrays, targets: readonly Feature[], trainEnd: number, horizon: number): number[] {
  const n = data.services.length;
  const nf = data.features.length;
  const maxLag = Math.floor(trainEnd / 2);
  if (maxLag <= horizon) return [];
  const acf = new Float64Array(maxLag + 1);
  let series = 0;
  for (let s = 0; s < n; s++) {
    for (const target of targets) {
      const f = data.features.indexOf(target);
      const x = Array.from({ length: trainEnd }, (_, t) => data.values[(t * n + s) * nf + f]!);
      const known = x.filter((v) => !Number.isNaN(v));
      const mean = known.reduce((a, b) => a + b, 0) / (known.length || 1);
      const centered = x.map((v) => (Number.isNaN(v) ? 0 : v - mean));
      const variance = centered.reduce((a, v) => a + v * v, 0);
      if (!(variance > 0)) continue;
      series++;
      for (let lag = horizon + 1; lag <= maxLag; lag++) {
        let sum = 0;
        for (let t = lag; t < trainEnd; t++) sum += centered[t]! * centered[t - lag]!;
        acf[lag] += sum / variance;
      }
    }
  }
  if (series === 0) return [];
  const peaks: { lag: number; value: number }[] = [];
  for (let lag = horizon + 2; lag < maxLag; lag++) {
    if (acf[lag]! > acf[lag - 1]! && acf[lag]! >= acf[lag + 1]! && acf[lag]! / series > 0.1) peaks.push({ lag, value: acf[lag]! });
  }
  return peaks
    .sort((a, b) => b.value - a.value)
    .slice(0, 3)
    .map((p) => p.lag);
}

function families(input: TuningInput): { name: string; candidates: () => Candidate[] }[] {
  const { data, targets, horizon, trainEnd, trainOrigins } = input;
  const series = (label: string, predictor: SeriesPredictor, history: number): Candidate => ({
    label,
    predict: seriesPredictions(data, targets, horizon, predictor, history),
  });
  const spans = [2, 4, 8, 16, 32, 64];
  const ridge =
    (scope: 'own' | 'all', lagsList: number[], lambdas: number[]): (() => Candidate[]) =>
    () =>
      lagsList.flatMap((lags) =>
        RidgeForecaster.fit(data, targets, horizon, trainEnd, trainOrigins, scope, lags, lambdas).map((model, i) => ({
          label: `lags ${lags}, λ ${lambdas[i]}`,
          predict: (values: Float32Array, origins: readonly number[]) => model.predict(values, origins),
        })),
      );
  return [
    { name: 'persistence', candidates: () => [series('last value', persistence, 1)] },
    { name: 'moving-average', candidates: () => spans.map((span) => series(`span ${span}`, movingAverage(span), span)) },
    { name: 'recent-max', candidates: () => spans.map((span) => series(`span ${span}`, recentMax(span), span)) },
    {
      name: 'holt',
      candidates: () =>
        [0.05, 0.1, 0.2, 0.3, 0.5, 0.8].flatMap((alpha) =>
          [0, 0.02, 0.1, 0.3].map((beta) => series(`α ${alpha}, β ${beta}`, holtLinear(alpha, beta), HOLT_HISTORY)),
        ),
    },
    {
      name: 'seasonal-naive',
      candidates: () =>
        candidatePeriods(data, targets, trainEnd, horizon).map((period) => series(`period ${period} steps`, seasonalNaive(period), period + horizon)),
    },
    { name: 'ridge-own', candidates: ridge('own', [1, 3, 6, 12], [1, 10, 100, 1000]) },
    { name: 'ridge-all', candidates: ridge('all', [1, 3, 6], [10, 100, 1000, 10000]) },
  ];
}

/** Every family's best candidate by validation loss; a family with no candidate (seasonal naive on short data) is left out. */
export function tuneBaselines(input: TuningInput): TunedBaseline[] {
  const out: TunedBaseline[] = [];
  for (const family of families(input)) {
    const candidates = family.candidates();
    let best: { candidate: Candidate; loss: number } | null = null;
    for (const candidate of candidates) {
      const loss = input.validationLoss(candidate.predict(input.data.values, input.validationOrigins), input.validationOrigins);
      if (best === null || loss < best.loss) best = { candidate, loss };
    }
    if (best !== null)
      out.push({ name: family.name, chosen: best.candidate.label, validationLoss: best.loss, candidates: candidates.length, predict: best.candidate.predict });
  }
  return out;
}
