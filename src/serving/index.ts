/**
 * Serving: the external.metrics.k8s.io API. The HTTP layer knows only this provider interface
 * (the seam custom-metrics-apiserver calls a provider); the snapshot, an example file or a test
 * double sit behind it.
 */

/** Matches a metric's labels; built from a `labelSelector` by the selector parser. */
export type LabelMatcher = (labels: Readonly<Record<string, string>>) => boolean;

export interface ExternalMetricValue {
  readonly metricName: string;
  readonly metricLabels: Readonly<Record<string, string>>;
  /** Epoch ms the value describes. */
  readonly timestamp: number;
  /** Seconds the value covers, when meaningful. */
  readonly windowSeconds?: number;
  /** The value in milli-units (integer): 7 replicas = 7000. Rendered as a Kubernetes Quantity. */
  readonly milliValue: number;
}

export interface MetricsProvider {
  /** Metric names this provider can serve (never empty: discovery must list at least one). */
  listMetrics(): readonly string[];
  /**
   * Values of `metric` in `namespace` whose labels match. Throws ApiError (404 unknown metric or
   * namespace or nothing matched, 503 cold or stale) — the HTTP layer turns it into a Status.
   */
  getValues(namespace: string, metric: string, matcher: LabelMatcher): readonly ExternalMetricValue[];
}

/**
 * `deepscaler explain`'s data: the current decision of every application in a namespace (or one
 * service), as a JSON-serializable document. Throws ApiError (404 unknown namespace or service,
 * 503 nothing decided yet).
 */
export interface ExplanationProvider {
  explain(namespace: string, service?: string): object;
}

/** The explain route's resource, under the API's namespaces: never a metric name (those use _). */
export const EXPLAIN_RESOURCE = 'deepscaler-explain';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'Timeout'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable';

/** An error that becomes a Kubernetes `Status` with this code, reason and message. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export { GROUP_VERSION } from './api.js';
export { addApiServerFlags, localKubeconfig, resolveApiServerFlags, type ApiServerFlags, type LocalClientFiles } from './flags.js';
export { startApiServer } from './server.js';
export { DESIRED_REPLICAS_METRIC, SnapshotMetricsProvider } from './snapshot-provider.js';
