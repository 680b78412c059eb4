/**
 * Standardization per service and feature, with statistics from the training split only (so the
 * validation and test splits never leak into the model). A constant series is scaled by its own
 * magnitude (|mean|, or 1 for an all-zero series) instead of dividing by zero: a fixed std of 1 in
 * original units would let the model's normalized noise become whole cores on an idle service.
 */
import type { Dataset } from '../dataset/index.js';

export interface Normalization {
  /** [N × F] row-major, in the model's service and feature order. */
  readonly mean: Float32Array;
  readonly std: Float32Array;
}

const MIN_STD = 1e-6;

/** Mean and std of every service × feature over steps [0, endStep), skipping gaps. */
export function fitNormalization(ds: Pick<Dataset, 'services' | 'features' | 'length' | 'values'>, endStep: number): Normalization {
  const size = ds.services.length * ds.features.length;
  const sum = new Float64Array(size);
  const squares = new Float64Array(size);
  const counts = new Float64Array(size);
  for (let t = 0; t < Math.min(endStep, ds.length); t++) {
    for (let i = 0; i < size; i++) {
      const v = ds.values[t * size + i]!;
      if (Number.isNaN(v)) continue;
      sum[i] += v;
      squares[i] += v * v;
      counts[i]++;
    }
  }
  const mean = new Float32Array(size);
  const std = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const m = counts[i]! > 0 ? sum[i]! / counts[i]! : 0;
    const variance = counts[i]! > 0 ? Math.max(0, squares[i]! / counts[i]! - m * m) : 0;
    mean[i] = m;
    const sd = Math.sqrt(variance);
    std[i] = sd >= MIN_STD ? sd : Math.abs(m) >= MIN_STD ? Math.abs(m) : 1;
  }
  return { mean, std };
}

/** [T, N, F] values → standardized copy; gaps stay NaN. */
export function standardize(values: Float32Array, norm: Normalization): Float32Array {
  const size = norm.mean.length;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - norm.mean[i % size]!) / norm.std[i % size]!;
  return out;
}
