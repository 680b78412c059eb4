/**
 * The model's own recent error (the decision engine's calibration state): every forecast is kept
 * until its steps come true, each observed frame scores the predictions made for its timestamp, and
 * the mean absolute percentage error of the last few scores per service is what `decide.ts` turns
 * into that service's margin.
 */
import { forecastValue, type Forecast } from '../forecast/index.js';
import { frameValue, type Feature, type Frame } from '../core/index.js';

export interface ErrorTrackerOptions {
  /** Scores remembered per service (older ones drop out). */
  readonly window: number;
  /** Actual values at or below this are not scored: a percentage of (almost) nothing means nothing. */
  readonly minActual?: number;
}

/** One score: how far a prediction was from what happened, relative to what happened. */
export interface ForecastErrorSample {
  readonly service: string;
  readonly feature: Feature;
  readonly predicted: number;
  readonly actual: number;
  readonly absolutePercentageError: number;
}

/** One percentage error is capped here before averaging, so a single outlier cannot dominate. */
const APE_CAP = 1;

export class ForecastErrorTracker {
  private readonly pending: Forecast[] = [];
  private readonly scores = new Map<string, number[]>();
  private readonly minActual: number;

  constructor(private readonly options: ErrorTrackerOptions) {
    if (!(options.window >= 1)) throw new Error(`forecast error window must be at least 1, got ${options.window}`);
    this.minActual = options.minActual ?? 1e-3;
  }

  /**
   * Remembers a forecast so that later frames can score it. A newer forecast from the same data
   * (issued at the same time, e.g. re-run while the source was down) replaces the older one, so
   * one prediction is never scored twice.
   */
  recordForecast(forecast: Forecast): void {
    const same = this.pending.findIndex((fc) => fc.issuedAt === forecast.issuedAt);
    if (same >= 0) this.pending.splice(same, 1);
    this.pending.push(forecast);
  }

  /**
   * Scores every remembered prediction for this frame's timestamp and forgets forecasts whose
   * horizon has passed. Returns the new scores (for gauges and tests).
   */
  observe(frame: Frame): ForecastErrorSample[] {
    const samples: ForecastErrorSample[] = [];
    for (const fc of this.pending) {
      const stepMs = fc.stepSeconds * 1000;
      const h = Math.round((frame.timestamp - fc.issuedAt) / stepMs) - 1;
      // Only a frame that lands on a forecast step (within half a step) scores it.
      if (h < 0 || h >= fc.horizon || Math.abs(fc.issuedAt + (h + 1) * stepMs - frame.timestamp) > stepMs / 2) continue;
      for (let s = 0; s < fc.services.length; s++) {
        const service = fc.services[s]!;
        for (let k = 0; k < fc.targets.length; k++) {
          const feature = fc.targets[k]!;
          const predicted = forecastValue(fc, h, s, k);
          const actual = frameValue(frame, service, feature);
          if (!Number.isFinite(predicted) || !Number.isFinite(actual) || actual <= this.minActual) continue;
          const ape = Math.abs(predicted - actual) / actual;
          samples.push({ service, feature, predicted, actual, absolutePercentageError: ape });
          this.remember(service, Math.min(APE_CAP, ape));
        }
      }
    }
    const keep = this.pending.filter((fc) => frame.timestamp < fc.issuedAt + fc.horizon * fc.stepSeconds * 1000);
    this.pending.splice(0, this.pending.length, ...keep);
    return samples;
  }

  private remember(service: string, ape: number): void {
    const list = this.scores.get(service) ?? [];
    list.push(ape);
    if (list.length > this.options.window) list.splice(0, list.length - this.options.window);
    this.scores.set(service, list);
  }

  /** Mean recent absolute percentage error per service (services without scores are absent). */
  meanErrors(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [service, list] of this.scores) out.set(service, list.reduce((a, b) => a + b, 0) / list.length);
    return out;
  }
}
