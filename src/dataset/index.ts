/**
 * Datasets: recorded frames on disk. Formats (the seed's `.log` files and our self-describing
 * one), validation, windows, chronological splits and normalization live in this folder.
 */
import type { Feature } from '../core/index.js';

export interface Dataset {
  readonly services: readonly string[];
  readonly features: readonly Feature[];
  readonly stepSeconds: number;
  /** Epoch ms of the first step; null where the format has no timestamps (the seed's `.log`). */
  readonly startMs: number | null;
  /** Number of steps T. */
  readonly length: number;
  /** Row-major [T, N, F]: values[(t * N + s) * F + f]; NaN marks a gap. */
  readonly values: Float32Array;
}

export function datasetIndex(ds: Pick<Dataset, 'services' | 'features'>, t: number, s: number, f: number): number {
  return (t * ds.services.length + s) * ds.features.length + f;
}

/** One series (service × feature) as a copy, length T. */
export function datasetSeries(ds: Dataset, service: string, feature: Feature): Float32Array {
  const s = ds.services.indexOf(service);
  const f = ds.features.indexOf(feature);
  if (s < 0) throw new Error(`dataset has no service "${service}" (has: ${ds.services.join(', ')})`);
  if (f < 0) throw new Error(`dataset has no feature "${feature}" (has: ${ds.features.join(', ')})`);
  const out = new Float32Array(ds.length);
  for (let t = 0; t < ds.length; t++) out[t] = ds.values[datasetIndex(ds, t, s, f)]!;
  return out;
}

export { cpuSettingsFromTopology, selectFeatures, withCpuCores } from './derive.js';
export { DATASET_FILE, readDataset } from './files.js';
export { datasetFrame, framesToDataset } from './frames.js';
export { formatGapSummary, gapSummary, type GapSummary } from './gaps.js';
export { formatJsonlDataset } from './jsonl-format.js';
export { readNezhaRecording } from './nezha-format.js';
export { formatSeedFiles } from './seed-format.js';
