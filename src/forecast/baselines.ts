/**
 * Non-graph forecasters, each looking at one series at a time: persistence (last value), a moving
 * average, the recent maximum, seasonal naive and Holt's linear trend (double exponential
 * smoothing) — what non-graph predictive autoscalers use. Gaps (NaN) are skipped; a series with no
 * value at all forecasts NaN.
 */
import type { Feature } from '../core/index.js';
import type { HistoryWindow } from '../history/index.js';
import type { Forecast, Forecaster } from './index.js';

/** Predicts H values of one series from its history (oldest first, NaN = gap). */
export type SeriesPredictor = (series: Float32Array, horizon: number) => Float32Array;

export const persistence: SeriesPredictor = (series, horizon) => {
  let last = Number.NaN;
  for (let t = series.length - 1; t >= 0; t--) {
    if (!Number.isNaN(series[t]!)) {
      last = series[t]!;
      break;
    }
  }
  return new Float32Array(horizon).fill(last);
};

export function movingAverage(span: number): SeriesPredictor {
  return (series, horizon) => {
    let sum = 0;
    let n = 0;
    for (let t = series.length - 1; t >= 0 && t >= series.length - span; t--) {
      if (!Number.isNaN(series[t]!)) {
        sum += series[t]!;
        n++;
      }
    }
    return new Float32Array(horizon).fill(n === 0 ? Number.NaN : sum / n);
  };
}

/** The largest of the last `span` values, held flat: the "recent max" rule of reactive autoscalers. */
export function recentMax(span: number): SeriesPredictor {
  return (series, horizon) => {
    let peak = Number.NaN;
    for (let t = series.length - 1; t >= 0 && t >= series.length - span; t--) {
      if (!Number.isNaN(series[t]!) && !(series[t]! <= peak)) peak = series[t]!;
    }
    return new Float32Array(horizon).fill(peak);
  };
}

/**
 * Seasonal naive: step h repeats the value one `period` earlier (the same time of the last cycle);
 * a gap there, or a history shorter than the period, falls back to the last value.
 */
export function seasonalNaive(period: number): SeriesPredictor {
  return (series, horizon) => {
    const last = persistence(series, 1)[0]!;
    const out = new Float32Array(horizon);
    for (let h = 0; h < horizon; h++) {
      const t = series.length + h - period;
      const v = t >= 0 && t < series.length ? series[t]! : Number.NaN;
      out[h] = Number.isNaN(v) ? last : v;
    }
    return out;
  };
}

/** Holt's linear trend; alpha smooths the level, beta the trend. Negative forecasts clamp to 0 (demand). */
export function holtLinear(alpha = 0.5, beta = 0.1): SeriesPredictor {
  return (series, horizon) => {
    let level = Number.NaN;
    let trend = 0;
    for (const x of series) {
      if (Number.isNaN(x)) continue;
      if (Number.isNaN(level)) {
        level = x;
        continue;
      }
      const previous = level;
      level = alpha * x + (1 - alpha) * (level + trend);
      trend = beta * (level - previous) + (1 - beta) * trend;
    }
    const out = new Float32Array(horizon);
    for (let h = 0; h < horizon; h++) out[h] = Number.isNaN(level) ? Number.NaN : Math.max(0, level + (h + 1) * trend);
    return out;
  };
}

/** Applies a per-series predictor to every service × target of a history window. */
export class SeriesForecaster implements Forecaster {
  constructor(
    readonly name: string,
    private readonly predict: SeriesPredictor,
    readonly inputSteps: number,
    readonly horizon: number,
    private readonly targets: readonly Feature[],
  ) {}

  async forecast(window: HistoryWindow): Promise<Forecast> {
    return this.forecastSync(window);
  }

  forecastSync(window: HistoryWindow): Forecast {
    const n = window.services.length;
    const nf = window.features.length;
    const steps = window.timestamps.length;
    const k = this.targets.length;
    const used = Math.min(steps, this.inputSteps);
    const values = new Float32Array(this.horizon * n * k);
    const series = new Float32Array(used);
    for (let j = 0; j < k; j++) {
      const f = window.features.indexOf(this.targets[j]!);
      if (f < 0) throw new Error(`${this.name}: history has no feature "${this.targets[j]}"`);
      for (let s = 0; s < n; s++) {
        for (let t = 0; t < used; t++) series[t] = window.values[((steps - used + t) * n + s) * nf + f]!;
        const predicted = this.predict(series, this.horizon);
        for (let h = 0; h < this.horizon; h++) values[(h * n + s) * k + j] = predicted[h]!;
      }
    }
    return {
      model: this.name,
      issuedAt: window.timestamps[steps - 1] ?? 0,
      stepSeconds: window.stepSeconds,
      horizon: this.horizon,
      services: window.services,
      targets: this.targets,
      values,
    };
  }
}

/**
 * The baselines an application's `baseline:` may name, each with its constructor: the plug-in table
 * for forecasters without a model. The configuration (src/config) reads the names from here, the
 * loop builds through `baselineForecaster`; a new baseline is one line here.
 */
const BASELINES = {
  persistence: () => persistence,
  'moving-average': (inputSteps: number) => movingAverage(Math.min(10, inputSteps)),
  holt: () => holtLinear(),
} as const satisfies Readonly<Record<string, (inputSteps: number) => SeriesPredictor>>;

export type BaselineName = keyof typeof BASELINES;
export const BASELINE_NAMES = Object.keys(BASELINES) as readonly BaselineName[];

export function baselineForecaster(name: BaselineName, horizon: number, targets: readonly Feature[], inputSteps = 20): Forecaster & SeriesForecaster {
  return new SeriesForecaster(name, BASELINES[name](inputSteps), inputSteps, horizon, targets);
}
