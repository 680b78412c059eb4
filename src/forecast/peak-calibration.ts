/**
 * Online conformal calibration of a forecast peak: the capacity to plan for one series (service ×
 * demand feature) is the forecast peak of the look-ahead × a correction factor, the (1 − α_t)
 * empirical quantile of recent realized / forecast peak ratios. α_t starts at the accepted risk and
 * moves with the realized miss rate (adaptive conformal inference, Gibbs & Candès 2021):
 * α_{t+1} = α_t + γ (risk − miss_t), so a drift that makes misses more frequent raises the factor
 * until the miss rate is back at the target.
 */

export interface PeakCalibrationOptions {
  /** Accepted probability that the realized peak exceeds the planned capacity (0 < risk < 1). */
  readonly risk: number;
  /** Ratios remembered (older ones drop out). */
  readonly window: number;
  /** ACI step γ: how fast α_t follows the realized miss rate. */
  readonly step: number;
}

export const DEFAULT_PEAK_CALIBRATION: Omit<PeakCalibrationOptions, 'risk'> = { window: 240, step: 0.005 };

/** Forecast peaks below this share of the mean realized peak count as this share (ratios of ~0 explode). */
const FORECAST_FLOOR_SHARE = 0.01;

/** One finished outcome: what was forecast, what was planned from it, what happened. */
export interface PeakOutcome {
  readonly forecast: number;
  readonly planned: number;
  readonly realized: number;
}

export class PeakCalibrator {
  private readonly ratios: number[] = [];
  private alpha: number;
  private realizedSum = 0;
  private realizedCount = 0;

  constructor(private readonly options: PeakCalibrationOptions) {
    if (!(options.risk > 0 && options.risk < 1)) throw new Error(`risk must be in (0, 1), got ${options.risk}`);
    if (!(options.window >= 1)) throw new Error(`calibration window must be at least 1, got ${options.window}`);
    if (!(options.step >= 0)) throw new Error(`calibration step must be at least 0, got ${options.step}`);
    this.alpha = options.risk;
  }

  /** The current correction factor; 1 until an outcome has been observed. */
  factor(): number {
    if (this.ratios.length === 0) return 1;
    const sorted = [...this.ratios].sort((a, b) => a - b);
    if (this.alpha <= 0) return sorted[sorted.length - 1]!;
    // The conformal quantile: the ⌈(n + 1)(1 − α)⌉-th smallest ratio (the largest when that is past n).
    const rank = Math.ceil((sorted.length + 1) * (1 - Math.min(1, this.alpha)));
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
  }

  /** The capacity to plan for a forecast peak (same units); NaN stays NaN. */
  plan(forecastPeak: number): number {
    return this.floored(forecastPeak) * this.factor();
  }

  /** Learns from an outcome once its whole look-ahead has been observed. */
  observe(outcome: PeakOutcome): void {
    if (!Number.isFinite(outcome.realized) || !Number.isFinite(outcome.forecast)) return;
    this.realizedSum += outcome.realized;
    this.realizedCount++;
    this.ratios.push(outcome.realized / this.floored(outcome.forecast));
    if (this.ratios.length > this.options.window) this.ratios.shift();
    const miss = outcome.realized > outcome.planned ? 1 : 0;
    this.alpha = Math.min(1, this.alpha + this.options.step * (this.options.risk - miss));
  }

  private floored(forecastPeak: number): number {
    const floor = this.realizedCount > 0 ? (FORECAST_FLOOR_SHARE * this.realizedSum) / this.realizedCount : 0;
    const positive = Math.max(forecastPeak, floor);
    return positive > 0 ? positive : Number.MIN_VALUE;
  }
}
