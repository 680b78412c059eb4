/**
 * A PHPA-style autoscaler (jthomperoo/predictive-horizontal-pod-autoscaler): per service, the
 * replica count a CPU HPA would want at each sync is kept as a history, Holt-Winters forecasts
 * that history over the look-ahead, and the decision is the maximum of the current count and the
 * forecasts (PHPA's "maximum" decision). Like PHPA, the seasonal part needs two whole seasons of
 * history; before that the forecast is Holt's linear trend on the same history.
 */
import type { Frame } from '../core/index.js';
import { CpuHpaAutoscaler, hpaSpecFor, type Autoscaler, type ScalingSettings, type ScalingView } from './autoscalers.js';
import type { Cluster } from './cluster.js';
import type { HpaMetric, HpaSpec } from './hpa.js';

export interface HoltWintersParams {
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  /** Season length in samples. */
  readonly season: number;
}

/**
 * Additive Holt-Winters forecast `horizon` samples ahead; with fewer than two seasons of history,
 * Holt's linear trend (gamma unused). Forecasts below 0 clamp to 0.
 */
export function holtWinters(history: readonly number[], horizon: number, p: HoltWintersParams): number[] {
  const n = history.length;
  if (n === 0) return [];
  const seasonal = n >= 2 * p.season && p.season > 1;
  const m = seasonal ? p.season : 1;
  // Initial level: the first season's mean; trend: the mean change between the first two seasons.
  let level = seasonal ? mean(history.slice(0, m)) : history[0]!;
  let trend = seasonal ? (mean(history.slice(m, 2 * m)) - level) / m : 0;
  const seasons = seasonal ? history.slice(0, m).map((x) => x - level) : [0];
  for (let t = seasonal ? m : 1; t < n; t++) {
    const x = history[t]!;
    const s = seasons[t % m]!;
    const previous = level;
    level = p.alpha * (x - s) + (1 - p.alpha) * (level + trend);
    trend = p.beta * (level - previous) + (1 - p.beta) * trend;
    if (seasonal) seasons[t % m] = p.gamma * (x - level) + (1 - p.gamma) * s;
  }
  return Array.from({ length: horizon }, (_, h) => Math.max(0, level + (h + 1) * trend + seasons[(n + h) % m]!));
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * The pods the sampled CPU needs at the target: what the HPA's calculation gives before its
 * readiness rules. Those rules answer "keep the current count" while new pods have no sample yet;
 * recorded as history, that answer lets the trend feed on its own scale-ups (a runaway to maxReplicas).
 */
export function podsForUsage(metric: Extract<HpaMetric, { type: 'Resource' }>): number {
  return Math.max(1, Math.ceil(metric.readyUsageCores / (metric.podRequestCores * (metric.averageUtilization / 100)) - 1e-9));
}

export const PHPA_PARAMS: Omit<HoltWintersParams, 'season'> = { alpha: 0.9, beta: 0.1, gamma: 0.9 };

export class PhpaAutoscaler implements Autoscaler {
  readonly name = 'phpa';
  readonly historySteps = 1;
  private readonly cpu: CpuHpaAutoscaler;
  private readonly history: number[][] = [];
  private readonly steps: number;

  constructor(
    private readonly settings: ScalingSettings,
    /** Seconds ahead the decision covers (pod start-up + a sync). */
    lookAheadSeconds: number,
    private readonly syncSeconds: number,
    cpuMetricsLagSeconds: number,
    /** Season length, s (a day). */
    private readonly seasonSeconds = 86_400,
    /** Replica samples kept per service (PHPA's storedValues). */
    private readonly keep = 2 * Math.ceil(86_400 / syncSeconds) + 1,
  ) {
    this.cpu = new CpuHpaAutoscaler(settings, cpuMetricsLagSeconds);
    this.steps = Math.max(1, Math.ceil(lookAheadSeconds / syncSeconds));
  }

  hpaSpec(): HpaSpec {
    return hpaSpecFor(this.settings);
  }

  observe(frame: Frame, cluster: Cluster): void {
    this.cpu.observe(frame, cluster);
  }

  async metrics(view: ScalingView): Promise<HpaMetric[][]> {
    const raw = await this.cpu.metrics(view);
    const season = Math.round(this.seasonSeconds / this.syncSeconds);
    return raw.map(([metric], s): HpaMetric[] => {
      if (metric === undefined || metric.type !== 'Resource') return [metric ?? { type: 'Failed', error: 'no CPU metric' }];
      const wanted = podsForUsage(metric);
      const history = (this.history[s] ??= []);
      history.push(wanted);
      if (history.length > this.keep) history.shift();
      const predicted = holtWinters(history, this.steps, { ...PHPA_PARAMS, season });
      const decision = Math.max(wanted, ...predicted.map((x) => Math.ceil(x - 1e-9)));
      return [{ type: 'External', target: 'AverageValue', usage: decision, averageValue: 1 }];
    });
  }
}
