/**
 * The serving loop: every configured application steps on its own timer (source → history →
 * forecast → plan → snapshot) in one process; the API reads only the snapshots it publishes.
 *
 * Public contract: `ServingLoop.create(config, options)`, then `start()` / `stop()`; the store it
 * publishes to is the caller's, so the API server, the gRPC server and /metrics all read one store.
 */
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { ApplicationConfig, ServeConfig } from '../config/index.js';
import { ConfigError, type MetricsSource } from '../core/index.js';
import { baselineForecaster, DEMAND_FEATURES, type Forecaster } from '../forecast/index.js';
import { loadTopology, type Topology } from '../graph/index.js';
import { listDeployments, type DeploymentsApi } from '../kube/index.js';
import type { ServiceCapacity } from '../planning/index.js';
import type { SnapshotStore } from '../snapshot/index.js';
import { planSource, type SourcePlan } from '../sources/index.js';
import type { Logger } from '../telemetry/index.js';
import { AppLoop } from './app-loop.js';
import { ModelHost, type WorkerSetup } from './model-host.js';
import { LoopMetrics } from './telemetry.js';
import { settled, settleMs, timelineFor } from './timeline.js';

export interface ServingLoopOptions {
  readonly store: SnapshotStore;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Kubernetes access, for `capacity.fromDeployments` and `selector`; null without a cluster. */
  readonly deployments?: DeploymentsApi | null;
  /** Model loader used by the model workers; default: the GNN (src/model). */
  readonly modelLoader?: WorkerSetup;
  readonly clock?: () => number;
}

interface AppParts {
  readonly config: ApplicationConfig;
  readonly services: readonly string[];
  readonly capacities: readonly ServiceCapacity[];
  readonly model: ModelHost | null;
  readonly sourcePlan: SourcePlan;
  readonly logger: Logger;
}

interface Running {
  readonly loop: AppLoop;
  readonly source: MetricsSource;
}

export class ServingLoop {
  private running: Running[] = [];
  private started = false;

  private constructor(
    private readonly parts: readonly AppParts[],
    private readonly metrics: LoopMetrics,
    private readonly options: ServingLoopOptions,
  ) {}

  /** Builds every application; configuration problems (missing files, unknown services) throw here, at start-up. */
  static async create(config: ServeConfig, options: ServingLoopOptions): Promise<ServingLoop> {
    const metrics = new LoopMetrics(options.registry, options.clock);
    const parts: AppParts[] = [];
    const models: ModelHosts = new Map();
    for (const app of config.applications) parts.push(await planApp(app, metrics, options, models));
    return new ServingLoop(parts, metrics, options);
  }

  /** Namespace → names of the applications served there (for 404 vs 503 before the first publish). */
  namespaces(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const { config } of this.parts) out.set(config.namespace, [...(out.get(config.namespace) ?? []), config.name]);
    return out;
  }

  /** Every application's configuration and the capacities its planner uses (for explanations and the scorecard). */
  applications(): readonly { readonly config: ApplicationConfig; readonly capacities: readonly ServiceCapacity[] }[] {
    return this.parts.map(({ config, capacities }) => ({ config, capacities }));
  }

  /**
   * Per application: loads the model, opens the source (a replay's clock starts now, after the
   * model load), warms up history, publishes a first snapshot, then steps on a timer.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const clock = this.options.clock ?? Date.now;
    this.running = await Promise.all(
      this.parts.map(async (part) => {
        await part.model?.start();
        const { source: opened, pace } = await part.sourcePlan.open(clock());
        const timeline = timelineFor(pace, part.config.stepSeconds);
        // A live source is read only where its data has settled, so replicas read the same windows (timeline.ts).
        const source = pace.kind === 'live' ? settled(opened, settleMs(part.config.stepSeconds)) : opened;
        const loop = new AppLoop({
          config: part.config,
          services: part.services,
          capacities: part.capacities,
          source,
          timeline,
          model: part.model,
          baseline: baselineFor(part.config),
          store: this.options.store,
          metrics: this.metrics,
          logger: part.logger,
          ...(this.options.clock ? { clock: this.options.clock } : {}),
        });
        await loop.warmUp();
        await loop.start();
        return { loop, source };
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.running.map(({ loop }) => loop.stop()));
    await Promise.all([
      ...this.running.map(({ source }) => source.close()),
      ...[...new Set(this.parts.map(({ model }) => model))].map((model) => model?.stop()),
    ]);
    this.running = [];
  }
}

/** The forecaster an application uses with no model, or before its model can forecast (cold start). */
export function baselineFor(config: ApplicationConfig): Forecaster {
  return baselineForecaster(config.baseline, config.baselineHorizon, DEMAND_FEATURES);
}

async function planApp(app: ApplicationConfig, metrics: LoopMetrics, options: ServingLoopOptions, models: ModelHosts): Promise<AppParts> {
  const logger = options.logger.child({ app: app.name, namespace: app.namespace });
  const topology = app.topology === null ? null : loadTopology(app.topology);
  const deployments = app.capacity.fromDeployments ? await readDeployments(app, options.deployments ?? null) : null;
  const services = app.services ?? [...(deployments?.keys() ?? [])].sort();
  if (services.length === 0)
    throw new ConfigError(`application "${app.name}": selector "${app.selector}" matches no Deployment in namespace "${app.namespace}"`);
  const capacities = capacitiesFor(app, services, deployments, topology);
  const sourcePlan = planSource(app.source, {
    app: app.name,
    namespace: app.namespace,
    services,
    stepSeconds: app.stepSeconds,
    topology,
    scaling: { targetUtilization: app.capacity.targetUtilization, minReplicas: app.minReplicas, maxReplicas: app.maxReplicas },
    served: (service) => {
      const snapshot = options.store.current().apps.get(app.name);
      // A preview application's plan is not served, so the simulated HPAs must not follow it either.
      if (snapshot === undefined || snapshot.unavailableReason !== null || snapshot.preview) return null;
      return snapshot.recommendations.find((r) => r.service === service)?.desiredReplicas ?? null;
    },
  });
  const missing = services.filter((s) => !sourcePlan.services.includes(s));
  if (missing.length > 0) {
    throw new ConfigError(`application "${app.name}": the source has no data for ${missing.join(', ')} (it has ${sourcePlan.services.join(', ')})`);
  }
  return {
    config: app,
    services,
    capacities,
    model: app.model === null ? null : sharedModel(app, services, metrics, options, logger, models),
    sourcePlan,
    logger,
  };
}

/** Model hosts by what they load: applications with the same model folder, services and step share one. */
type ModelHosts = Map<string, { host: ModelHost; apps: string[] }>;

/**
 * The model host of an application: shared with every application that loads the same folder for
 * the same services and step, so N applications of one model cost one worker thread and one copy
 * of the model, not N (bench/scale/RESULTS.md). Loads and restarts are counted for each of them.
 */
function sharedModel(
  app: ApplicationConfig,
  services: readonly string[],
  metrics: LoopMetrics,
  options: ServingLoopOptions,
  logger: Logger,
  models: ModelHosts,
): ModelHost {
  const key = JSON.stringify([resolve(app.model!), app.stepSeconds, app.modelPollSeconds, services]);
  const shared = models.get(key);
  if (shared !== undefined) {
    shared.apps.push(app.name);
    return shared.host;
  }
  const apps = [app.name];
  const host = new ModelHost({
    dir: app.model!,
    requiredServices: services,
    stepSeconds: app.stepSeconds,
    pollMs: app.modelPollSeconds * 1000,
    logger,
    ...(options.modelLoader ? { loader: options.modelLoader } : {}),
    onLoadAttempt: (outcome) => apps.forEach((name) => (outcome.ok ? metrics.modelLoads : metrics.modelLoadFailures).inc({ app: name })),
    onWorkerRestart: () => apps.forEach((name) => metrics.modelWorkerRestarts.inc({ app: name })),
  });
  models.set(key, { host, apps });
  return host;
}

async function readDeployments(app: ApplicationConfig, api: DeploymentsApi | null): Promise<Map<string, number | null>> {
  if (api === null) throw new ConfigError(`application "${app.name}": capacity.fromDeployments needs a cluster (run in a pod or pass --kubeconfig)`);
  const list = await listDeployments(api, app.namespace, app.selector ?? undefined);
  return new Map([...list].map(([name, info]) => [name, info.cpuRequestCores] as const));
}

/**
 * Capacity per pod = CPU request × target utilization. The request comes from, in order: the
 * service's override, its Deployment, the topology file.
 */
export function capacitiesFor(
  app: ApplicationConfig,
  services: readonly string[],
  deployments: ReadonlyMap<string, number | null> | null,
  topology: Topology | null,
): ServiceCapacity[] {
  return services.map((service) => {
    const override = app.serviceOverrides.get(service);
    const fromTopology = topology?.services.find((s) => s.name === service);
    const request = override?.cpuRequestCores ?? deployments?.get(service) ?? (fromTopology ? fromTopology.cpuRequestMillicores / 1000 : undefined);
    if (request === undefined || request === null) {
      throw new ConfigError(
        `application "${app.name}": no CPU request known for service "${service}"; set serviceOverrides.${service}.cpuRequestCores, ` +
          `give its Deployment a CPU request (capacity.fromDeployments), or list it in the topology file`,
      );
    }
    return {
      service,
      cpuPerPodCores: request * app.capacity.targetUtilization,
      ...(override?.reqPerPod !== undefined ? { reqPerPod: override.reqPerPod } : {}),
      minReplicas: override?.minReplicas ?? app.minReplicas,
      maxReplicas: override?.maxReplicas ?? app.maxReplicas,
    };
  });
}

export { ModelHost } from './model-host.js';
export { AdapterAutoscaler, simulatedAppConfig } from './sim-adapter.js';
