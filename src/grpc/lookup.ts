/**
 * Finding an application and its prediction in the snapshot, with the refusals both gRPC services
 * give: unknown application (NOT_FOUND) and withheld values (UNAVAILABLE).
 */
import * as grpc from '@grpc/grpc-js';
import type { AppSnapshot, SnapshotStore } from '../snapshot/index.js';
import { GrpcStatusError } from './calls.js';

export function listOrNone(names: readonly string[]): string {
  return names.length === 0 ? '(none yet)' : names.join(', ');
}

/** The services an application has predictions for: the planner's, else the forecaster's. */
export function servicesOf(app: AppSnapshot): readonly string[] {
  if (app.recommendations.length > 0) return app.recommendations.map((r) => r.service);
  return app.forecast?.services ?? [];
}

export function findApp(store: SnapshotStore, name: string): AppSnapshot {
  const app = store.current().apps.get(name);
  if (app) return app;
  const known = [...store.current().apps.keys()];
  throw new GrpcStatusError(grpc.status.NOT_FOUND, `application "${name}" is not served by this adapter; served applications: ${listOrNone(known)}`);
}

/** Values of an application whose snapshot says to withhold them must not reach any client. */
export function assertServable(app: AppSnapshot): void {
  if (app.unavailableReason !== null) {
    throw new GrpcStatusError(
      grpc.status.UNAVAILABLE,
      `predictions for application "${app.app}" are withheld: ${app.unavailableReason}; they return once fresh data arrives`,
    );
  }
}

/**
 * A preview application's values must not reach an autoscaler (KEDA would act on them); the
 * Predictor may still show them, as `deepscaler explain` does.
 */
export function assertNotPreview(app: AppSnapshot): void {
  if (app.preview) {
    throw new GrpcStatusError(
      grpc.status.FAILED_PRECONDITION,
      `application "${app.app}" is in preview mode: its decisions are computed and scored but not served to autoscalers ` +
        `(see \`deepscaler explain ${app.namespace}\`); set preview: false in the adapter's configuration to serve them`,
    );
  }
}
