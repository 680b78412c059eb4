/**
 * Autoscalers the simulator compares. Each one only decides what its HPAs see at a sync; the same
 * HPA algorithm (hpa.ts), with the same HpaSpec (`hpaSpecFor`) unless a run says otherwise, turns
 * that into replicas for all of them:
 *  - `cpu-hpa`: a native HPA on CPU utilization;
 *  - predictive ones: the adapter's own loop (loop/sim-adapter.ts) serving External AverageValue 1
 *    per service, the way this adapter is deployed — with the GNN, Holt, or a forecaster that
 *    knows the trace (`OracleForecaster`, for the perfect-foresight reference).
 */
import { DEMAND_FEATURES, type Forecast, type Forecaster } from '../forecast/index.js';
import type { History, HistoryWindow } from '../history/index.js';
import { HPA_DEFAULTS, type HpaMetric, type HpaSpec } from './hpa.js';
import type { Frame } from '../core/index.js';
import type { AppModel } from './app.js';
import type { Cluster } from './cluster.js';

export interface ScalingSettings {
  /** CPU utilization target as a fraction of the request (the HPA's averageUtilization / 100). */
  readonly targetUtilization: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** behavior.scaleDown.stabilizationWindowSeconds of every HPA (Kubernetes' default: 300 s). */
  readonly scaleDownWindowSeconds: number;
  /** The controller's tolerance around the target (--horizontal-pod-autoscaler-tolerance). */
  readonly tolerance: number;
}

export const DEFAULT_SCALING: ScalingSettings = {
  targetUtilization: 0.6,
  minReplicas: 1,
  maxReplicas: 100,
  scaleDownWindowSeconds: HPA_DEFAULTS.downscaleStabilizationSeconds,
  tolerance: HPA_DEFAULTS.tolerance,
};

/** The HPA every autoscaler's services get: equal terms, whatever reads the metric. */
export function hpaSpecFor(settings: ScalingSettings): HpaSpec {
  return {
    minReplicas: settings.minReplicas,
    maxReplicas: settings.maxReplicas,
    behavior: { scaleDown: { stabilizationWindowSeconds: settings.scaleDownWindowSeconds } },
    tolerance: settings.tolerance,
  };
}

/** What an autoscaler may look at when its HPAs sync. */
export interface ScalingView {
  /** Simulated seconds since the start. */
  readonly now: number;
  readonly cluster: Cluster;
  /** Frames so far, newest last. */
  readonly history: History;
}

export interface Autoscaler {
  readonly name: string;
  /** Frames of history the autoscaler needs (the runner keeps at least this many). */
  readonly historySteps: number;
  hpaSpec(service: string): HpaSpec;
  /** Each step's frame and the cluster after it, before any sync that step (the adapter's loop steps here). */
  observe(frame: Frame, cluster: Cluster): void | Promise<void>;
  /** The metrics each service's HPA reads at this sync, in the order of the app's services. */
  metrics(view: ScalingView): Promise<HpaMetric[][]>;
}

/** One step's CPU sample per service, as the metrics pipeline keeps it. */
interface CpuSample {
  /** End of the step, simulated seconds. */
  readonly end: number;
  /** Mean CPU of the pods that were ready for the whole step, cores (NaN when there were none). */
  readonly usagePerPod: Float64Array;
}

/**
 * What a CPU-utilization HPA reads: the newest sample at least `lagSeconds` old (metrics-server's
 * scrape and resolution window), grouped as the controller groups pods — pods that were ready
 * through the sampled step have a sample; pods ready since then are `missingPods` (running, no
 * metric yet); pods not ready now are unready.
 */
export function cpuUtilizationMetric(cluster: Cluster, s: number, sample: CpuSample | null, settings: ScalingSettings): HpaMetric {
  if (sample === null) return { type: 'Failed', error: 'no CPU sample is old enough yet' };
  const sampled = cluster.readyPods(s, sample.end - cluster.stepSeconds);
  const usage = sample.usagePerPod[s]!;
  if (sampled === 0 || !Number.isFinite(usage)) return { type: 'Failed', error: 'no ready pod has a CPU sample yet' };
  const ready = cluster.readyPods(s);
  return {
    type: 'Resource',
    target: 'Utilization',
    readyUsageCores: usage * sampled,
    readyPods: sampled,
    unreadyPods: cluster.replicas(s) - ready,
    missingPods: ready - sampled,
    podRequestCores: cluster.app.cpuRequestCores[s]!,
    averageUtilization: Math.round(settings.targetUtilization * 100),
  };
}

/** Default age of the CPU the HPA reads: metrics-server scrapes every 15 s over a 60 s window. */
export const DEFAULT_CPU_METRICS_LAG_SECONDS = 60;

export class CpuHpaAutoscaler implements Autoscaler {
  readonly name = 'cpu-hpa';
  readonly historySteps = 1;
  private readonly samples: CpuSample[] = [];

  constructor(
    private readonly settings: ScalingSettings = DEFAULT_SCALING,
    private readonly lagSeconds = DEFAULT_CPU_METRICS_LAG_SECONDS,
  ) {}

  hpaSpec(): HpaSpec {
    return hpaSpecFor(this.settings);
  }

  observe(_frame: Frame, cluster: Cluster): void {
    const usagePerPod = Float64Array.from(cluster.settledPods, (pods, s) => (pods > 0 ? cluster.settledUsageCores[s]! / pods : Number.NaN));
    this.samples.push({ end: cluster.now, usagePerPod });
    // Keep the samples the lag can still reach, and the newest one older than that.
    const cutoff = cluster.now - this.lagSeconds;
    while (this.samples.length > 1 && this.samples[1]!.end <= cutoff) this.samples.shift();
  }

  async metrics(view: ScalingView): Promise<HpaMetric[][]> {
    const oldEnough = this.samples[0] !== undefined && this.samples[0].end <= view.now - this.lagSeconds ? this.samples[0] : null;
    return view.cluster.app.services.map((_, s) => [cpuUtilizationMetric(view.cluster, s, oldEnough, this.settings)]);
  }
}

/**
 * Knows the workload ahead: its forecast is the true demand (visits × external rate × CPU per
 * request) of the next steps. Through the same planner it gives the least capacity that carries
 * the load at the target utilization — the cost floor a predictor can reach.
 */
export class OracleForecaster implements Forecaster {
  readonly name = 'oracle';
  readonly inputSteps = 1;

  constructor(
    private readonly app: AppModel,
    /** External requests/s per simulation step. */
    private readonly rates: Float64Array,
    private readonly startMs: number,
    private readonly stepSeconds: number,
    readonly horizon: number,
  ) {}

  async forecast(window: HistoryWindow): Promise<Forecast> {
    const issuedAt = window.timestamps[window.timestamps.length - 1]!;
    // The frame at issuedAt closes step k − 1; forecast step h covers simulation step k + h.
    const k = Math.round((issuedAt - this.startMs) / (this.stepSeconds * 1000));
    const n = this.app.services.length;
    const targets = DEMAND_FEATURES;
    const values = new Float32Array(this.horizon * n * targets.length);
    for (let h = 0; h < this.horizon; h++) {
      const rate = this.rates[Math.min(this.rates.length - 1, k + h)]!;
      for (let s = 0; s < n; s++) {
        const req = this.app.visits[s]! * rate;
        values[(h * n + s) * 2] = req * this.app.cpuSecondsPerRequest[s]!;
        values[(h * n + s) * 2 + 1] = req;
      }
    }
    return { model: this.name, issuedAt, stepSeconds: this.stepSeconds, horizon: this.horizon, services: this.app.services, targets, values };
  }
}
