/**
 * The adapter itself as a simulated autoscaler: the simulator's frames go through a real AppLoop
 * (history → forecaster host → the decision engine → snapshot), with the configuration `serve`
 * would parse, and the simulated HPAs read the published snapshot as External AverageValue 1 —
 * exactly what a cluster's HPAs read from the API. No copy of the decision path exists for the
 * benchmark: cold start via the baseline, the missing-service fallback, the calibration of the
 * forecast to the risk, the guarded scale-in and the stale-data rules are the product's.
 *
 * The loop's clock is simulated time. Prometheus lag: a frame becomes readable `lagSeconds` after
 * its step ends, and the loop measures (and plans over) that age the way it does against Prometheus.
 */
import { Registry } from 'prom-client';
import { parseServeConfig, type ApplicationConfig } from '../config/index.js';
import type { Forecaster } from '../forecast/index.js';
import type { AppModel, Autoscaler, ScalingView, HpaMetric, HpaSpec } from '../sim/index.js';
import { SnapshotStore, type AppSnapshot } from '../snapshot/index.js';
import type { Frame, MetricsSource } from '../core/index.js';
import { createLogger, type Logger } from '../telemetry/index.js';
import { AppLoop, type ModelSlot } from './app-loop.js';
import { baselineFor, capacitiesFor } from './index.js';
import { LoopMetrics } from './telemetry.js';
import { liveTimeline } from './timeline.js';

export interface SimulatedAppSettings {
  readonly stepSeconds: number;
  readonly targetUtilization: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** The slowest pod start-up the plan must cover (the config's lookAhead.podStartupSeconds). */
  readonly podStartupSeconds: number;
  readonly hpaSyncSeconds: number;
  /** The simulated HPAs' scale-down stabilization window (the scale-in guard looks that far). */
  readonly scaleDownWindowSeconds: number;
  /** The policy knob (risk); undefined keeps serve's default. */
  readonly risk?: number;
  /** The model folder, or null for the baseline only. */
  readonly model: string | null;
}

/**
 * The application configuration `serve` would run for the simulated app: parsed by the same
 * parser, so every default not named here (calibration, scale-in mode, baseline, fallback) is serve's.
 */
export function simulatedAppConfig(app: AppModel, settings: SimulatedAppSettings): ApplicationConfig {
  const overrides = Object.fromEntries(app.services.map((service, s) => [service, { cpuRequestCores: app.cpuRequestCores[s]! }]));
  return parseServeConfig(
    {
      applications: [
        {
          name: 'simulated',
          namespace: 'simulated',
          services: [...app.services],
          // Frames come from the simulator in process; the source entry only satisfies the schema.
          source: { kind: 'simulator', trace: 'in-process' },
          stepSeconds: settings.stepSeconds,
          ...(settings.model !== null ? { model: settings.model } : {}),
          capacity: { targetUtilization: settings.targetUtilization },
          minReplicas: settings.minReplicas,
          maxReplicas: settings.maxReplicas,
          serviceOverrides: overrides,
          lookAhead: {
            podStartupSeconds: settings.podStartupSeconds,
            hpaSyncSeconds: settings.hpaSyncSeconds,
            scaleDownWindowSeconds: settings.scaleDownWindowSeconds,
          },
          ...(settings.risk !== undefined ? { risk: settings.risk } : {}),
        },
      ],
    },
    '/',
    'simulated application',
  ).applications[0]!;
}

/** Frames pushed by the simulator, each readable once it is `lagSeconds` old (Prometheus' scrape + rate lag). */
class LaggedFeed implements MetricsSource {
  readonly features;
  private readonly frames: Frame[] = [];

  constructor(
    readonly services: readonly string[],
    features: MetricsSource['features'],
    readonly stepSeconds: number,
    private readonly lagMs: number,
  ) {
    this.features = features;
  }

  push(frame: Frame): void {
    this.frames.push(frame);
    // Keep only what the lag can still reach (plus the newest readable one).
    const horizon = frame.timestamp - this.lagMs - this.stepSeconds * 1000;
    while (this.frames.length > 1 && this.frames[1]!.timestamp <= horizon) this.frames.shift();
  }

  async frame(t: number): Promise<Frame> {
    let newest: Frame | null = null;
    for (const f of this.frames) if (f.timestamp <= t - this.lagMs) newest = f;
    if (newest === null) throw new Error(`no frame is ${this.lagMs / 1000} s old yet at ${new Date(t).toISOString()}`);
    return newest;
  }

  async range(): Promise<Frame[]> {
    return [];
  }

  async close(): Promise<void> {}
}

export interface AdapterAutoscalerOptions {
  readonly name: string;
  readonly app: AppModel;
  readonly config: ApplicationConfig;
  /** The model host (ModelHost in production); null for a baseline-only application. */
  readonly model: ModelSlot | null;
  /** Stands in before the model can forecast, or alone without one; default: serve's (`baselineFor`). */
  readonly baseline?: Forecaster | null;
  readonly hpa: HpaSpec;
  /** Seconds from the end of a step until Prometheus answers with it. */
  readonly metricsLagSeconds: number;
  readonly features: MetricsSource['features'];
  readonly logger?: Logger;
}

export class AdapterAutoscaler implements Autoscaler {
  readonly name: string;
  readonly historySteps = 1;
  private readonly feed: LaggedFeed;
  private readonly loop: AppLoop;
  private now = 0;
  private snapshot: AppSnapshot | null = null;

  constructor(private readonly options: AdapterAutoscalerOptions) {
    const { app, config } = options;
    this.name = options.name;
    this.feed = new LaggedFeed(app.services, options.features, config.stepSeconds, options.metricsLagSeconds * 1000);
    this.loop = new AppLoop({
      config,
      services: app.services,
      capacities: capacitiesFor(config, app.services, null, null),
      source: this.feed,
      // The loop steps when a step ends (a grid with no settle offset: the feed applies the lag itself);
      // the newest readable frame is then the lag, in whole steps, old.
      timeline: {
        ...liveTimeline(config.stepSeconds, 0, Math.ceil(options.metricsLagSeconds / config.stepSeconds) * config.stepSeconds),
        gridOffsetMs: 0,
      },
      model: options.model,
      baseline: options.baseline === undefined ? baselineFor(config) : options.baseline,
      store: new SnapshotStore(),
      metrics: new LoopMetrics(new Registry()),
      logger: options.logger ?? createLogger({ app: options.name }, () => {}),
      clock: () => this.now,
    });
  }

  hpaSpec(): HpaSpec {
    return this.options.hpa;
  }

  /** The loop steps once per data step, as `serve` does against a live source. */
  async observe(frame: Frame): Promise<void> {
    this.feed.push(frame);
    this.now = frame.timestamp;
    this.snapshot = await this.loop.step();
  }

  async metrics(view: ScalingView): Promise<HpaMetric[][]> {
    const snapshot = this.snapshot;
    return view.cluster.app.services.map((service): HpaMetric[] => {
      if (snapshot === null || snapshot.unavailableReason !== null) {
        return [{ type: 'Failed', error: snapshot?.unavailableReason ?? 'the adapter has published nothing yet' }];
      }
      const rec = snapshot.recommendations.find((r) => r.service === service);
      if (rec === undefined) return [{ type: 'Failed', error: `the adapter serves no value for ${service}` }];
      return [{ type: 'External', target: 'AverageValue', usage: rec.desiredReplicas, averageValue: 1 }];
    });
  }

  /** What the loop published last (for tests and reports). */
  get lastSnapshot(): AppSnapshot | null {
    return this.snapshot;
  }
}
