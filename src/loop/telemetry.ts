/**
 * The serving loop's own Prometheus metrics (prefix `deepscaler_`): the state of each application
 * (model loaded, last step, stale, fallback) for alerts, and predicted vs actual demand, desired vs
 * current replicas, forecast error and the calibration (correction, realized miss rate vs risk) for Grafana. Built on a given registry so tests stay isolated.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AppSnapshot, FallbackPolicy } from '../snapshot/index.js';
import { frameValue, type Frame } from '../core/index.js';
import { DEMAND_FEATURES, type ServiceCalibration } from '../forecast/index.js';
import type { ServiceGap } from './data-gaps.js';

const FALLBACK_LABELS: readonly (FallbackPolicy | 'cold-start')[] = ['last-value', 'reactive', 'unavailable', 'cold-start'];

type AppLabels = 'namespace' | 'app';

export class LoopMetrics {
  readonly modelLoaded: Gauge<'app'>;
  readonly lastStep: Gauge<AppLabels>;
  readonly stale: Gauge<AppLabels>;
  readonly fallbackActive: Gauge<AppLabels | 'policy'>;
  readonly modelLoads: Counter<'app'>;
  readonly modelLoadFailures: Counter<'app'>;
  readonly sourceErrors: Counter<'app' | 'reason'>;
  readonly modelWorkerRestarts: Counter<'app'>;
  readonly dataMissing: Gauge<AppLabels | 'service' | 'feature'>;
  readonly serviceHeld: Gauge<AppLabels | 'service'>;
  readonly forecastFailures: Counter<'app'>;
  readonly forecastSeconds: Gauge<'app'>;
  readonly predictedDemand: Gauge<AppLabels | 'service' | 'feature'>;
  readonly actualDemand: Gauge<AppLabels | 'service' | 'feature'>;
  readonly desiredReplicas: Gauge<AppLabels | 'service'>;
  readonly currentReplicas: Gauge<AppLabels | 'service'>;
  readonly forecastError: Gauge<AppLabels | 'service'>;
  readonly underprovision: Gauge<AppLabels | 'service' | 'feature'>;
  readonly correction: Gauge<AppLabels | 'service' | 'feature'>;
  readonly risk: Gauge<AppLabels | 'service'>;
  /** Newest data timestamp per application, for the age gauge computed at scrape time. */
  private readonly dataTimes = new Map<string, { namespace: string; at: number }>();

  constructor(registry: Registry, now: () => number = Date.now) {
    const registers = [registry];
    const dataTimes = this.dataTimes;
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> => new Gauge({ name, help, labelNames, registers });
    const counter = (name: string, help: string): Counter<'app'> => new Counter({ name, help, labelNames: ['app'], registers });
    this.modelLoaded = gauge('deepscaler_model_loaded', 'A model (not a cold-start estimate) produced the served values: 1, else 0', ['app']);
    this.lastStep = gauge('deepscaler_app_last_step_timestamp_seconds', 'Wall-clock time the newest data of the application arrived', ['namespace', 'app']);
    this.stale = gauge('deepscaler_prediction_stale', 'The newest data is older than the configured max age: 1, else 0', ['namespace', 'app']);
    this.fallbackActive = gauge(
      'deepscaler_fallback_active',
      'The fallback shaping the served values (last-value, reactive, unavailable, cold-start): 1, others 0',
      ['namespace', 'app', 'policy'],
    );
    this.modelLoads = counter('deepscaler_model_loads_total', 'Models loaded (first load and reloads)');
    this.modelLoadFailures = counter('deepscaler_model_load_failures_total', 'Model loads that failed (the last good model stayed)');
    this.sourceErrors = new Counter({
      name: 'deepscaler_source_errors_total',
      help: 'Steps whose metrics could not be read from the source, by reason (timeout, unreachable, http-error, bad-answer, no-data, error)',
      labelNames: ['app', 'reason'],
      registers,
    });
    this.modelWorkerRestarts = counter('deepscaler_model_worker_restarts_total', 'Model worker threads that died and were started again (with backoff)');
    this.dataMissing = gauge('deepscaler_service_data_missing', 'The newest frame has no value of this demand feature for this service: 1, else 0', [
      'namespace',
      'app',
      'service',
      'feature',
    ]);
    this.serviceHeld = gauge(
      'deepscaler_service_held',
      'The service is served its last value because its data is missing (never a scale-in on missing data): 1, else 0',
      ['namespace', 'app', 'service'],
    );
    this.forecastFailures = counter('deepscaler_forecast_failures_total', 'Forecasts that failed or timed out (the reactive estimate was served)');
    this.forecastSeconds = gauge('deepscaler_forecast_duration_seconds', 'Duration of the latest forecast', ['app']);
    this.predictedDemand = gauge('deepscaler_predicted_demand', 'Peak forecast demand inside the look-ahead window (cpu_cores in cores, req in requests/s)', [
      'namespace',
      'app',
      'service',
      'feature',
    ]);
    this.actualDemand = gauge('deepscaler_actual_demand', 'Newest observed demand (cpu_cores in cores, req in requests/s)', [
      'namespace',
      'app',
      'service',
      'feature',
    ]);
    this.desiredReplicas = gauge('deepscaler_desired_replicas', 'Desired replicas served to the HPA', ['namespace', 'app', 'service']);
    this.currentReplicas = gauge('deepscaler_current_replicas', 'Replicas running now, as the source reports them', ['namespace', 'app', 'service']);
    this.forecastError = gauge('deepscaler_forecast_error_ratio', 'Mean absolute percentage error of recent forecasts (0.1 = 10 %)', [
      'namespace',
      'app',
      'service',
    ]);
    this.underprovision = gauge(
      'deepscaler_underprovision_ratio',
      'Realized miss rate: share of recent resolved look-aheads whose peak demand exceeded the calibrated plan (compare with deepscaler_risk_ratio)',
      ['namespace', 'app', 'service', 'feature'],
    );
    this.correction = gauge(
      'deepscaler_calibration_correction',
      'Factor the forecast peak is multiplied by to reach the (1 − risk) quantile of the realized peak (1.2 = +20 %)',
      ['namespace', 'app', 'service', 'feature'],
    );
    this.risk = gauge('deepscaler_risk_ratio', 'Target: the accepted probability that the look-ahead peak exceeds the planned capacity', [
      'namespace',
      'app',
      'service',
    ]);
    new Gauge({
      name: 'deepscaler_prediction_age_seconds',
      help: 'Now minus the time the served data arrived',
      labelNames: ['namespace', 'app'],
      registers,
      collect() {
        for (const [app, { namespace, at }] of dataTimes) this.set({ namespace, app }, Math.max(0, (now() - at) / 1000));
      },
    });
  }

  /** Mirrors a published snapshot. */
  published(snapshot: AppSnapshot): void {
    const { app, namespace } = snapshot;
    this.modelLoaded.set({ app }, snapshot.state.modelUsed ? 1 : 0);
    this.stale.set({ namespace, app }, snapshot.state.stale ? 1 : 0);
    if (snapshot.state.lastStepAt !== null) {
      this.lastStep.set({ namespace, app }, snapshot.state.lastStepAt / 1000);
      this.dataTimes.set(app, { namespace, at: snapshot.dataTimestamp });
    }
    const active = snapshot.unavailableReason !== null ? 'unavailable' : snapshot.state.fallback;
    for (const policy of FALLBACK_LABELS) this.fallbackActive.set({ namespace, app, policy }, policy === active ? 1 : 0);
    for (const rec of snapshot.recommendations) {
      const service = rec.service;
      this.desiredReplicas.set({ namespace, app, service }, rec.desiredReplicas);
      if (Number.isFinite(rec.peakCpuCores)) this.predictedDemand.set({ namespace, app, service, feature: 'cpu_cores' }, rec.peakCpuCores);
      if (Number.isFinite(rec.peakReq)) this.predictedDemand.set({ namespace, app, service, feature: 'req' }, rec.peakReq);
    }
  }

  /** Mirrors a frame that arrived from the source. */
  observed(namespace: string, app: string, services: readonly string[], frame: Frame): void {
    for (const service of services) {
      for (const feature of DEMAND_FEATURES) {
        const v = frameValue(frame, service, feature);
        if (Number.isFinite(v)) this.actualDemand.set({ namespace, app, service, feature }, v);
      }
      const pods = frameValue(frame, service, 'pod');
      if (Number.isFinite(pods)) this.currentReplicas.set({ namespace, app, service }, pods);
    }
  }

  /** Mirrors which services lacked which demand feature in the step, and which were held. */
  gaps(namespace: string, app: string, services: readonly string[], gaps: readonly ServiceGap[]): void {
    const byService = new Map(gaps.map((g) => [g.service, g] as const));
    for (const service of services) {
      const gap = byService.get(service);
      for (const feature of DEMAND_FEATURES) this.dataMissing.set({ namespace, app, service, feature }, gap?.missing.includes(feature) ? 1 : 0);
      this.serviceHeld.set({ namespace, app, service }, gap?.held ? 1 : 0);
    }
  }

  errors(namespace: string, app: string, errors: ReadonlyMap<string, number>): void {
    for (const [service, e] of errors) this.forecastError.set({ namespace, app, service }, e);
  }

  /** Mirrors the calibration: the correction in force, the realized miss rate and its target, per service. */
  calibrated(namespace: string, app: string, state: ReadonlyMap<string, ServiceCalibration>, riskOf: (service: string) => number): void {
    for (const [service, byFeature] of state) {
      this.risk.set({ namespace, app, service }, riskOf(service));
      for (const feature of DEMAND_FEATURES) {
        const { correction, missRate } = byFeature[feature];
        this.correction.set({ namespace, app, service, feature }, correction);
        // No resolved look-ahead yet: no rate to show (absent, rather than a misleading 0).
        if (Number.isFinite(missRate)) this.underprovision.set({ namespace, app, service, feature }, missRate);
        else this.underprovision.remove({ namespace, app, service, feature });
      }
    }
  }
}
