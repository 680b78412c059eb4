/**
 * A Crane-style periodic predictor (gocrane/crane's DSP predictor, simplified): find the dominant
 * period of a service's history by autocorrelation, then forecast each step as the value one period
 * earlier. Without a clear period it falls back to the metric itself (the last value).
 *
 * History is what the metrics store already has when the predictor starts (`seed`, e.g. the days
 * before) plus every frame it is asked to forecast from.
 */
import type { HistoryWindow } from '../history/index.js';
import type { Feature } from '../core/index.js';
import type { Forecast, Forecaster } from './index.js';

export interface PeriodicOptions {
  readonly stepSeconds: number;
  readonly horizon: number;
  readonly targets: readonly Feature[];
  /** Shortest period considered, s (Crane looks for daily and weekly cycles; ten minutes is the least we accept). */
  readonly minPeriodSeconds?: number;
  /** Autocorrelation a period needs to count as one. */
  readonly minCorrelation?: number;
}

/** Samples used for the autocorrelation: per-minute means, at most four days of them. */
const DETECT_BUCKET_SECONDS = 60;
const DETECT_MAX_BUCKETS = 4 * 1440;

/**
 * The dominant period (in samples): among the local maxima of the autocorrelation after it first
 * falls below zero (before that, a smooth series only correlates with its own recent past), between
 * `minLag` and half the series, the strongest (or a shorter one nearly as strong that it is a whole
 * multiple of), if it reaches
 * `minCorrelation`; else null.
 */
export function dominantPeriod(series: ArrayLike<number>, minLag: number, minCorrelation: number): { lag: number; correlation: number } | null {
  const x = Array.from(series).filter((v) => Number.isFinite(v));
  const n = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / Math.max(1, n);
  let variance = 0;
  for (const v of x) variance += (v - mean) ** 2;
  if (n < 2 * minLag || variance === 0) return null;
  const acf = (lag: number): number => {
    let sum = 0;
    for (let t = 0; t + lag < n; t++) sum += (x[t]! - mean) * (x[t + lag]! - mean);
    // Normalized per overlapping pair, so a long lag (few pairs) is not penalized for being long.
    return sum / (n - lag) / (variance / n);
  };
  const maxLag = Math.floor(n / 2);
  const peaks: Array<{ lag: number; correlation: number }> = [];
  let previous = acf(minLag - 1);
  let current = acf(minLag);
  let decorrelated = false;
  for (let lag = minLag; lag <= maxLag; lag++) {
    const next = lag < maxLag ? acf(lag + 1) : -Infinity;
    if (current < 0) decorrelated = true;
    if (decorrelated && current >= previous && current >= next) peaks.push({ lag, correlation: current });
    previous = current;
    current = next;
  }
  if (peaks.length === 0) return null;
  const best = peaks.reduce((a, b) => (b.correlation > a.correlation ? b : a));
  // Multiples of the period correlate as well: prefer the shortest peak nearly as strong as the
  // best whose whole multiple the best one is.
  const divides = (p: { lag: number }): boolean => {
    const k = best.lag / p.lag;
    return Math.round(k) >= 2 && Math.abs(k - Math.round(k)) < 0.05;
  };
  const period = peaks.find((p) => p === best || (p.correlation >= 0.9 * best.correlation && divides(p)))!;
  return period.correlation >= minCorrelation ? period : null;
}

export class PeriodicForecaster implements Forecaster {
  readonly name = 'periodic';
  readonly inputSteps = 1;
  readonly horizon: number;
  /** Per service and target: every value seen, oldest first. */
  private readonly series = new Map<string, number[]>();
  /** Period per service, in steps (null: none found, the metric itself is the forecast). */
  private readonly periods = new Map<string, number | null>();
  private lastIssued = -Infinity;

  constructor(
    private readonly options: PeriodicOptions,
    /** History before the first forecast: per service, per target, one value per step, oldest first. */
    seed: ReadonlyMap<string, ReadonlyMap<Feature, ArrayLike<number>>> = new Map(),
  ) {
    this.horizon = options.horizon;
    for (const [service, byTarget] of seed) {
      for (const [target, values] of byTarget) this.series.set(`${service}/${target}`, Array.from(values));
      this.periods.set(service, this.detect(byTarget.get(options.targets[0]!) ?? []));
    }
  }

  /** The period of one service's series, in steps, found on per-minute means. */
  private detect(values: ArrayLike<number>): number | null {
    const perBucket = Math.max(1, Math.round(DETECT_BUCKET_SECONDS / this.options.stepSeconds));
    const buckets: number[] = [];
    for (let i = 0; i + perBucket <= values.length; i += perBucket) {
      let sum = 0;
      for (let j = i; j < i + perBucket; j++) sum += values[j]!;
      buckets.push(sum / perBucket);
    }
    const recent = buckets.slice(-DETECT_MAX_BUCKETS);
    const minLag = Math.max(2, Math.round((this.options.minPeriodSeconds ?? 600) / (perBucket * this.options.stepSeconds)));
    const found = dominantPeriod(recent, minLag, this.options.minCorrelation ?? 0.5);
    return found === null ? null : found.lag * perBucket;
  }

  /** The period found for a service, in steps; null when it has none. */
  periodOf(service: string): number | null {
    return this.periods.get(service) ?? null;
  }

  async forecast(window: HistoryWindow): Promise<Forecast> {
    const steps = window.timestamps.length;
    const issuedAt = window.timestamps[steps - 1] ?? 0;
    const n = window.services.length;
    const nf = window.features.length;
    const k = this.options.targets.length;
    const values = new Float32Array(this.horizon * n * k);
    for (let s = 0; s < n; s++) {
      const service = window.services[s]!;
      const period = this.periods.get(service) ?? null;
      for (let j = 0; j < k; j++) {
        const target = this.options.targets[j]!;
        const f = window.features.indexOf(target);
        if (f < 0) throw new Error(`periodic: history has no feature "${target}"`);
        const key = `${service}/${target}`;
        const series = this.series.get(key) ?? [];
        this.series.set(key, series);
        // One new value per new frame (a forecast re-run on the same data adds nothing).
        if (issuedAt > this.lastIssued) series.push(window.values[((steps - 1) * n + s) * nf + f]!);
        const last = series[series.length - 1] ?? Number.NaN;
        for (let h = 0; h < this.horizon; h++) {
          const back = period === null ? -1 : series.length - 1 + (h + 1) - period;
          const v = back >= 0 && back < series.length && Number.isFinite(series[back]!) ? series[back]! : last;
          values[(h * n + s) * k + j] = v;
        }
      }
    }
    this.lastIssued = Math.max(this.lastIssued, issuedAt);
    return {
      model: this.name,
      issuedAt,
      stepSeconds: window.stepSeconds,
      horizon: this.horizon,
      services: window.services,
      targets: this.options.targets,
      values,
    };
  }
}
