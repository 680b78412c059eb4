/**
 * Calibration (used by the planner and by `evaluate`): how much to scale a forecast peak so that the realized peak exceeds it with
 * probability `risk`. Online conformal prediction on the ratio realized peak ÷ forecast peak, one
 * series per service and feature, with adaptive conformal inference (Gibbs & Candès, NeurIPS 2021)
 * so that the level follows the realized miss rate and re-converges after drift.
 *
 * Each resolved look-ahead gives one score r = realized peak ÷ forecast peak. The correction at
 * level α is the ⌈(n + 1)(1 − α)⌉-th smallest of the last `window` scores (the split-conformal
 * quantile; while n is too small for the level, the largest score; with no score yet, 1: the
 * forecast as is), clamped to [minCorrection, maxCorrection].
 * ACI moves the level after every resolved look-ahead: α ← α + γ (risk − miss).
 *
 * Determinism (two replicas on the same data must serve the same value): the state is a function of
 * the last `window + adaptSteps` scores only, never of when the process started. ACI is replayed
 * from α = risk over the last `adaptSteps` scores at every query, each score judged against the
 * quantile of the `window` scores before it. To make that replay O(adaptSteps) instead of
 * O(adaptSteps × window), every score keeps, from the moment it resolves, how many scores of its
 * own preceding window lie below it: "r exceeds the k-th smallest" is then "at least k lie below r".
 * The window is also kept sorted, so a query costs O(adaptSteps) and a new score O(window).
 */
import type { Frame } from '../core/index.js';
import { DEMAND_FEATURES, forecastPeak, type DemandFeature, type Forecast } from './index.js';

export interface CalibrationOptions {
  /** Scores (resolved look-aheads) whose quantile is the correction. */
  readonly window: number;
  /** Resolved look-aheads the adaptive level is replayed over (the memory of ACI). */
  readonly adaptSteps: number;
  /** ACI step size γ: how fast the level reacts to misses. */
  readonly stepSize: number;
  /** Bounds of the correction factor, so that a few wild scores cannot empty or flood the cluster. */
  readonly minCorrection: number;
  readonly maxCorrection: number;
}

/**
 * Forecast peaks below this (cores or requests/s) count as this much, in the ratio and in the plan
 * alike: a ratio of (almost) nothing means nothing, and a pod is needed for it anyway.
 */
export const DEMAND_FLOOR = 1e-3;

/** The demand a calibrated plan covers: the forecast peak (at least the floor) × the correction. */
export function plannedDemand(forecastPeak: number, correction: number): number {
  return Math.max(forecastPeak, DEMAND_FLOOR) * correction;
}

/**
 * Defaults chosen on validation splits of three recordings and four forecasters (bench/calibration:
 * RESULTS.md there): two hours of 30 s look-aheads as the conformal set, two hours of ACI memory.
 */
export const DEFAULT_CALIBRATION: CalibrationOptions = {
  window: 240,
  adaptSteps: 240,
  stepSize: 0.005,
  minCorrection: 0.5,
  maxCorrection: 4,
};

/** Resolved look-aheads a series needs before its state stops depending on how much it has seen. */
export function calibrationMemory(options: CalibrationOptions): number {
  return options.window + options.adaptSteps;
}

export function validateCalibrationOptions(options: CalibrationOptions): void {
  const bad: string[] = [];
  if (!Number.isInteger(options.window) || options.window < 1) bad.push(`window must be a whole number ≥ 1, got ${options.window}`);
  if (!Number.isInteger(options.adaptSteps) || options.adaptSteps < 0) bad.push(`adaptSteps must be a whole number ≥ 0, got ${options.adaptSteps}`);
  if (!(options.stepSize >= 0 && options.stepSize <= 1)) bad.push(`stepSize must be in [0, 1], got ${options.stepSize}`);
  if (!(options.minCorrection > 0 && options.minCorrection <= options.maxCorrection && Number.isFinite(options.maxCorrection))) {
    bad.push(`corrections must satisfy 0 < minCorrection ≤ maxCorrection < ∞, got ${options.minCorrection}..${options.maxCorrection}`);
  }
  if (bad.length > 0) throw new Error(`calibration options: ${bad.join('; ')}`);
}

/** What a series' record says at one risk level. */
export interface SeriesCalibration {
  /** Factor the forecast peak is multiplied by. */
  readonly correction: number;
  /** The adapted miss level α (starts at risk; lower after misses, higher after a run of hits). */
  readonly level: number;
  /**
   * Share of the last `adaptSteps` resolved look-aheads whose realized peak exceeded the forecast
   * peak × the correction in force before it resolved; NaN before any has resolved.
   */
  readonly missRate: number;
  /** Look-aheads in that share. */
  readonly judged: number;
  /** Scores in the conformal set the correction came from. */
  readonly scores: number;
}

/** One resolved look-ahead, and where it fell in the window of scores before it. */
interface Score {
  readonly ratio: number;
  /** Scores in its preceding window. */
  readonly n: number;
  /** Of those, how many lie strictly below `ratio`. */
  readonly below: number;
  /** Of those, how many lie at or below maxCorrection (the quantile is clamped above there). */
  readonly atMostMax: number;
  /** Of those, how many lie strictly below minCorrection (the quantile is clamped below there). */
  readonly belowMin: number;
}

/** The 1-based rank of the conformal quantile at level α among n scores; > n would be +∞, ≤ 0 is −∞. */
function quantileRank(n: number, level: number): number {
  return Math.ceil((n + 1) * (1 - level) - 1e-9);
}

/**
 * The rank actually taken: with too few scores for the level, the largest (the most cautious value
 * the record supports); 0 means "no record" (the forecast as is).
 */
function effectiveRank(n: number, level: number): number {
  return Math.min(quantileRank(n, level), n);
}

/** Did this score exceed the (clamped) quantile at `level` of its own preceding window? */
function missed(score: Score, level: number, options: CalibrationOptions): boolean {
  const clamp = (q: number): number => Math.min(options.maxCorrection, Math.max(options.minCorrection, q));
  if (score.n === 0) return score.ratio > clamp(1);
  const k = effectiveRank(score.n, level);
  if (k <= 0 || score.belowMin >= k) return score.ratio > options.minCorrection; // quantile at or below the lower clamp
  if (score.atMostMax < k) return score.ratio > options.maxCorrection; // quantile past the upper clamp
  return score.below >= k; // the k-th smallest lies below the ratio
}

/** How many of the sorted values lie strictly below `x` (strict) or at or below it. */
function countBelow(sorted: readonly number[], x: number, inclusive: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x || (inclusive && sorted[mid] === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The record of one service and feature: the last `window + adaptSteps` scores, oldest first, and
 * the window's ratios kept sorted (so a query takes its quantile, and a new score its rank, without
 * sorting). Add pairs in the order their look-aheads resolve (issue time), once each.
 */
export class ConformalSeries {
  private readonly scores: Score[] = [];
  /** The ratios of the last `window` scores, ascending. */
  private readonly sorted: number[] = [];

  constructor(private readonly options: CalibrationOptions = DEFAULT_CALIBRATION) {
    validateCalibrationOptions(options);
  }

  get size(): number {
    return this.scores.length;
  }

  /** Records one resolved look-ahead: the forecast peak and the peak that came true. Non-finite pairs are skipped. */
  add(forecastPeak: number, realizedPeak: number): void {
    if (!Number.isFinite(forecastPeak) || !Number.isFinite(realizedPeak)) return;
    const { minCorrection, maxCorrection, window } = this.options;
    // A miss is realized > plannedDemand(forecast, c), i.e. ratio > c.
    const ratio = Math.max(realizedPeak, 0) / Math.max(forecastPeak, DEMAND_FLOOR);
    const { sorted } = this;
    this.scores.push({
      ratio,
      n: sorted.length,
      below: countBelow(sorted, ratio, false),
      atMostMax: countBelow(sorted, maxCorrection, true),
      belowMin: countBelow(sorted, minCorrection, false),
    });
    sorted.splice(countBelow(sorted, ratio, false), 0, ratio);
    if (this.scores.length > window) sorted.splice(countBelow(sorted, this.scores[this.scores.length - window - 1]!.ratio, false), 1);
    const excess = this.scores.length - calibrationMemory(this.options);
    if (excess > 0) this.scores.splice(0, excess);
  }

  /** The correction for `risk` now, the adapted level behind it and the realized miss rate. */
  calibrate(risk: number): SeriesCalibration {
    if (!(risk > 0 && risk < 1)) throw new Error(`risk must be in (0, 1), got ${risk}`);
    const { adaptSteps, stepSize, minCorrection, maxCorrection } = this.options;
    let level = risk;
    let misses = 0;
    const judgedFrom = Math.max(0, this.scores.length - adaptSteps);
    for (let i = judgedFrom; i < this.scores.length; i++) {
      const miss = missed(this.scores[i]!, level, this.options);
      if (miss) misses++;
      level += stepSize * (risk - (miss ? 1 : 0));
    }
    const judged = this.scores.length - judgedFrom;
    const { sorted } = this;
    const k = effectiveRank(sorted.length, level);
    const quantile = sorted.length === 0 ? 1 : k <= 0 ? Number.NEGATIVE_INFINITY : sorted[k - 1]!;
    return {
      correction: Math.min(maxCorrection, Math.max(minCorrection, quantile)),
      level,
      missRate: judged === 0 ? Number.NaN : misses / judged,
      judged,
      scores: sorted.length,
    };
  }
}

/** Calibration of one service: a series per demand feature. */
export type ServiceCalibration = Readonly<Record<DemandFeature, SeriesCalibration>>;

export interface PeakCalibratorOptions {
  readonly services: readonly string[];
  readonly stepSeconds: number;
  /** Forecast steps the planner reads (the look-ahead): the peak over these steps is what is calibrated. */
  readonly lookAheadSteps: number;
  readonly calibration?: CalibrationOptions;
}

/** A forecast waiting for its look-ahead to come true. */
interface PendingLookAhead {
  readonly issuedAt: number;
  /** Forecast peak per series (service-major, DEMAND_FEATURES order); NaN when unknown. */
  readonly forecastPeak: Float64Array;
  /** Largest value observed so far per series. */
  readonly realizedPeak: Float64Array;
  /** Look-ahead steps observed so far per series (a series resolves only with all of them). */
  readonly observed: Uint16Array;
}

/**
 * Keeps each forecast's peak over the look-ahead until the look-ahead has come true, then scores
 * it per service and feature. Feed it every forecast the planner used and every aligned frame, in
 * time order; `calibrate` gives each service's correction at its risk.
 */
export class PeakCalibrator {
  readonly lookAheadSteps: number;
  private readonly stepMs: number;
  private readonly series: ConformalSeries[];
  private readonly pending: PendingLookAhead[] = [];
  private lastFrameAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: PeakCalibratorOptions) {
    if (!Number.isInteger(options.lookAheadSteps) || options.lookAheadSteps < 1)
      throw new Error(`lookAheadSteps must be a whole number ≥ 1, got ${options.lookAheadSteps}`);
    this.lookAheadSteps = options.lookAheadSteps;
    this.stepMs = options.stepSeconds * 1000;
    const calibration = options.calibration ?? DEFAULT_CALIBRATION;
    this.series = Array.from({ length: options.services.length * DEMAND_FEATURES.length }, () => new ConformalSeries(calibration));
  }

  /** Forgets everything (a new forecaster starts a new record). */
  reset(): void {
    this.pending.length = 0;
    this.lastFrameAt = Number.NEGATIVE_INFINITY;
    const calibration = this.options.calibration ?? DEFAULT_CALIBRATION;
    for (let i = 0; i < this.series.length; i++) this.series[i] = new ConformalSeries(calibration);
  }

  /** Scores resolved so far for a service's feature (for tests and status). */
  resolved(service: string, feature: DemandFeature): number {
    const s = this.options.services.indexOf(service);
    return s < 0 ? 0 : this.series[s * DEMAND_FEATURES.length + DEMAND_FEATURES.indexOf(feature)]!.size;
  }

  /**
   * Remembers the forecast's peak over the look-ahead. A forecast issued again from the same data
   * replaces the earlier one, so one look-ahead is never scored twice.
   */
  recordForecast(forecast: Forecast): void {
    const { services } = this.options;
    const K = DEMAND_FEATURES.length;
    const peaks = new Float64Array(services.length * K).fill(Number.NaN);
    const index = new Map(forecast.services.map((name, i) => [name, i] as const));
    services.forEach((service, s) => {
      const fs = index.get(service);
      if (fs === undefined) return;
      DEMAND_FEATURES.forEach((feature, k) => {
        const fk = forecast.targets.indexOf(feature);
        if (fk >= 0) peaks[s * K + k] = forecastPeak(forecast, fs, fk, this.lookAheadSteps)?.value ?? Number.NaN;
      });
    });
    const same = this.pending.findIndex((p) => p.issuedAt === forecast.issuedAt);
    if (same >= 0) this.pending.splice(same, 1);
    this.pending.push({
      issuedAt: forecast.issuedAt,
      forecastPeak: peaks,
      realizedPeak: new Float64Array(peaks.length).fill(Number.NEGATIVE_INFINITY),
      observed: new Uint16Array(peaks.length),
    });
  }

  /**
   * Adds an aligned frame to every look-ahead it falls in; a look-ahead whose last step this is
   * resolves. A frame at or before the previous one is ignored (a replayed step).
   */
  observe(frame: Frame): void {
    if (frame.timestamp <= this.lastFrameAt) return;
    this.lastFrameAt = frame.timestamp;
    const { services } = this.options;
    const K = DEMAND_FEATURES.length;
    const column = new Map(frame.services.map((name, i) => [name, i] as const));
    const featureAt = DEMAND_FEATURES.map((feature) => frame.features.indexOf(feature));
    const F = frame.features.length;
    const keep: PendingLookAhead[] = [];
    for (const p of this.pending) {
      const offset = (frame.timestamp - p.issuedAt) / this.stepMs;
      const h = Math.round(offset);
      if (h >= 1 && h <= this.lookAheadSteps && Math.abs(offset - h) < 0.5) {
        services.forEach((service, s) => {
          const fs = column.get(service);
          if (fs === undefined) return;
          featureAt.forEach((ff, k) => {
            const v = ff < 0 ? Number.NaN : frame.values[fs * F + ff]!;
            if (!Number.isFinite(v)) return;
            const i = s * K + k;
            p.observed[i]!++;
            if (v > p.realizedPeak[i]!) p.realizedPeak[i] = v;
          });
        });
      }
      if (h < this.lookAheadSteps) keep.push(p);
      else this.resolve(p);
    }
    this.pending.splice(0, this.pending.length, ...keep);
  }

  private resolve(p: PendingLookAhead): void {
    for (let i = 0; i < this.series.length; i++) {
      if (p.observed[i] === this.lookAheadSteps) this.series[i]!.add(p.forecastPeak[i]!, p.realizedPeak[i]!);
    }
  }

  /** Each service's calibration per feature at that service's risk. */
  calibrate(riskOf: (service: string) => number): Map<string, ServiceCalibration> {
    const K = DEMAND_FEATURES.length;
    const out = new Map<string, ServiceCalibration>();
    this.options.services.forEach((service, s) => {
      const risk = riskOf(service);
      const entries = DEMAND_FEATURES.map((feature, k) => [feature, this.series[s * K + k]!.calibrate(risk)] as const);
      out.set(service, Object.fromEntries(entries) as Record<DemandFeature, SeriesCalibration>);
    });
    return out;
  }
}
