/**
 * The external metrics served from the published snapshot. A request only reads the snapshot that
 * is current when it arrives (one reference read): it never waits on a source or a model.
 *
 * Served metrics, one item per service of every application in the namespace, labels
 * `service` and `app`:
 * - deepscaler_desired_replicas: the planned replica count (use with target AverageValue "1");
 * - deepscaler_predicted_cpu_cores: peak forecast CPU inside the look-ahead window, in cores;
 * - deepscaler_predicted_requests_per_second: peak forecast request rate inside the window.
 *
 * Applications in preview mode serve none of these (an HPA must not act on them): a request that
 * only they could answer gets a 404 naming preview mode, so the HPA keeps the scale it has.
 */
import type { Recommendation } from '../planning/index.js';
import { milli } from '../core/index.js';
import { type SnapshotStore, namespaceNotConfigured, notPublishedYet, previewOnly, withheld, type SnapshotRefusal } from '../snapshot/index.js';
import { ApiError, type ExternalMetricValue, type LabelMatcher, type MetricsProvider } from './index.js';

export const DESIRED_REPLICAS_METRIC = 'deepscaler_desired_replicas';
export const PREDICTED_CPU_METRIC = 'deepscaler_predicted_cpu_cores';
export const PREDICTED_REQUESTS_METRIC = 'deepscaler_predicted_requests_per_second';

const VALUE_OF: Readonly<Record<string, (rec: Recommendation) => number>> = {
  [DESIRED_REPLICAS_METRIC]: (rec) => rec.desiredReplicas,
  [PREDICTED_CPU_METRIC]: (rec) => rec.peakCpuCores,
  [PREDICTED_REQUESTS_METRIC]: (rec) => rec.peakReq,
};

export const SERVED_METRICS: readonly string[] = Object.keys(VALUE_OF);

/** A snapshot refusal as the external metrics API says it: preview values are simply not there for an HPA (404). */
function apiError(refusal: SnapshotRefusal): ApiError {
  if (refusal.kind === 'unavailable') return new ApiError(503, 'ServiceUnavailable', refusal.message, refusal.retryAfterSeconds);
  return new ApiError(404, 'NotFound', refusal.message);
}

export class SnapshotMetricsProvider implements MetricsProvider {
  constructor(
    private readonly store: SnapshotStore,
    /** Namespaces the configuration serves, so an application that has not published yet is 503, not 404. */
    private readonly configured: ReadonlyMap<string, readonly string[]>,
  ) {}

  listMetrics(): readonly string[] {
    return SERVED_METRICS;
  }

  getValues(namespace: string, metric: string, matcher: LabelMatcher): readonly ExternalMetricValue[] {
    const valueOf = VALUE_OF[metric];
    if (valueOf === undefined) {
      throw new ApiError(404, 'NotFound', `external metric "${metric}" is not served by deepscaler; available: ${SERVED_METRICS.join(', ')}`);
    }
    const expected = this.configured.get(namespace);
    if (expected === undefined) throw apiError(namespaceNotConfigured(namespace, [...this.configured.keys()]));
    const all = this.store.appsInNamespace(namespace);
    const previews = all.filter((a) => a.preview);
    const apps = all.filter((a) => !a.preview);
    const missing = expected.filter((name) => !all.some((a) => a.app === name));
    const out: ExternalMetricValue[] = [];
    for (const app of apps) {
      if (app.unavailableReason !== null) throw apiError(withheld(app));
      // The look-ahead the plan read, as the snapshot carries it (absent when current usage decided).
      const windowSeconds = app.windowSeconds ?? undefined;
      for (const rec of app.recommendations) {
        const labels = { service: rec.service, app: app.app };
        const value = valueOf(rec);
        if (!Number.isFinite(value) || !matcher(labels)) continue;
        out.push({
          metricName: metric,
          metricLabels: labels,
          timestamp: app.dataTimestamp,
          milliValue: milli(value),
          ...(windowSeconds === undefined ? {} : { windowSeconds }),
        });
      }
    }
    if (out.length === 0) {
      const previewed = previews.filter((a) => a.recommendations.some((rec) => matcher({ service: rec.service, app: a.app })));
      if (previewed.length > 0) throw apiError(previewOnly(previewed));
      if (missing.length > 0) throw apiError(notPublishedYet(missing, namespace));
      const services = apps.flatMap((a) => a.recommendations.map((r) => r.service)).sort();
      throw new ApiError(
        404,
        'NotFound',
        `no "${metric}" value in namespace "${namespace}" matches the selector; services with values: ${services.join(', ') || 'none'} (select one with service=<name>)`,
      );
    }
    return out;
  }
}
