/**
 * Autoscalers the simulator compares. Each one only decides what its HPAs see at a sync; the same
 * HPA algorithm (planning/hpa.ts) turns that into replicas for all of them:
 *  - `cpu-hpa`: a native HPA on CPU utilization (no behavior: the controller's defaults);
 *  - predictive ones: a forecaster → the planner → an External metric with AverageValue 1 per
 *    service, the way this adapter is deployed (DeepScaler's GNN, Holt, or the oracle, which
 *    "forecasts" the true future demand and so gives the cost floor).
 */
import { DEMAND_FEATURES, type Forecast, type Forecaster } from '../forecast/index.js';
import type { History, HistoryWindow } from '../history/index.js';
import type { HpaBehavior, HpaMetric, HpaSpec } from '../planning/hpa.js';
import type { ServiceCapacity } from '../planning/index.js';
import { planReplicas, reactiveReplicas } from '../planning/planner.js';
import { ForecastErrorTracker } from '../planning/forecast-error.js';
import type { Frame } from '../sources/index.js';
import type { AppModel } from './app.js';
import type { Cluster } from './cluster.js';

export interface ScalingSettings {
  /** CPU utilization target as a fraction of the request (the HPA's averageUtilization / 100). */
  readonly targetUtilization: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

export const DEFAULT_SCALING: ScalingSettings = { targetUtilization: 0.6, minReplicas: 1, maxReplicas: 100 };

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
  /** Each step's frame, before any sync that step. */
  observe(frame: Frame): void;
  /** The metrics each service's HPA reads at this sync, in the order of the app's services. */
  metrics(view: ScalingView): Promise<HpaMetric[][]>;
}

export function capacities(app: AppModel, settings: ScalingSettings): ServiceCapacity[] {
  return app.services.map((service, s) => ({
    service,
    cpuPerPodCores: app.cpuRequestCores[s]! * settings.targetUtilization,
    minReplicas: settings.minReplicas,
    maxReplicas: settings.maxReplicas,
  }));
}

/** What a CPU-utilization HPA reads for service s: pods ready a whole step have samples, newer ones are unready. */
export function cpuUtilizationMetric(cluster: Cluster, s: number, settings: ScalingSettings): HpaMetric {
  const ready = cluster.settledPods[s]!;
  if (ready === 0) return { type: 'Failed', error: 'no ready pod has a CPU sample yet' };
  return {
    type: 'Resource',
    target: 'Utilization',
    readyUsageCores: cluster.settledUsageCores[s]!,
    readyPods: ready,
    unreadyPods: cluster.replicas(s) - ready,
    missingPods: 0,
    podRequestCores: cluster.app.cpuRequestCores[s]!,
    averageUtilization: Math.round(settings.targetUtilization * 100),
  };
}

export class CpuHpaAutoscaler implements Autoscaler {
  readonly name = 'cpu-hpa';
  readonly historySteps = 1;

  constructor(private readonly settings: ScalingSettings = DEFAULT_SCALING) {}

  hpaSpec(): HpaSpec {
    return { minReplicas: this.settings.minReplicas, maxReplicas: this.settings.maxReplicas };
  }

  observe(): void {}

  async metrics(view: ScalingView): Promise<HpaMetric[][]> {
    return view.cluster.app.services.map((_, s) => [cpuUtilizationMetric(view.cluster, s, this.settings)]);
  }
}

export interface PredictiveOptions {
  readonly settings?: ScalingSettings;
  /** Seconds ahead the plan covers: pod start-up + HPA sync + one step of data age. */
  readonly lookAheadSeconds: number;
  /** Fixed safety margin; with `adaptiveMargin` the margin of a service with an error record is its recent error instead. */
  readonly margin?: number;
  readonly adaptiveMargin?: boolean;
  /** Pair the served value with a CPU-utilization metric on the same HPA (the spec's reactive floor). */
  readonly cpuFloor?: boolean;
  /** HPA behavior of the predictive HPAs; default: scale down after 60 s instead of 300 s. */
  readonly behavior?: HpaBehavior;
}

export const PREDICTIVE_BEHAVIOR: HpaBehavior = { scaleDown: { stabilizationWindowSeconds: 60 } };

/** A forecaster + the planner, served to HPAs as External AverageValue 1 (the adapter's deployment). */
export class PredictiveAutoscaler implements Autoscaler {
  readonly historySteps: number;
  private readonly settings: ScalingSettings;
  private readonly capacities: ServiceCapacity[];
  private readonly tracker: ForecastErrorTracker | null;
  private cached: { at: number; forecast: Forecast } | null = null;

  constructor(
    readonly name: string,
    private readonly forecaster: Forecaster,
    app: AppModel,
    private readonly options: PredictiveOptions,
  ) {
    this.settings = options.settings ?? DEFAULT_SCALING;
    this.capacities = capacities(app, this.settings);
    this.historySteps = forecaster.inputSteps;
    this.tracker = options.adaptiveMargin ? new ForecastErrorTracker({ window: 20, maxMargin: 0.5 }) : null;
  }

  hpaSpec(): HpaSpec {
    return { minReplicas: this.settings.minReplicas, maxReplicas: this.settings.maxReplicas, behavior: this.options.behavior ?? PREDICTIVE_BEHAVIOR };
  }

  observe(frame: Frame): void {
    this.tracker?.observe(frame);
  }

  /** One forecast per new frame, however often the HPAs sync. */
  private async forecastFor(window: HistoryWindow): Promise<Forecast> {
    const at = window.timestamps[window.timestamps.length - 1]!;
    if (this.cached?.at !== at) {
      const forecast = await this.forecaster.forecast(window);
      this.tracker?.recordForecast(forecast);
      this.cached = { at, forecast };
    }
    return this.cached.forecast;
  }

  async metrics(view: ScalingView): Promise<HpaMetric[][]> {
    const { cluster } = view;
    const window = view.history.window(this.forecaster.inputSteps);
    const recommendations =
      window === null
        ? reactiveReplicas(
            cluster.app.services.map((service, s) => ({ service, cpuCores: cluster.cpuCores[s]!, req: Number.NaN, replicas: cluster.replicas(s) })),
            this.capacities,
          )
        : planReplicas(await this.forecastFor(window), this.capacities, {
            lookAheadSeconds: this.options.lookAheadSeconds,
            defaultMargin: this.options.margin ?? 0,
            ...(this.tracker ? { marginByService: this.tracker.margins() } : {}),
          });
    const desired = new Map(recommendations.map((r) => [r.service, r.desiredReplicas] as const));
    return cluster.app.services.map((service, s) => {
      const count = desired.get(service);
      const served: HpaMetric =
        count === undefined ? { type: 'Failed', error: `${this.name} has no value for ${service}` } : { type: 'External', target: 'AverageValue', usage: count, averageValue: 1 };
      return this.options.cpuFloor ? [served, cpuUtilizationMetric(cluster, s, this.settings)] : [served];
    });
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
