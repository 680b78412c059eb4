/**
 * One application's step, repeated: read a frame → history → forecast → plan → publish one
 * immutable AppSnapshot. Nothing here runs on a request path: the API reads the published snapshot.
 *
 * Decisions, in order:
 * - no data yet: publish "unavailable" (503; the HPA holds its current scale);
 * - fresh data and a forecaster with enough history: the plan (services the forecast left blank
 *   get the reactive estimate);
 * - fresh data but no model or too little history (cold start): the reactive estimate, what a
 *   CPU HPA would do now; the forecast failed: the same, never below the last served values;
 * - stale data (older than maxAge): the configured fallback — last value, reactive (never below the
 *   last value: stale data must not scale in), or unavailable.
 * Whatever the decision, a service the newest frame has no demand for keeps at least its last
 * served value (data-gaps.ts): one vanished series must not scale that service in.
 */
import { History } from '../history/index.js';
import { type Forecast, type Forecaster, calibrationMemory, PeakCalibrator, type ServiceCalibration } from '../forecast/index.js';
import { type ApplicationConfig, lookAheadBaseSeconds, servicePolicy } from '../config/index.js';
import {
  ForecastErrorTracker,
  decide,
  lookAheadSteps,
  type CurrentUsage,
  type Recommendation,
  type ServiceCapacity,
  type ServicePolicy,
} from '../planning/index.js';
import type { AppSnapshot, AppState, LearnedGraph, SnapshotStore } from '../snapshot/index.js';
import { frameValue, SourceError, type Feature, type Frame, type MetricsSource } from '../core/index.js';
import type { Logger } from '../telemetry/index.js';
import { TimeoutError, withTimeout } from '../util/index.js';
import { holdGaps } from './data-gaps.js';
import type { LoopMetrics } from './telemetry.js';
import { gridSlot, type Timeline } from './timeline.js';

/** Where the model comes from; ModelHost in production, a double in tests. */
export interface ModelSlot {
  /**
   * The loaded model's forecaster, or null before one has loaded: the same object for as long as
   * the same model is loaded (a new object means a new model, and the calibration is rebuilt).
   */
  forecaster(): Forecaster | null;
  /** The loaded model's learned graph, for status pages; null when there is none. */
  readonly loaded: { readonly graph: LearnedGraph | null } | null;
  readonly lastError: string | null;
}

export interface AppLoopDeps {
  readonly config: ApplicationConfig;
  readonly services: readonly string[];
  readonly capacities: readonly ServiceCapacity[];
  readonly source: MetricsSource;
  readonly timeline: Timeline;
  /** The model; null when the application forecasts with a baseline only. */
  readonly model: ModelSlot | null;
  /** Forecaster used when there is no model, or before it has loaded (a baseline such as Holt). */
  readonly baseline: Forecaster | null;
  readonly store: SnapshotStore;
  readonly metrics: LoopMetrics;
  readonly logger: Logger;
  readonly clock?: () => number;
}

/** History kept per application; enough for the paper's 80-step input and then some. */
const HISTORY_STEPS = 288;

/** Recent forecast errors averaged per service for the forecast-error gauge (a diagnostic; the plan uses the calibration). */
const ERROR_WINDOW = 40;

/** Milliseconds a source read or a forecast may take before the step gives up on it. */
function budgetMs(intervalMs: number): number {
  return Math.max(5000, intervalMs);
}

interface Decision {
  readonly recommendations: readonly Recommendation[];
  readonly forecast: Forecast | null;
  readonly forecaster: string;
  readonly modelUsed: boolean;
  readonly fallback: AppState['fallback'];
  readonly unavailableReason: string | null;
  /** Seconds of forecast the plan read (its look-ahead); null when no forecast decided. */
  readonly windowSeconds: number | null;
}

/** The calibration of one forecaster: rebuilt from history whenever the forecaster changes. */
interface Calibrated {
  readonly forecaster: Forecaster;
  readonly calibrator: PeakCalibrator;
  /** The state after the newest resolved look-ahead, at each service's risk. */
  state: Map<string, ServiceCalibration>;
}

export class AppLoop {
  readonly name: string;
  private readonly history: History;
  private readonly tracker: ForecastErrorTracker;
  private calibrated: Calibrated | null = null;
  private readonly clock: () => number;
  private latest: { frame: Frame; receivedAt: number } | null = null;
  /** The last values actually served (not unavailable): the floor for fallbacks. */
  private lastServed: readonly Recommendation[] = [];
  /** Fallback and staleness of the previous publish, to log only when they change. */
  private lastMode = '';
  /** Services without data in the previous step, to log only when that changes. */
  private lastGaps = '';
  private sourceError: string | null = null;
  private forecastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly deps: AppLoopDeps) {
    const { config, source } = deps;
    this.name = config.name;
    // History also holds what a rebuild of the calibration replays: its memory + a model's input + the look-ahead.
    const capacity = Math.max(HISTORY_STEPS, config.source.warmupSteps, calibrationMemory(config.calibration) + 128);
    this.history = new History(deps.services, source.features, config.stepSeconds, capacity);
    this.tracker = new ForecastErrorTracker({ window: ERROR_WINDOW });
    this.clock = deps.clock ?? Date.now;
  }

  private get log(): Logger {
    return this.deps.logger;
  }

  /** Reads the warm-up range into history (a failure only means a colder start). */
  async warmUp(): Promise<void> {
    const range = this.deps.timeline.warmup(this.readTime(this.clock()));
    if (range === null) return;
    try {
      const frames = await this.deps.source.range(range.start, range.end);
      for (const frame of frames) this.history.push(frame);
      this.log.info('history warmed up', { steps: frames.length });
    } catch (err) {
      this.log.warn('could not read history at start-up; starting cold', { error: (err as Error).message });
    }
  }

  /**
   * Runs a step now and then every interval until stop(); resolves once the first snapshot is
   * published. Steps sit on a fixed grid — from the first one for a replay (so it never drifts
   * across step boundaries), epoch-aligned for a live source — and never overlap: a late step
   * skips grid slots.
   */
  async start(): Promise<void> {
    const interval = this.deps.timeline.intervalMs;
    // Live sources: the shared epoch-aligned grid, so replicas read the same steps (timeline.ts).
    const first = this.deps.timeline.gridOffsetMs ?? this.clock();
    const loop = async (): Promise<void> => {
      try {
        await this.step();
      } catch (err) {
        this.log.error('step failed', { error: err instanceof Error ? err.message : String(err) });
      }
      if (this.stopped) return;
      const now = this.clock();
      const next = gridSlot(now, first, interval) + interval;
      this.timer = setTimeout(() => {
        if (!this.stopped) this.running = loop();
      }, next - now);
    };
    this.running = loop();
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.running = null;
  }

  /** One step: observe, decide, publish. Never throws: every failure becomes state and a log line. */
  async step(): Promise<AppSnapshot> {
    const wallNow = this.clock();
    await this.observe(wallNow);
    const decision = this.holdDataGaps(await this.decide(wallNow));
    return this.publish(wallNow, decision);
  }

  /**
   * When a step reads the source: on a live (epoch-aligned) grid, the slot the step belongs to, not
   * the wall clock, so every replica reads the same data step at every slot (gridSlot).
   */
  private readTime(wallNow: number): number {
    const offset = this.deps.timeline.gridOffsetMs;
    return offset === undefined ? wallNow : gridSlot(wallNow, offset, this.deps.timeline.intervalMs);
  }

  private async observe(wallNow: number): Promise<void> {
    const { source, timeline, metrics, config } = this.deps;
    try {
      const frame = await withTimeout(source.frame(this.readTime(wallNow)), budgetMs(timeline.intervalMs), 'reading the source');
      if (!hasDemand(frame, this.deps.services))
        throw new SourceError(`no demand values for any service at ${new Date(frame.timestamp).toISOString()} (all gaps)`, 'no-data');
      this.history.push(frame);
      this.tracker.observe(frame);
      if (this.calibrated !== null) {
        this.calibrated.calibrator.observe(frame);
        this.calibrated.state = this.calibrated.calibrator.calibrate(this.riskOf);
        metrics.calibrated(config.namespace, config.name, this.calibrated.state, this.riskOf);
      }
      metrics.observed(config.namespace, config.name, this.deps.services, frame);
      metrics.errors(config.namespace, config.name, this.tracker.meanErrors());
      this.latest = { frame, receivedAt: wallNow };
      if (this.sourceError !== null) this.log.info('source recovered');
      this.sourceError = null;
    } catch (err) {
      this.sourceError = `source: ${(err as Error).message}`;
      metrics.sourceErrors.inc({ app: config.name, reason: err instanceof SourceError ? err.kind : err instanceof TimeoutError ? 'timeout' : 'error' });
      this.log.warn('source read failed', { error: (err as Error).message });
    }
  }

  private async decide(wallNow: number): Promise<Decision> {
    const { config } = this.deps;
    const latest = this.latest;
    if (latest === null) {
      return this.unavailable(`no data has arrived yet for application "${config.name}"${this.sourceError ? ` (${this.sourceError})` : ''}`);
    }
    const ageSeconds = (wallNow - latest.receivedAt) / 1000;
    if (ageSeconds > config.fallback.maxAgeSeconds) return this.staleFallback(ageSeconds, latest.frame);

    // The model when it is loaded and has enough history, else the baseline (Holt), else reactive.
    const model = this.deps.model?.forecaster() ?? null;
    const forecaster = [model, this.deps.baseline].find((f): f is Forecaster => f !== null && this.history.size >= f.inputSteps);
    if (forecaster === undefined) return { ...this.reactive(latest.frame), fallback: 'cold-start' };
    const window = this.history.window(forecaster.inputSteps)!;
    const usesModel = forecaster === model;
    const began = performance.now();
    try {
      const calibrated = this.calibrated?.forecaster === forecaster ? this.calibrated : await this.recalibrate(forecaster);
      const forecast = await withTimeout(forecaster.forecast(window), budgetMs(this.deps.timeline.intervalMs), `forecast by ${forecaster.name}`);
      this.deps.metrics.forecastSeconds.set({ app: config.name }, (performance.now() - began) / 1000);
      const { lookAhead, scaleIn } = this.steps(forecaster);
      const recommendations = decide({
        forecast,
        usage: this.usage(latest.frame),
        recentPeakUsage: this.recentPeakUsage(latest.frame),
        capacities: this.deps.capacities,
        lookAheadSteps: lookAhead,
        scaleInSteps: scaleIn,
        policy: this.policyOf,
        calibration: calibrated.state,
      });
      this.tracker.recordForecast(forecast);
      calibrated.calibrator.recordForecast(forecast);
      this.forecastError = null;
      return {
        recommendations,
        forecast,
        forecaster: forecaster.name,
        modelUsed: usesModel,
        // A configured model that cannot forecast yet is a cold start, even when a baseline stands in.
        fallback: this.deps.model !== null && !usesModel ? 'cold-start' : null,
        unavailableReason: null,
        windowSeconds: lookAhead * config.stepSeconds,
      };
    } catch (err) {
      this.forecastError = `forecast: ${(err as Error).message}`;
      this.deps.metrics.forecastFailures.inc({ app: config.name });
      this.log.error('forecast failed; serving the reactive estimate, never below the last served values', {
        forecaster: forecaster.name,
        error: (err as Error).message,
      });
      const reactive = this.reactive(latest.frame);
      return { ...reactive, recommendations: this.atLeastLastServed(reactive.recommendations), fallback: 'reactive' };
    }
  }

  private readonly policyOf = (service: string): ServicePolicy => servicePolicy(this.deps.config, service);
  private readonly riskOf = (service: string): number => this.policyOf(service).risk;

  /**
   * Forecast steps the plan reads: pod start-up + HPA sync + one step (the value is served until the
   * next) + the data's age; and the scale-in guard's: pod start-up + the HPA's scale-down window +
   * the data's age. Fixed per forecaster, so the calibration scores the same peak the plan sizes.
   */
  private steps(forecaster: Forecaster): { lookAhead: number; scaleIn: number } {
    const { config, timeline } = this.deps;
    const age = timeline.dataAgeSeconds;
    return {
      lookAhead: lookAheadSteps(lookAheadBaseSeconds(config) + config.stepSeconds + age, config.stepSeconds, forecaster.horizon),
      scaleIn: lookAheadSteps(config.lookAhead.podStartupSeconds + config.lookAhead.scaleDownWindowSeconds + age, config.stepSeconds, forecaster.horizon),
    };
  }

  /**
   * A new forecaster starts a new calibration record, rebuilt by replaying it over the history:
   * every past step whose input window is there is forecast again and scored against what came
   * next. The record is then a function of the data window alone (not of when this process
   * started or which forecasts it happened to make), so two replicas reading the same data serve
   * the same values once the window covers the calibration's memory (window + adaptSteps + the
   * look-ahead + the forecaster's input).
   */
  private async recalibrate(forecaster: Forecaster): Promise<Calibrated> {
    const { config, services } = this.deps;
    const calibrator = new PeakCalibrator({
      services,
      stepSeconds: config.stepSeconds,
      lookAheadSteps: this.steps(forecaster).lookAhead,
      calibration: config.calibration,
    });
    const span = Math.min(this.history.size - 1, calibrationMemory(config.calibration) + calibrator.lookAheadSteps + forecaster.inputSteps);
    const began = performance.now();
    let failures = 0;
    for (let back = span; back >= 0; back--) {
      const slice = this.history.window(1, back)!;
      calibrator.observe({ timestamp: slice.timestamps[0]!, services: slice.services, features: slice.features, values: slice.values });
      const window = back === 0 ? null : this.history.window(forecaster.inputSteps, back);
      if (window === null) continue;
      try {
        calibrator.recordForecast(await forecaster.forecast(window));
      } catch {
        failures++; // that look-ahead stays unscored, as it would live
      }
    }
    this.calibrated = { forecaster, calibrator, state: calibrator.calibrate(this.riskOf) };
    this.deps.metrics.calibrated(config.namespace, config.name, this.calibrated.state, this.riskOf);
    this.log.info('calibration rebuilt from history', {
      forecaster: forecaster.name,
      replayedSteps: span,
      lookAheadSteps: calibrator.lookAheadSteps,
      failedForecasts: failures,
      seconds: Math.round(performance.now() - began) / 1000,
    });
    return this.calibrated;
  }

  /** Each service's largest observed demand over the HPA's scale-down window, with the running count. */
  private recentPeakUsage(frame: Frame): CurrentUsage[] {
    const { config, services } = this.deps;
    if (!services.some((s) => servicePolicy(config, s).scaleIn === 'reactive')) return [];
    const steps = Math.max(1, Math.min(this.history.size, Math.ceil(config.lookAhead.scaleDownWindowSeconds / config.stepSeconds)));
    const window = this.history.window(steps)!;
    const F = window.features.length;
    const peak = (s: number, feature: Feature): number => {
      const f = window.features.indexOf(feature);
      let best = Number.NaN;
      if (f < 0) return best;
      for (let t = 0; t < steps; t++) {
        const v = window.values[(t * services.length + s) * F + f]!;
        if (Number.isFinite(v) && !(v <= best)) best = v;
      }
      return best;
    };
    return services.map((service, s) => ({ service, cpuCores: peak(s, 'cpu_cores'), req: peak(s, 'req'), replicas: frameValue(frame, service, 'pod') }));
  }

  private usage(frame: Frame): CurrentUsage[] {
    return this.deps.services.map((service) => ({
      service,
      cpuCores: frameValue(frame, service, 'cpu_cores'),
      req: frameValue(frame, service, 'req'),
      replicas: frameValue(frame, service, 'pod'),
    }));
  }

  private reactive(frame: Frame): Decision {
    const recommendations = decide({
      forecast: null,
      usage: this.usage(frame),
      recentPeakUsage: [],
      capacities: this.deps.capacities,
      lookAheadSteps: 0,
      scaleInSteps: 0,
      policy: this.policyOf,
      calibration: new Map(),
    });
    return {
      recommendations,
      forecast: null,
      forecaster: 'reactive',
      modelUsed: false,
      fallback: 'reactive',
      unavailableReason: null,
      windowSeconds: null,
    };
  }

  private staleFallback(ageSeconds: number, frame: Frame): Decision {
    const { policy, maxAgeSeconds } = this.deps.config.fallback;
    const why = `the newest data is ${Math.round(ageSeconds)} s old (max age ${maxAgeSeconds} s)${this.sourceError ? `: ${this.sourceError}` : ''}`;
    if (policy === 'unavailable' || (policy === 'last-value' && this.lastServed.length === 0)) {
      return this.unavailable(`${why}; the HPA holds the current scale until fresh data arrives — check the adapter's source and logs`);
    }
    if (policy === 'last-value') {
      return {
        recommendations: this.lastServed,
        forecast: null,
        forecaster: 'last-value',
        modelUsed: false,
        fallback: 'last-value',
        unavailableReason: null,
        windowSeconds: null,
      };
    }
    // Reactive on stale data: a current-usage estimate, but never below what was served (no silent scale-in).
    const reactive = this.reactive(frame);
    return { ...reactive, recommendations: this.atLeastLastServed(reactive.recommendations) };
  }

  /** Each recommendation, or the last served one for its service where that was higher. */
  private atLeastLastServed(recommendations: readonly Recommendation[]): Recommendation[] {
    const floor = new Map(this.lastServed.map((r) => [r.service, r] as const));
    return recommendations.map((r) => {
      const last = floor.get(r.service);
      return last !== undefined && last.desiredReplicas > r.desiredReplicas ? last : r;
    });
  }

  /** Services the newest frame has no demand for keep their last served value (see data-gaps.ts). */
  private holdDataGaps(decision: Decision): Decision {
    const { config, metrics, capacities, services } = this.deps;
    if (decision.unavailableReason !== null || this.latest === null) return decision;
    const { recommendations, gaps } = holdGaps(decision.recommendations, this.latest.frame, capacities, this.lastServed);
    metrics.gaps(config.namespace, config.name, services, gaps);
    const summary = gaps.map((g) => `${g.service}: ${g.kind === 'no-data' ? 'no data' : `no ${g.missing.join(', ')}`}${g.held ? ', held' : ''}`).join('; ');
    if (summary !== this.lastGaps) {
      if (gaps.length > 0) this.log.warn('services without data in the newest step; their served values do not drop', { services: summary });
      else this.log.info('every service has data again');
      this.lastGaps = summary;
    }
    return { ...decision, recommendations };
  }

  private unavailable(reason: string): Decision {
    return {
      recommendations: [],
      forecast: null,
      forecaster: 'none',
      modelUsed: false,
      fallback: 'unavailable',
      unavailableReason: reason,
      windowSeconds: null,
    };
  }

  private logModeChange(snapshot: AppSnapshot): void {
    const mode = modeOf(snapshot);
    if (mode === this.lastMode) return;
    const fields = {
      mode,
      previous: this.lastMode || null,
      forecaster: snapshot.state.forecaster,
      reason: snapshot.unavailableReason ?? snapshot.state.lastError,
    };
    if (snapshot.state.fallback === null && !snapshot.state.stale) this.log.info('serving forecasts', fields);
    else this.log.warn('serving a fallback', fields);
    this.lastMode = mode;
  }

  private publish(wallNow: number, decision: Decision): AppSnapshot {
    const { config, store, metrics } = this.deps;
    const latest = this.latest;
    const stale = latest === null || (wallNow - latest.receivedAt) / 1000 > config.fallback.maxAgeSeconds;
    if (decision.unavailableReason === null) this.lastServed = decision.recommendations;
    const errors = [this.sourceError, this.forecastError, this.deps.model?.lastError ?? null].filter((e): e is string => e !== null);
    const snapshot: AppSnapshot = {
      app: config.name,
      namespace: config.namespace,
      computedAt: wallNow,
      dataTimestamp: latest?.receivedAt ?? wallNow,
      stepSeconds: config.stepSeconds,
      state: {
        modelUsed: decision.modelUsed,
        forecaster: decision.forecaster,
        lastStepAt: latest?.receivedAt ?? null,
        stale,
        fallback: decision.fallback,
        lastError: errors.length > 0 ? errors.join('; ') : null,
      },
      recommendations: decision.recommendations,
      windowSeconds: decision.windowSeconds,
      forecast: decision.forecast,
      graph: decision.modelUsed ? (this.deps.model?.loaded?.graph ?? null) : null,
      observed: latest === null ? [] : this.usage(latest.frame),
      preview: config.preview,
      unavailableReason: decision.unavailableReason,
    };
    store.publishApp(snapshot);
    metrics.published(snapshot);
    this.logModeChange(snapshot);
    this.log.debug('published', {
      forecaster: decision.forecaster,
      fallback: decision.fallback,
      stale,
      replicas: decision.recommendations.map((r) => `${r.service}=${r.desiredReplicas}`),
    });
    return snapshot;
  }
}

/** Serving mode as one word pair; a change (e.g. into a fallback and back) is worth one log line. */
function modeOf(snapshot: AppSnapshot): string {
  const fallback = snapshot.unavailableReason !== null ? 'unavailable' : (snapshot.state.fallback ?? 'forecast');
  return `${fallback}${snapshot.state.stale ? ' (stale)' : ''}`;
}

function hasDemand(frame: Frame, services: readonly string[]): boolean {
  return services.some((s) => Number.isFinite(frameValue(frame, s, 'cpu_cores')) || Number.isFinite(frameValue(frame, s, 'req')));
}
