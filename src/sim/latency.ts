/**
 * End-to-end latency statistics over a run without sampling: each step contributes its requests'
 * latency distribution (a fixed backlog delay plus a Gamma-shaped processing part; dropped requests
 * count as infinitely late) to a log-spaced histogram, from which percentiles are read, and to the
 * expected number of SLO violations. Deterministic, and exact up to the histogram's 3 % bins.
 */
import type { LatencyDistribution } from './cluster.js';

const MIN_SECONDS = 1e-3;
const MAX_SECONDS = 1e3;
const BINS = 480;
const LOG_RATIO = Math.log(MAX_SECONDS / MIN_SECONDS) / BINS;

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** P(Gamma(shape, scale) ≤ x) by the Wilson–Hilferty cube-root normal approximation. */
export function gammaCdf(x: number, shape: number, scale: number): number {
  if (x <= 0) return 0;
  if (scale <= 0) return 1;
  const k9 = 1 / (9 * shape);
  return normalCdf((Math.cbrt(x / (shape * scale)) - (1 - k9)) / Math.sqrt(k9));
}

/** P(latency ≤ x) for one step's distribution, counting dropped requests as never finishing. */
export function latencyCdf(d: LatencyDistribution, x: number): number {
  return (1 - d.failed) * gammaCdf(x - d.delay, d.shape, d.scale);
}

export interface LatencySummary {
  readonly requests: number;
  /** Share of requests slower than the SLO or dropped. */
  readonly sloViolationRate: number;
  readonly dropRate: number;
  /** Request-weighted mean of the finished requests, s. */
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export class LatencyStats {
  private readonly histogram = new Float64Array(BINS + 2); // [below MIN, BINS…, at or above MAX]
  private requests = 0;
  private violations = 0;
  private failed = 0;
  private weightedMean = 0;

  constructor(readonly sloSeconds: number) {
    if (!(sloSeconds > 0)) throw new Error(`latency SLO must be positive, got ${sloSeconds} s`);
  }

  add(d: LatencyDistribution): void {
    if (d.requests <= 0) return;
    this.requests += d.requests;
    this.failed += d.requests * d.failed;
    this.violations += d.requests * (1 - latencyCdf(d, this.sloSeconds));
    this.weightedMean += d.requests * (1 - d.failed) * d.mean;
    let previous = latencyCdf(d, MIN_SECONDS);
    this.histogram[0]! += d.requests * previous;
    for (let b = 1; b <= BINS; b++) {
      const cdf = latencyCdf(d, MIN_SECONDS * Math.exp(b * LOG_RATIO));
      this.histogram[b]! += d.requests * (cdf - previous);
      previous = cdf;
      if (cdf >= 1 - d.failed - 1e-12) break; // the rest of the finite mass is in; skip the tail bins
    }
    this.histogram[BINS + 1]! += d.requests * Math.max(0, 1 - previous);
  }

  /** The latency below which `q` of all requests finished (Infinity when drops make up the tail). */
  quantile(q: number): number {
    if (this.requests === 0) return Number.NaN;
    const target = q * this.requests;
    let cumulative = 0;
    for (let b = 0; b < this.histogram.length; b++) {
      const mass = this.histogram[b]!;
      if (cumulative + mass >= target && mass > 0) {
        if (b === 0) return MIN_SECONDS;
        if (b === BINS + 1) return Number.POSITIVE_INFINITY;
        const within = (target - cumulative) / mass;
        return MIN_SECONDS * Math.exp((b - 1 + within) * LOG_RATIO);
      }
      cumulative += mass;
    }
    return Number.POSITIVE_INFINITY;
  }

  summary(): LatencySummary {
    const finished = this.requests - this.failed;
    return {
      requests: this.requests,
      sloViolationRate: this.requests > 0 ? this.violations / this.requests : 0,
      dropRate: this.requests > 0 ? this.failed / this.requests : 0,
      mean: finished > 0 ? this.weightedMean / finished : Number.NaN,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
    };
  }
}
