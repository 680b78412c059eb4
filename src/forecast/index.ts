/**
 * Forecasters: a history window → each service's demand for the next H steps, in original units.
 * The GNN (src/model) is one implementation; the baselines here are the others — for evaluation
 * beside the GNN, for the non-graph predictive autoscaler, and for cold start before a model exists.
 */
import type { Feature } from '../core/index.js';
import type { HistoryWindow } from '../history/index.js';

/** Demand the planner turns into replicas: CPU cores used and requests per second. */
export const DEMAND_FEATURES = ['cpu_cores', 'req'] as const;
export type DemandFeature = (typeof DEMAND_FEATURES)[number];

export interface Forecast {
  /** Which forecaster produced it, e.g. "deepscaler-gnn" or "holt". */
  readonly model: string;
  /** Epoch ms of the newest input frame; step h of the forecast holds at issuedAt + (h + 1) × step. */
  readonly issuedAt: number;
  readonly stepSeconds: number;
  /** Number of steps H. */
  readonly horizon: number;
  readonly services: readonly string[];
  readonly targets: readonly Feature[];
  /** Row-major [H, N, K] with K = targets.length: values[(h * N + s) * K + k], original units. */
  readonly values: Float32Array;
}

export interface Forecaster {
  readonly name: string;
  /** Steps of history the forecaster needs. */
  readonly inputSteps: number;
  readonly horizon: number;
  forecast(window: HistoryWindow): Promise<Forecast>;
}

export function forecastValue(fc: Forecast, h: number, service: number, target: number): number {
  return fc.values[(h * fc.services.length + service) * fc.targets.length + target]!;
}

/** The largest finite value of service s, target k among the first `steps` horizon steps (earliest step on ties); null when all are gaps. */
export function forecastPeak(fc: Forecast, service: number, target: number, steps: number): { value: number; step: number } | null {
  let peak: { value: number; step: number } | null = null;
  for (let h = 0; h < Math.min(steps, fc.horizon); h++) {
    const v = forecastValue(fc, h, service, target);
    if (Number.isFinite(v) && (peak === null || v > peak.value)) peak = { value: v, step: h };
  }
  return peak;
}

export {
  BASELINE_NAMES,
  baselineForecaster,
  holtLinear,
  movingAverage,
  persistence,
  recentMax,
  seasonalNaive,
  type BaselineName,
  type SeriesPredictor,
} from './baselines.js';
export { calibrationMemory, DEFAULT_CALIBRATION, PeakCalibrator, plannedDemand, type CalibrationOptions, type ServiceCalibration } from './calibration.js';
export { scorePeaks, type PeakScore, type PeakScoreOptions, type SeriesArrays } from './peak-score.js';
export { PeriodicForecaster } from './periodic.js';
