/**
 * Validation shared by the dataset formats: one error type whose message names the file (and line)
 * and what is wrong, so bad input is fixed at the source instead of being half-read.
 */
import { FEATURE_UNITS, type Feature } from '../core/index.js';

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/**
 * Every feature is a non-negative quantity (rates, fractions, seconds, replicas, cores); a negative
 * value is a broken collector, not data. NaN (a gap) passes.
 */
export function checkNonNegative(value: number, feature: Feature, where: string): void {
  if (value < 0) {
    throw new DatasetError(`${where}: negative value ${value} for ${feature} (${FEATURE_UNITS[feature]} cannot be negative)`);
  }
}

/** Shortest decimal text that reads back as the same float32, so files stay small and round trips exact. */
export function formatFloat32(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  for (let digits = 6; digits < 9; digits++) {
    const text = Number(value.toPrecision(digits));
    if (Math.fround(text) === value) return String(text);
  }
  return String(Number(value.toPrecision(9)));
}
