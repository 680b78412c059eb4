/**
 * The decision quantity: what the planner does with a forecast is size each service for a high
 * quantile of its demand peak inside the look-ahead (the first L forecast steps), after an online
 * conformal correction (calibration.ts, the planner's own). This scores exactly that, per forecaster, service and
 * feature, replaying the windows in time order so the calibration only ever learns from peaks that
 * had already happened:
 *   - pinball loss at τ = 1 − risk of the planned capacity against the realized peak,
 *   - under-provision rate: share of windows whose realized peak exceeded the plan (target: risk),
 *   - excess capacity: Σ max(0, plan − realized) / Σ realized, in %.
 */
import type { Feature } from '../core/index.js';
import { ConformalSeries, DEFAULT_CALIBRATION, plannedDemand, type CalibrationOptions } from './calibration.js';

/** A recording in a forecaster's layout: `values` [T, N, F], NaN = gap. */
export interface SeriesArrays {
  readonly services: readonly string[];
  readonly features: readonly Feature[];
  readonly stepSeconds: number;
  readonly length: number;
  readonly values: Float32Array;
}

export interface PeakScoreOptions {
  /** Forecast steps the planner reads (L ≤ H). */
  readonly lookAheadSteps: number;
  readonly risk: number;
  /** The planner's calibration settings (default: serve's). */
  readonly calibration?: Partial<CalibrationOptions>;
  /** Windows before this position in `origins` only warm the calibration; they are not scored. */
  readonly scoredFrom?: number;
}

export interface PeakStats {
  /** Mean pinball loss at τ = 1 − risk, original units. */
  readonly pinball: number;
  /** Share of windows with realized peak > planned capacity. */
  readonly underProvision: number;
  /** Capacity above the realized peak, as % of the realized peak (summed over windows). */
  readonly excessPercent: number;
  readonly count: number;
}

export interface PeakScore {
  readonly name: string;
  /** [s][k] */
  readonly perService: PeakStats[][];
  /** [k], over every service. */
  readonly overall: PeakStats[];
}

/** Pinball (quantile) loss of `planned` against `actual` at quantile τ. */
export function pinballLoss(actual: number, planned: number, tau: number): number {
  const d = actual - planned;
  return d >= 0 ? tau * d : (tau - 1) * d;
}

/** Largest finite value of a [.., H, ..] slice over the first `steps` steps; NaN when all are gaps. */
function peak(read: (h: number) => number, steps: number): number {
  let best = Number.NaN;
  for (let h = 0; h < steps; h++) {
    const v = read(h);
    if (!Number.isNaN(v) && !(v <= best)) best = v;
  }
  return best;
}

class PeakAccumulator {
  pinball = 0;
  misses = 0;
  excess = 0;
  realized = 0;
  n = 0;

  add(planned: number, realized: number, tau: number): void {
    this.pinball += pinballLoss(realized, planned, tau);
    if (realized > planned) this.misses++;
    this.excess += Math.max(0, planned - realized);
    this.realized += realized;
    this.n++;
  }

  merge(o: PeakAccumulator): void {
    this.pinball += o.pinball;
    this.misses += o.misses;
    this.excess += o.excess;
    this.realized += o.realized;
    this.n += o.n;
  }

  stats(): PeakStats {
    const n = this.n || Number.NaN;
    return { pinball: this.pinball / n, underProvision: this.misses / n, excessPercent: (100 * this.excess) / (this.realized || Number.NaN), count: this.n };
  }
}

/**
 * Scores predictions [B, H, N, K] (original units) made at ascending `origins`. The outcome of the
 * window at origin o is known once step o + L has been observed, i.e. to windows at origins ≥ o + L.
 */
export function scorePeaks(
  name: string,
  data: SeriesArrays,
  targets: readonly Feature[],
  origins: readonly number[],
  predicted: Float32Array,
  horizon: number,
  options: PeakScoreOptions,
): PeakScore {
  const n = data.services.length;
  const nf = data.features.length;
  const k = targets.length;
  const steps = options.lookAheadSteps;
  if (!(steps >= 1 && steps <= horizon)) throw new Error(`look-ahead of ${steps} steps must be within the forecast horizon 1..${horizon}`);
  const tau = 1 - options.risk;
  const ti = targets.map((t) => {
    const f = data.features.indexOf(t);
    if (f < 0) throw new Error(`the data has no feature "${t}"`);
    return f;
  });
  const calibration = { ...DEFAULT_CALIBRATION, ...options.calibration };
  const calibrators = Array.from({ length: n * k }, () => new ConformalSeries(calibration));
  const cells = Array.from({ length: n * k }, () => new PeakAccumulator());
  const pending: { knownAt: number; cell: number; forecast: number; realized: number }[] = [];
  const scoredFrom = options.scoredFrom ?? 0;
  origins.forEach((origin, b) => {
    if (b > 0 && origin < origins[b - 1]!) throw new Error('scorePeaks needs origins in ascending order');
    // Outcomes that have come true by now teach the calibration (in the order they came true).
    while (pending.length > 0 && pending[0]!.knownAt <= origin) {
      const done = pending.shift()!;
      calibrators[done.cell]!.add(done.forecast, done.realized);
    }
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < k; j++) {
        const cell = s * k + j;
        const forecast = peak((h) => predicted[((b * horizon + h) * n + s) * k + j]!, steps);
        const realized = peak((h) => (origin + 1 + h < data.length ? data.values[((origin + 1 + h) * n + s) * nf + ti[j]!]! : Number.NaN), steps);
        if (Number.isNaN(forecast) || Number.isNaN(realized)) continue;
        // As the planner does: the forecast peak × the correction in force now.
        const planned = plannedDemand(forecast, calibrators[cell]!.calibrate(options.risk).correction);
        pending.push({ knownAt: origin + steps, cell, forecast, realized });
        if (b >= scoredFrom) cells[cell]!.add(planned, realized, tau);
      }
    }
  });
  const total = (pick: (s: number) => boolean, j: number): PeakStats => {
    const acc = new PeakAccumulator();
    for (let s = 0; s < n; s++) if (pick(s)) acc.merge(cells[s * k + j]!);
    return acc.stats();
  };
  return {
    name,
    perService: Array.from({ length: n }, (_, s) => targets.map((_, j) => total((ss) => ss === s, j))),
    overall: targets.map((_, j) => total(() => true, j)),
  };
}
