/**
 * The decision journal: follows every published snapshot and remembers what a person asks about
 * later — when each service's count last changed and from what, the forecast made one step earlier,
 * the recent fallback modes, and the preview scorecard. It only reads snapshots (nothing here runs
 * on the serving loop's path) and tells listeners when a service's desired count changes (Events).
 */
import { forecastValue } from '../forecast/index.js';
import type { Recommendation, ServiceCapacity, CurrentUsage } from '../planning/index.js';
import { ApiError, type ExplanationProvider } from '../serving/index.js';
import type { AppSnapshot, SnapshotStore } from '../snapshot/index.js';
import {
  EXPLANATION_API_VERSION,
  EXPLANATION_KIND,
  type ApplicationExplanation,
  type Explanation,
  type ModeChange,
  type RetrainSummary,
  type ServiceExplanation,
} from './document.js';
import { PlanDelayLine, ScorecardAccumulator, delaySteps, type ServiceScorecard } from './scorecard.js';

export interface JournalApp {
  readonly name: string;
  readonly namespace: string;
  readonly stepSeconds: number;
  /** Pod start-up + HPA sync: how long a plan takes to become running pods. */
  readonly actuationSeconds: number;
  readonly capacities: readonly ServiceCapacity[];
}

/** A service's desired count changed between two published snapshots. */
export interface ReplicaChange {
  readonly app: string;
  readonly namespace: string;
  readonly preview: boolean;
  readonly from: number;
  readonly recommendation: Recommendation;
  /** Seconds ahead of the data the deciding demand was forecast for (0: current usage). */
  readonly horizonSeconds: number;
  readonly forecaster: string;
  readonly fallback: string | null;
  /** Epoch ms. */
  readonly at: number;
}

export type ChangeListener = (change: ReplicaChange) => void;
export type ScoreListener = (app: AppSnapshot, scores: readonly ServiceScorecard[]) => void;

const MODES_KEPT = 5;

function modeOf(snapshot: AppSnapshot): string {
  const fallback = snapshot.unavailableReason !== null ? 'unavailable' : (snapshot.state.fallback ?? 'forecast');
  return `${fallback}${snapshot.state.stale ? ' (stale)' : ''}`;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

class AppJournal {
  last: AppSnapshot | null = null;
  /** The snapshot of the previous data step (for "forecast for now"). */
  previousStep: AppSnapshot | null = null;
  readonly changes = new Map<string, { from: number; at: number }>();
  readonly served = new Map<string, number>();
  readonly modes: ModeChange[] = [];
  readonly scorecards: Map<string, ScorecardAccumulator>;
  readonly delay: PlanDelayLine;
  readonly delaySteps: number;

  constructor(readonly info: JournalApp) {
    this.scorecards = new Map(info.capacities.map((c) => [c.service, new ScorecardAccumulator(c)] as const));
    this.delaySteps = delaySteps(info.actuationSeconds, info.stepSeconds);
    this.delay = new PlanDelayLine(this.delaySteps);
  }
}

export class DecisionJournal implements ExplanationProvider {
  private readonly apps = new Map<string, AppJournal>();
  private readonly changeListeners = new Set<ChangeListener>();
  private readonly scoreListeners = new Set<ScoreListener>();
  private readonly since: number;
  private readonly unsubscribe: () => void;

  constructor(
    store: SnapshotStore,
    apps: readonly JournalApp[],
    private readonly options: { readonly clock?: () => number; readonly lastRetrain?: (app: string) => RetrainSummary | null } = {},
  ) {
    for (const app of apps) this.apps.set(app.name, new AppJournal(app));
    this.since = this.now();
    this.unsubscribe = store.subscribe((snapshot) => {
      for (const [name, journal] of this.apps) {
        const app = snapshot.apps.get(name);
        if (app !== undefined && app !== journal.last) this.record(journal, app);
      }
    });
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  onChange(listener: ChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onScore(listener: ScoreListener): () => void {
    this.scoreListeners.add(listener);
    return () => this.scoreListeners.delete(listener);
  }

  close(): void {
    this.unsubscribe();
  }

  private record(journal: AppJournal, app: AppSnapshot): void {
    const newStep = journal.last === null || app.dataTimestamp !== journal.last.dataTimestamp;
    const mode = modeOf(app);
    if (journal.modes[0]?.mode !== mode) {
      journal.modes.unshift({ at: app.computedAt, mode, reason: app.unavailableReason ?? app.state.lastError });
      journal.modes.splice(MODES_KEPT);
    }
    if (newStep && app.observed.length > 0) this.score(journal, app);
    if (newStep) journal.previousStep = journal.last;
    journal.last = app;
    if (app.unavailableReason !== null) return;
    for (const rec of app.recommendations) {
      const before = journal.served.get(rec.service);
      journal.served.set(rec.service, rec.desiredReplicas);
      if (before === undefined || before === rec.desiredReplicas) continue;
      journal.changes.set(rec.service, { from: before, at: app.computedAt });
      const change: ReplicaChange = {
        app: app.app,
        namespace: app.namespace,
        preview: app.preview,
        from: before,
        recommendation: rec,
        horizonSeconds: horizonSeconds(rec, app.stepSeconds),
        forecaster: app.state.forecaster,
        fallback: app.state.fallback,
        at: app.computedAt,
      };
      for (const listener of this.changeListeners) listener(change);
    }
  }

  private score(journal: AppJournal, app: AppSnapshot): void {
    const plan = app.unavailableReason !== null ? null : new Map(app.recommendations.map((r) => [r.service, r.desiredReplicas] as const));
    const inEffect = journal.delay.push(plan);
    for (const usage of app.observed) {
      journal.scorecards.get(usage.service)?.add(usage, inEffect?.get(usage.service) ?? null, app.stepSeconds);
    }
    const scores = [...journal.scorecards.values()].map((s) => s.view());
    for (const listener of this.scoreListeners) listener(app, scores);
  }

  /** The explanation of every application in a namespace, or of one service; 404 Status when unknown. */
  explain(namespace: string, service?: string): Explanation {
    const journals = [...this.apps.values()].filter((j) => j.info.namespace === namespace);
    if (journals.length === 0) {
      const known = [...new Set([...this.apps.values()].map((j) => j.info.namespace))].sort().join(', ');
      throw new ApiError(404, 'NotFound', `no application is configured for namespace "${namespace}" (configured namespaces: ${known || 'none'})`);
    }
    if (service !== undefined && !journals.some((j) => j.info.capacities.some((c) => c.service === service))) {
      const services = journals
        .flatMap((j) => j.info.capacities.map((c) => c.service))
        .sort()
        .join(', ');
      throw new ApiError(404, 'NotFound', `service "${service}" is not scaled by deepscaler in namespace "${namespace}" (services: ${services})`);
    }
    const applications = journals
      .filter((j) => service === undefined || j.info.capacities.some((c) => c.service === service))
      .map((j) => this.explainApp(j, service));
    return { kind: EXPLANATION_KIND, apiVersion: EXPLANATION_API_VERSION, namespace, generatedAt: this.now(), applications };
  }

  private explainApp(journal: AppJournal, only: string | undefined): ApplicationExplanation {
    const { info } = journal;
    const app = journal.last;
    if (app === null) {
      throw new ApiError(503, 'ServiceUnavailable', `application "${info.name}" has not published a decision yet; retry shortly`, 5);
    }
    const usage = new Map(app.observed.map((u) => [u.service, u] as const));
    const services = app.recommendations
      .filter((r) => only === undefined || r.service === only)
      .map((rec) => this.explainService(journal, app, rec, usage.get(rec.service)));
    return {
      app: app.app,
      namespace: app.namespace,
      mode: app.preview ? 'preview' : 'serving',
      computedAt: app.computedAt,
      dataTimestamp: app.dataTimestamp,
      stepSeconds: app.stepSeconds,
      forecaster: app.state.forecaster,
      modelLoaded: app.state.modelUsed,
      fallback: app.state.fallback,
      stale: app.state.stale,
      unavailableReason: app.unavailableReason,
      lastError: app.state.lastError,
      recentModes: [...journal.modes],
      scorecardDelaySeconds: journal.delaySteps * info.stepSeconds,
      scorecardSince: this.since,
      lastRetrain: this.options.lastRetrain?.(app.app) ?? null,
      services,
    };
  }

  private explainService(journal: AppJournal, app: AppSnapshot, rec: Recommendation, usage: CurrentUsage | undefined): ServiceExplanation {
    const change = journal.changes.get(rec.service);
    const { reason } = rec;
    return {
      service: rec.service,
      desiredReplicas: rec.desiredReplicas,
      previousReplicas: change?.from ?? null,
      changedAt: change?.at ?? null,
      reason: {
        kind: reason.kind,
        driver: reason.driver,
        horizonSeconds: horizonSeconds(rec, app.stepSeconds),
        demand: reason.demand,
        capacityPerPod: reason.capacityPerPod,
        risk: reason.risk,
        correction: reason.correction,
        text: reason.text,
      },
      actual: {
        cpuCores: usage === undefined ? null : finite(usage.cpuCores),
        req: usage === undefined ? null : finite(usage.req),
        replicas: usage === undefined ? null : finite(usage.replicas),
      },
      forecastForNow: forecastOneStepBefore(journal.previousStep, rec.service),
      peak: { cpuCores: finite(rec.peakCpuCores), req: finite(rec.peakReq) },
      scorecard: journal.scorecards.get(rec.service)?.view() ?? null,
    };
  }
}

function horizonSeconds(rec: Recommendation, stepSeconds: number): number {
  return rec.reason.horizonStep < 0 ? 0 : (rec.reason.horizonStep + 1) * stepSeconds;
}

/** The first forecast step of the previous data step's forecast: its prediction for now. */
function forecastOneStepBefore(previous: AppSnapshot | null, service: string): { cpuCores: number | null; req: number | null } | null {
  const fc = previous?.forecast ?? null;
  if (fc === null) return null;
  const s = fc.services.indexOf(service);
  if (s < 0) return null;
  const value = (feature: string): number | null => {
    const k = fc.targets.indexOf(feature as (typeof fc.targets)[number]);
    return k < 0 ? null : finite(forecastValue(fc, 0, s, k));
  };
  return { cpuCores: value('cpu_cores'), req: value('req') };
}
