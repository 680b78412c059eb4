/**
 * The one query over the published snapshot that every API asks: which application a client means
 * and whether its values may be served. Refusals are typed (`SnapshotRefusal` with a kind) and made
 * by named constructors, in the spirit of custom-metrics-apiserver's provider errors; the HTTP API
 * turns a kind into a Kubernetes Status and gRPC into a status code, so neither decides on its own
 * what is servable, and both say the same thing about the same state.
 */
import type { AppSnapshot, SnapshotStore } from './index.js';
import { quoteInput } from '../util/index.js';

/**
 * not-found: the client named something that is not served (fix the request);
 * unavailable: it exists but has no values now (retry later);
 * preview: it exists, but its values are not for autoscalers (preview mode).
 */
export type RefusalKind = 'not-found' | 'unavailable' | 'preview';

export class SnapshotRefusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    /** For `unavailable`: when to ask again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'SnapshotRefusal';
  }
}

export function listOrNone(names: readonly string[]): string {
  return names.length === 0 ? '(none yet)' : names.join(', ');
}

export function unknownApplication(name: string, served: readonly string[]): SnapshotRefusal {
  return new SnapshotRefusal('not-found', `application ${quoteInput(name)} is not served by this adapter; served applications: ${listOrNone(served)}`);
}

export function namespaceNotConfigured(namespace: string, configured: readonly string[]): SnapshotRefusal {
  return new SnapshotRefusal(
    'not-found',
    `no application is configured for namespace "${namespace}" (configured namespaces: ${[...configured].sort().join(', ') || 'none'}); add it to the adapter's configuration`,
  );
}

/** The snapshot says to withhold the values (fallback policy `unavailable` on stale data). */
export function withheld(app: AppSnapshot): SnapshotRefusal {
  return new SnapshotRefusal(
    'unavailable',
    `predictions for application "${app.app}" are withheld: ${app.unavailableReason}; they return once fresh data arrives`,
    app.stepSeconds,
  );
}

export function notPublishedYet(names: readonly string[], namespace: string): SnapshotRefusal {
  return new SnapshotRefusal(
    'unavailable',
    `application ${names.map((m) => `"${m}"`).join(', ')} in namespace "${namespace}" is starting and has no values yet; retry shortly`,
    5,
  );
}

export function noPredictionYet(app: AppSnapshot, service: string): SnapshotRefusal {
  return new SnapshotRefusal(
    'unavailable',
    `no prediction for service "${service}" of application "${app.app}" yet; the first one comes with the next serving step`,
    app.stepSeconds,
  );
}

/** Preview mode: values are computed, scored and explained, but an autoscaler must not act on them. */
export function previewOnly(apps: readonly AppSnapshot[]): SnapshotRefusal {
  const first = apps[0]!;
  return new SnapshotRefusal(
    'preview',
    `application ${apps.map((a) => `"${a.app}"`).join(', ')} in namespace "${first.namespace}" is in preview mode: deepscaler computes and scores its decisions ` +
      `but does not serve them to autoscalers (see \`deepscaler explain ${first.namespace}\`); set preview: false in the adapter's configuration to serve them`,
  );
}

/** The services an application has predictions for: the planner's, else the forecaster's. */
export function servicesOf(app: AppSnapshot): readonly string[] {
  if (app.recommendations.length > 0) return app.recommendations.map((r) => r.service);
  return app.forecast?.services ?? [];
}

export function findApp(store: SnapshotStore, name: string): AppSnapshot {
  const app = store.current().apps.get(name);
  if (app) return app;
  throw unknownApplication(name, [...store.current().apps.keys()]);
}

/** Values of a withheld application must reach no client at all. */
export function assertNotWithheld(app: AppSnapshot): void {
  if (app.unavailableReason !== null) throw withheld(app);
}

/** An application's values as an autoscaler may read them: not withheld, not in preview. */
export function assertServable(app: AppSnapshot): void {
  assertNotWithheld(app);
  if (app.preview) throw previewOnly([app]);
}
