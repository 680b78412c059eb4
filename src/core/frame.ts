/**
 * The vocabulary every stage shares: a frame is every service × feature at one timestamp; a gap is
 * NaN, never a silent 0 (the seed wrote 0 for a missing sample, which poisons training). A source
 * (src/sources, src/sim) produces frames; history, forecasters, the planner and the model read them.
 */

/** The seed's five features, in its units: cpu and mem as fractions of limits, res in s, req in 1/s, pod count. */
export const SEED_FEATURES = ['cpu', 'mem', 'res', 'req', 'pod'] as const;
export type SeedFeature = (typeof SEED_FEATURES)[number];

/**
 * Absolute units the planner needs: `cpu_cores` = CPU cores used by all pods of the service,
 * `cpu_request` = CPU request of one pod in cores.
 */
export const ABSOLUTE_FEATURES = ['cpu_cores', 'cpu_request'] as const;
export type AbsoluteFeature = (typeof ABSOLUTE_FEATURES)[number];

export type Feature = SeedFeature | AbsoluteFeature;
export const ALL_FEATURES: readonly Feature[] = [...SEED_FEATURES, ...ABSOLUTE_FEATURES];

export const FEATURE_UNITS: Readonly<Record<Feature, string>> = {
  cpu: 'fraction of CPU limits',
  mem: 'fraction of memory limits',
  res: 'seconds',
  req: 'requests/s',
  pod: 'replicas',
  cpu_cores: 'cores',
  cpu_request: 'cores per pod',
};

export function isFeature(name: string): name is Feature {
  return (ALL_FEATURES as readonly string[]).includes(name);
}

export interface Frame {
  /** Unix epoch milliseconds at which the values hold. */
  readonly timestamp: number;
  readonly services: readonly string[];
  readonly features: readonly Feature[];
  /** values[s * features.length + f]; NaN marks a gap (no sample). */
  readonly values: Float32Array;
}

/**
 * Why a read failed, as a metric label: no answer in time, no connection, an HTTP error, an answer
 * that is not what was asked for, an answer with no demand at all, or anything else.
 */
export type SourceFailureKind = 'timeout' | 'unreachable' | 'http-error' | 'bad-answer' | 'no-data' | 'error';

/** A failed read that knows its kind (other errors count as 'error'). */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly kind: SourceFailureKind,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

export type ProgressCallback = (done: number, total: number) => void;

export interface MetricsSource {
  readonly services: readonly string[];
  readonly features: readonly Feature[];
  readonly stepSeconds: number;
  /** The frame for the step at or just before `t` (epoch ms). */
  frame(t: number): Promise<Frame>;
  /** One frame per step from `start` to `end` inclusive (epoch ms), aligned to the step. */
  range(start: number, end: number, onProgress?: ProgressCallback): Promise<Frame[]>;
  close(): Promise<void>;
}

/** Reads one value out of a frame; NaN when the service or feature is absent or a gap. */
export function frameValue(frame: Frame, service: string, feature: Feature): number {
  const s = frame.services.indexOf(service);
  const f = frame.features.indexOf(feature);
  if (s < 0 || f < 0) return Number.NaN;
  return frame.values[s * frame.features.length + f] ?? Number.NaN;
}
