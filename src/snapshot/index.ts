/**
 * Snapshot: the planner's output for every application, built once per step and swapped in one
 * assignment. Every API read (HTTP, gRPC, /metrics) is served from it; nothing on a request path
 * runs the model or waits on a source.
 */
import type { Forecast } from '../forecast/index.js';
import type { Recommendation, CurrentUsage } from '../planning/index.js';

export type FallbackPolicy = 'last-value' | 'reactive' | 'unavailable';

export interface AppState {
  /** A model (not a cold-start estimate) produced the forecast. */
  readonly modelUsed: boolean;
  readonly forecaster: string;
  /** Epoch ms of the newest frame the source delivered. */
  readonly lastStepAt: number | null;
  /** The newest data is older than the configured max age. */
  readonly stale: boolean;
  /** Which fallback shaped the values, or null when the forecast path served them. */
  readonly fallback: FallbackPolicy | 'cold-start' | null;
  /** Last error seen on the way (source, model), for status pages; null when healthy. */
  readonly lastError: string | null;
}

export interface LearnedGraph {
  readonly services: readonly string[];
  /** Row-major N×N. */
  readonly adjacency: Float32Array;
}

export interface AppSnapshot {
  /** Application name, unique in the process. */
  readonly app: string;
  /** Kubernetes namespace the application's metrics are served under. */
  readonly namespace: string;
  /** Epoch ms when this snapshot was built. */
  readonly computedAt: number;
  /** Epoch ms of the data the values describe (the timestamp served to the HPA). */
  readonly dataTimestamp: number;
  readonly stepSeconds: number;
  readonly state: AppState;
  readonly recommendations: readonly Recommendation[];
  /** Seconds of forecast the plan read (its look-ahead), served as each value's `window`; null when no forecast decided. */
  readonly windowSeconds: number | null;
  readonly forecast: Forecast | null;
  readonly graph: LearnedGraph | null;
  /**
   * What each service used at `dataTimestamp` (NaN where the source had a gap); empty before the
   * first frame. Explanations compare it with earlier forecasts; the scorecard with the plan.
   */
  readonly observed: readonly CurrentUsage[];
  /**
   * Preview mode: everything is computed and explained, but the values are not served to the
   * HPA (the external metrics API and KEDA refuse them), so the user's autoscaling stays as it is.
   */
  readonly preview: boolean;
  /**
   * When set, readers must refuse to serve values (fallback policy "unavailable" on stale data):
   * the HTTP API answers 503 and gRPC UNAVAILABLE with this message.
   */
  readonly unavailableReason: string | null;
}

export interface Snapshot {
  /** Increases by one on every publish. */
  readonly version: number;
  readonly apps: ReadonlyMap<string, AppSnapshot>;
}

export type SnapshotListener = (snapshot: Snapshot) => void;

export class SnapshotStore {
  private snapshot: Snapshot = { version: 0, apps: new Map() };
  private readonly listeners = new Set<SnapshotListener>();

  current(): Snapshot {
    return this.snapshot;
  }

  /** Replaces one application's entry; readers see either the old or the new snapshot, never a mix. */
  publishApp(app: AppSnapshot): void {
    const apps = new Map(this.snapshot.apps);
    apps.set(app.app, Object.freeze(app));
    this.snapshot = Object.freeze({ version: this.snapshot.version + 1, apps });
    for (const listener of this.listeners) listener(this.snapshot);
  }

  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applications served under a namespace (several apps may share one). */
  appsInNamespace(namespace: string): AppSnapshot[] {
    return [...this.snapshot.apps.values()].filter((a) => a.namespace === namespace);
  }
}

export {
  assertNotWithheld,
  assertServable,
  findApp,
  listOrNone,
  namespaceNotConfigured,
  noPredictionYet,
  notPublishedYet,
  previewOnly,
  servicesOf,
  SnapshotRefusal,
  withheld,
  type RefusalKind,
} from './query.js';
